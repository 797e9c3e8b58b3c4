"""Coaches, their bookings and waiting lists.

"A slot holds at most one booking" is a partial unique index on (coach, start) over booked
sessions, so no code path can double-book a slot; a reschedule moves the booking row itself (its
calendar UID stays), and a cancellation keeps the row as `cancelled`, which frees the slot.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, Member, UTCDateTime


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"


class Coach(Base):
    """A coach or mentor: a member with the coach role, and how their time may be booked."""

    __tablename__ = "coaches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # domain.coaching.CoachKind
    specialisms: Mapped[list[str]] = mapped_column(JSON, default=list)
    format: Mapped[str] = mapped_column(String(16))  # domain.coaching.SessionFormat
    bio: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64))
    session_minutes: Mapped[int] = mapped_column(Integer)
    buffer_minutes: Mapped[int] = mapped_column(Integer)
    notice_hours: Mapped[int] = mapped_column(Integer)
    horizon_weeks: Mapped[int] = mapped_column(Integer)
    weekly: Mapped[list[str]] = mapped_column(JSON, default=list)  # "mon 09:00-12:00"
    exceptions: Mapped[list[str]] = mapped_column(JSON, default=list)  # "2026-12-25"


class Booking(Base):
    """One session of a member with a coach; `uid` and `sequence` are its calendar identity."""

    __tablename__ = "bookings"
    __table_args__ = (
        Index(
            "uq_bookings_booked_slot",
            "coach_id",
            "start_at",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        Index("ix_bookings_member", "member_id", "status", "start_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=BookingStatus.BOOKED)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WaitlistEntry(Base):
    """A member waiting for a coach's time; a freed slot is offered to the first, for a while."""

    __tablename__ = "coaching_waitlist"
    __table_args__ = (UniqueConstraint("coach_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    offered_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    offered_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CoachingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # Coaches

    async def coaches(self) -> list[Coach]:
        rows = await self._session.execute(select(Coach).order_by(Coach.name))
        return list(rows.scalars())

    async def coach(self, coach_id: int, *, lock: bool = False) -> Coach | None:
        """A coach; `lock` holds the row until the transaction ends (PostgreSQL), so bookings
        with one coach are decided one at a time."""
        query = select(Coach).where(Coach.id == coach_id)
        if lock:
            query = query.with_for_update()
        return (await self._session.execute(query)).scalar_one_or_none()

    async def coach_of_member(self, member_id: int) -> Coach | None:
        query = select(Coach).where(Coach.member_id == member_id)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def coach_named(self, name: str) -> Coach | None:
        query = select(Coach).where(func.lower(Coach.name) == name.strip().lower())
        return (await self._session.execute(query)).scalar_one_or_none()

    async def add_coach(self, coach: Coach) -> Coach:
        self._session.add(coach)
        await self._session.flush()
        return coach

    # Bookings

    async def booking(self, booking_id: int, *, lock: bool = False) -> Booking | None:
        query = select(Booking).where(Booking.id == booking_id)
        if lock:
            query = query.with_for_update()
        return (await self._session.execute(query)).scalar_one_or_none()

    async def booked_between(
        self, coach_id: int, start: datetime, end: datetime, *, besides: int | None = None
    ) -> list[Booking]:
        """The coach's booked sessions that overlap [start, end), other than `besides`."""
        query = select(Booking).where(
            Booking.coach_id == coach_id,
            Booking.status == BookingStatus.BOOKED,
            Booking.start_at < end,
            Booking.end_at > start,
        )
        if besides is not None:
            query = query.where(Booking.id != besides)
        return list((await self._session.execute(query.order_by(Booking.start_at))).scalars())

    async def upcoming_of_member(self, member_id: int, now: datetime) -> list[Booking]:
        query = (
            select(Booking)
            .where(
                Booking.member_id == member_id,
                Booking.status == BookingStatus.BOOKED,
                Booking.end_at > now,
            )
            .order_by(Booking.start_at)
        )
        return list((await self._session.execute(query)).scalars())

    async def upcoming(
        self, now: datetime, *, coach_id: int | None = None, member_id: int | None = None
    ) -> list[tuple[Booking, Coach, str]]:
        """Booked sessions still to come (a coach's, a member's, or all), with the coach and
        the member's name."""
        query = (
            select(Booking, Coach, Member.display_name)
            .join(Coach, Coach.id == Booking.coach_id)
            .join(Member, Member.id == Booking.member_id)
            .where(Booking.status == BookingStatus.BOOKED, Booking.end_at > now)
            .order_by(Booking.start_at, Booking.id)
        )
        if coach_id is not None:
            query = query.where(Booking.coach_id == coach_id)
        if member_id is not None:
            query = query.where(Booking.member_id == member_id)
        return [(b, c, name) for b, c, name in (await self._session.execute(query)).all()]

    async def add_booking(self, booking: Booking) -> Booking:
        """Insert in a savepoint: a slot taken meanwhile raises IntegrityError and leaves the
        rest of the transaction usable."""
        async with self._session.begin_nested():
            self._session.add(booking)
            await self._session.flush()
        return booking

    async def move(self, booking: Booking, start: datetime, end: datetime, now: datetime) -> None:
        """Reschedule in a savepoint (IntegrityError when the new slot was taken meanwhile)."""
        async with self._session.begin_nested():
            await self._session.execute(
                update(Booking)
                .where(Booking.id == booking.id)
                .values(start_at=start, end_at=end, sequence=Booking.sequence + 1, changed_at=now)
                .execution_options(synchronize_session=False)
            )
        await self._session.refresh(booking)

    async def cancel(self, booking: Booking, now: datetime) -> None:
        booking.status = BookingStatus.CANCELLED
        booking.sequence += 1
        booking.changed_at = now
        await self._session.flush()

    async def counts_by_coach(self, start: datetime, end: datetime) -> dict[int, dict[str, int]]:
        """Sessions per coach starting in [start, end), by status: utilisation for staff."""
        rows = await self._session.execute(
            select(Booking.coach_id, Booking.status, func.count())
            .where(Booking.start_at >= start, Booking.start_at < end)
            .group_by(Booking.coach_id, Booking.status)
        )
        counts: dict[int, dict[str, int]] = {}
        for coach_id, status, count in rows.all():
            counts.setdefault(coach_id, {})[status] = count
        return counts

    # Waiting lists

    async def waitlist(self, coach_id: int) -> list[WaitlistEntry]:
        query = (
            select(WaitlistEntry)
            .where(WaitlistEntry.coach_id == coach_id)
            .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
        )
        return list((await self._session.execute(query)).scalars())

    async def join_waitlist(self, coach_id: int, member_id: int, now: datetime) -> bool:
        """False when the member is on this coach's list already."""
        existing = await self._session.execute(
            select(WaitlistEntry.id).where(
                WaitlistEntry.coach_id == coach_id, WaitlistEntry.member_id == member_id
            )
        )
        if existing.first() is not None:
            return False
        self._session.add(WaitlistEntry(coach_id=coach_id, member_id=member_id, joined_at=now))
        await self._session.flush()
        return True

    async def leave_waitlist(self, coach_id: int, member_id: int) -> None:
        entry = await self._session.execute(
            select(WaitlistEntry).where(
                WaitlistEntry.coach_id == coach_id, WaitlistEntry.member_id == member_id
            )
        )
        found = entry.scalar_one_or_none()
        if found is not None:
            await self._session.delete(found)
            await self._session.flush()

    async def offers(self, coach_id: int, now: datetime) -> list[WaitlistEntry]:
        """Slots of this coach held for someone on the waiting list right now."""
        query = select(WaitlistEntry).where(
            WaitlistEntry.coach_id == coach_id,
            WaitlistEntry.offered_start.is_not(None),
            WaitlistEntry.offered_until > now,
        )
        return list((await self._session.execute(query)).scalars())

    async def save(self, *rows: Any) -> None:
        """Flush changes made to loaded rows."""
        for row in rows:
            self._session.add(row)
        await self._session.flush()
