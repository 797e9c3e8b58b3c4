"""What the pushing platforms (Telegram, Slack) share: answering an event and emptying the outbox.

The inbox (bot/adapters/inbox.py) runs each delivery through the core and hands the replies to
`deliver`, which sends them through the adapter's `Outlet`. Messages that cannot go now
are kept, never dropped: a platform that refuses for good (the person blocked the bot, the
account was deactivated) marks the account unreachable for staff to see; any other failure puts
the text in the outbox, which `OutboxPump` retries. The pump also carries what the core queued
for people outside the current conversation (answers from the team, staff notifications).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from bot.core import Bot
from bot.loops import Loop
from bot.messages import Choice, Choices, Edit, File, Reply, Text
from bot.notify import outbox_reply
from storage.repositories import Repositories

log = logging.getLogger(__name__)

OUTBOX_LEASE = timedelta(minutes=2)


class Unreachable(Exception):
    """The platform refused for good: blocked, deactivated, or not a chat we may write to."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Outlet(Protocol):
    """Sending on one platform."""

    platform: str

    async def direct_address(self, person_id: str) -> str:
        """The conversation in which to write to this person privately."""
        ...

    async def send(self, address: str, replies: Sequence[Reply], *, bulk: bool = False) -> None:
        """Send replies in order (`bulk`: a broadcast, in the pacer's bulk lane); raise
        `Unreachable`, or any error once retries are spent."""
        ...


async def deliver(
    bot: Bot, outlet: Outlet, address: str, person_id: str, replies: Sequence[Reply]
) -> None:
    """Send now; keep for later what the platform would not take."""
    try:
        await outlet.send(address, replies)
    except Unreachable as refusal:
        await mark_unreachable(bot, outlet.platform, person_id, refusal.reason)
    except Exception:
        log.exception("sending to %s failed; the replies wait in the outbox", outlet.platform)
        await _keep_for_later(bot, outlet.platform, person_id, replies)


async def mark_unreachable(bot: Bot, platform: str, person_id: str, reason: str) -> None:
    log.warning("%s account %s is unreachable: %s", platform, person_id, reason)
    async with bot.services.database.transaction() as session:
        await Repositories.bound_to(session).members.mark_unreachable(
            platform, person_id, reason, bot.services.clock()
        )


async def _keep_for_later(
    bot: Bot, platform: str, person_id: str, replies: Sequence[Reply]
) -> None:
    """Text and choices go to the outbox, to the person directly; a file cannot, so it is
    described in words and the person can ask for it again."""
    async with bot.services.database.transaction() as session:
        outbox = Repositories.bound_to(session).outbox
        for reply in replies:
            text, options = _as_message(reply)
            await outbox.enqueue(platform, person_id, text, bot.services.clock(), options)


def _as_message(reply: Reply) -> tuple[str, tuple[Choice, ...]]:
    if isinstance(reply, Text):
        return reply.text, ()
    if isinstance(reply, Choices | Edit):
        return reply.text, reply.options
    assert isinstance(reply, File)
    return f"I couldn't send you {reply.filename} just now; please ask me for it again.", ()


class OutboxPump:
    """Pushes the outbox of one platform, every `every_seconds`, until stopped.

    Messages are claimed for `OUTBOX_LEASE`, so several workers share the work without sending
    anything twice; a message whose send failed stays claimed until its lease runs out, then
    is tried again.
    """

    def __init__(self, bot: Bot, outlet: Outlet, every_seconds: float) -> None:
        self._bot = bot
        self._outlet = outlet
        self._loop = Loop(f"outbox-{outlet.platform}", every_seconds, self.run_once)

    async def run_once(self) -> int:
        """Send what is waiting now; returns how many messages left the outbox."""
        bot, platform = self._bot, self._outlet.platform
        async with bot.services.database.transaction() as session:
            pending = await Repositories.bound_to(session).outbox.claim(
                platform, bot.services.clock(), lease=OUTBOX_LEASE
            )
        done: list[int] = []
        for message in pending:
            try:
                address = await self._outlet.direct_address(message.recipient_id)
                await self._outlet.send(address, [outbox_reply(message)])
            except Unreachable as refusal:
                await mark_unreachable(bot, platform, message.recipient_id, refusal.reason)
            except Exception:
                log.exception("outbox message %d not sent; will retry", message.id)
                continue
            done.append(message.id)
        if done:
            async with bot.services.database.transaction() as session:
                await Repositories.bound_to(session).outbox.complete(done)
        return len(done)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
