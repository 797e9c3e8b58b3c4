"""What follows a booking, run by the real scheduler on a fake clock: reminders 24 hours and an
hour before to member and coach, never for a cancelled or moved time, held by quiet hours, once
however many workers; coaches told of changes; freed slots offered down the waiting list."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.messages import File
from bot.settings import Settings
from domain.notices import Preferences, QuietHours
from domain.people import Role
from services import coaching
from services.settings import set_quiet_hours
from storage.coaching import Coach
from storage.models import OutboxMessage
from storage.repositories import Repositories
from tests.conftest import FakeClock, unit

SLOT = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # Wednesday, 29 hours after the clock's start
NEXT_SLOT = SLOT + timedelta(minutes=75)
WHEN = "Wednesday 25 November at 14:00 (Europe/London time)"


@dataclass(frozen=True)
class People:
    coach: Coach
    alice: int
    bob: int
    carol: int


async def _people(bot: Bot, notice_hours: int = 24) -> People:
    async def create(repos: Repositories) -> People:
        now = bot.services.clock()

        async def member(name: str, account: str, role: Role = Role.MEMBER) -> int:
            created = await repos.members.create(
                display_name=name, role=role, tags=(), now=now, identity=("test", account)
            )
            return created.id

        priya = await member("Priya Shah", "priya", Role.COACH)
        coach = await repos.coaching.add_coach(
            Coach(
                member_id=priya,
                name="Dr Priya Shah",
                kind="coach",
                specialisms=[],
                format="video",
                bio="",
                timezone="Europe/London",
                session_minutes=60,
                buffer_minutes=15,
                notice_hours=notice_hours,
                horizon_weeks=8,
                weekly=["tue 09:00-12:00", "wed 14:00-17:00"],
                exceptions=[],
            )
        )
        alice = await member("Alice Jones", "alice")
        bob = await member("Bob Brown", "bob")
        carol = await member("Carol White", "carol")
        return People(coach, alice, bob, carol)

    return await unit(bot.services.database, create)


@pytest.fixture
async def people(bot: Bot) -> People:
    return await _people(bot)


async def delivered(bot: Bot) -> list[tuple[str, str]]:
    """Who was sent what since the last look (account, text); the outbox is emptied."""
    async with bot.services.database.transaction() as session:
        rows = await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        found = [(row.recipient_id, row.text) for row in rows.scalars()]
        await session.execute(delete(OutboxMessage))
    return found


async def at(bot: Bot, clock: FakeClock, moment: datetime) -> list[tuple[str, str]]:
    """Move the clock to `moment`, run what is due, and return what was sent."""
    clock.now = moment
    await bot.scheduler.run_due()
    return await delivered(bot)


def reminders(sent: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(to, text) for to, text in sent if text.startswith("Reminder")]


async def book(bot: Bot, member_id: int, coach: Coach, start: datetime = SLOT) -> int:
    async def work(repos: Repositories) -> int:
        change = await coaching.book(
            repos, member_id, coach.id, start, bot.services.clock(), bot.services.settings
        )
        return change.booking.id

    return await unit(bot.services.database, work)


# Reminders


async def test_member_and_coach_are_reminded_a_day_and_an_hour_before(
    bot: Bot, clock: FakeClock, people: People
) -> None:
    await book(bot, people.alice, people.coach)
    assert await at(bot, clock, clock.now) == [("priya", f"New booking: Alice Jones, {WHEN}.")]

    assert await at(bot, clock, SLOT - timedelta(hours=24, minutes=1)) == []
    assert await at(bot, clock, SLOT - timedelta(hours=24)) == [
        (
            "alice",
            f"Reminder: your coaching session with Dr Priya Shah is on {WHEN}, in 24 hours.",
        ),
        ("priya", f"Reminder: your session with Alice Jones is on {WHEN}, in 24 hours."),
    ]
    hour_before = await at(bot, clock, SLOT - timedelta(hours=1))
    assert sorted(to for to, text in hour_before if text.endswith("in 1 hour.")) == [
        "alice",
        "priya",
    ]
    assert await at(bot, clock, SLOT + timedelta(days=1)) == []


async def test_a_cancelled_session_sends_no_reminders_and_the_coach_is_told(
    bot: Bot, clock: FakeClock, people: People
) -> None:
    booking = await book(bot, people.alice, people.coach)
    await at(bot, clock, clock.now)

    await unit(
        bot.services.database,
        lambda repos: coaching.cancel(
            repos, people.alice, booking, clock.now, bot.services.settings
        ),
    )

    pending = await unit(bot.services.database, lambda repos: repos.jobs.list())
    assert [job.kind for job in pending] == [coaching.NOTICE]  # its reminders are withdrawn
    assert await at(bot, clock, clock.now) == [
        ("priya", f"Cancelled: Alice Jones's session on {WHEN}; the time is free again.")
    ]
    assert await at(bot, clock, SLOT + timedelta(days=1)) == []


async def test_a_moved_session_is_reminded_at_its_new_time_only(
    bot: Bot, clock: FakeClock, people: People
) -> None:
    booking = await book(bot, people.alice, people.coach)
    await at(bot, clock, clock.now)

    await unit(
        bot.services.database,
        lambda repos: coaching.reschedule(
            repos, people.alice, booking, NEXT_SLOT, clock.now, bot.services.settings
        ),
    )

    moved = "Moved: Alice Jones's session from " + WHEN + " to " + WHEN.replace("14:00", "15:15")
    assert await at(bot, clock, clock.now) == [("priya", moved + ".")]
    assert await at(bot, clock, SLOT - timedelta(hours=24)) == []  # the old time's: withdrawn
    day_before = await at(bot, clock, NEXT_SLOT - timedelta(hours=24))
    assert await at(bot, clock, SLOT - timedelta(hours=1)) == []
    hour_before = await at(bot, clock, NEXT_SLOT - timedelta(hours=1))
    for sent in (day_before, hour_before):
        assert sorted(to for to, text in reminders(sent) if "15:15" in text) == ["alice", "priya"]
        assert len(sent) == 2


async def test_a_session_booked_half_an_hour_ahead_is_reminded_at_once(
    bot: Bot, clock: FakeClock
) -> None:
    people = await _people(bot, notice_hours=0)
    clock.now = datetime(2026, 11, 24, 9, 45, tzinfo=UTC)  # Tuesday's 10:15 slot is 30 min off

    await book(bot, people.alice, people.coach, datetime(2026, 11, 24, 10, 15, tzinfo=UTC))

    sent = reminders(await at(bot, clock, clock.now))
    assert sorted(to for to, _ in sent) == ["alice", "priya"]
    assert all(text.endswith("in 30 minutes.") for _, text in sent)
    assert await at(bot, clock, clock.now + timedelta(hours=2)) == []


async def test_a_reminder_due_in_quiet_hours_waits_for_their_end(
    bot: Bot, clock: FakeClock, people: People
) -> None:
    await unit(
        bot.services.database,
        lambda repos: set_quiet_hours(
            repos, people.alice, "12:30-13:30", settings=bot.services.settings
        ),
    )
    await book(bot, people.alice, people.coach)
    await at(bot, clock, SLOT - timedelta(hours=24))

    hour_before = reminders(await at(bot, clock, SLOT - timedelta(hours=1)))
    assert [to for to, _ in hour_before] == ["priya"]  # the coach has no quiet hours then
    assert reminders(await at(bot, clock, SLOT - timedelta(minutes=31))) == []
    assert reminders(await at(bot, clock, SLOT - timedelta(minutes=30))) == [
        (
            "alice",
            f"Reminder: your coaching session with Dr Priya Shah is on {WHEN}, in 30 minutes.",
        )
    ]


async def test_a_reminder_whose_quiet_hours_outlast_the_session_is_skipped(
    bot: Bot, clock: FakeClock, people: People
) -> None:
    await unit(
        bot.services.database,
        lambda repos: set_quiet_hours(
            repos, people.alice, "12:30-14:30", settings=bot.services.settings
        ),
    )
    await book(bot, people.alice, people.coach)
    await at(bot, clock, SLOT - timedelta(hours=24))

    sent = reminders(await at(bot, clock, SLOT - timedelta(hours=1)))
    sent += reminders(await at(bot, clock, SLOT + timedelta(hours=1)))

    assert [to for to, _ in sent] == ["priya"]


def test_a_reminder_is_sent_when_due_held_to_quiet_hours_end_or_dropped() -> None:
    quiet = Preferences(quiet=QuietHours.parse("20:00-08:00"))
    evening, morning = datetime(2026, 11, 24, 21, tzinfo=UTC), datetime(2026, 11, 25, 8, tzinfo=UTC)

    assert coaching.reminder_time(quiet, morning, SLOT) == morning
    assert coaching.reminder_time(quiet, evening, SLOT) == morning
    assert coaching.reminder_time(quiet, evening, morning) is None


async def test_two_workers_send_each_reminder_once(
    bot: Bot, settings: Settings, clock: FakeClock, people: People
) -> None:
    second = await Bot.start(settings, clock=clock, migrate=False)
    try:
        for member in (people.alice, people.bob):
            slot = SLOT if member == people.alice else NEXT_SLOT
            await book(bot, member, people.coach, slot)
        moments = (SLOT, NEXT_SLOT)
        for moment in (
            clock.now,
            NEXT_SLOT - timedelta(hours=24),
            *(m - timedelta(hours=1) for m in moments),
        ):
            clock.now = moment
            await asyncio.gather(bot.scheduler.run_due(), second.scheduler.run_due())
        sent = await delivered(bot)
    finally:
        await second.close()

    assert len(sent) == 2 + 8  # two notices to the coach, then 2 sessions x 2 leads x 2 people
    assert len(set(sent)) == len(sent)


# The waiting list


@pytest.fixture
async def waiting(bot: Bot, clock: FakeClock, people: People) -> AsyncIterator[People]:
    """Alice has Wednesday 14:00; Bob, then Carol, wait for Dr Shah; then Alice cancels."""
    booking = await book(bot, people.alice, people.coach)
    for member in (people.bob, people.carol):
        clock.advance(minutes=1)
        await unit(
            bot.services.database,
            lambda repos, member=member: coaching.join_waitlist(
                repos, member, people.coach.id, clock.now
            ),
        )
    await unit(
        bot.services.database,
        lambda repos: coaching.cancel(
            repos, people.alice, booking, clock.now, bot.services.settings
        ),
    )
    yield people


async def free_for(bot: Bot, people: People, member_id: int) -> list[datetime]:
    return await unit(
        bot.services.database,
        lambda repos: coaching.free_slots(
            repos, people.coach, bot.services.clock(), member_id=member_id
        ),
    )


async def test_a_freed_slot_is_offered_to_the_first_waiting_and_held_for_them(
    bot: Bot, clock: FakeClock, waiting: People
) -> None:
    sent = await at(bot, clock, clock.now)

    offers = [(to, text) for to, text in sent if "has come free" in text]
    assert offers == [
        (
            "bob",
            f"A coaching session with Dr Priya Shah has come free: {WHEN}. It is held for you "
            "until Tuesday 24 November at 11:02 (Europe/London time).",
        )
    ]
    assert SLOT in await free_for(bot, waiting, waiting.bob)
    assert SLOT not in await free_for(bot, waiting, waiting.carol)
    with pytest.raises(coaching.SlotTaken):
        await book(bot, waiting.carol, waiting.coach)


async def test_an_offer_not_taken_within_two_hours_passes_to_the_next(
    bot: Bot, clock: FakeClock, waiting: People
) -> None:
    await at(bot, clock, clock.now)

    sent = await at(bot, clock, clock.now + coaching.OFFER_HOLD)
    sent += await at(bot, clock, clock.now)

    assert [to for to, text in sent if "has come free" in text] == ["carol"]
    with pytest.raises(coaching.SlotTaken):
        await book(bot, waiting.bob, waiting.coach)
    assert SLOT in await free_for(bot, waiting, waiting.carol)


async def test_the_offered_member_books_the_slot_with_the_offers_button(
    bot: Bot, clock: FakeClock, waiting: People
) -> None:
    await bot.scheduler.run_due()
    bob = TestChat(bot, user_id="bob", display_name="Bob Brown")
    await bob.inbox()

    replies = await bob.press("Book it")

    assert bob.text.startswith("Booked: ") and "with Dr Priya Shah" in bob.text
    assert any(isinstance(reply, File) and b"METHOD:REQUEST" in reply.content for reply in replies)
    sent = await at(bot, clock, clock.now)
    assert ("priya", f"New booking: Bob Brown, {WHEN}.") in sent
    assert await at(bot, clock, clock.now + coaching.OFFER_HOLD) == []  # nothing to pass on


async def test_someone_else_cannot_press_the_offers_button(
    bot: Bot, clock: FakeClock, waiting: People
) -> None:
    await bot.scheduler.run_due()
    bob = TestChat(bot, user_id="bob", display_name="Bob Brown")
    await bob.inbox()
    carol = TestChat(bot, user_id="carol", display_name="Carol White")

    await carol.press_payload(bob.payload("Book it"))

    assert "Booked" not in carol.text
    assert SLOT not in await free_for(bot, waiting, waiting.carol)


async def test_an_offered_member_who_books_another_time_passes_the_held_slot_on_at_once(
    bot: Bot, clock: FakeClock, waiting: People
) -> None:
    await at(bot, clock, clock.now)  # Bob is offered Wednesday 14:00
    await book(bot, waiting.bob, waiting.coach, NEXT_SLOT)  # free anyway: he takes that instead

    sent = await at(bot, clock, clock.now)
    assert [to for to, text in sent if "has come free" in text] == ["carol"]
    assert SLOT not in await free_for(bot, waiting, waiting.bob)
    assert SLOT in await free_for(bot, waiting, waiting.carol)
