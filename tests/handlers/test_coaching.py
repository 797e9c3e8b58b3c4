"""Coaching in chat: members book, move and cancel sessions with buttons and get calendar
invites (a coach's own time: test_coaching_time.py). The clock stands at Tuesday 24 November
2026, 09:00 UTC (London is on GMT), so Dr Priya Shah's first free times, 24 hours' notice on, are
Wednesday's."""

from __future__ import annotations

from typing import Any

from icalendar import Calendar

from bot.adapters.testing import TEST_PLATFORM, TestChat
from bot.core import Bot
from bot.messages import Edit, File, Reply
from domain.people import Role
from handlers.coaching import TAKEN, AskCancel
from storage.coaching import Booking, BookingStatus, Coach
from storage.repositories import Repositories
from tests.conftest import FakeClock, join_as

PRIYA: dict[str, Any] = {
    "name": "Dr Priya Shah",
    "kind": "coach",
    "specialisms": ["finance", "leading change"],
    "format": "video",
    "bio": "Former trust chief executive, accredited executive coach.",
    "timezone": "Europe/London",
    "session_minutes": 60,
    "buffer_minutes": 15,
    "notice_hours": 24,
    "horizon_weeks": 8,
    "weekly": ["mon 09:00-12:00", "wed 14:00-17:00"],
    "exceptions": [],
}
WEDNESDAY = ["14:00–15:00", "15:15–16:15"]
MONDAY = ["09:00–10:00", "10:15–11:15"]


async def add_coach(
    bot: Bot, account: str, *, platform: str = TEST_PLATFORM, **profile: Any
) -> int:
    """A member with the coach role and a coach profile (Dr Priya Shah's unless overridden),
    reachable at `account`; returns the coach's id."""
    fields = {**PRIYA, **profile}
    async with bot.services.database.transaction() as session:
        repos = Repositories.bound_to(session)
        member = await repos.members.create(
            display_name=fields["name"],
            role=Role.COACH,
            tags=(),
            now=bot.services.clock(),
            identity=(platform, account),
        )
        coach = await repos.coaching.add_coach(Coach(member_id=member.id, **fields))
        return coach.id


async def bookings(bot: Bot) -> list[Booking]:
    async with bot.services.database.transaction() as session:
        repos = Repositories.bound_to(session)
        return [b for b, _, _ in await repos.coaching.upcoming(bot.services.clock())]


def invite_in(replies: list[Reply]) -> Calendar:
    """The .ics attached to the replies, parsed."""
    [file] = [reply for reply in replies if isinstance(reply, File)]
    assert file.media_type == "text/calendar" and file.filename.endswith(".ics")
    return Calendar.from_ical(file.content)


def said(chat: TestChat) -> str:
    """What the latest replies say, without their choices."""
    return "\n\n".join(reply.text for reply in chat.last if not isinstance(reply, File))


def event_of(calendar: Calendar) -> Any:
    [event] = calendar.walk("VEVENT")
    return event


async def member(bot: Bot, user_id: str = "alice", name: str = "Alice Jones") -> TestChat:
    chat = TestChat(bot, user_id=user_id, display_name=name)
    await join_as(bot, chat)
    return chat


async def pick_time(
    chat: TestChat, label: str = WEDNESDAY[0], coach: str = "Dr Priya Shah"
) -> None:
    await chat.send("/book")
    await chat.press("Coaching")
    await chat.press("Any")
    await chat.press(coach)
    await chat.press(label)


async def book(chat: TestChat, label: str = WEDNESDAY[0]) -> list[Reply]:
    await pick_time(chat, label)
    return await chat.press("Yes")


