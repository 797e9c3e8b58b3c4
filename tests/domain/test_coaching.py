"""A coach's free slots: laid out from each window's start, a buffer from every session, within
notice and horizon, minus exceptions, and right across the clock changes in any zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.coaching import (
    Availability,
    DayException,
    Interval,
    WeeklyWindow,
    free_slots,
    is_free,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # London is on GMT: local time is UTC


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def availability(
    *weekly: str,
    exceptions: tuple[str, ...] = (),
    session: int = 60,
    buffer: int = 15,
    notice_hours: int = 0,
    horizon_weeks: int = 8,
    zone: ZoneInfo = LONDON,
) -> Availability:
    return Availability(
        timezone=zone,
        session=timedelta(minutes=session),
        buffer=timedelta(minutes=buffer),
        notice=timedelta(hours=notice_hours),
        horizon=timedelta(weeks=horizon_weeks),
        weekly=[WeeklyWindow.parse(text) for text in weekly],
        exceptions=[DayException.parse(text) for text in exceptions],
    )


def day_slots(
    rules: Availability, day: datetime, booked: tuple[Interval, ...] = ()
) -> list[datetime]:
    """The free slots of the 24 hours from `day`, looked at from well before it."""
    return [
        slot
        for slot in free_slots(rules, booked, day - timedelta(days=3))
        if day <= slot < day + timedelta(days=1)
    ]


def session(start: datetime, minutes: int = 60) -> Interval:
    return Interval(start, start + timedelta(minutes=minutes))


def test_slots_are_laid_out_from_the_window_start_a_session_and_a_buffer_apart() -> None:
    rules = availability("mon 09:00-12:00")

    assert day_slots(rules, MONDAY) == [utc(2026, 11, 23, 9), utc(2026, 11, 23, 10, 15)]
    assert day_slots(rules, MONDAY + timedelta(days=1)) == []  # a Tuesday: no window
    assert day_slots(rules, MONDAY + timedelta(days=7))[0] == utc(2026, 11, 30, 9)


def test_a_slot_keeps_a_buffer_from_every_booked_session_even_one_off_the_grid() -> None:
    rules = availability("mon 09:00-14:00")
    every = [utc(2026, 11, 23, 9), utc(2026, 11, 23, 10, 15), utc(2026, 11, 23, 11, 30)]
    assert day_slots(rules, MONDAY)[:3] == every

    on_grid = session(utc(2026, 11, 23, 10, 15))
    assert day_slots(rules, MONDAY, (on_grid,))[:2] == [every[0], every[2]]

    off_grid = session(utc(2026, 11, 23, 9, 30))  # its buffer reaches 09:15 to 10:45
    assert day_slots(rules, MONDAY, (off_grid,))[0] == every[2]

    ends_at_slot = session(utc(2026, 11, 23, 7, 50), 60)  # ends 08:50: five minutes short
    assert day_slots(rules, MONDAY, (ends_at_slot,))[0] == every[1]


def test_a_long_session_blocks_every_slot_it_spans_and_a_short_one_its_neighbours() -> None:
    rules = availability("mon 09:00-15:00")
    long_one, short_one = session(utc(2026, 11, 23, 8, 50), 180), session(utc(2026, 11, 23, 14), 10)

    assert day_slots(rules, MONDAY, (long_one, short_one)) == [utc(2026, 11, 23, 12, 45)]


def test_nothing_is_offered_inside_the_notice_or_beyond_the_horizon() -> None:
    rules = availability("mon 09:00-10:00", notice_hours=24, horizon_weeks=2)

    slots = free_slots(rules, (), utc(2026, 11, 22, 9))  # exactly 24 hours before the first

    assert slots == [utc(2026, 11, 23, 9), utc(2026, 11, 30, 9)]  # 7 December is beyond
    assert free_slots(rules, (), utc(2026, 11, 22, 9, 1))[0] == utc(2026, 11, 30, 9)
    assert free_slots(rules, (), utc(2026, 11, 22), until=utc(2026, 11, 29)) == slots[:1]


def test_an_exception_takes_out_a_whole_day_or_only_the_slots_its_window_touches() -> None:
    christmas = datetime(2026, 12, 21, tzinfo=UTC)  # a Monday
    weekly = ("mon 09:00-13:00",)
    assert len(day_slots(availability(*weekly), christmas)) == 3

    assert day_slots(availability(*weekly, exceptions=("2026-12-21",)), christmas) == []
    partly = availability(*weekly, exceptions=("2026-12-21 10:00-11:00",))
    assert day_slots(partly, christmas) == [utc(2026, 12, 21, 9), utc(2026, 12, 21, 11, 30)]
    assert len(day_slots(partly, christmas + timedelta(days=7))) == 3  # only that day


def test_overlapping_windows_are_merged_so_no_two_slots_overlap() -> None:
    rules = availability("mon 09:00-11:00", "mon 10:00-12:00", "mon 12:00-13:00")

    assert day_slots(rules, MONDAY) == [
        utc(2026, 11, 23, 9),
        utc(2026, 11, 23, 10, 15),
        utc(2026, 11, 23, 11, 30),
    ]


def test_is_free_holds_for_offered_slots_only() -> None:
    rules = availability("mon 09:00-12:00")
    now = MONDAY - timedelta(days=1)

    assert is_free(rules, (), utc(2026, 11, 23, 10, 15), now)
    assert not is_free(rules, (), utc(2026, 11, 23, 10), now)  # off the grid
    taken = (session(utc(2026, 11, 23, 10, 15)),)
    assert not is_free(rules, taken, utc(2026, 11, 23, 10, 15), now)
    assert is_free(rules, taken, utc(2026, 11, 23, 9), now)
    assert not is_free(rules, (), utc(2026, 11, 23, 9), MONDAY + timedelta(hours=9, minutes=1))


# Clock changes. London: 01:00 GMT on 29 March 2026 becomes 02:00 BST; 02:00 BST on
# 25 October 2026 becomes 01:00 GMT. New York changes on 8 March and 1 November 2026.


def local(slots: list[datetime], zone: ZoneInfo = LONDON) -> list[str]:
    """As a member in `zone` would read them."""
    return [f"{slot.astimezone(zone):%a %d %b %H:%M %Z}" for slot in slots]


def test_a_window_from_one_to_two_does_not_exist_on_the_last_sunday_of_march() -> None:
    rules = availability("sun 01:00-02:00", buffer=0)
    sundays = [datetime(2026, 3, day, tzinfo=UTC) for day in (22, 29)] + [utc(2026, 4, 5)]

    assert [local(day_slots(rules, sunday)) for sunday in sundays] == [
        ["Sun 22 Mar 01:00 GMT"],
        [],
        ["Sun 05 Apr 01:00 BST"],
    ]


def test_a_window_from_one_to_two_holds_two_hours_on_the_last_sunday_of_october() -> None:
    rules = availability("sun 01:00-02:00", buffer=0)

    slots = day_slots(rules, utc(2026, 10, 25))

    assert slots == [utc(2026, 10, 25, 0), utc(2026, 10, 25, 1)]
    assert local(slots) == ["Sun 25 Oct 01:00 BST", "Sun 25 Oct 01:00 GMT"]
    assert [slot.astimezone(LONDON).fold for slot in slots] == [0, 1]
    assert local(day_slots(rules, utc(2026, 11, 1))) == ["Sun 01 Nov 01:00 GMT"]


def test_booking_the_first_of_the_repeated_hours_leaves_the_second_free() -> None:
    rules = availability("sun 01:00-02:00", buffer=0)

    left = day_slots(rules, utc(2026, 10, 25), (session(utc(2026, 10, 25, 0)),))

    assert local(left) == ["Sun 25 Oct 01:00 GMT"]
    assert not is_free(rules, (session(utc(2026, 10, 25, 0)),), utc(2026, 10, 25), utc(2026, 10, 1))


def test_windows_across_the_march_change_hold_the_elapsed_time_they_really_have() -> None:
    # 00:30 GMT to 02:30 BST is one hour; a window starting in the gap starts after it.
    across = availability("sun 00:30-02:30", buffer=0)
    from_gap = availability("sun 01:30-03:00", buffer=0)
    morning = availability("sun 09:00-10:00")
    change = utc(2026, 3, 29)

    assert local(day_slots(across, change)) == ["Sun 29 Mar 00:30 GMT"]
    assert local(day_slots(from_gap, change)) == ["Sun 29 Mar 02:00 BST"]
    assert day_slots(morning, change) == [utc(2026, 3, 29, 8)]
    assert local(day_slots(morning, change)) == ["Sun 29 Mar 09:00 BST"]


def test_bookings_just_before_and_after_the_change_keep_their_buffer_in_elapsed_time() -> None:
    # Saturday 23:00-Sunday is one window a day; the 15-minute buffer is measured in UTC.
    rules = availability("sun 00:00-04:00", buffer=15)
    change = utc(2026, 3, 29)
    every = day_slots(rules, change)
    assert local(every) == ["Sun 29 Mar 00:00 GMT", "Sun 29 Mar 02:15 BST"]

    booked = (session(utc(2026, 3, 29, 0)),)
    assert local(day_slots(rules, change, booked)) == ["Sun 29 Mar 02:15 BST"]
    assert day_slots(rules, change, (session(utc(2026, 3, 29, 1, 10)),)) == []


def test_a_coach_in_new_york_follows_new_york_s_clock_changes() -> None:
    night = availability("sun 01:00-02:00", buffer=0, zone=NEW_YORK)
    early = availability("sun 02:00-03:00", buffer=0, zone=NEW_YORK)

    # On London's change days New York has already (October) or not yet (March) changed.
    assert day_slots(night, utc(2026, 10, 25)) == [utc(2026, 10, 25, 5)]
    assert day_slots(early, utc(2026, 3, 29)) == [utc(2026, 3, 29, 6)]
    # New York's own days: 02:00-03:00 does not exist; 01:00-02:00 happens twice.
    assert day_slots(early, utc(2026, 3, 8)) == []
    nov = day_slots(night, utc(2026, 11, 1))
    assert nov == [utc(2026, 11, 1, 5), utc(2026, 11, 1, 6)]
    assert local(nov, NEW_YORK) == ["Sun 01 Nov 01:00 EDT", "Sun 01 Nov 01:00 EST"]
    assert local(nov) == ["Sun 01 Nov 05:00 GMT", "Sun 01 Nov 06:00 GMT"]


def test_a_whole_day_exception_follows_the_coach_s_local_midnights() -> None:
    # 25 October in London runs 23:00 UTC on the 24th to 00:00 UTC on the 26th: 25 hours.
    rules = availability(
        "sat 22:00-23:59",
        "sun 00:00-23:59",
        "mon 00:00-01:00",
        buffer=0,
        exceptions=("2026-10-25",),
    )
    slots = free_slots(rules, (), utc(2026, 10, 20), until=utc(2026, 10, 27))

    around = [s for s in slots if utc(2026, 10, 24, 20) <= s < utc(2026, 10, 26, 2)]
    assert local(around) == ["Sat 24 Oct 22:00 BST", "Mon 26 Oct 00:00 GMT"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("monday 09:00-12:00", "is not a weekly window"),
        ("mon 12:00-09:00", "ends before it starts"),
        ("mon 25:00-26:00", "is not a time of day"),
    ],
)
def test_a_malformed_weekly_window_says_what_was_expected(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        WeeklyWindow.parse(text)


def test_windows_and_exceptions_read_back_as_written() -> None:
    assert str(WeeklyWindow.parse("  MON   09:00-12:00 ")) == "mon 09:00-12:00"
    assert str(DayException.parse("2026-12-25")) == "2026-12-25"
    assert str(DayException.parse("2026-12-28 09:00-12:00")) == "2026-12-28 09:00-12:00"
    with pytest.raises(ValueError, match="is not a date"):
        DayException.parse("2026-02-30")
