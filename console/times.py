"""Times on console pages: staff read them in the programme's zone (Europe/London), as the
command line shows them, whatever zone the server runs in."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.notices import DEFAULT_TIMEZONE

PROGRAMME_ZONE = ZoneInfo(DEFAULT_TIMEZONE)


def local_text(moment: datetime | None) -> str:
    """`Thu 3 Dec 2026, 14:05`, in the programme's zone; an em dash for no time."""
    if moment is None:
        return "—"
    local = moment.astimezone(PROGRAMME_ZONE)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def this_week(now: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday, in the programme's zone."""
    local = now.astimezone(PROGRAMME_ZONE)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday, monday + timedelta(days=7)
