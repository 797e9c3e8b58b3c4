"""What follows a booking, as timed work: reminders, notices to coaches, and waiting-list offers.

services/coaching.py decides and schedules these jobs in the transaction of the change; here
they are run and written as messages through the outbox, to every platform account of the person.
Each handler reads the booking again first, so a session cancelled or moved meanwhile gets no
message meant for its old time. An offer's "Book it" button is the
/book flow's own confirmation (handlers/coaching.py), so it books and answers the same way.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.notify import queue_for_member
from bot.payloads import offer
from bot.scheduler import DueJob, JobContext, JobKinds
from handlers.coaching import ConfirmBooking, minutes_since_epoch
from services import coaching
from services.settings import preferences
from storage.coaching import Booking, BookingStatus
from storage.repositories import Repositories

log = logging.getLogger(__name__)

jobs = JobKinds("coaching")

BOOK_IT = "Book it"


def when(moment: datetime, zone: ZoneInfo) -> str:
    """`Wednesday 25 November at 14:00 (Europe/London time)`."""
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B} at {local:%H:%M} ({zone.key} time)"


def _in(delta: timedelta) -> str:
    hours, minutes = divmod(max(round(delta.total_seconds() / 60), 0), 60)
    parts = [f"{hours} hour{'s' * (hours != 1)}"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' * (minutes != 1)}")
    return "in " + " ".join(parts)


def _kind(coach_kind: str) -> str:
    return "mentoring" if coach_kind == "mentor" else "coaching"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def _member_zone(ctx: JobContext | Context, member_id: int) -> ZoneInfo:
    return (await preferences(ctx.repos, member_id, ctx.services.settings)).timezone


async def _standing(repos: Repositories, booking_id: int, start: datetime) -> Booking | None:
    """The booking if it still stands at `start`: not cancelled, not moved."""
    booking = await repos.coaching.booking(booking_id)
    if booking is None or booking.status != BookingStatus.BOOKED or booking.start_at != start:
        return None
    return booking


@jobs.kind(coaching.REMIND)
async def remind(job: DueJob, ctx: JobContext) -> None:
    """A reminder to the member or the coach. One due in the recipient's quiet hours waits for
    their end if that is still before the session (a `held` job), and is skipped otherwise."""
    payload = job.payload
    booking = await _standing(ctx.repos, payload["booking"], _at(payload["start"]))
    if booking is None or ctx.now >= booking.start_at:
        return
    coach = await ctx.repos.coaching.coach(booking.coach_id)
    if coach is None:
        return
    recipient = coaching.Recipient(payload["to"])
    for_member = recipient is coaching.Recipient.MEMBER
    person = await ctx.repos.members.get(booking.member_id if for_member else coach.member_id)
    if person is None:
        return
    prefs = await preferences(ctx.repos, person.id, ctx.services.settings)
    send_at = coaching.reminder_time(prefs, ctx.now, booking.start_at)
    if send_at is None or (send_at > ctx.now and payload["held"]):
        log.info("reminder %s skipped: quiet hours last until the session", job.key)
        return
    if send_at > ctx.now:
        lead = timedelta(seconds=payload["lead"])
        await ctx.repos.jobs.schedule(
            coaching.REMIND,
            coaching.reminder_payload(booking, lead, recipient, held=True),
            send_at,
            coaching.reminder_key(booking.id, booking.start_at, lead, recipient, held=True),
        )
        return
    if for_member:
        zone, other = prefs.timezone, f"your {_kind(coach.kind)} session with {coach.name}"
    else:
        member = await ctx.repos.members.get(booking.member_id)
        name = member.display_name if member else "a member"
        zone, other = ZoneInfo(coach.timezone), f"your session with {name}"
    text = (
        f"Reminder: {other} is on {when(booking.start_at, zone)}, "
        f"{_in(booking.start_at - ctx.now)}."
    )
    await queue_for_member(ctx.repos, ctx.services.binder, person, text, ctx.now)


@jobs.kind(coaching.NOTICE)
async def tell_coach(job: DueJob, ctx: JobContext) -> None:
    """Tell the coach of a booking, move or cancellation: the member's name, the time in the
    coach's zone."""
    payload = job.payload
    booking = await ctx.repos.coaching.booking(payload["booking"])
    coach = await ctx.repos.coaching.coach(booking.coach_id) if booking else None
    if booking is None or coach is None:
        return
    coach_member = await ctx.repos.members.get(coach.member_id)
    member = await ctx.repos.members.get(booking.member_id)
    if coach_member is None:
        return
    name = member.display_name if member else "A member"
    zone = ZoneInfo(coach.timezone)
    start = when(_at(payload["start"]), zone)
    happened = coaching.Happened(payload["happened"])
    if happened is coaching.Happened.BOOKED:
        text = f"New booking: {name}, {start}."
    elif happened is coaching.Happened.MOVED:
        text = f"Moved: {name}'s session from {when(_at(payload['previous']), zone)} to {start}."
    else:
        text = f"Cancelled: {name}'s session on {start}; the time is free again."
    await queue_for_member(ctx.repos, ctx.services.binder, coach_member, text, ctx.now)


