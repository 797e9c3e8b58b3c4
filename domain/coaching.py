"""Coaches' time: weekly windows and dated exceptions in the coach's zone, and the free slots
they leave. Pure functions of their inputs, so the booking rules and their tests share them.

Slots are laid out within each window from its start, a session plus its buffer apart, and
measured in elapsed (UTC) time, so a window across a clock change holds what it really holds:
on the last Sunday of March a window from 01:00 to 02:00 in London does not exist, and on the last
Sunday of October it lasts two hours.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)\s+(\d{2}:\d{2})-(\d{2}:\d{2})$")
_EXCEPTION = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s+(\d{2}:\d{2})-(\d{2}:\d{2}))?$")


class CoachKind(StrEnum):
    COACH = "coach"
    MENTOR = "mentor"


class SessionFormat(StrEnum):
    VIDEO = "video"
    PHONE = "phone"
    IN_PERSON = "in person"


def _clock(text: str) -> time:
    try:
        hours, minutes = (int(part) for part in text.split(":"))
        return time(hours, minutes)
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day: use HH:MM, like 09:30") from None


def _span(start_text: str, end_text: str) -> tuple[time, time]:
    start, end = _clock(start_text), _clock(end_text)
    if end <= start:
        raise ValueError(f"{start_text}-{end_text} ends before it starts")
    return start, end


@dataclass(frozen=True, slots=True, order=True)
class WeeklyWindow:
    """Every week on `weekday` (0 is Monday), from `start` to `end`, local time."""

    weekday: int
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> WeeklyWindow:
        """`mon 09:00-12:00`; ValueError says what was expected."""
        match = _WINDOW.match(" ".join(text.strip().lower().split()))
        if match is None:
            raise ValueError(f'{text!r} is not a weekly window: use e.g. "mon 09:00-12:00"')
        start, end = _span(match.group(2), match.group(3))
        return cls(WEEKDAYS.index(match.group(1)), start, end)

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class DayException:
    """A day taken out: all of it (`start` None), or a window of it, local time."""

    day: date
    start: time | None = None
    end: time | None = None

    @classmethod
    def parse(cls, text: str) -> DayException:
        """`2026-12-25` or `2026-12-28 09:00-12:00`."""
        match = _EXCEPTION.match(" ".join(text.strip().split()))
        if match is None:
            raise ValueError(
                f"{text!r} is not an exception: use a day, 2026-12-25, or a day and hours, "
                "2026-12-28 09:00-12:00"
            )
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            raise ValueError(f"{match.group(1)!r} is not a date") from None
        if match.group(2) is None:
            return cls(day)
        start, end = _span(match.group(2), match.group(3))
        return cls(day, start, end)

    def __str__(self) -> str:
        if self.start is None or self.end is None:
            return self.day.isoformat()
        return f"{self.day.isoformat()} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Availability:
    """What decides a coach's free slots."""

    timezone: ZoneInfo
    session: timedelta
    buffer: timedelta
    notice: timedelta
    horizon: timedelta
    weekly: Sequence[WeeklyWindow]
    exceptions: Sequence[DayException] = ()


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    return wall.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None)


def _local(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as UTC. A time a clock change skips counts as the first wall
    time after the gap (in London, 01:30 on the last Sunday of March is 02:00 BST); a repeated
    one counts as its first occurrence."""
    wall = datetime.combine(day, moment, tzinfo=zone)
    while not _exists(wall, zone):
        wall += timedelta(minutes=1)  # naive arithmetic on the wall clock: at most the gap
    return wall.astimezone(UTC)


def _windows_on(day: date, availability: Availability) -> list[Interval]:
    """The day's windows in UTC, overlapping ones merged, so no two slots overlap."""
    zone = availability.timezone
    spans = sorted(
        Interval(_local(day, w.start, zone), _local(day, w.end, zone))
        for w in availability.weekly
        if w.weekday == day.weekday()
    )
    merged: list[Interval] = []
    for span in spans:
        if span.end <= span.start:
            continue  # wholly inside a clock change's gap
        if merged and span.start <= merged[-1].end:
            merged[-1] = Interval(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return merged


def _taken_out(day: date, availability: Availability) -> list[Interval]:
    zone = availability.timezone
    blocked = []
    for exception in availability.exceptions:
        if exception.day != day:
            continue
        if exception.start is None or exception.end is None:
            start = _local(day, time(0), zone)
            end = _local(day + timedelta(days=1), time(0), zone)
        else:
            start, end = _local(day, exception.start, zone), _local(day, exception.end, zone)
        blocked.append(Interval(start, end))
    return blocked


class _Guards:
    """Booked sessions widened by the buffer, sorted, so a slot is checked only against the
    few that start near it (a coach with hundreds of bookings is checked in microseconds)."""

    def __init__(self, booked: Iterable[Interval], buffer: timedelta) -> None:
        self._guards = sorted(Interval(b.start - buffer, b.end + buffer) for b in booked)
        self._starts = [guard.start for guard in self._guards]
        self._longest = max((g.end - g.start for g in self._guards), default=timedelta(0))

    def clash(self, session: Interval) -> bool:
        first = bisect_left(self._starts, session.start - self._longest)
        last = bisect_left(self._starts, session.end)
        return any(session.overlaps(guard) for guard in self._guards[first:last])


def free_slots(
    availability: Availability,
    booked: Iterable[Interval],
    now: datetime,
    *,
    until: datetime | None = None,
) -> list[datetime]:
    """Start times (UTC) of free sessions from `now` plus the notice to the horizon (or
    `until`, if sooner), earliest first. A slot is free when it fits in a window, no exception
    takes it out, and it keeps a buffer's distance from every booked session."""
    earliest = now + availability.notice
    latest = now + availability.horizon
    if until is not None:
        latest = min(latest, until)
    step = availability.session + availability.buffer
    guarded = _Guards(booked, availability.buffer)
    zone = availability.timezone
    day = earliest.astimezone(zone).date() - timedelta(days=1)
    last_day = latest.astimezone(zone).date() + timedelta(days=1)
    slots: list[datetime] = []
    while day <= last_day:
        blocked = _taken_out(day, availability)
        for window in _windows_on(day, availability):
            start = window.start
            while start + availability.session <= window.end:
                session = Interval(start, start + availability.session)
                if (
                    earliest <= start <= latest
                    and not any(session.overlaps(b) for b in blocked)
                    and not guarded.clash(session)
                ):
                    slots.append(start)
                start += step
        day += timedelta(days=1)
    return sorted(set(slots))


def is_free(
    availability: Availability, booked: Iterable[Interval], start: datetime, now: datetime
) -> bool:
    """Whether a session may be booked at `start`: one of `free_slots`."""
    day_after = start + timedelta(days=1)
    return start in free_slots(availability, booked, now, until=day_after)
