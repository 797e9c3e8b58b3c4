"""Check-ins' rules on both databases: creating schedules the opening and closing, opening
reaches the members of the segment at their own working hours, each member is sent it and
reminded once, answers are checked and kept apart from the member, and results go to staff
only, after close, above the threshold, with the trend of earlier check-ins."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import datetime, timedelta

import pytest

from bot.settings import Settings
from domain.people import OPERATOR, MemberRef, Role
from domain.pulse import NAME, NOT_CLOSED, Definition, Question, QuestionKind, State
from services import pulse
from services.pulse import CLOSE, OPEN, REMIND, SEND, NotStaff, PulseError
from services.settings import set_timezone
from storage.members import to_ref
from storage.repositories import Repositories
from tests.services.conftest import NOW, Unit

WELLBEING = Question(
    "wellbeing",
    "How are you finding the role this month?",
    QuestionKind.SCALE,
    ("Very hard", "Hard", "Manageable", "Good", "Very good"),
)
ISOLATED = Question("isolated", "Have you felt isolated in the last month?", QuestionKind.YESNO)
COMMENT = Question("comment", "Anything else?", QuestionKind.TEXT)
QUESTIONS = (WELLBEING, ISOLATED, COMMENT)
WEEK = timedelta(days=7)
LATER = NOW + timedelta(hours=1)  # NOW is Tuesday 24 November 2026, 09:00 in London


def definition(
    opens: datetime = NOW, segment: Sequence[str] = (), title: str = "December check-in"
) -> Definition:
    return Definition(title, opens, opens + WEEK, QUESTIONS, segment=tuple(segment))


async def people(
    unit: Unit, *names: str, role: Role = Role.MEMBER, tags: Sequence[str] = ()
) -> list[MemberRef]:
    async def add(repos: Repositories) -> list[MemberRef]:
        return [
            to_ref(await repos.members.create(display_name=n, role=role, tags=tags, now=NOW))
            for n in names
        ]

    return await unit(add)


async def opened(unit: Unit, settings: Settings, made: Definition | None = None) -> int:
    checkin = await unit(lambda r: pulse.create(r, made or definition(), NOW, OPERATOR))
    await unit(lambda r: pulse.open_checkin(r, checkin.id, NOW, settings))
    return checkin.id


async def jobs(unit: Unit, kind: str) -> dict[str, datetime]:
    return {job.key: job.due_at for job in await unit(lambda r: r.jobs.list()) if job.kind == kind}


def answer(
    unit: Unit,
    member: MemberRef,
    checkin_id: int,
    position: int,
    value: int | None,
    *,
    comment: str | None = None,
    now: datetime = LATER,
) -> Awaitable[pulse.Answered]:
    return unit(
        lambda r: pulse.answer(r, member, checkin_id, position, value, now, comment=comment)
    )


async def stored(unit: Unit, checkin_id: int) -> list[tuple[int, int | None, str | None]]:
    answers = await unit(lambda r: r.pulse.answers(checkin_id))
    return sorted((a.position, a.value, a.comment) for a in answers)


# Creating and opening


async def test_creating_schedules_the_opening_and_the_closing(unit: Unit) -> None:
    later = definition(opens=NOW + timedelta(days=2))
    checkin = await unit(lambda r: pulse.create(r, later, NOW, OPERATOR))
    assert checkin.state == State.SCHEDULED
    assert await jobs(unit, OPEN) == {f"pulse:{checkin.id}:open": later.opens}
    assert await jobs(unit, CLOSE) == {f"pulse:{checkin.id}:close": later.closes}


async def test_a_check_in_whose_opening_has_passed_opens_now(unit: Unit) -> None:
    checkin = await unit(
        lambda r: pulse.create(r, definition(opens=NOW - timedelta(days=1)), NOW, OPERATOR)
    )
    assert list((await jobs(unit, OPEN)).values()) == [NOW]
    assert checkin.state == State.SCHEDULED


async def test_opening_reaches_only_members_of_the_segment(unit: Unit, settings: Settings) -> None:
    [new] = await people(unit, "Priya Shah", tags=["new-ceo"])
    await people(unit, "Tom Okafor")
    await people(unit, "Cora Coach", role=Role.COACH, tags=["new-ceo"])
    await people(unit, "Sam Staff", role=Role.STAFF, tags=["new-ceo"])
    checkin_id = await opened(unit, settings, definition(segment=["new-ceo"]))
    assert await jobs(unit, SEND) == {f"pulse:{checkin_id}:send:{new.id}": NOW}
    assert await unit(lambda r: r.pulse.participation(checkin_id)) == (0, 0, 0)
    assert await unit(lambda r: r.pulse.participant(checkin_id, new.id)) is not None
    again = await unit(lambda r: pulse.open_checkin(r, checkin_id, NOW, settings))
    assert again == 0


async def test_each_member_is_sent_it_in_their_own_working_hours(
    unit: Unit, settings: Settings
) -> None:
    """09:00 in London is 04:00 in New York: that member's send waits for 09:00 there."""
    london, new_york = await people(unit, "Priya Shah", "Tom Okafor")
    await unit(lambda r: set_timezone(r, new_york.id, "America/New_York", settings=settings))
    checkin_id = await opened(unit, settings)
    sends = await jobs(unit, SEND)
    assert sends[f"pulse:{checkin_id}:send:{london.id}"] == NOW
    assert sends[f"pulse:{checkin_id}:send:{new_york.id}"] == NOW.replace(hour=14)


