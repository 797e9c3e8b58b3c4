"""Sending broadcasts on a pushing platform (Telegram, Slack): claim due rows, send, record.

Each adapter runs one `BroadcastSender`. It claims a batch of due rows for its platform with a
lease (`CEDP_BROADCAST_LEASE_SECONDS`, renewed while the batch is in hand) in a short
transaction, sends with no transaction open, in the pacer's bulk lane, and records each outcome
as soon as the platform answers; outcomes from concurrent sends share commits (group commit).
A row is therefore sent twice only if the process dies after the platform took the message and
before its outcome was committed: at most `SENDING_AT_ONCE` rows per platform and process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from bot.adapters.delivery import Outlet, Unreachable, mark_unreachable
from bot.core import Bot
from bot.loops import Loop
from handlers.broadcasts import reply_for
from services import broadcasts
from storage.broadcasts import Outcome
from storage.group_commit import GroupCommit
from storage.repositories import Repositories

log = logging.getLogger(__name__)

SENDING_AT_ONCE = 32
CLAIM_BATCH = 256


class BroadcastSender:
    """Drains due broadcast rows of one platform, every `CEDP_OUTBOX_POLL_SECONDS`."""

    def __init__(self, bot: Bot, outlet: Outlet) -> None:
        settings = bot.services.settings
        self._bot = bot
        self._outlet = outlet
        self._lease = timedelta(seconds=settings.broadcast_lease_seconds)
        self._slots = asyncio.Semaphore(SENDING_AT_ONCE)
        self._outcomes: GroupCommit[Outcome, None] = GroupCommit(
            bot.services.database, self._record
        )
        self._loop = Loop(
            f"broadcasts-{outlet.platform}", settings.outbox_poll_seconds, self.run_once
        )

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def run_once(self) -> int:
        """Send everything due now, a batch at a time; returns how many were sent."""
        sent = 0
        while True:
            batch = await self._claim()
            if not batch:
                return sent
            async with self._renewing([item.delivery.id for item in batch]):
                results = await asyncio.gather(*(self._send(item) for item in batch))
            sent += sum(results)
            if len(batch) < CLAIM_BATCH:
                return sent

    async def _claim(self) -> list[broadcasts.Sendable]:
        services = self._bot.services
        async with services.database.transaction() as session:
            return await broadcasts.claim_due(
                Repositories.bound_to(session),
                self._outlet.platform,
                services.clock(),
                services.settings,
                lease=self._lease,
                limit=CLAIM_BATCH,
            )

    async def _record(self, repos: Repositories, outcomes: list[Outcome]) -> list[None]:
        await repos.broadcasts.record(outcomes, self._bot.services.clock())
        return [None] * len(outcomes)

    @contextlib.asynccontextmanager
    async def _renewing(self, delivery_ids: list[int]) -> AsyncIterator[None]:
        """Renew the batch's lease every third of it while the batch is being sent."""
        services = self._bot.services

        async def renew() -> None:
            async with services.database.transaction() as session:
                await Repositories.bound_to(session).broadcasts.renew(
                    delivery_ids, services.clock(), self._lease
                )

        renewal = Loop(
            f"broadcast-lease-{self._outlet.platform}", self._lease.total_seconds() / 3, renew
        )
        renewal.start()
        try:
            yield
        finally:
            await renewal.stop()

    async def _send(self, item: broadcasts.Sendable) -> bool:
        """Send one, then record its outcome; the slot is held until the outcome is committed,
        which is what bounds the messages a crash can send twice."""
        row = item.delivery
        binder, now = self._bot.services.binder, self._bot.services.clock
        async with self._slots:
            try:
                address = await self._outlet.direct_address(row.recipient_id)
                reply = binder.bind_replies(
                    [reply_for(item.message)], row.platform, row.recipient_id
                )
                await self._outlet.send(address, reply, bulk=True)
                outcome = broadcasts.sent(row)
            except Unreachable as refusal:
                await mark_unreachable(self._bot, row.platform, row.recipient_id, refusal.reason)
                outcome = broadcasts.refused(row, refusal.reason)
            except Exception as error:
                log.warning(
                    "broadcast delivery %d not sent (%s); will retry", row.id, type(error).__name__
                )
                outcome = broadcasts.failed_attempt(row, type(error).__name__, now())
            await self._outcomes.submit(outcome)
        return outcome.status is broadcasts.DeliveryStatus.SENT