async def test_a_member_books_with_buttons_and_gets_the_invite(bot: Bot) -> None:
    await add_coach(bot, "priya")
    await add_coach(bot, "omar", name="Omar Said", kind="mentor", specialisms=["governance"])
    alice = await member(bot)
    await alice.send("/start")
    await alice.press("Book coaching")
    assert alice.labels == ["Coaching", "Mentoring"]
    await alice.press("Coaching")
    assert alice.labels == ["Finance", "Leading change", "Any"]
    await alice.press("Any")
    assert "Dr Priya Shah (video): Former trust chief executive" in alice.text
    assert alice.labels == ["Dr Priya Shah"]
    await alice.press("Dr Priya Shah")
    assert "Free on Wed 25 Nov (times in Europe/London)" in alice.text
    assert alice.labels == [*WEDNESDAY, "Next day"]
    await alice.press("Next day")
    assert "Free on Mon 30 Nov" in alice.text
    assert alice.labels == [*MONDAY, "Earlier", "Next day"]
    await alice.press("Earlier")
    await alice.press("14:00–15:00")
    assert said(alice) == "Book Wed 25 Nov 14:00–15:00 with Dr Priya Shah?"
    assert alice.labels == ["Yes", "Pick another"]

    replies = await alice.press("Yes")
    assert isinstance(replies[0], Edit) and replies[0].options == ()  # no second press
    assert alice.text.startswith(
        "Booked: Wed 25 Nov 14:00–15:00 with Dr Priya Shah (video); Dr Priya Shah has been told."
    )
    calendar = invite_in(replies)
    assert calendar["method"] == "REQUEST"
    event = event_of(calendar)
    assert event["dtstart"].params["TZID"] == "Europe/London"
    assert event.decoded("dtstart").isoformat() == "2026-11-25T14:00:00+00:00"
    assert "Alice Jones with Dr Priya Shah" in str(event["summary"])
    [booking] = await bookings(bot)
    assert str(event["uid"]) == booking.uid and event["sequence"] == 0


async def test_a_specialism_narrows_the_coaches_and_pick_another_goes_back(bot: Bot) -> None:
    await add_coach(bot, "priya")
    await add_coach(
        bot, "ada", name="Ada Ng", specialisms=["governance"], weekly=["thu 10:00-11:00"]
    )
    alice = await member(bot)
    await alice.send("/book")
    assert alice.labels == ["Coaching"]  # nobody mentors yet
    await alice.press("Coaching")
    await alice.press("Governance")
    assert alice.labels == ["Ada Ng"]
    assert "Dr Priya Shah" not in alice.text
    await alice.press("Ada Ng")
    assert alice.labels == ["10:00–11:00", "Next day"]  # Thu 26 Nov
    await alice.press("10:00–11:00")
    await alice.press("Pick another")
    assert "Free on Thu 26 Nov" in alice.text


async def test_times_and_the_invite_follow_the_members_own_zone(bot: Bot) -> None:
    await add_coach(bot, "priya")
    alice = await member(bot)
    await alice.send("/settings")
    await alice.press("Time zone")
    await alice.press("Europe/Paris")
    await pick_time(alice, "15:00–16:00")  # 14:00 in London
    assert said(alice) == "Book Wed 25 Nov 15:00–16:00 with Dr Priya Shah?"
    event = event_of(invite_in(await alice.press("Yes")))
    assert event["dtstart"].params["TZID"] == "Europe/Paris"
    assert event.decoded("dtstart").hour == 15


async def test_a_reschedule_keeps_the_uid_and_raises_the_sequence(bot: Bot) -> None:
    await add_coach(bot, "priya")
    alice = await member(bot)
    first = event_of(invite_in(await book(alice)))
    await alice.send("/sessions")
    assert "• Wed 25 Nov 14:00–15:00 with Dr Priya Shah (video)" in alice.text
    await alice.press("Reschedule Wed 25 Nov 14:00")
    assert alice.labels == [WEDNESDAY[1], "Next day"]  # not the time it has now
    await alice.press("Next day")
    await alice.press("10:15–11:15")
    assert said(alice) == (
        "Move your session with Dr Priya Shah from Wed 25 Nov 14:00–15:00 to "
        "Mon 30 Nov 10:15–11:15?"
    )
    replies = await alice.press("Yes")
    assert "now Mon 30 Nov 10:15–11:15" in alice.text
    calendar = invite_in(replies)
    moved = event_of(calendar)
    assert calendar["method"] == "REQUEST"
    assert moved["uid"] == first["uid"]
    assert moved["sequence"] > first["sequence"]
    assert moved.decoded("dtstart").isoformat() == "2026-11-30T10:15:00+00:00"
    [booking] = await bookings(bot)
    assert booking.start_at.isoformat() == "2026-11-30T10:15:00+00:00"