# Sending and reminding


async def test_it_is_sent_once_and_reminded_once_three_days_later(
    unit: Unit, settings: Settings
) -> None:
    [member] = await people(unit, "Priya Shah")
    checkin_id = await opened(unit, settings)
    assert await unit(lambda r: pulse.due_to_send(r, checkin_id, member.id, NOW, settings))
    assert not await unit(lambda r: pulse.due_to_send(r, checkin_id, member.id, NOW, settings))
    reminders = await jobs(unit, REMIND)
    assert reminders == {f"pulse:{checkin_id}:remind:{member.id}": NOW + timedelta(days=3)}
    await answer(unit, member, checkin_id, 0, 4)
    due = await unit(lambda r: pulse.due_reminder(r, checkin_id, member.id, NOW, settings))
    assert due is not None and due[1] == 1  # where they stopped
    assert await unit(lambda r: pulse.due_reminder(r, checkin_id, member.id, NOW, settings)) is None


async def test_a_send_or_reminder_that_runs_late_waits_for_the_members_hours_again(
    unit: Unit, settings: Settings
) -> None:
    [member] = await people(unit, "Priya Shah")
    checkin_id = await opened(unit, settings)
    evening = NOW.replace(hour=22)  # no worker ran at 09:00: the send job runs at 22:00
    assert not await unit(lambda r: pulse.due_to_send(r, checkin_id, member.id, evening, settings))
    morning = NOW + timedelta(days=1)
    assert f"pulse:{checkin_id}:send:{member.id}:{morning:%Y%m%d%H%M}" in await jobs(unit, SEND)
    assert await unit(lambda r: pulse.due_to_send(r, checkin_id, member.id, morning, settings))
    saturday = NOW + timedelta(days=4)
    due = await unit(lambda r: pulse.due_reminder(r, checkin_id, member.id, saturday, settings))
    assert due is None  # a reminder late into the weekend waits for Monday
    monday = NOW + timedelta(days=6)
    reminders = await jobs(unit, REMIND)
    assert reminders[f"pulse:{checkin_id}:remind:{member.id}:{monday:%Y%m%d%H%M}"] == monday
    assert await unit(lambda r: pulse.due_reminder(r, checkin_id, member.id, monday, settings))


async def test_nobody_who_finished_is_reminded_and_nothing_goes_after_close(
    unit: Unit, settings: Settings
) -> None:
    finished, waiting = await people(unit, "Priya Shah", "Tom Okafor")
    checkin_id = await opened(unit, settings)
    for position, value in enumerate((4, 0, None)):
        await answer(unit, finished, checkin_id, position, value)
    assert (
        await unit(lambda r: pulse.due_reminder(r, checkin_id, finished.id, NOW, settings)) is None
    )
    await unit(lambda r: pulse.close(r, checkin_id, NOW, OPERATOR))
    assert not await unit(lambda r: pulse.due_to_send(r, checkin_id, waiting.id, NOW, settings))
    assert (
        await unit(lambda r: pulse.due_reminder(r, checkin_id, waiting.id, NOW, settings)) is None
    )


