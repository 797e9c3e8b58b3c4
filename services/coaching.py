"""Coaching and mentoring: who may book which slot, and what follows from a booking, a move
or a cancellation. The one home of these rules; the chat, the command line and the jobs call it.

A slot is free when it lies in one of the coach's windows, outside their exceptions, beyond the
minimum notice and within the horizon, a buffer away from every other session, and not held
for someone on the waiting list. Bookings with one coach are decided one at a time (the coach's
row is locked on PostgreSQL; SQLite has one writer anyway), and the database's partial unique
index makes a second booking of a slot impossible whatever the code does.

What follows a booking, a move or a cancellation is scheduled as jobs in the same transaction,
so it happens if and only if the change does: reminders, a notice to the coach, and an offer of a
freed slot to the waiting list. handlers/coaching_jobs.py runs them and writes the messages (it has
the binder that buttons need; these rules do not).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.settings import Settings
from domain.coaching import Availability, CoachKind, DayException, Interval, WeeklyWindow
from domain.coaching import free_slots as slots_in
from domain.errors import Refusal
from domain.notices import Preferences, parse_timezone
from storage.coaching import Booking, BookingStatus, Coach, WaitlistEntry
from storage.repositories import Repositories

OFFER_HOLD = timedelta(hours=2)  # a freed slot waits this long for the first on the list
REMINDER_LEADS = (timedelta(hours=24), timedelta(hours=1))
SHOWN_ALTERNATIVES = 3

# The job kinds this module schedules; handlers/coaching_jobs.py runs them.
REMIND = "coaching:remind"
NOTICE = "coaching:notice"
OFFER = "coaching:offer"
OFFER_LAPSE = "coaching:offer-lapse"
SESSION_GONE = "coaching:session-gone"


class Recipient(StrEnum):
    """Who a reminder is for: each has their own job, as each has their own quiet hours."""

    MEMBER = "member"
    COACH = "coach"


class Happened(StrEnum):
    """What a coach is told of."""

    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"


class CoachingError(Refusal):
    """A booking request the rules refuse; the message says why."""


class SlotTaken(CoachingError):
    """Someone else has the slot; `alternatives` are the next free ones."""

    def __init__(self, alternatives: Sequence[datetime]) -> None:
        super().__init__("someone has just booked that time")
        self.alternatives = list(alternatives)


@dataclass(frozen=True, slots=True)
class Change:
    """What a booking, move or cancellation did, for the chat and the jobs to act on."""

    booking: Booking
    coach: Coach
    previous_start: datetime | None = None  # set when moved


def availability_of(coach: Coach) -> Availability:
    return Availability(
        timezone=parse_timezone(coach.timezone),
        session=timedelta(minutes=coach.session_minutes),
        buffer=timedelta(minutes=coach.buffer_minutes),
        notice=timedelta(hours=coach.notice_hours),
        horizon=timedelta(weeks=coach.horizon_weeks),
        weekly=[WeeklyWindow.parse(text) for text in coach.weekly],
        exceptions=[DayException.parse(text) for text in coach.exceptions],
    )


async def _coach(repos: Repositories, coach_id: int, *, lock: bool = False) -> Coach:
    coach = await repos.coaching.coach(coach_id, lock=lock)
    if coach is None:
        raise CoachingError("that coach is no longer on the programme")
    return coach


async def coach(repos: Repositories, coach_id: int) -> Coach:
    """A coach by id, for the chat to show; refused when they have left the programme."""
    return await _coach(repos, coach_id)


async def coaches(
    repos: Repositories, kind: CoachKind | None = None, specialism: str | None = None
) -> list[Coach]:
    """Coaches (or mentors), by name, optionally with a specialism."""
    return [
        coach
        for coach in await repos.coaching.coaches()
        if (kind is None or coach.kind == kind)
        and (specialism is None or specialism in coach.specialisms)
    ]


async def specialisms(repos: Repositories, kind: CoachKind | None = None) -> list[str]:
    return sorted({s for coach in await coaches(repos, kind) for s in coach.specialisms})


async def free_slots(
    repos: Repositories,
    coach: Coach,
    now: datetime,
    *,
    member_id: int | None = None,
    besides: int | None = None,
) -> list[datetime]:
    """The coach's free slots for `member_id` (slots held for them on the waiting list are
    theirs to take), ignoring booking `besides` (the one being moved)."""
    availability = availability_of(coach)
    reach = availability.buffer  # a session this near a slot, either side, takes it
    booked = await repos.coaching.booked_between(
        coach.id,
        now - reach,
        now + availability.horizon + availability.session + reach,
        besides=besides,
    )
    held = {
        entry.offered_start
        for entry in await repos.coaching.offers(coach.id, now)
        if entry.member_id != member_id
    }
    taken = [Interval(b.start_at, b.end_at) for b in booked]
    return [slot for slot in slots_in(availability, taken, now) if slot not in held]


async def _check_slot(
    repos: Repositories,
    coach: Coach,
    start: datetime,
    now: datetime,
    member_id: int,
    besides: int | None = None,
) -> list[datetime]:
    """Refuse a slot that is not free now; returns the coach's free slots otherwise."""
    free = await free_slots(repos, coach, now, member_id=member_id, besides=besides)
    if start not in free:
        if start < now:
            raise CoachingError("that time has passed")
        if start < now + timedelta(hours=coach.notice_hours):
            raise CoachingError(
                f"that time is too soon: {coach.name} needs {coach.notice_hours} hours' notice"
            )
        if start > now + timedelta(weeks=coach.horizon_weeks):
            raise CoachingError(
                f"that time is too far ahead: {coach.name} takes bookings "
                f"{coach.horizon_weeks} weeks ahead at most"
            )
        raise SlotTaken(free[:SHOWN_ALTERNATIVES])
    return free


