"""Parsing of the small values people and staff type: tags, durations, roles, numbers,
accounts. Each raises ValueError with a message that says what was expected."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo

from domain.people import Role

_TAG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_DURATION = re.compile(r"^(\d{1,4})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_tags(text: str) -> list[str]:
    """`new-ceo,north-west` → ["new-ceo", "north-west"]; ValueError names the bad tag."""
    tags = [tag.strip().lower() for tag in text.split(",") if tag.strip()]
    for tag in tags:
        if not _TAG.match(tag):
            raise ValueError(
                f"{tag!r} is not a valid tag: use lower-case letters, digits and dashes"
            )
    return tags


def parse_duration(text: str) -> timedelta:
    """`30m`, `12h`, `14d` or `2w`."""
    match = _DURATION.match(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration: use a number and m, h, d or w, like 14d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_time(text: str, zone: tzinfo) -> datetime:
    """`2026-12-07 09:00`, read in `zone`, or ISO 8601 with its own offset
    (`2026-12-07T09:00+01:00`): staff type times the way they read them."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text[:40]!r} is not a time: type it like 2026-12-07 09:00, "
            "or ISO 8601 with an offset like 2026-12-07T09:00+00:00"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        choices = ", ".join(role.value for role in Role)
        raise ValueError(f"{text!r} is not a role: use one of {choices}") from None


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """A parser for a whole number from `low` to `high` (a count, a port, a record id)."""

    def parse(text: str) -> int:
        digits = text.strip()
        if digits.isascii() and digits.isdigit() and len(digits) <= len(str(high)):
            number = int(digits)
            if low <= number <= high:
                return number
        raise ValueError(f"must be a whole number from {low} to {high}")

    return parse


def parse_account(text: str) -> tuple[str, str]:
    """`telegram:12345` → ("telegram", "12345"): a platform and that platform's id."""
    platform, _, external_id = text.partition(":")
    if not platform or not external_id:
        raise ValueError(f"{text!r} is not PLATFORM:ID, e.g. telegram:12345 or console:alice")
    return platform, external_id