@jobs.kind(coaching.OFFER)
async def send_offer(job: DueJob, ctx: JobContext) -> None:
    """Offer a freed slot to the member it is held for, with a button bound to them."""
    payload = job.payload
    start = _at(payload["start"])
    entry = await coaching.open_offer(
        ctx.repos, payload["coach"], payload["member"], start, ctx.now
    )
    coach = await ctx.repos.coaching.coach(payload["coach"])
    member = await ctx.repos.members.get(payload["member"])
    if entry is None or coach is None or member is None or entry.offered_until is None:
        return
    zone = await _member_zone(ctx, member.id)
    text = (
        f"A {_kind(coach.kind)} session with {coach.name} has come free: {when(start, zone)}. "
        f"It is held for you until {when(entry.offered_until, zone)}."
    )
    button = offer(BOOK_IT, ConfirmBooking(coach.id, minutes_since_epoch(start)))
    await queue_for_member(ctx.repos, ctx.services.binder, member, text, ctx.now, [button])


@jobs.kind(coaching.SESSION_GONE)
async def tell_session_gone(job: DueJob, ctx: JobContext) -> None:
    """A session is off because the person on the other side was erased: the one who stays is
    told, without being told who; a coach's freed slot goes down their waiting list."""
    payload = job.payload
    person = await ctx.repos.members.get(payload["member"])
    if person is None:
        return
    start = _at(payload["start"])
    kind = _kind(payload["kind"])
    if coaching.Recipient(payload["to"]) is coaching.Recipient.COACH:
        coach = await ctx.repos.coaching.coach(payload["coach"])
        zone = ZoneInfo(coach.timezone) if coach else await _member_zone(ctx, person.id)
        text = (
            f"Cancelled: your {kind} session on {when(start, zone)}. The member has left the "
            "programme, and the time is free again."
        )
        await coaching.offer_freed(
            ctx.repos, payload["coach"], start, ctx.now, ctx.services.settings
        )
    else:
        zone = await _member_zone(ctx, person.id)
        text = (
            f"Cancelled: your {kind} session on {when(start, zone)}. Your coach has left the "
            "programme; send /book to find a time with someone else."
        )
    await queue_for_member(ctx.repos, ctx.services.binder, person, text, ctx.now)


@jobs.kind(coaching.OFFER_LAPSE)
async def pass_on_offer(job: DueJob, ctx: JobContext) -> None:
    payload = job.payload
    await coaching.offer_lapsed(
        ctx.repos,
        payload["coach"],
        _at(payload["start"]),
        payload["passed"],
        ctx.now,
        ctx.services.settings,
    )