# Answering


async def test_answers_are_kept_with_no_member_and_skips_keep_nothing(
    unit: Unit, settings: Settings
) -> None:
    member, other = await people(unit, "Priya Shah", "Tom Okafor")
    checkin_id = await opened(unit, settings)
    await answer(unit, member, checkin_id, 0, 4)
    await answer(unit, member, checkin_id, 1, None)  # skipped
    done = await answer(unit, member, checkin_id, 2, None, comment="  ask Tom Okafor  ")
    assert done.next.question is None
    assert await stored(unit, checkin_id) == [(0, 4, None), (2, None, f"ask {NAME}")]
    assert await unit(lambda r: r.pulse.participation(checkin_id)) == (0, 1, 1)
    await answer(unit, other, checkin_id, 0, None)
    assert await unit(lambda r: r.pulse.participation(checkin_id)) == (0, 1, 1)


async def test_an_answer_that_does_not_fit_is_refused(unit: Unit, settings: Settings) -> None:
    [member] = await people(unit, "Priya Shah")
    checkin_id = await opened(unit, settings)
    for value in (0, 6):
        with pytest.raises(PulseError, match="isn't one of the answers"):
            await answer(unit, member, checkin_id, 0, value)
    await answer(unit, member, checkin_id, 0, 3)
    with pytest.raises(PulseError, match="isn't one of the answers"):
        await answer(unit, member, checkin_id, 1, 2)
    await answer(unit, member, checkin_id, 1, 1)
    with pytest.raises(PulseError, match="under 1,000"):
        await answer(unit, member, checkin_id, 2, None, comment="x" * 1001)
    assert await stored(unit, checkin_id) == [(0, 3, None), (1, 1, None)]


async def test_an_old_button_pressed_again_changes_nothing(unit: Unit, settings: Settings) -> None:
    [member] = await people(unit, "Priya Shah")
    checkin_id = await opened(unit, settings)
    await answer(unit, member, checkin_id, 0, 3)
    again = await answer(unit, member, checkin_id, 0, 5)
    ahead = await answer(unit, member, checkin_id, 2, None, comment="jumping ahead")
    assert again.repeated and again.next.position == 1
    assert ahead.repeated and ahead.next.question == ISOLATED
    assert await stored(unit, checkin_id) == [(0, 3, None)]


async def test_low_wellbeing_or_isolation_offers_support(unit: Unit, settings: Settings) -> None:
    member, other = await people(unit, "Priya Shah", "Tom Okafor")
    checkin_id = await opened(unit, settings)
    assert (await answer(unit, member, checkin_id, 0, 2)).offer_support
    assert (await answer(unit, member, checkin_id, 1, 1)).offer_support
    assert not (await answer(unit, member, checkin_id, 2, None, comment="fine")).offer_support
    assert not (await answer(unit, other, checkin_id, 0, 3)).offer_support
    assert not (await answer(unit, other, checkin_id, 1, 0)).offer_support


async def test_only_those_it_was_sent_to_may_answer_and_only_while_open(
    unit: Unit, settings: Settings
) -> None:
    [member] = await people(unit, "Priya Shah")
    checkin_id = await opened(unit, settings)
    [latecomer] = await people(unit, "Tom Okafor")
    with pytest.raises(PulseError, match="wasn't sent to you"):
        await answer(unit, latecomer, checkin_id, 0, 3)
    with pytest.raises(PulseError, match="has closed"):
        await answer(unit, member, checkin_id, 0, 3, now=NOW + WEEK)
    await unit(lambda r: pulse.close(r, checkin_id, LATER, OPERATOR))
    with pytest.raises(PulseError, match="has closed"):
        await answer(unit, member, checkin_id, 0, 3)
    with pytest.raises(PulseError, match="already closed"):
        await unit(lambda r: pulse.close(r, checkin_id, LATER, OPERATOR))
    assert await stored(unit, checkin_id) == []
    with pytest.raises(PulseError, match="no check-in with id 999"):
        await unit(lambda r: pulse.progress(r, 999, member.id, LATER))


