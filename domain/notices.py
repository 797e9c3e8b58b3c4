"""What decides whether a programme notice reaches a member now: its category, and the member's
muted categories, quiet hours and time zone. Broadcasts use it, and so will check-ins."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_TIMEZONE = "Europe/London"
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class Category(StrEnum):
    """What a notice is about; members may mute news and events, never essential notices."""

    NEWS = "news"
    EVENTS = "events"
    ESSENTIAL = "essential"

    @property
    def mutable(self) -> bool:
        return self is not Category.ESSENTIAL


MUTABLE_CATEGORIES = tuple(category for category in Category if category.mutable)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily span of local time, such as 20:00 to 08:00 (it may run past midnight)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """`20:00-08:00` → QuietHours; ValueError says what was expected."""
        match = _HOURS.match(text.strip().replace(" ", ""))
        if match is None:
            raise ValueError(f"{text!r} is not a span of hours: use HH:MM-HH:MM, like 20:00-08:00")
        start = time(int(match.group(1)), int(match.group(2)))
        end = time(int(match.group(3)), int(match.group(4)))
        if start == end:
            raise ValueError("quiet hours must start and end at different times")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def end_after(self, moment: datetime) -> datetime:
        """The first end of quiet hours after `moment` (aware, in the member's zone)."""
        candidate = moment.replace(
            hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0
        )
        if candidate <= moment:
            candidate = (candidate.replace(tzinfo=None) + timedelta(days=1)).replace(
                tzinfo=moment.tzinfo
            )
        return candidate


def parse_quiet_hours(text: str) -> QuietHours | None:
    """A setting's value: empty (or `off`) means no quiet hours."""
    return None if text.strip().lower() in {"", "off", "none"} else QuietHours.parse(text)


@cache
def _zone_names() -> dict[str, str]:
    """IANA zone names by their lower-case form; not `localtime` or `Factory`, which are no
    place a person lives in."""
    return {
        name.lower(): name
        for name in available_timezones()
        if "/" in name or name in {"UTC", "GMT"}
    }


def parse_timezone(text: str) -> ZoneInfo:
    """An IANA time zone such as `Europe/London` (in any case); ValueError for anything else."""
    name = _zone_names().get(text.strip().replace(" ", "_").lower())
    if name is None or name.startswith(("posix/", "right/")):
        raise ValueError(
            f"{text!r} is not a time zone: use a name like Europe/London or Europe/Paris"
        )
    return ZoneInfo(name)


@dataclass(frozen=True, slots=True)
class Preferences:
    """One member's settings for notices, with the programme's defaults filled in."""

    muted: frozenset[Category] = frozenset()
    quiet: QuietHours | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))

    def mutes(self, category: Category) -> bool:
        return category.mutable and category in self.muted

    def held_until(self, category: Category, at: datetime) -> datetime | None:
        """When a notice of `category` due `at` may go out, if quiet hours hold it; else None.
        Essential notices are never held."""
        return self.quiet_until(at) if category.mutable else None

    def quiet_until(self, at: datetime) -> datetime | None:
        """The end of the quiet hours `at` falls in, or None when it falls in none."""
        if self.quiet is None:
            return None
        local = at.astimezone(self.timezone)
        if not self.quiet.contains(local.time()):
            return None
        return self.quiet.end_after(local).astimezone(at.tzinfo)
