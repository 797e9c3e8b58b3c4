"""A coach's own time in chat: weekly windows, days taken out, and their schedule."""

from __future__ import annotations

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.middleware import NOT_ALLOWED
from domain.people import Role
from storage.repositories import Repositories
from tests.conftest import join_as
from tests.handlers.test_coaching import WEDNESDAY, add_coach, book, member


async def test_a_coach_adds_and_removes_windows_and_blocks_days_retrying_bad_input(
    bot: Bot,
) -> None:
    await add_coach(bot, "priya")
    priya = TestChat(bot, user_id="priya", display_name="Priya")
    await priya.send("/availability")
    assert "Every week:\n• mon 09:00-12:00\n• wed 14:00-17:00\nTaken out:\n• none" in priya.text
    assert priya.labels == [
        "Add a weekly window",
        "Remove mon 09:00-12:00",
        "Remove wed 14:00-17:00",
        "Block a day",
    ]
    await priya.press("Add a weekly window")
    await priya.send("friday mornings")
    assert priya.text.startswith("Sorry: 'friday mornings' is not a weekly window")
    assert priya.text.endswith("Please type it again, or /cancel.")
    await priya.send("fri 12:00-10:00")
    assert "ends before it starts" in priya.text
    await priya.send("fri 10:00-12:00")
    assert priya.text.startswith("Added fri 10:00-12:00.")
    assert "Remove fri 10:00-12:00" in priya.labels

    await priya.press("Remove mon 09:00-12:00")
    assert priya.text.startswith("Removed mon 09:00-12:00")
    assert "Remove mon 09:00-12:00" not in priya.labels

    await priya.press("Block a day")
    await priya.send("2026-13-01")
    assert priya.text.startswith("Sorry: '2026-13-01' is not a date")
    await priya.send("2026-11-01")
    assert "has passed" in priya.text
    await priya.send("2026-12-24 09:00-12:00")
    assert "Taken out:\n• 2026-12-24 09:00-12:00" in priya.text

    async with bot.services.database.transaction() as session:
        [coach] = await Repositories.bound_to(session).coaching.coaches()
    assert coach.weekly == ["wed 14:00-17:00", "fri 10:00-12:00"]
    assert coach.exceptions == ["2026-12-24 09:00-12:00"]


async def test_members_cannot_manage_coaches_time_and_a_coach_without_a_profile_is_told(
    bot: Bot,
) -> None:
    alice = await member(bot)
    for command in ("/availability", "/schedule"):
        await alice.send(command)
        assert alice.text == NOT_ALLOWED.format(who="coaches")
    newcomer = TestChat(bot, user_id="new-coach")
    await join_as(bot, newcomer, Role.COACH)
    await newcomer.send("/availability")
    assert newcomer.text.startswith("Sorry, you have no coach profile yet")


async def test_a_coach_sees_their_schedule_with_member_names(bot: Bot) -> None:
    await add_coach(bot, "priya")
    priya = TestChat(bot, user_id="priya")
    await priya.send("/schedule")
    assert priya.text == "No sessions are booked with you yet."
    await book(await member(bot))
    await book(await member(bot, "bob", "Bob Brown"), WEDNESDAY[1])
    await priya.send("/schedule")
    assert priya.text == (
        "Your upcoming sessions (times in Europe/London):\n"
        "• Wed 25 Nov 14:00–15:00: Alice Jones\n"
        "• Wed 25 Nov 15:15–16:15: Bob Brown"
    )
