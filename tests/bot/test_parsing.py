"""Tags, durations and roles typed by staff are parsed strictly, with messages that say why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.parsing import parse_duration, parse_role, parse_tags, parse_time
from domain.people import Role


def test_tags_are_lower_cased_and_split_on_commas() -> None:
    assert parse_tags(" New-CEO, north-west ,,") == ["new-ceo", "north-west"]


@pytest.mark.parametrize("bad", ["bad tag", "-leading", "x" * 65, "émoji😀"])
def test_malformed_tags_are_refused_by_name(bad: str) -> None:
    with pytest.raises(ValueError, match="not a valid tag"):
        parse_tags(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("14d", timedelta(days=14)),
        ("2W", timedelta(weeks=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "0d", "14", "d", "5x", "-1d", "99999d"])
def test_bad_durations_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(bad)


def test_roles() -> None:
    assert parse_role(" Staff ") is Role.STAFF
    with pytest.raises(ValueError, match="member, coach, staff"):
        parse_role("admin")


LONDON = ZoneInfo("Europe/London")


def test_a_time_without_offset_is_read_in_the_given_zone() -> None:
    assert parse_time(" 2026-07-01 09:00 ", LONDON) == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def test_a_time_with_its_offset_keeps_it() -> None:
    assert parse_time("2026-12-07T09:00+02:00", LONDON) == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01 09:00", "09:00", ""])
def test_anything_else_is_not_a_time(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a time: type it like 2026-12-07 09:00"):
        parse_time(bad, LONDON)