def _session_end(coach: Coach, start: datetime) -> datetime:
    return start + timedelta(minutes=coach.session_minutes)


async def book(
    repos: Repositories,
    member_id: int,
    coach_id: int,
    start: datetime,
    now: datetime,
    settings: Settings,
) -> Change:
    """Book `start` with the coach for the member, or refuse: `SlotTaken` (with the next free
    slots) when someone was faster, `CoachingError` for the rest."""
    coach = await _coach(repos, coach_id, lock=True)
    await repos.members.lock(member_id)
    if coach.member_id == member_id:
        raise CoachingError("you cannot book a session with yourself")
    upcoming = await repos.coaching.upcoming_of_member(member_id, now)
    if len(upcoming) >= settings.max_upcoming_sessions:
        raise CoachingError(
            f"you already have {len(upcoming)} upcoming sessions, the most you can hold; "
            "cancel one with /sessions to book another"
        )
    free = await _check_slot(repos, coach, start, now, member_id)
    booking = Booking(
        coach_id=coach.id,
        member_id=member_id,
        start_at=start,
        end_at=_session_end(coach, start),
        status=BookingStatus.BOOKED,
        uid=f"{uuid.uuid4()}@cedp-bot",
        sequence=0,
        created_at=now,
        changed_at=now,
    )
    try:
        await repos.coaching.add_booking(booking)
    except IntegrityError:
        raise SlotTaken([slot for slot in free if slot != start][:SHOWN_ALTERNATIVES]) from None
    await _leave_waitlist(repos, coach, member_id, start, now, settings)
    change = Change(booking, coach)
    await _follow_up(repos, change, Happened.BOOKED, now, settings)
    return change


async def _own_booking(
    repos: Repositories, member_id: int, booking_id: int, now: datetime, settings: Settings
) -> tuple[Booking, Coach]:
    booking = await repos.coaching.booking(booking_id, lock=True)
    if booking is None or booking.member_id != member_id or booking.status != BookingStatus.BOOKED:
        raise CoachingError("that session is no longer booked")
    coach = await _coach(repos, booking.coach_id, lock=True)
    check_changeable(booking, coach, now, settings)
    return booking, coach


