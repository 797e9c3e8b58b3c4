"""Whether a notice reaches a member now: muted categories, quiet hours in the member's own time
zone (through daylight saving changes), and essential notices that nothing holds back."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.notices import (
    Category,
    Preferences,
    QuietHours,
    parse_quiet_hours,
    parse_timezone,
)

LONDON = ZoneInfo("Europe/London")
EVENINGS = QuietHours(time(20), time(8))


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(19, 59), False),
        (time(20), True),
        (time(23, 30), True),
        (time(0), True),
        (time(7, 59), True),
        (time(8), False),
        (time(12), False),
    ],
)
def test_quiet_hours_over_midnight_run_from_start_to_end_the_next_morning(
    local: time, quiet: bool
) -> None:
    assert EVENINGS.contains(local) is quiet


@pytest.mark.parametrize(
    ("local", "quiet"),
    [(time(12, 59), False), (time(13), True), (time(13, 59), True), (time(14), False)],
)
def test_quiet_hours_within_one_day_hold_only_between_start_and_end(
    local: time, quiet: bool
) -> None:
    assert QuietHours(time(13), time(14)).contains(local) is quiet


def test_quiet_hours_are_read_in_the_members_local_time_with_summer_time() -> None:
    july_evening = datetime(2026, 7, 15, 19, 30, tzinfo=UTC)  # 20:30 in London (BST)
    assert Preferences(quiet=EVENINGS).held_until(Category.NEWS, july_evening) == datetime(
        2026, 7, 16, 7, 0, tzinfo=UTC
    )
    january_evening = datetime(2026, 1, 15, 19, 30, tzinfo=UTC)  # 19:30 in London (GMT)
    assert Preferences(quiet=EVENINGS).held_until(Category.NEWS, january_evening) is None


def test_late_quiet_hours_start_an_hour_earlier_in_utc_in_summer() -> None:
    late = Preferences(quiet=QuietHours(time(22), time(7)))
    at = datetime(2026, 7, 15, 21, 0, tzinfo=UTC)  # 22:00 in London
    assert at.astimezone(LONDON).time() == time(22)
    assert late.held_until(Category.EVENTS, at) == datetime(2026, 7, 16, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("evening", "morning"),
    [  # the clocks go forward on 29 March 2026 and back on 25 October 2026
        (datetime(2026, 3, 28, 21, 0, tzinfo=UTC), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
        (datetime(2026, 10, 24, 20, 0, tzinfo=UTC), datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
    ],
)
def test_the_end_of_quiet_hours_across_a_clock_change_is_local_eight_oclock(
    evening: datetime, morning: datetime
) -> None:
    ends = EVENINGS.end_after(evening.astimezone(LONDON))
    assert ends == morning
    assert ends.astimezone(LONDON).time() == time(8)


def test_a_member_elsewhere_has_quiet_hours_in_their_own_zone() -> None:
    paris = Preferences(quiet=EVENINGS, timezone=ZoneInfo("Europe/Paris"))
    at = datetime(2026, 7, 15, 18, 30, tzinfo=UTC)  # 20:30 in Paris, 19:30 in London
    assert paris.held_until(Category.NEWS, at) == datetime(2026, 7, 16, 6, 0, tzinfo=UTC)
    assert Preferences(quiet=EVENINGS).held_until(Category.NEWS, at) is None


def test_essential_notices_are_never_held_or_muted() -> None:
    everything_off = Preferences(muted=frozenset(Category), quiet=EVENINGS)
    night = datetime(2026, 7, 15, 23, 0, tzinfo=UTC)
    assert everything_off.held_until(Category.ESSENTIAL, night) is None
    assert not everything_off.mutes(Category.ESSENTIAL)
    assert everything_off.mutes(Category.NEWS) and everything_off.mutes(Category.EVENTS)


def test_without_quiet_hours_nothing_is_held() -> None:
    assert Preferences().held_until(Category.NEWS, datetime(2026, 7, 15, 23, tzinfo=UTC)) is None


def test_quiet_hours_parse_and_print_the_same_way() -> None:
    assert parse_quiet_hours(" 21:30 - 07:00 ") == QuietHours(time(21, 30), time(7))
    assert str(QuietHours.parse("21:30-07:00")) == "21:30-07:00"
    assert parse_quiet_hours("") is None and parse_quiet_hours("Off") is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("9pm-7am", "use HH:MM-HH:MM"),
        ("24:00-08:00", "use HH:MM-HH:MM"),
        ("20:00", "use HH:MM-HH:MM"),
        ("08:00-08:00", "different times"),
    ],
)
def test_bad_quiet_hours_say_what_was_expected(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_quiet_hours(text)


def test_time_zones_are_iana_names() -> None:
    assert parse_timezone(" Europe/Paris ") == ZoneInfo("Europe/Paris")
    for bad in ("Mars/Olympus", "", "../etc/passwd", "/usr/share/zoneinfo/UTC", "Europe"):
        with pytest.raises(ValueError, match="use a name like Europe/London"):
            parse_timezone(bad)


def test_time_zones_may_be_typed_in_any_case_and_with_spaces() -> None:
    assert parse_timezone("europe/london") == ZoneInfo("Europe/London")
    assert parse_timezone("America/New York") == ZoneInfo("America/New_York")


def test_zones_that_are_no_place_are_refused() -> None:
    for machine_only in ("localtime", "Factory", "posixrules", "posix/Europe/London"):
        with pytest.raises(ValueError, match="is not a time zone"):
            parse_timezone(machine_only)