async def test_progress_resumes_where_the_member_stopped(unit: Unit, settings: Settings) -> None:
    [member] = await people(unit, "Priya Shah")
    checkin_id = await opened(unit, settings)
    await answer(unit, member, checkin_id, 0, 3)
    resumed = await unit(
        lambda r: pulse.progress(r, checkin_id, member.id, NOW + timedelta(days=2))
    )
    assert (resumed.position, resumed.question, resumed.total) == (1, ISOLATED, 3)


# Results


async def answered_by(unit: Unit, settings: Settings, count: int, value: int = 4) -> int:
    """A closed check-in `count` members answered (wellbeing `value`, not isolated, a note)."""
    members = await people(unit, *(f"Member {n:02}" for n in range(count)))
    checkin_id = await opened(unit, settings)
    for member in members:
        await answer(unit, member, checkin_id, 0, value)
        await answer(unit, member, checkin_id, 1, 0)
        await answer(unit, member, checkin_id, 2, None, comment="more peer time")
    await unit(lambda r: pulse.close(r, checkin_id, LATER, OPERATOR))
    return checkin_id


@pytest.mark.parametrize("role", [Role.MEMBER, Role.COACH, None])
async def test_results_are_refused_to_anyone_but_staff(
    unit: Unit, settings: Settings, role: Role | None
) -> None:
    checkin_id = await answered_by(unit, settings, 5)
    viewer = None if role is None else MemberRef(1, "Someone", role)
    with pytest.raises(NotStaff, match="Only programme staff"):
        await unit(lambda r: pulse.results(r, viewer, checkin_id, settings, NOW))


async def test_staff_see_results_only_after_close_and_above_the_threshold(
    unit: Unit, settings: Settings
) -> None:
    [staff] = await people(unit, "Sam Staff", role=Role.STAFF)
    members = await people(unit, *(f"Member {n}" for n in range(5)))
    checkin_id = await opened(unit, settings)
    for member in members:
        await answer(unit, member, checkin_id, 0, 4)
    early = await unit(lambda r: pulse.results(r, staff, checkin_id, settings, NOW))
    assert not early.release.released and early.release.reason == NOT_CLOSED
    await unit(lambda r: pulse.close(r, checkin_id, LATER, OPERATOR))
    shown = await unit(lambda r: pulse.results(r, staff, checkin_id, settings, NOW))
    assert shown.release.released and shown.release.respondents == 5
    wellbeing, isolated, comment = shown.release.questions
    assert wellbeing.counts == {"1": 0, "2": 0, "3": 0, "4": 5, "5": 0} and wellbeing.mean == 4
    assert isolated.suppressed and comment.suppressed


async def test_four_respondents_show_nothing(unit: Unit, settings: Settings) -> None:
    [staff] = await people(unit, "Sam Staff", role=Role.STAFF)
    checkin_id = await answered_by(unit, settings, 4)
    shown = await unit(lambda r: pulse.results(r, staff, checkin_id, settings, NOW))
    assert not shown.release.released and shown.trends == {}
    assert all(q.suppressed and not q.counts for q in shown.release.questions)


async def test_the_trend_shows_the_last_five_check_ins_oldest_first(
    unit: Unit, settings: Settings
) -> None:
    """Six check-ins asked about wellbeing; the third had only three respondents."""
    [staff] = await people(unit, "Sam Staff", role=Role.STAFF)
    members = await people(unit, *(f"Member {n}" for n in range(5)))
    ids = []
    for month in range(6):
        opens = NOW + timedelta(days=30 * month)
        made = definition(opens=opens, title=f"Month {month}")
        checkin = await unit(lambda r, d=made: pulse.create(r, d, NOW, OPERATOR))
        await unit(lambda r, c=checkin.id, o=opens: pulse.open_checkin(r, c, o, settings))
        for member in members[: 3 if month == 2 else 5]:
            await answer(unit, member, checkin.id, 0, month % 5 + 1, now=opens)
        await unit(lambda r, c=checkin.id, o=opens: pulse.close(r, c, o, OPERATOR))
        ids.append(checkin.id)
    shown = await unit(lambda r: pulse.results(r, staff, ids[-1], settings, NOW))
    trend = shown.trends[0]
    assert [point.checkin_id for point in trend] == ids[1:]
    assert [point.suppressed for point in trend] == [False, True, False, False, False]
    assert [point.mean for point in trend] == [2, None, 4, 5, 1]
    assert trend[1].counts == {}