async def test_a_cancellation_is_confirmed_sends_cancel_and_frees_the_slot(bot: Bot) -> None:
    await add_coach(bot, "priya")
    alice = await member(bot)
    uid = event_of(invite_in(await book(alice)))["uid"]
    await alice.send("/sessions")
    await alice.press("Cancel Wed 25 Nov 14:00")
    assert said(alice) == "Cancel your session Wed 25 Nov 14:00–15:00 with Dr Priya Shah?"
    await alice.press("Keep it")
    assert len(await bookings(bot)) == 1

    await alice.send("/sessions")
    await alice.press("Cancel Wed 25 Nov 14:00")
    replies = await alice.press("Yes, cancel it")
    assert alice.text.startswith(
        "Cancelled: Wed 25 Nov 14:00–15:00 with Dr Priya Shah, who has been told."
    )
    calendar = invite_in(replies)
    assert calendar["method"] == "CANCEL"
    assert event_of(calendar)["uid"] == uid and event_of(calendar)["status"] == "CANCELLED"
    assert await bookings(bot) == []
    await alice.send("/sessions")
    assert alice.text == "You have no upcoming sessions. Send /book to book one."

    bob = await member(bot, "bob", "Bob Brown")
    await book(bob)
    assert bob.text.startswith("Booked: Wed 25 Nov 14:00–15:00")


async def test_of_two_members_racing_for_a_slot_the_second_is_offered_others(bot: Bot) -> None:
    await add_coach(bot, "priya")
    alice, bob = await member(bot), await member(bot, "bob", "Bob Brown")
    await pick_time(alice)
    await pick_time(bob)
    await alice.press("Yes")
    await bob.press("Yes")
    assert bob.text.startswith(TAKEN)
    assert bob.labels == [
        "Wed 25 Nov 15:15–16:15",
        "Mon 30 Nov 09:00–10:00",
        "Mon 30 Nov 10:15–11:15",
    ]
    await bob.press("Mon 30 Nov 09:00–10:00")
    await bob.press("Yes")
    assert bob.text.startswith("Booked: Mon 30 Nov 09:00–10:00")
    assert [(b.member_id, b.start_at.hour) for b in await bookings(bot)] == [(2, 14), (3, 9)]


async def test_a_member_holds_at_most_two_upcoming_sessions(bot: Bot) -> None:
    await add_coach(bot, "priya")
    alice = await member(bot)
    await book(alice, WEDNESDAY[0])
    await book(alice, WEDNESDAY[1])
    await alice.send("/book")
    await alice.press("Coaching")
    await alice.press("Any")
    await alice.press("Dr Priya Shah")
    assert "Free on Mon 30 Nov" in alice.text  # Wednesday is all hers
    await alice.press(MONDAY[0])
    await alice.press("Yes")
    assert alice.text.startswith("Sorry, you already have 2 upcoming sessions")
    assert "/sessions" in alice.text
    assert len(await bookings(bot)) == 2


async def test_inside_the_cancellation_notice_the_member_is_told_whom_to_contact(
    bot: Bot, clock: FakeClock
) -> None:
    await add_coach(bot, "priya")
    alice = await member(bot)
    await book(alice)
    clock.advance(hours=18)  # Wed 03:00: eleven hours to go
    await alice.send("/sessions")
    await alice.press("Cancel Wed 25 Nov 14:00")  # told at once, before any confirmation
    assert alice.text.startswith("Sorry, it starts in less than 12 hours")
    assert "please contact Dr Priya Shah directly, or the programme team" in alice.text
    assert alice.labels == []
    await alice.send("/sessions")
    await alice.press("Reschedule Wed 25 Nov 14:00")  # no times offered to move to
    assert "please contact Dr Priya Shah directly" in alice.text
    assert alice.labels == []
    [booking] = await bookings(bot)
    assert booking.status == BookingStatus.BOOKED and booking.start_at.hour == 14


async def test_someone_elses_session_cannot_be_cancelled_by_a_bound_button(bot: Bot) -> None:
    await add_coach(bot, "priya")
    alice, bob = await member(bot), await member(bot, "bob", "Bob Brown")
    await book(alice)
    [booking] = await bookings(bot)
    await bob.press_bound(AskCancel(booking.id))
    assert bob.text.startswith("That session is no longer booked.")
    assert bob.labels == []


async def test_with_no_free_time_the_member_may_join_the_waiting_list(bot: Bot) -> None:
    coach_id = await add_coach(bot, "priya", weekly=[])
    alice = await member(bot)
    await alice.send("/book")
    await alice.press("Coaching")
    await alice.press("Any")
    await alice.press("Dr Priya Shah")
    assert "Dr Priya Shah has no free time in the next 8 weeks" in alice.text
    await alice.press("Join the waiting list")
    assert alice.text.startswith("You're on Dr Priya Shah's waiting list.")
    async with bot.services.database.transaction() as session:
        waiting = await Repositories.bound_to(session).coaching.waitlist(coach_id)
    assert [entry.member_id for entry in waiting] == [2]
