"""Members and coaches written straight into a database, for the coaching tests and benchmark."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from domain.coaching import CoachKind, SessionFormat
from domain.people import Role
from storage.coaching import Booking, BookingStatus, Coach
from storage.repositories import Repositories

WEEKDAYS_NINE_TO_FIVE = tuple(f"{day} 09:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri"))


async def add_member(
    repos: Repositories,
    name: str,
    now: datetime,
    role: Role = Role.MEMBER,
    *,
    identity: tuple[str, str] | None = None,
) -> int:
    """A member; with `identity` (platform, account id), one the bot can send messages to."""
    member = await repos.members.create(
        display_name=name, role=role, tags=(), now=now, identity=identity
    )
    return member.id


async def add_coach(
    repos: Repositories,
    name: str,
    now: datetime,
    *,
    weekly: Sequence[str] = WEEKDAYS_NINE_TO_FIVE,
    exceptions: Sequence[str] = (),
    timezone: str = "Europe/London",
    session_minutes: int = 60,
    buffer_minutes: int = 15,
    notice_hours: int = 24,
    horizon_weeks: int = 8,
    identity: tuple[str, str] | None = None,
) -> Coach:
    """A coach with the issue's defaults, and a member account of their own (at `identity`)."""
    member_id = await add_member(repos, name, now, Role.COACH, identity=identity)
    return await repos.coaching.add_coach(
        Coach(
            member_id=member_id,
            name=name,
            kind=CoachKind.COACH,
            specialisms=["finance"],
            format=SessionFormat.VIDEO,
            bio="",
            timezone=timezone,
            session_minutes=session_minutes,
            buffer_minutes=buffer_minutes,
            notice_hours=notice_hours,
            horizon_weeks=horizon_weeks,
            weekly=list(weekly),
            exceptions=list(exceptions),
        )
    )


def booking_row(
    coach: Coach, member_id: int, start: datetime, now: datetime, *, minutes: int = 60
) -> Booking:
    """A booked session as the storage layer sees it, bypassing the rules."""
    return Booking(
        coach_id=coach.id,
        member_id=member_id,
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        status=BookingStatus.BOOKED,
        uid=f"{uuid.uuid4()}@test",
        sequence=0,
        created_at=now,
        changed_at=now,
    )
