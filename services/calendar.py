"""Calendar invitations for coaching sessions (.ics, RFC 5545), made with the icalendar library.

A session keeps one UID for its life: a move sends METHOD:REQUEST again with a higher SEQUENCE,
so calendars update the event in place, and a cancellation sends METHOD:CANCEL. Times carry the
reader's zone (Europe/London unless they chose another), with its VTIMEZONE.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from storage.coaching import Booking, Coach

PRODUCT = "-//NHS Chief Executive Development Programme//cedp-bot//EN"
MEDIA_TYPE = "text/calendar"


def invite(
    booking: Booking,
    coach: Coach,
    member_name: str,
    zone: ZoneInfo,
    now: datetime,
    *,
    cancelled: bool = False,
) -> bytes:
    """The .ics for a session as it now stands, or its cancellation."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", booking.uid)
    event.add("sequence", booking.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", booking.start_at.astimezone(zone))
    event.add("dtend", booking.end_at.astimezone(zone))
    kind = "Mentoring" if coach.kind == "mentor" else "Coaching"
    event.add("summary", f"{kind}: {member_name} with {coach.name}")
    event.add("description", f"CEDP {kind.lower()} session ({coach.format}).")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def filename(booking: Booking, *, cancelled: bool = False) -> str:
    return f"cedp-session-{booking.id}{'-cancelled' if cancelled else ''}.ics"
