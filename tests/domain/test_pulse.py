"""Check-ins' small rules: working hours as the setting writes them, when a check-in may reach a
member (their working hours and quiet hours, in their zone), how answers read, when a member is
offered support, names taken out of comments, and the threshold's floor."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.notices import Preferences, QuietHours
from domain.pulse import (
    NAME,
    NO,
    ORGANISATION,
    YES,
    Policy,
    Question,
    QuestionKind,
    WorkingHours,
    remove_names,
    sending_time,
    signpost,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = WorkingHours(frozenset(range(5)), time(9), time(17))
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # 23 November 2026 is a Monday; London is on UTC
WELLBEING = Question(
    "wellbeing",
    "How are you finding the role this month?",
    QuestionKind.SCALE,
    ("Very hard", "Hard", "Manageable", "Good", "Very good"),
)
ISOLATED = Question("isolated", "Have you felt isolated in the last month?", QuestionKind.YESNO)
NEED = Question(
    "need", "What would help?", QuestionKind.CHOICE, ("Coaching", "Peer support", "Nothing")
)


def at(day: int, hour: int, minute: int = 0, zone: ZoneInfo = LONDON) -> datetime:
    """`day` days after Monday 23 November 2026, at `hour`:`minute` in `zone`."""
    return datetime(2026, 11, 23 + day, hour, minute, tzinfo=zone)


# Working hours


@pytest.mark.parametrize(
    ("text", "days", "start", "end"),
    [
        ("mon-fri 09:00-17:00", range(5), time(9), time(17)),
        ("  Mon-Fri   09:00-17:00 ", range(5), time(9), time(17)),
        ("sat 10:30-12:00", [5], time(10, 30), time(12)),
        ("mon-sun 00:00-24:00", range(7), time(0), None),
    ],
)
def test_working_hours_read_as_days_and_hours(
    text: str, days: range | list[int], start: time, end: time | None
) -> None:
    assert WorkingHours.parse(text) == WorkingHours(frozenset(days), start, end)


@pytest.mark.parametrize("text", ["always", "ALWAYS", " Always "])
def test_always_means_any_time(text: str) -> None:
    assert WorkingHours.parse(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "weekdays",
        "mon-fri",
        "mon-fri 9:00-17:00",
        "fri-mon 09:00-17:00",
        "mon-fun 09:00-17:00",
        "mon-fri 17:00-09:00",
        "mon-fri 09:00-09:00",
        "mon-fri 09:00-24:30",
        "mon-fri 09:00-25:00",
    ],
)
def test_anything_else_is_refused_with_the_expected_shape(text: str) -> None:
    with pytest.raises(ValueError, match=r"09:00-17:00|end after"):
        WorkingHours.parse(text)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (at(2, 10), at(2, 10)),  # Wednesday, in hours: now
        (at(2, 8), at(2, 9)),  # Wednesday before nine
        (at(2, 17), at(3, 9)),  # Wednesday at five: Thursday morning
        (at(4, 17, 30), at(7, 9)),  # Friday evening: Monday
        (at(5, 11), at(7, 9)),  # Saturday: Monday
        (at(6, 23, 59), at(7, 9)),  # Sunday night: Monday
    ],
)
def test_next_start_skips_evenings_and_weekends(local: datetime, expected: datetime) -> None:
    assert OFFICE.next_start(local) == expected


def test_hours_to_midnight_include_the_last_minute() -> None:
    evenings = WorkingHours.parse("mon-fri 18:00-24:00")
    assert evenings is not None and evenings.contains(at(0, 23, 59))
    assert not evenings.contains(at(0, 17, 59))


def test_a_member_abroad_is_sent_it_in_their_own_working_hours() -> None:
    """Monday noon in London is 07:00 in New York: it waits for 09:00 there (14:00 UTC)."""
    preferences = Preferences(timezone=NEW_YORK)
    assert sending_time(MONDAY.replace(hour=12), OFFICE, preferences) == MONDAY.replace(hour=14)


def test_quiet_hours_inside_working_hours_hold_it_until_they_end() -> None:
    preferences = Preferences(quiet=QuietHours(time(9), time(11)), timezone=NEW_YORK)
    assert sending_time(MONDAY.replace(hour=12), OFFICE, preferences) == MONDAY.replace(hour=16)


def test_quiet_hours_that_run_past_the_end_of_the_day_move_it_to_the_next_working_day() -> None:
    preferences = Preferences(quiet=QuietHours(time(16), time(8)))
    friday_afternoon = at(4, 16, 30)
    assert sending_time(friday_afternoon, OFFICE, preferences) == at(7, 9)


def test_always_still_keeps_to_quiet_hours() -> None:
    preferences = Preferences(quiet=QuietHours(time(20), time(8)))
    assert sending_time(at(5, 22), None, preferences) == at(6, 8)
    assert sending_time(at(5, 12), None, preferences) == at(5, 12)


# How answers read


def test_a_scale_reads_as_its_number_and_label() -> None:
    assert WELLBEING.values() == (1, 2, 3, 4, 5)
    assert [WELLBEING.label(v) for v in (1, 5)] == ["1 Very hard", "5 Very good"]
    assert [WELLBEING.key(v) for v in (1, 5)] == ["1", "5"]
    assert Question("energy", "Energy?", QuestionKind.SCALE).label(3) == "3"


def test_yes_and_no() -> None:
    assert ISOLATED.values() == (YES, NO)
    assert (ISOLATED.label(YES), ISOLATED.label(NO)) == ("Yes", "No")
    assert (ISOLATED.key(YES), ISOLATED.key(NO)) == ("yes", "no")


def test_a_choice_reads_as_its_option() -> None:
    assert NEED.values() == (0, 1, 2)
    assert NEED.label(1) == NEED.key(1) == "Peer support"


def test_free_text_has_no_values() -> None:
    assert Question("comment", "Anything else?", QuestionKind.TEXT).values() == ()


# Support offered to the member


@pytest.mark.parametrize(
    ("question", "value", "offered"),
    [
        (WELLBEING, 1, True),
        (WELLBEING, 2, True),
        (WELLBEING, 3, False),
        (WELLBEING, 5, False),
        (ISOLATED, YES, True),
        (ISOLATED, NO, False),
        (Question("energy", "Energy?", QuestionKind.SCALE), 1, False),
        (Question("tired", "Tired?", QuestionKind.YESNO), YES, False),
        (Question("isolated", "Isolated how?", QuestionKind.CHOICE, ("A", "B")), 1, False),
        (NEED, 0, False),
    ],
)
def test_support_is_offered_for_low_wellbeing_or_feeling_isolated(
    question: Question, value: int, offered: bool
) -> None:
    assert signpost(question, value) is offered


# Names in comments

PEOPLE = ["Priya Shah", "Tom Okafor", "Al Brown"]
ORGANISATIONS = ["Acme Care Partnership"]


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("Priya Shah has been a great help", f"{NAME} has been a great help"),
        ("spoke to priya about it, and Okafor", f"spoke to {NAME} about it, and {NAME}"),
        ("Dr Green and Prof. Hale disagree", f"{NAME} and {NAME} disagree"),
        ("Mrs O'Neill chaired it", f"{NAME} chaired it"),
        ("We merged with Acme Care Partnership", f"We merged with {ORGANISATION}"),
        ("Northfield NHS Foundation Trust is in deficit", f"{ORGANISATION} is in deficit"),
        ("Leeds Teaching Hospitals and North East ICB", f"{ORGANISATION} and {ORGANISATION}"),
        ("Riverside Health Board again", f"{ORGANISATION} again"),
    ],
)
def test_names_of_people_and_organisations_are_taken_out(said: str, kept: str) -> None:
    assert remove_names(said, PEOPLE, ORGANISATIONS) == kept


@pytest.mark.parametrize(
    "said",
    [
        "The board was hard this month and trust is low",
        "Sharing the load with Shahid helped",  # a longer word that starts like a name
        "Al said it was fine",  # parts under three letters stand only in the full name
        "Tomorrow is another day",
    ],
)
def test_ordinary_words_are_left_alone(said: str) -> None:
    assert remove_names(said, PEOPLE, ORGANISATIONS) == said


# The threshold


def test_the_threshold_may_be_raised_but_never_below_three() -> None:
    assert Policy().min_respondents == 5
    assert Policy(3).min_respondents == 3
    with pytest.raises(ValueError, match="below 3"):
        Policy(2)


def test_cells_and_comments_need_at_least_their_own_minimum_or_the_threshold() -> None:
    assert (Policy(3).min_cell, Policy(3).min_for_comments) == (5, 8)
    assert (Policy(10).min_cell, Policy(10).min_for_comments) == (10, 10)