def check_changeable(booking: Booking, coach: Coach, now: datetime, settings: Settings) -> None:
    """Refuse moving or cancelling inside the cancellation notice, saying whom to contact;
    the chat asks this before it shows times to move to, as well as on confirming."""
    if booking.start_at - now < timedelta(hours=settings.cancellation_notice_hours):
        raise CoachingError(
            f"it starts in less than {settings.cancellation_notice_hours} hours, so it can no "
            f"longer be changed here; please contact {coach.name} directly, or the programme team"
        )


async def reschedule(
    repos: Repositories,
    member_id: int,
    booking_id: int,
    start: datetime,
    now: datetime,
    settings: Settings,
) -> Change:
    """Move the member's session to `start` with the same coach; its calendar UID stays."""
    booking, coach = await _own_booking(repos, member_id, booking_id, now, settings)
    previous = booking.start_at
    free = await _check_slot(repos, coach, start, now, member_id, besides=booking.id)
    try:
        await repos.coaching.move(booking, start, _session_end(coach, start), now)
    except IntegrityError:
        raise SlotTaken([slot for slot in free if slot != start][:SHOWN_ALTERNATIVES]) from None
    change = Change(booking, coach, previous_start=previous)
    await _follow_up(repos, change, Happened.MOVED, now, settings)
    return change


async def cancel(
    repos: Repositories, member_id: int, booking_id: int, now: datetime, settings: Settings
) -> Change:
    """Cancel the member's session; its slot is free again."""
    booking, coach = await _own_booking(repos, member_id, booking_id, now, settings)
    await repos.coaching.cancel(booking, now)
    change = Change(booking, coach)
    await _follow_up(repos, change, Happened.CANCELLED, now, settings)
    return change


async def upcoming(
    repos: Repositories, member_id: int, now: datetime
) -> list[tuple[Booking, Coach]]:
    """The member's sessions still to come, with their coaches, in one query."""
    return [(b, c) for b, c, _ in await repos.coaching.upcoming(now, member_id=member_id)]


async def join_waitlist(repos: Repositories, member_id: int, coach_id: int, now: datetime) -> bool:
    """Put the member on the coach's waiting list; False when they were on it already."""
    coach = await _coach(repos, coach_id)
    if coach.member_id == member_id:
        raise CoachingError("you cannot wait for your own time")
    return await repos.coaching.join_waitlist(coach.id, member_id, now)


# What follows a change: reminders, the coach's notice, the waiting list


def _minute(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M}"


def _lead_name(lead: timedelta) -> str:
    return f"{int(lead.total_seconds() // 3600)}h"


def reminder_key(
    booking_id: int, start: datetime, lead: timedelta, recipient: Recipient, *, held: bool = False
) -> str:
    """One reminder's job key: a session's reminders are its id, start and lead, so a moved
    session's old reminders are told apart from its new ones."""
    key = f"coaching:remind:{booking_id}:{_minute(start)}:{_lead_name(lead)}:{recipient}"
    return f"{key}:held" if held else key


def reminder_payload(
    booking: Booking, lead: timedelta, recipient: Recipient, *, held: bool = False
) -> dict[str, Any]:
    return {
        "booking": booking.id,
        "start": booking.start_at.astimezone(UTC).isoformat(),
        "lead": int(lead.total_seconds()),
        "to": recipient.value,
        "held": held,
    }


async def _plan_reminders(repos: Repositories, booking: Booking, now: datetime) -> None:
    """A reminder per lead and recipient. A lead already past is skipped, except the shortest:
    a session booked less than that ahead gets its reminder at once."""
    shortest = min(REMINDER_LEADS)
    for lead in REMINDER_LEADS:
        due = booking.start_at - lead
        if due < now:
            if lead != shortest:
                continue
            due = now
        for recipient in Recipient:
            await repos.jobs.schedule(
                REMIND,
                reminder_payload(booking, lead, recipient),
                due,
                reminder_key(booking.id, booking.start_at, lead, recipient),
            )


