"""Deliveries from a pushing platform: stored before they are acknowledged, then handled in
arrival order for each person, many people at once.

A webhook hands what arrived to `Inbox.accept`, which stores it and returns; only then does the
webhook answer 200. The delivery is handled at once, in this process, under a lease that this
process renews while it lives. A process that dies (`kill -9`) stops renewing, and whichever
process looks next (the same one restarted, or another worker) takes over what was stored and
not finished: handled if it was not, its replies sent if they were waiting.

What one delivery may hold while it waits:
- its person's turn (`bot.turns`): nothing else, so a busy person delays only themselves.
  On PostgreSQL, where several workers share the inbox, one that arrived while another worker
  had an earlier delivery of the same person unfinished (looked up for the whole batch when it
  is stored) then also waits (polling, holding nothing) until that one is finished,
  so their messages are answered in arrival order whichever worker each reached; at most for
  one lease, after which a worker that died has lost its claim and order gives way to progress;
- one of the bot's handling slots (`Bot.handle`) only while the core runs, not while replies
  are paced out to the chat;
- one of `SENDING_AT_ONCE` sending places while its replies go out. That number bounds the
  replies a crash can send twice: a reply is sent, then its delivery is marked finished, and a
  process killed between the two sends it again when the delivery is taken over.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from bot.adapters.delivery import Outlet, deliver
from bot.core import Bot
from bot.loops import Loop
from bot.messages import Conversation, InboundEvent, Sender
from bot.reply_codec import decode_replies
from bot.turns import Turns
from storage.group_commit import GroupCommit
from storage.inbox import StoredDelivery
from storage.repositories import Repositories

log = logging.getLogger(__name__)

SENDING_AT_ONCE = 32
TAKE_OVER_AT_ONCE = 100
DRAIN_SECONDS = 10.0
EARLIER_POLL_SECONDS = 0.02  # how often a delivery looks whether its person's earlier one is done


@dataclass(frozen=True, slots=True)
class Arrival:
    """A delivery as a webhook validated it: its key, the stored text, and whom it is from.

    `parsed` is the adapter's own parse of `body`, kept so the fast path does not parse twice.
    """

    event_id: str
    body: str
    person: str
    parsed: Any = None


MAX_ID_CHARS = 128  # what the database keeps of a platform's ids (storage.models)


def check_ids(event_id: str | None, sender: Sender, conversation: Conversation | None) -> None:
    """ValueError for a delivery whose ids the database cannot keep: refused, not stored."""
    ids = (event_id or "", sender.external_id, conversation.external_id if conversation else "")
    if any(len(found) > MAX_ID_CHARS for found in ids):
        raise ValueError("an id is too long")


def contains_nul(value: Any) -> bool:
    """Whether a parsed payload holds a NUL character anywhere. PostgreSQL text cannot store
    one, and no person types one: such a delivery is refused rather than stored."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


class Receiver(Outlet, Protocol):
    """A platform's side of the inbox: read a stored delivery and act on it."""

    def person_of(self, body: str) -> str:
        """Whose delivery a stored body is: one person's deliveries are handled in order."""
        ...

    async def process(self, arrival: Arrival) -> None:
        """Translate the delivery and answer it through `Inbox.respond` (or do nothing)."""
        ...


