"""Dates and times as people read them in a chat, in their own zone: `Wed 9 Dec 14:00`."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def day_text(day: date) -> str:
    """`Wed 9 Dec`."""
    return f"{day:%a} {day.day} {day:%b}"


def moment_text(moment: datetime, zone: ZoneInfo) -> str:
    """`Wed 9 Dec 14:00`, in `zone`."""
    local = moment.astimezone(zone)
    return f"{day_text(local.date())} {local:%H:%M}"