async def _withdraw_reminders(repos: Repositories, booking_id: int, start: datetime) -> None:
    """Cancel the reminders of the session at `start`, held ones included."""
    for lead in REMINDER_LEADS:
        for recipient in Recipient:
            for held in (False, True):
                await repos.jobs.cancel(reminder_key(booking_id, start, lead, recipient, held=held))


def reminder_time(preferences: Preferences, due: datetime, start: datetime) -> datetime | None:
    """When a reminder due at `due` for a session at `start` may reach someone: at `due`; if
    that falls in their quiet hours, when those end, provided that is still before the session;
    otherwise never (None), since a reminder after the start is no reminder."""
    quiet_end = preferences.quiet_until(due)
    if quiet_end is None:
        return due
    return quiet_end if quiet_end < start else None


async def _tell_coach(
    repos: Repositories, change: Change, happened: Happened, now: datetime
) -> None:
    booking = change.booking
    previous = change.previous_start
    await repos.jobs.schedule(
        NOTICE,
        {
            "booking": booking.id,
            "happened": happened.value,
            "start": booking.start_at.astimezone(UTC).isoformat(),
            "previous": previous.astimezone(UTC).isoformat() if previous else None,
        },
        now,
        f"coaching:notice:{booking.id}:{booking.sequence}",
    )


async def _follow_up(
    repos: Repositories, change: Change, happened: Happened, now: datetime, settings: Settings
) -> None:
    """Schedule what follows a change, in its transaction: the old slot's reminders withdrawn
    and the slot offered to the waiting list, the new one's reminders, the coach told."""
    booking = change.booking
    freed = booking.start_at if happened is Happened.CANCELLED else change.previous_start
    if freed is not None:
        await _withdraw_reminders(repos, booking.id, freed)
    if happened is not Happened.CANCELLED:
        await _plan_reminders(repos, booking, now)
    await _tell_coach(repos, change, happened, now)
    if freed is not None:
        await _offer(repos, change.coach, freed, now, settings)


def _lapse_key(coach_id: int, start: datetime, member_id: int) -> str:
    return f"coaching:offer-lapse:{coach_id}:{_minute(start)}:{member_id}"


async def _offer(
    repos: Repositories,
    coach: Coach,
    start: datetime,
    now: datetime,
    settings: Settings,
    passed: Sequence[int] = (),
) -> WaitlistEntry | None:
    """Hold the freed slot `start` for OFFER_HOLD for the first on the coach's waiting list who
    could take it (no other offer open, not offered this slot before: `passed`, room under the
    cap); the offer's message goes out, and at its end it passes to the next. None when the
    slot is not bookable any more or nobody is waiting who could take it."""
    if start not in await free_slots(repos, coach, now):
        return None
    for entry in await repos.coaching.waitlist(coach.id):
        if entry.member_id in passed or (entry.offered_until and entry.offered_until > now):
            continue
        upcoming = await repos.coaching.upcoming_of_member(entry.member_id, now)
        if len(upcoming) >= settings.max_upcoming_sessions:
            continue
        entry.offered_start, entry.offered_until = start, now + OFFER_HOLD
        await repos.coaching.save(entry)
        slot = {"coach": coach.id, "start": start.astimezone(UTC).isoformat()}
        await repos.jobs.schedule(
            OFFER,
            {**slot, "member": entry.member_id},
            now,
            f"coaching:offer:{coach.id}:{_minute(start)}:{entry.member_id}",
        )
        await repos.jobs.schedule(
            OFFER_LAPSE,
            {**slot, "passed": [*passed, entry.member_id]},
            entry.offered_until,
            _lapse_key(coach.id, start, entry.member_id),
        )
        return entry
    return None


