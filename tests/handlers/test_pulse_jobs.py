"""A check-in's timed work, run by the real scheduler on a fake clock (Tuesday 24 November 2026,
09:00 UTC, which is 09:00 in London): each member is sent it within working hours and outside
their quiet hours in their own zone (`always` sends at once), reminded once three days on if they
have not finished, sent nothing after it closes; staff hear of the close in counts only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.settings import Settings
from domain.people import OPERATOR, Role
from services import pulse
from services import settings as member_settings
from tests.conftest import FakeClock, unit
from tests.handlers.pulse_setup import SCALE, SKIP, TITLE, created, member_id, person, run_jobs

NEW_YORK = "America/New_York"


async def _texts(chat: TestChat) -> list[str]:
    """What the bot sent this person from elsewhere since the last look."""
    return [reply.text for reply in await chat.inbox()]  # type: ignore[union-attr]


async def _at(bot: Bot, clock: FakeClock, moment: datetime) -> None:
    """Move the clock to `moment` and run every job then due."""
    clock.now = moment
    await run_jobs(bot)


async def _choose(bot: Bot, chat: TestChat, *, zone: str | None = None, quiet: str | None = None):
    """The member's own time zone or quiet hours, as /settings would keep them."""
    settings, who = bot.services.settings, await member_id(bot, chat)

    async def choose(repos) -> None:
        if zone is not None:
            await member_settings.set_timezone(repos, who, zone, settings=settings)
        if quiet is not None:
            await member_settings.set_quiet_hours(repos, who, quiet, settings=settings)

    await unit(bot.services.database, choose)


