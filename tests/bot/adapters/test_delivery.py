"""Replies reach people, or wait in the outbox until they can; refusals mark the account.

Runs on SQLite and PostgreSQL (the `bot` fixture), with a fake `Outlet` in place of a platform.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import select

from bot.adapters.delivery import OUTBOX_LEASE, OutboxPump, Unreachable, deliver
from bot.adapters.inbox import Arrival, Inbox
from bot.adapters.testing import TEST_PLATFORM, TestChat
from bot.core import Bot
from bot.messages import Choices, File, InboundEvent, Reply, Text, parse_text
from bot.settings import Settings
from storage.models import Identity, OutboxMessage
from storage.repositories import Repositories
from tests.conftest import FakeClock, join_as


class FakeOutlet:
    """Records what it is asked to send; refuses for good, or fails for now, when told to."""

    platform = TEST_PLATFORM

    def __init__(
        self, *, blocked: Sequence[str] = (), offline: Sequence[str] = (), failing: bool = False
    ) -> None:
        self.blocked = set(blocked)  # addresses that refuse for good
        self.offline = set(offline)  # addresses whose sends fail for now
        self.failing = failing  # every send fails for now
        self.attempts: list[tuple[str, list[Reply]]] = []
        self.sent: list[tuple[str, list[Reply]]] = []

    async def direct_address(self, person_id: str) -> str:
        return f"dm-{person_id}"

    async def send(self, address: str, replies: Sequence[Reply], *, bulk: bool = False) -> None:
        self.attempts.append((address, list(replies)))
        await asyncio.sleep(0)  # a network call: other tasks (another pump) get to run
        if address in self.blocked:
            raise Unreachable("blocked")
        if self.failing or address in self.offline:
            raise ConnectionError("connection reset")
        self.sent.append((address, list(replies)))

    def person_of(self, body: str) -> str:
        return body

    async def process(self, arrival: Arrival) -> None:
        raise AssertionError("these tests hand events to the inbox directly")


def _alice(bot: Bot) -> TestChat:
    """Alice, in a private chat whose address differs from her account id."""
    return TestChat(bot, user_id="alice", display_name="Alice Jones", chat_id="chat-of-alice")


def _event(chat: TestChat, text: str, event_id: str | None = None) -> InboundEvent:
    return InboundEvent(chat.sender, chat.conversation, parse_text(text), event_id=event_id)


async def _outbox(bot: Bot) -> list[OutboxMessage]:
    async with bot.services.database.transaction() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await session.execute(query)).scalars().all())


async def _identity(bot: Bot, person_id: str) -> Identity:
    async with bot.services.database.transaction() as session:
        query = select(Identity).where(
            Identity.platform == TEST_PLATFORM, Identity.external_id == person_id
        )
        return (await session.execute(query)).scalar_one()


async def _enqueue(bot: Bot, person_id: str, *texts: str) -> None:
    async with bot.services.database.transaction() as session:
        outbox = Repositories.bound_to(session).outbox
        for text in texts:
            await outbox.enqueue(TEST_PLATFORM, person_id, text, bot.services.clock())


# respond and deliver


async def respond(bot: Bot, outlet: FakeOutlet, event: InboundEvent) -> None:
    """What the inbox does with an event a platform delivered."""
    await Inbox(bot, outlet).respond(event)


async def test_the_replies_to_an_event_are_sent_to_the_conversation_it_happened_in(
    bot: Bot,
) -> None:
    outlet = FakeOutlet()

    await respond(bot, outlet, _event(_alice(bot), "/start"))

    [(address, replies)] = outlet.sent
    assert address == "chat-of-alice"
    assert replies and replies[0].text.startswith("Hello, Alice")  # type: ignore[union-attr]


async def test_an_event_without_replies_sends_nothing(bot: Bot) -> None:
    outlet = FakeOutlet()
    chat = _alice(bot)

    await respond(bot, outlet, _event(chat, "/help", event_id="ev-1"))
    await respond(bot, outlet, _event(chat, "/help", event_id="ev-1"))  # redelivered: no reply

    assert len(outlet.attempts) == 1


async def test_a_person_who_blocked_the_bot_is_marked_unreachable_and_nothing_is_queued(
    bot: Bot, clock: FakeClock
) -> None:
    chat = _alice(bot)
    await join_as(bot, chat)
    clock.advance(hours=1)
    outlet = FakeOutlet(blocked=["chat-of-alice"])

    await respond(bot, outlet, _event(chat, "/help"))

    identity = await _identity(bot, "alice")
    assert identity.unreachable_reason == "blocked"
    assert identity.unreachable_since == clock.now
    assert await _outbox(bot) == []


async def test_writing_again_clears_the_unreachable_mark(bot: Bot) -> None:
    chat = _alice(bot)
    await join_as(bot, chat)
    await respond(bot, FakeOutlet(blocked=["chat-of-alice"]), _event(chat, "/help"))

    await respond(bot, FakeOutlet(), _event(chat, "/help"))

    identity = await _identity(bot, "alice")
    assert (identity.unreachable_reason, identity.unreachable_since) == (None, None)


async def test_replies_that_fail_for_another_reason_wait_in_the_outbox_for_the_sender(
    bot: Bot,
) -> None:
    chat = _alice(bot)
    await join_as(bot, chat)
    outlet = FakeOutlet(failing=True)

    await respond(bot, outlet, _event(chat, "/start"))

    [(_, replies)] = outlet.attempts
    waiting = await _outbox(bot)
    assert [(m.platform, m.recipient_id) for m in waiting] == [("test", "alice")] * len(replies)
    assert [m.text for m in waiting] == [reply.text for reply in replies]  # type: ignore[union-attr]
    assert (await _identity(bot, "alice")).unreachable_reason is None


async def test_the_pump_later_sends_the_waiting_replies_to_the_person_directly(bot: Bot) -> None:
    failing = FakeOutlet(failing=True)
    await respond(bot, failing, _event(_alice(bot), "/start"))
    [(_, replies)] = failing.attempts
    assert any(isinstance(reply, Choices) for reply in replies)  # options must survive the wait
    outlet = FakeOutlet()

    sent = await OutboxPump(bot, outlet, every_seconds=60).run_once()

    assert sent == len(replies)
    assert outlet.sent == [("dm-alice", [reply]) for reply in replies]
    assert await _outbox(bot) == []


async def test_a_file_that_cannot_be_sent_waits_as_words_asking_the_person_to_ask_again(
    bot: Bot,
) -> None:
    document = File("session.ics", b"BEGIN:VCALENDAR", "text/calendar")

    await deliver(bot, FakeOutlet(failing=True), "chat-of-alice", "alice", [document])

    [waiting] = await _outbox(bot)
    assert waiting.recipient_id == "alice"
    assert "session.ics" in waiting.text and "ask" in waiting.text


# OutboxPump


async def test_the_pump_sends_nothing_when_the_outbox_is_empty(bot: Bot) -> None:
    outlet = FakeOutlet()

    assert await OutboxPump(bot, outlet, every_seconds=60).run_once() == 0
    assert outlet.attempts == []


async def test_the_pump_only_sends_what_is_waiting_for_its_own_platform(bot: Bot) -> None:
    async with bot.services.database.transaction() as session:
        await Repositories.bound_to(session).outbox.enqueue(
            "elsewhere", "alice", "not for this outlet", bot.services.clock()
        )
    outlet = FakeOutlet()

    assert await OutboxPump(bot, outlet, every_seconds=60).run_once() == 0
    assert outlet.attempts == []
    assert len(await _outbox(bot)) == 1


async def test_a_message_whose_send_fails_stays_and_is_not_retried_before_its_lease_runs_out(
    bot: Bot, clock: FakeClock
) -> None:
    await _enqueue(bot, "alice", "Your answer is ready")
    outlet = FakeOutlet(failing=True)
    pump = OutboxPump(bot, outlet, every_seconds=60)

    assert await pump.run_once() == 0
    assert [m.text for m in await _outbox(bot)] == ["Your answer is ready"]

    outlet.failing = False
    clock.advance(seconds=OUTBOX_LEASE.total_seconds() - 1)
    assert await pump.run_once() == 0
    assert len(outlet.attempts) == 1  # still under lease: not even tried

    clock.advance(seconds=2)
    assert await pump.run_once() == 1
    assert outlet.sent == [("dm-alice", [Text("Your answer is ready")])]
    assert await _outbox(bot) == []


async def test_the_pump_marks_an_unreachable_person_and_drops_their_message(
    bot: Bot, clock: FakeClock
) -> None:
    await join_as(bot, _alice(bot))
    await _enqueue(bot, "alice", "Your answer is ready")
    outlet = FakeOutlet(blocked=["dm-alice"])

    assert await OutboxPump(bot, outlet, every_seconds=60).run_once() == 1

    identity = await _identity(bot, "alice")
    assert (identity.unreachable_reason, identity.unreachable_since) == ("blocked", clock.now)
    assert await _outbox(bot) == []


async def test_one_failed_message_does_not_hold_back_the_others(bot: Bot) -> None:
    await _enqueue(bot, "alice", "to alice")
    await _enqueue(bot, "bob", "to bob")
    outlet = FakeOutlet(offline=["dm-bob"])

    assert await OutboxPump(bot, outlet, every_seconds=60).run_once() == 1

    assert outlet.sent == [("dm-alice", [Text("to alice")])]
    assert [m.text for m in await _outbox(bot)] == ["to bob"]


async def test_two_workers_pumping_at_once_send_every_message_exactly_once(
    bot: Bot, settings: Settings, clock: FakeClock
) -> None:
    people = ("alice", "bob", "carol")
    for number, person in enumerate(people):
        # 120 in all: more than one claim takes (50)
        await _enqueue(bot, person, *(f"message {n}" for n in range(number, 120, len(people))))
    expected = sorted((f"dm-{m.recipient_id}", m.text) for m in await _outbox(bot))
    other_worker = await Bot.start(settings, clock=clock)
    try:
        outlets = FakeOutlet(), FakeOutlet()
        pumps = (
            OutboxPump(bot, outlets[0], every_seconds=60),
            OutboxPump(other_worker, outlets[1], every_seconds=60),
        )
        for _ in range(20):
            await asyncio.gather(*(pump.run_once() for pump in pumps for _ in range(2)))
            if not await _outbox(bot):
                break
    finally:
        await other_worker.close()

    sent = sorted(
        (address, reply.text)  # type: ignore[union-attr]
        for outlet in outlets
        for address, replies in outlet.sent
        for reply in replies
    )
    assert sent == expected
    assert await _outbox(bot) == []