async def _leave_waitlist(
    repos: Repositories,
    coach: Coach,
    member_id: int,
    booked: datetime,
    now: datetime,
    settings: Settings,
) -> None:
    """The member booked: off the coach's list, and any offer they held is over. A slot held
    for them that they did not take passes at once to the next who could take it."""
    held = None
    for entry in await repos.coaching.waitlist(coach.id):
        if entry.member_id == member_id and entry.offered_start is not None:
            await repos.jobs.cancel(_lapse_key(coach.id, entry.offered_start, member_id))
            if entry.offered_start != booked and entry.offered_until and entry.offered_until > now:
                held = entry.offered_start
    await repos.coaching.leave_waitlist(coach.id, member_id)
    if held is not None:
        await _offer(repos, coach, held, now, settings, passed=[member_id])


async def offer_lapsed(
    repos: Repositories,
    coach_id: int,
    start: datetime,
    passed: Sequence[int],
    now: datetime,
    settings: Settings,
) -> WaitlistEntry | None:
    """An offer of `start` ran out untaken: its holder (the last of `passed`) keeps their place
    on the list, and the slot goes to the next who could take it (see `_offer`)."""
    coach = await repos.coaching.coach(coach_id, lock=True)
    if coach is None:
        return None
    for entry in await repos.coaching.waitlist(coach_id):
        if entry.member_id in passed[-1:] and entry.offered_start == start:
            entry.offered_start = entry.offered_until = None
            await repos.coaching.save(entry)
    return await _offer(repos, coach, start, now, settings, passed)


async def open_offer(
    repos: Repositories, coach_id: int, member_id: int, start: datetime, now: datetime
) -> WaitlistEntry | None:
    """The member's waiting-list entry if it still holds `start` for them now."""
    for entry in await repos.coaching.offers(coach_id, now):
        if entry.member_id == member_id and entry.offered_start == start:
            return entry
    return None


async def offer_freed(
    repos: Repositories, coach_id: int, start: datetime, now: datetime, settings: Settings
) -> WaitlistEntry | None:
    """A slot freed by someone's erasure rather than their own cancellation, offered down the
    coach's waiting list as any freed slot is."""
    coach = await repos.coaching.coach(coach_id, lock=True)
    return None if coach is None else await _offer(repos, coach, start, now, settings)


# When someone on one side of sessions is erased


@dataclass(frozen=True, slots=True)
class Told:
    """Who hears that a session is off because the person on the other side was erased."""

    members: int  # distinct members whose sessions with an erased coach are cancelled
    coaches: int  # distinct coaches whose sessions with an erased member are cancelled


async def tell_of_erasure(
    repos: Repositories, member_id: int, coach: Coach | None, now: datetime
) -> Told:
    """Schedule, in the erasure's transaction, a notice for each session still to come with the
    person being erased: to the coach of each of their sessions, and, when they are a coach, to
    each member booked with them. The notice never names who left (they are gone from every
    table, the job's payload included); the rows themselves go with the erasure, which frees
    the slots."""
    coaches: set[int] = set()
    for booking, other, _ in await repos.coaching.upcoming(now, member_id=member_id):
        coaches.add(other.member_id)
        await _tell_session_gone(repos, booking, Recipient.COACH, other, now)
    members: set[int] = set()
    if coach is not None:
        for booking, _, _ in await repos.coaching.upcoming(now, coach_id=coach.id):
            members.add(booking.member_id)
            await _tell_session_gone(repos, booking, Recipient.MEMBER, coach, now)
    return Told(members=len(members), coaches=len(coaches))


async def _tell_session_gone(
    repos: Repositories, booking: Booking, to: Recipient, coach: Coach, now: datetime
) -> None:
    staying = coach.member_id if to is Recipient.COACH else booking.member_id
    payload = {
        "to": to.value,
        "member": staying,
        "coach": coach.id if to is Recipient.COACH else None,
        "kind": coach.kind,
        "start": booking.start_at.astimezone(UTC).isoformat(),
    }
    await repos.jobs.schedule(SESSION_GONE, payload, now, f"{SESSION_GONE}:{booking.id}:{to}")


# Coaches' own time