def _utc(day: int, hour: int, minute: int = 0, *, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# Sending


async def test_each_member_is_sent_it_when_working_hours_begin_in_their_zone(
    bot: Bot, clock: FakeClock
) -> None:
    alice, bob = await person(bot, "alice"), await person(bot, "bob")
    await _choose(bot, bob, zone=NEW_YORK)

    await created(bot)
    await run_jobs(bot)
    [invitation] = await _texts(alice)
    assert f"“{TITLE}”" in invitation and alice.labels == ["Start"]
    assert await _texts(bob) == []  # 04:00 in New York

    await _at(bot, clock, _utc(24, 13, 59))
    assert await _texts(bob) == []
    await _at(bot, clock, _utc(24, 14))  # 09:00 in New York
    [invitation] = await _texts(bob)
    assert "closes on Tue 1 Dec 04:00 (your time)" in invitation
    assert bob.labels == ["Start"]


async def test_a_member_is_not_sent_it_in_their_quiet_hours(bot: Bot, clock: FakeClock) -> None:
    carol = await person(bot, "carol")
    await _choose(bot, carol, quiet="07:00-12:00")

    await created(bot)
    await run_jobs(bot)
    assert await _texts(carol) == []

    await _at(bot, clock, _utc(24, 12))
    assert len(await _texts(carol)) == 1


async def test_an_opening_after_hours_on_friday_waits_for_monday_morning(
    bot: Bot, clock: FakeClock
) -> None:
    alice = await person(bot, "alice")
    await created(bot, opens_in=_utc(27, 17, 30) - clock.now)

    await _at(bot, clock, _utc(27, 17, 30))
    await _at(bot, clock, _utc(30, 8, 59))
    assert await _texts(alice) == []

    await _at(bot, clock, _utc(30, 9))
    assert len(await _texts(alice)) == 1


@pytest.fixture
async def always(settings: Settings, clock: FakeClock) -> AsyncIterator[Bot]:
    """Check-ins at any hour (CEDP_CHECKIN_HOURS=always), and no quiet hours by default."""
    started = await Bot.start(
        settings.model_copy(update={"checkin_hours": "always", "quiet_hours": ""}), clock=clock
    )
    yield started
    await started.close()


async def test_always_sends_at_once_even_on_a_sunday_night(always: Bot, clock: FakeClock) -> None:
    clock.now = _utc(29, 3)  # Sunday
    alice = await person(always, "alice")

    await created(always)
    await run_jobs(always)

    assert len(await _texts(alice)) == 1


# The reminder


async def test_one_reminder_three_days_on_to_those_who_have_not_finished(
    bot: Bot, clock: FakeClock
) -> None:
    done, midway, silent = [await person(bot, name) for name in ("dee", "mo", "sid")]
    await created(bot)
    await run_jobs(bot)
    for chat in (done, midway, silent):
        await chat.inbox()
        await chat.press("Start")
    for label in ("4 Good", SKIP, SKIP, SKIP):
        await done.press(label)
    await midway.press("3 Manageable")

    await _at(bot, clock, _utc(27, 8, 59))
    assert [await _texts(chat) for chat in (done, midway, silent)] == [[], [], []]

    await _at(bot, clock, _utc(27, 9))
    assert await _texts(done) == []
    [reminder] = await _texts(midway)
    assert reminder == (
        f"A reminder: the check-in “{TITLE}” is still open to you; pick up where you left off, "
        "at question 2 of 4. It closes on Tue 1 Dec 09:00 (your time). "
        "Your answers stay anonymous."
    )
    assert midway.labels == ["Carry on"]
    await midway.press("Carry on")
    assert midway.text.startswith("Question 2 of 4")
    [reminder] = await _texts(silent)
    assert "it's 4 questions, about a minute" in reminder
    await silent.press("Carry on")
    assert silent.text.startswith("Question 1 of 4") and silent.labels == [*SCALE, SKIP]

    await _at(bot, clock, _utc(30, 9))
    assert [await _texts(chat) for chat in (done, midway, silent)] == [[], [], []]


# After the close


async def test_nothing_is_sent_after_it_closes(bot: Bot, clock: FakeClock) -> None:
    alice, bob = await person(bot, "alice"), await person(bot, "bob")
    await _choose(bot, bob, zone=NEW_YORK)
    checkin_id = await created(bot)
    await run_jobs(bot)
    await alice.inbox()

    await unit(
        bot.services.database, lambda repos: pulse.close(repos, checkin_id, clock.now, OPERATOR)
    )
    await _at(bot, clock, _utc(24, 14))  # Bob's working hours
    await _at(bot, clock, _utc(27, 9))  # the reminders' time

    assert await _texts(alice) == []
    assert await _texts(bob) == []


async def test_a_short_check_in_sends_no_reminder_after_its_close(
    bot: Bot, clock: FakeClock
) -> None:
    alice = await person(bot, "alice")
    await created(bot, lasts=timedelta(days=2))
    await run_jobs(bot)
    await alice.inbox()

    for day in (26, 27, 30):
        await _at(bot, clock, _utc(day, 9))

    assert await _texts(alice) == []


async def test_the_close_tells_staff_once_in_counts_only(bot: Bot, clock: FakeClock) -> None:
    sam = await person(bot, "sam", Role.STAFF)
    alice, bob, carol = [await person(bot, name) for name in ("alice", "bob", "carol")]
    await created(bot)
    await run_jobs(bot)
    for chat, label in ((alice, "1 Very hard"), (bob, "5 Very good")):
        await chat.inbox()
        await chat.press("Start")
        await chat.press(label)
    await carol.inbox()

    await _at(bot, clock, _utc(30, 9))  # reminders out of the way
    for chat in (alice, bob, carol):
        await chat.inbox()
    await _at(bot, clock, _utc(1, 9, month=12))  # the closing time

    assert await _texts(sam) == [
        f"Check-in #1 “{TITLE}” has closed: 2 people answered. Results: /pulse"
    ]
    assert [await _texts(chat) for chat in (alice, bob, carol)] == [[], [], []]
    await _at(bot, clock, _utc(2, 9, month=12))
    assert await _texts(sam) == []


async def test_a_check_in_staff_closed_early_is_not_announced_again(
    bot: Bot, clock: FakeClock
) -> None:
    sam = await person(bot, "sam", Role.STAFF)
    checkin_id = await created(bot)
    await run_jobs(bot)
    await unit(
        bot.services.database, lambda repos: pulse.close(repos, checkin_id, clock.now, OPERATOR)
    )

    await _at(bot, clock, _utc(1, 9, month=12))

    assert await _texts(sam) == []