class Inbox:
    """One platform's deliveries in this process: stored, handled, sent, taken over."""

    def __init__(self, bot: Bot, receiver: Receiver) -> None:
        self._bot = bot
        self._receiver = receiver
        self._platform = receiver.platform
        self.worker = uuid.uuid4().hex[:16]
        seconds = bot.services.settings.inbox_lease_seconds
        self._lease = timedelta(seconds=seconds)
        self._turns = Turns()
        self._sending = asyncio.Semaphore(SENDING_AT_ONCE)
        self._tasks: set[asyncio.Task[None]] = set()
        self._finished: set[str] = set()
        self._sweeper = Loop(f"inbox-{self._platform}", seconds / 3, self._sweep)
        # Under a burst, storing and finishing deliveries share transactions.
        database = bot.services.database
        self._stores = GroupCommit[Arrival, bool](database, self._store)
        self._finishes = GroupCommit[str, None](database, self._finish_all)
        # SQLite is one process's database: the in-process turn is the whole order there.
        self._shared = database.engine.dialect.name == "postgresql"
        # Deliveries whose sender had an earlier one unfinished at another worker when they
        # were stored: only these wait for it (`_after_earlier`).
        self._behind_others: set[str] = set()

    def start(self) -> None:
        """Take over what an earlier process left, now and whenever a lease runs out."""
        self._sweeper.start()

    async def stop(self) -> None:
        """Stop taking over; let deliveries in hand finish (their leases cover the rest)."""
        await self._sweeper.stop()
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=DRAIN_SECONDS)
        for task in pending:
            log.warning("%s delivery still running at shutdown, left to its lease", self._platform)
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def accept(self, arrivals: Sequence[Arrival]) -> None:
        """Store deliveries and start handling the new ones; a delivery stored before, a
        platform's redelivery, is not handled again. Returns once they are committed."""
        fresh = await asyncio.gather(*(self._stores.submit(arrival) for arrival in arrivals))
        for arrival, new in zip(arrivals, fresh, strict=True):
            if new:
                self._start(arrival.person, self._handle(arrival))

    async def _store(self, repos: Repositories, arrivals: list[Arrival]) -> list[bool]:
        deliveries = [(arrival.event_id, arrival.body, arrival.person) for arrival in arrivals]
        fresh = await repos.inbox.store(
            self._platform,
            deliveries,
            self._bot.services.clock(),
            worker=self.worker,
            lease=self._lease,
        )
        if self._shared:  # one look for the whole batch, in the transaction that stores it
            people = {arrival.person for arrival, new in zip(arrivals, fresh, strict=True) if new}
            held = await repos.inbox.people_held_elsewhere(
                self._platform, people, worker=self.worker
            )
            self._behind_others |= {
                arrival.event_id
                for arrival, new in zip(arrivals, fresh, strict=True)
                if new and arrival.person in held
            }
        return fresh

    async def respond(self, event: InboundEvent) -> None:
        """Run an event through the core, send its replies where it happened, and finish the
        delivery it came in."""
        replies = await self._bot.handle(event)
        async with self._sending:
            if replies:
                conversation, person = event.conversation.external_id, event.sender.external_id
                await deliver(self._bot, self._receiver, conversation, person, replies)
            if event.event_id is not None:
                await self._finish(event.event_id)
                self._finished.add(event.event_id)

    def _start(self, person: str, work: Coroutine[Any, Any, None]) -> None:
        async def in_turn() -> None:
            async with self._turns.turn(person):
                await work

        task = asyncio.create_task(in_turn(), name=f"inbox-{self._platform}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _after_earlier(self, arrival: Arrival) -> None:
        """Wait while another worker still has an earlier delivery of this person unfinished;
        at most one lease."""
        give_up = time.monotonic() + self._lease.total_seconds()
        while True:
            async with self._bot.services.database.transaction() as session:
                waiting = await Repositories.bound_to(session).inbox.held_elsewhere_before(
                    self._platform, arrival.person, arrival.event_id, worker=self.worker
                )
            if not waiting:
                return
            if time.monotonic() > give_up:
                log.warning(
                    "%s delivery %s handled before an earlier one of its sender, held too long "
                    "by another worker",
                    self._platform,
                    arrival.event_id,
                )
                return
            await asyncio.sleep(EARLIER_POLL_SECONDS)

    async def _handle(self, arrival: Arrival) -> None:
        try:
            if arrival.event_id in self._behind_others:
                self._behind_others.discard(arrival.event_id)
                await self._after_earlier(arrival)
            await self._receiver.process(arrival)
        except Exception:
            log.exception(
                "%s delivery %s failed; it will be tried again", self._platform, arrival.event_id
            )
            await self._release(arrival.event_id)
            return
        if arrival.event_id in self._finished:
            self._finished.discard(arrival.event_id)
        else:  # nothing in it for the core: a bot's own message, a status change
            await self._finish(arrival.event_id)

    async def _send_held(self, delivery: StoredDelivery) -> None:
        """Replies a dead process had produced and not confirmed sent."""
        assert delivery.replies is not None
        async with self._sending:
            await deliver(
                self._bot,
                self._receiver,
                delivery.reply_to or "",
                delivery.reply_person or "",
                decode_replies(delivery.replies),
            )
            await self._finish(delivery.event_id)

    async def _finish(self, event_id: str) -> None:
        await self._finishes.submit(event_id)

    async def _finish_all(self, repos: Repositories, event_ids: list[str]) -> list[None]:
        await repos.inbox.finish(self._platform, event_ids, self._bot.services.clock())
        return [None] * len(event_ids)

    async def _release(self, event_id: str) -> None:
        async with self._bot.services.database.transaction() as session:
            await Repositories.bound_to(session).inbox.release(
                self._platform, event_id, self._bot.services.clock()
            )

    async def _sweep(self) -> None:
        """Renew this process' leases; take over deliveries whose lease ran out."""
        now = self._bot.services.clock()
        async with self._bot.services.database.transaction() as session:
            inbox = Repositories.bound_to(session).inbox
            await inbox.renew(self._platform, now, worker=self.worker, lease=self._lease)
            stale = await inbox.claim_stale(
                self._platform, now, worker=self.worker, lease=self._lease, limit=TAKE_OVER_AT_ONCE
            )
        for delivery in stale:
            log.info("taking over %s delivery %s", self._platform, delivery.event_id)
            if delivery.body is None:
                self._start(delivery.reply_person or delivery.event_id, self._send_held(delivery))
            else:
                arrival = Arrival(
                    delivery.event_id, delivery.body, self._receiver.person_of(delivery.body)
                )
                self._start(arrival.person, self._handle(arrival))
        if len(stale) == TAKE_OVER_AT_ONCE:  # more may be waiting
            self._sweeper.wake()