async def coach_of(repos: Repositories, member_id: int) -> Coach:
    """The coach profile of the member who asks (a coach managing their time)."""
    coach = await repos.coaching.coach_of_member(member_id)
    if coach is None:
        raise CoachingError(
            "you have no coach profile yet; the programme team adds coaches and mentors"
        )
    return coach


async def add_window(repos: Repositories, member_id: int, text: str) -> Coach:
    """Add a weekly window such as `mon 09:00-12:00` to the asking coach's time."""
    coach = await coach_of(repos, member_id)
    try:
        window = WeeklyWindow.parse(text)
    except ValueError as error:
        raise CoachingError(str(error)) from None
    windows = {WeeklyWindow.parse(w) for w in coach.weekly} | {window}
    coach.weekly = [str(w) for w in sorted(windows)]
    await repos.coaching.save(coach)
    return coach


async def remove_window(repos: Repositories, member_id: int, text: str) -> Coach:
    """Take a weekly window out; sessions already booked in it stay booked."""
    coach = await coach_of(repos, member_id)
    window = WeeklyWindow.parse(text)
    remaining = [w for w in coach.weekly if WeeklyWindow.parse(w) != window]
    if len(remaining) == len(coach.weekly):
        raise CoachingError(f"{window} is not one of your weekly windows")
    coach.weekly = remaining
    await repos.coaching.save(coach)
    return coach


async def block(repos: Repositories, member_id: int, text: str, now: datetime) -> Coach:
    """Take a day (`2026-12-24`) or part of one (`2026-12-24 09:00-12:00`) out of the asking
    coach's time; sessions already booked then stay booked and are for them to move."""
    coach = await coach_of(repos, member_id)
    try:
        exception = DayException.parse(text)
    except ValueError as error:
        raise CoachingError(str(error)) from None
    if exception.day < now.astimezone(parse_timezone(coach.timezone)).date():
        raise CoachingError(f"{exception.day:%d %B %Y} has passed")
    exceptions = {DayException.parse(e) for e in coach.exceptions} | {exception}
    coach.exceptions = [
        str(e) for e in sorted(exceptions, key=lambda e: (e.day, e.start or time()))
    ]
    await repos.coaching.save(coach)
    return coach


async def schedule_of(
    repos: Repositories, member_id: int, now: datetime
) -> list[tuple[Booking, str]]:
    """The asking coach's upcoming sessions, with each member's name."""
    coach = await coach_of(repos, member_id)
    return [(b, name) for b, _, name in await repos.coaching.upcoming(now, coach_id=coach.id)]


@dataclass(frozen=True, slots=True)
class Utilisation:
    """One coach's sessions over a period: booked (still standing) and cancelled."""

    coach: Coach
    booked: int
    cancelled: int


async def utilisation(repos: Repositories, start: datetime, end: datetime) -> list[Utilisation]:
    """Counts per coach of sessions starting in [start, end): what staff may see."""
    counts = await repos.coaching.counts_by_coach(start, end)
    return [
        Utilisation(
            coach,
            counts.get(coach.id, {}).get(BookingStatus.BOOKED, 0),
            counts.get(coach.id, {}).get(BookingStatus.CANCELLED, 0),
        )
        for coach in await repos.coaching.coaches()
    ]


@dataclass(frozen=True, slots=True)
class Session:
    """An upcoming session as staff see it."""

    booking: Booking
    coach: Coach
    member_name: str


async def upcoming_sessions(
    repos: Repositories, now: datetime, coach_name: str | None = None
) -> list[Session]:
    """Booked sessions still to come, earliest first, of every coach or the one named."""
    coach_id = None
    if coach_name is not None:
        coach = await repos.coaching.coach_named(coach_name)
        if coach is None:
            raise CoachingError(f"no coach is named {coach_name!r}")
        coach_id = coach.id
    return [
        Session(booking, coach, name)
        for booking, coach, name in await repos.coaching.upcoming(now, coach_id=coach_id)
    ]
