"""Coaching and mentoring in chat: members book, move and cancel sessions; coaches keep their
weekly time and see their schedule. Every rule is in services/coaching.py, which the command
line and the jobs call too; this module asks, shows times in the reader's zone, and attaches
the calendar invite.

Slot starts travel in payloads as minutes since the epoch (UTC) and days as date ordinals in
the reader's zone: both plain ints, well inside a payload's bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.dates import day_text, moment_text
from bot.messages import Choice, Choices, File, InboundEvent, Reply, Text, in_place
from bot.payloads import Payload, offer
from bot.router import Access, Router
from domain.coaching import CoachKind
from domain.people import MemberRef
from services import calendar, coaching
from services import settings as member_settings
from storage.coaching import Booking, Coach

router = Router("coaching")

ANY = "Any"
TAKEN = "Someone has just booked that time."
TRY_AGAIN = "Sorry: {error}. Please type it again, or /cancel."
KIND_NAMES = {CoachKind.COACH: "Coaching", CoachKind.MENTOR: "Mentoring"}
WHO = {CoachKind.COACH: "coaches", CoachKind.MENTOR: "mentors"}


# Booking


class PickKind(Payload, prefix="book:kind"):
    kind: CoachKind


class PickSpecialism(Payload, prefix="book:area"):
    kind: CoachKind
    index: int  # 0 for any; else 1 + its place among the kind's specialisms, sorted


class PickCoach(Payload, prefix="book:coach"):
    coach: int


class ShowDay(Payload, prefix="book:day"):
    coach: int
    day: int  # a date's ordinal, in the member's zone


class PickSlot(Payload, prefix="book:slot"):
    coach: int
    start: int  # minutes since the epoch, UTC


class ConfirmBooking(Payload, prefix="book:yes"):
    coach: int
    start: int


class JoinWaitlist(Payload, prefix="book:wait"):
    coach: int


# The member's sessions


class AskCancel(Payload, prefix="session:cancel"):
    booking: int


class ConfirmCancel(Payload, prefix="session:cancel-yes"):
    booking: int


class KeepSession(Payload, prefix="session:keep"):
    pass


class StartMove(Payload, prefix="session:move"):
    booking: int


class MoveDay(Payload, prefix="session:move-day"):
    booking: int
    day: int


class MoveSlot(Payload, prefix="session:move-slot"):
    booking: int
    start: int


class ConfirmMove(Payload, prefix="session:move-yes"):
    booking: int
    start: int


# Showing times


def minutes_since_epoch(moment: datetime) -> int:
    """A slot's start as a payload carries it."""
    return int(moment.timestamp()) // 60


def _moment(minutes: int) -> datetime:
    return datetime.fromtimestamp(minutes * 60, UTC)


def _hours(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    return f"{start.astimezone(zone):%H:%M}–{end.astimezone(zone):%H:%M}"


def session_time(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """`Wed 9 Dec 14:00–15:00`."""
    return f"{day_text(start.astimezone(zone).date())} {_hours(start, end, zone)}"


def _session_of(coach: Coach) -> timedelta:
    return timedelta(minutes=coach.session_minutes)


def member_of(event: InboundEvent) -> MemberRef:
    assert event.member is not None, "coaching routes are for members"
    return event.member


async def _zone(ctx: Context, member: MemberRef) -> ZoneInfo:
    preferences = await member_settings.preferences(ctx.repos, member.id, ctx.services.settings)
    return preferences.timezone


def sorry(error: coaching.CoachingError) -> str:
    return f"Sorry, {error}."


def _day_page(
    slots: Sequence[datetime],
    coach: Coach,
    zone: ZoneInfo,
    wanted: int | None,
    *,
    heading: str,
    day_choice: Callable[[int], Payload],
    slot_choice: Callable[[int], Payload],
) -> tuple[str, tuple[Choice, ...]]:
    """One day's free slots as choices, with the days either side: the day `wanted` (an
    ordinal) or the first with a slot after it, the last when none is."""
    days = sorted({slot.astimezone(zone).date() for slot in slots})
    day = next((d for d in days if wanted is None or d.toordinal() >= wanted), days[-1])
    session = _session_of(coach)
    options = [
        offer(_hours(slot, slot + session, zone), slot_choice(minutes_since_epoch(slot)))
        for slot in slots
        if slot.astimezone(zone).date() == day
    ]
    place = days.index(day)
    if place > 0:
        options.append(offer("Earlier", day_choice(days[place - 1].toordinal())))
    if place + 1 < len(days):
        options.append(offer("Next day", day_choice(days[place + 1].toordinal())))
    text = f"{heading}\nFree on {day_text(day)} (times in {zone.key}):"
    return text, tuple(options)


def _invite(
    change: coaching.Change, member: MemberRef, zone: ZoneInfo, now: datetime, **how: bool
) -> File:
    content = calendar.invite(change.booking, change.coach, member.display_name, zone, now, **how)
    return File(
        calendar.filename(change.booking, **how),
        content,
        calendar.MEDIA_TYPE,
        "Open it to update your calendar",
    )


# /book


@router.command(
    "book",
    summary="Book a coaching or mentoring session",
    access=Access.MEMBERS,
    menu="Book coaching",
    private_only=True,
)
async def book(event: InboundEvent, ctx: Context) -> list[Reply]:
    kinds = sorted({CoachKind(coach.kind) for coach in await coaching.coaches(ctx.repos)})
    if not kinds:
        return [Text("No coaches or mentors are taking bookings yet. Please ask the team.")]
    options = tuple(offer(KIND_NAMES[kind], PickKind(kind)) for kind in kinds)
    return [Choices("Would you like coaching or mentoring?", options)]


async def _areas(event: InboundEvent, ctx: Context, kind: CoachKind, note: str = "") -> Reply:
    areas = await coaching.specialisms(ctx.repos, kind)
    if not areas:
        return await _coach_list(event, ctx, kind, None)
    options = [
        offer(area.capitalize(), PickSpecialism(kind, i + 1)) for i, area in enumerate(areas)
    ]
    options.append(offer(ANY, PickSpecialism(kind, 0)))
    return in_place(event, f"{note}Any particular area?", options)


@router.choice(PickKind, access=Access.MEMBERS, private_only=True)
async def kind_picked(event: InboundEvent, ctx: Context, pressed: PickKind) -> list[Reply]:
    return [await _areas(event, ctx, pressed.kind)]


@router.choice(PickSpecialism, access=Access.MEMBERS, private_only=True)
async def area_picked(event: InboundEvent, ctx: Context, pressed: PickSpecialism) -> list[Reply]:
    if pressed.index == 0:
        return [await _coach_list(event, ctx, pressed.kind, None)]
    areas = await coaching.specialisms(ctx.repos, pressed.kind)
    if pressed.index > len(areas):
        return [await _areas(event, ctx, pressed.kind, "The list has changed since. ")]
    return [await _coach_list(event, ctx, pressed.kind, areas[pressed.index - 1])]


async def _coach_list(
    event: InboundEvent, ctx: Context, kind: CoachKind, area: str | None
) -> Reply:
    found = await coaching.coaches(ctx.repos, kind, area)
    where = f" in {area}" if area else ""
    if not found:
        return in_place(event, f"No {WHO[kind]}{where} are taking bookings right now.")
    lines = [
        f"• {coach.name} ({coach.format})" + (f": {coach.bio}" if coach.bio else "")
        for coach in found
    ]
    text = f"{WHO[kind].capitalize()}{where}:\n" + "\n".join(lines) + "\n\nWhom would you like?"
    return in_place(event, text, [offer(coach.name, PickCoach(coach.id)) for coach in found])


async def _booking_days(
    event: InboundEvent, ctx: Context, coach_id: int, wanted: int | None
) -> list[Reply]:
    member = member_of(event)
    try:
        coach = await coaching.coach(ctx.repos, coach_id)
    except coaching.CoachingError as error:
        return [in_place(event, sorry(error))]
    slots = await coaching.free_slots(ctx.repos, coach, ctx.now, member_id=member.id)
    if not slots:
        text = (
            f"{coach.name} has no free time in the next {coach.horizon_weeks} weeks. "
            "Join the waiting list, and I'll offer you the first time that frees up."
        )
        return [in_place(event, text, [offer("Join the waiting list", JoinWaitlist(coach.id))])]
    text, options = _day_page(
        slots,
        coach,
        await _zone(ctx, member),
        wanted,
        heading=f"Sessions with {coach.name} ({coach.format}).",
        day_choice=lambda day: ShowDay(coach.id, day),
        slot_choice=lambda start: PickSlot(coach.id, start),
    )
    return [in_place(event, text, options)]


@router.choice(PickCoach, access=Access.MEMBERS, private_only=True)
async def coach_picked(event: InboundEvent, ctx: Context, pressed: PickCoach) -> list[Reply]:
    return await _booking_days(event, ctx, pressed.coach, None)


@router.choice(ShowDay, access=Access.MEMBERS, private_only=True)
async def day_shown(event: InboundEvent, ctx: Context, pressed: ShowDay) -> list[Reply]:
    return await _booking_days(event, ctx, pressed.coach, pressed.day)


@router.choice(PickSlot, access=Access.MEMBERS, private_only=True)
async def slot_picked(event: InboundEvent, ctx: Context, pressed: PickSlot) -> list[Reply]:
    try:
        coach = await coaching.coach(ctx.repos, pressed.coach)
    except coaching.CoachingError as error:
        return [in_place(event, sorry(error))]
    zone = await _zone(ctx, member_of(event))
    start = _moment(pressed.start)
    when = session_time(start, start + _session_of(coach), zone)
    options = (
        offer("Yes", ConfirmBooking(coach.id, pressed.start)),
        offer("Pick another", ShowDay(coach.id, start.astimezone(zone).date().toordinal())),
    )
    return [in_place(event, f"Book {when} with {coach.name}?", options)]


def _taken(
    error: coaching.SlotTaken,
    coach: Coach,
    zone: ZoneInfo,
    slot_choice: Callable[[int], Payload],
) -> tuple[str, list[Choice]]:
    """The polite refusal when someone was faster, with the next free times to pick from."""
    session = _session_of(coach)
    options = [
        offer(session_time(slot, slot + session, zone), slot_choice(minutes_since_epoch(slot)))
        for slot in error.alternatives
    ]
    if not options:
        return f"{TAKEN} {coach.name} has no other free time soon.", []
    return f"{TAKEN} These times are still free:", options


@router.choice(ConfirmBooking, access=Access.MEMBERS, private_only=True)
async def booking_confirmed(
    event: InboundEvent, ctx: Context, pressed: ConfirmBooking
) -> list[Reply]:
    member = member_of(event)
    zone = await _zone(ctx, member)
    try:
        change = await coaching.book(
            ctx.repos,
            member.id,
            pressed.coach,
            _moment(pressed.start),
            ctx.now,
            ctx.services.settings,
        )
    except coaching.SlotTaken as taken:
        coach = await coaching.coach(ctx.repos, pressed.coach)
        text, options = _taken(taken, coach, zone, lambda start: PickSlot(coach.id, start))
        if not options:
            options = [offer("Join the waiting list", JoinWaitlist(coach.id))]
        return [in_place(event, text, options)]
    except coaching.CoachingError as error:
        return [in_place(event, sorry(error))]
    booking, coach = change.booking, change.coach
    text = (
        f"Booked: {session_time(booking.start_at, booking.end_at, zone)} with {coach.name} "
        f"({coach.format}); {coach.name} has been told. The calendar invite is attached, and "
        "reminders come a day and an hour before; /sessions shows your sessions, to move or "
        "cancel them."
    )
    return [in_place(event, text), _invite(change, member, zone, ctx.now)]


@router.choice(JoinWaitlist, access=Access.MEMBERS, private_only=True)
async def waitlist_joined(event: InboundEvent, ctx: Context, pressed: JoinWaitlist) -> list[Reply]:
    try:
        coach = await coaching.coach(ctx.repos, pressed.coach)
        joined = await coaching.join_waitlist(ctx.repos, member_of(event).id, coach.id, ctx.now)
    except coaching.CoachingError as error:
        return [in_place(event, sorry(error))]
    if not joined:
        return [in_place(event, f"You're on {coach.name}'s waiting list already.")]
    return [
        in_place(
            event,
            f"You're on {coach.name}'s waiting list. When a time frees up and it's your turn, "
            "I'll offer it to you and hold it for a while.",
        )
    ]


# /sessions


async def _own(ctx: Context, member: MemberRef, booking_id: int) -> tuple[Booking, Coach] | None:
    """The member's own upcoming session with that id, if it still stands."""
    for booking, coach in await coaching.upcoming(ctx.repos, member.id, ctx.now):
        if booking.id == booking_id:
            return booking, coach
    return None


async def _changeable(
    event: InboundEvent, ctx: Context, member: MemberRef, booking_id: int
) -> tuple[Booking, Coach] | Reply:
    """The member's session if it may still be moved or cancelled here, else the answer."""
    own = await _own(ctx, member, booking_id)
    if own is None:
        return in_place(event, GONE)
    try:
        coaching.check_changeable(*own, ctx.now, ctx.services.settings)
    except coaching.CoachingError as error:
        return in_place(event, sorry(error))
    return own


GONE = "That session is no longer booked. Send /sessions to see yours."


@router.command(
    "sessions",
    summary="See, move or cancel your coaching sessions",
    access=Access.MEMBERS,
    menu="My sessions",
    private_only=True,
)
async def sessions(event: InboundEvent, ctx: Context) -> list[Reply]:
    member = member_of(event)
    found = await coaching.upcoming(ctx.repos, member.id, ctx.now)
    if not found:
        return [Text("You have no upcoming sessions. Send /book to book one.")]
    zone = await _zone(ctx, member)
    lines, options = [], []
    for booking, coach in found:
        held = session_time(booking.start_at, booking.end_at, zone)
        lines.append(f"• {held} with {coach.name} ({coach.format})")
        short = moment_text(booking.start_at, zone)
        options.append(offer(f"Reschedule {short}", StartMove(booking.id)))
        options.append(offer(f"Cancel {short}", AskCancel(booking.id)))
    text = f"Your upcoming sessions (times in {zone.key}):\n" + "\n".join(lines)
    return [Choices(text, tuple(options))]


@router.choice(AskCancel, access=Access.MEMBERS, private_only=True)
async def cancel_asked(event: InboundEvent, ctx: Context, pressed: AskCancel) -> list[Reply]:
    member = member_of(event)
    own = await _changeable(event, ctx, member, pressed.booking)
    if not isinstance(own, tuple):
        return [own]
    booking, coach = own
    when = session_time(booking.start_at, booking.end_at, await _zone(ctx, member))
    options = (
        offer("Yes, cancel it", ConfirmCancel(booking.id)),
        offer("Keep it", KeepSession()),
    )
    return [in_place(event, f"Cancel your session {when} with {coach.name}?", options)]


@router.choice(KeepSession, access=Access.MEMBERS, private_only=True)
async def session_kept(event: InboundEvent, ctx: Context, pressed: KeepSession) -> list[Reply]:
    return [in_place(event, "Fine: your session stays as it is.")]


@router.choice(ConfirmCancel, access=Access.MEMBERS, private_only=True)
async def cancel_confirmed(
    event: InboundEvent, ctx: Context, pressed: ConfirmCancel
) -> list[Reply]:
    member = member_of(event)
    try:
        change = await coaching.cancel(
            ctx.repos, member.id, pressed.booking, ctx.now, ctx.services.settings
        )
    except coaching.CoachingError as error:
        return [in_place(event, sorry(error))]
    zone = await _zone(ctx, member)
    booking = change.booking
    cancelled = session_time(booking.start_at, booking.end_at, zone)
    text = (
        f"Cancelled: {cancelled} with {change.coach.name}, "
        "who has been told. The attached update takes it out of your calendar."
    )
    return [in_place(event, text), _invite(change, member, zone, ctx.now, cancelled=True)]


async def _move_days(
    event: InboundEvent, ctx: Context, booking_id: int, wanted: int | None
) -> list[Reply]:
    member = member_of(event)
    own = await _changeable(event, ctx, member, booking_id)
    if not isinstance(own, tuple):
        return [own]
    booking, coach = own
    zone = await _zone(ctx, member)
    free = await coaching.free_slots(
        ctx.repos, coach, ctx.now, member_id=member.id, besides=booking.id
    )
    slots = [slot for slot in free if slot != booking.start_at]
    when = session_time(booking.start_at, booking.end_at, zone)
    if not slots:
        return [in_place(event, f"{coach.name} has no other free time for {when} to move to.")]
    text, options = _day_page(
        slots,
        coach,
        zone,
        wanted,
        heading=f"Move your session {when} with {coach.name}.",
        day_choice=lambda day: MoveDay(booking.id, day),
        slot_choice=lambda start: MoveSlot(booking.id, start),
    )
    return [in_place(event, text, options)]


@router.choice(StartMove, access=Access.MEMBERS, private_only=True)
async def move_started(event: InboundEvent, ctx: Context, pressed: StartMove) -> list[Reply]:
    return await _move_days(event, ctx, pressed.booking, None)


@router.choice(MoveDay, access=Access.MEMBERS, private_only=True)
async def move_day_shown(event: InboundEvent, ctx: Context, pressed: MoveDay) -> list[Reply]:
    return await _move_days(event, ctx, pressed.booking, pressed.day)


@router.choice(MoveSlot, access=Access.MEMBERS, private_only=True)
async def move_slot_picked(event: InboundEvent, ctx: Context, pressed: MoveSlot) -> list[Reply]:
    member = member_of(event)
    own = await _own(ctx, member, pressed.booking)
    if own is None:
        return [in_place(event, GONE)]
    booking, coach = own
    zone = await _zone(ctx, member)
    start = _moment(pressed.start)
    old = session_time(booking.start_at, booking.end_at, zone)
    new = session_time(start, start + _session_of(coach), zone)
    options = (
        offer("Yes", ConfirmMove(booking.id, pressed.start)),
        offer("Pick another", MoveDay(booking.id, start.astimezone(zone).date().toordinal())),
    )
    return [in_place(event, f"Move your session with {coach.name} from {old} to {new}?", options)]


@router.choice(ConfirmMove, access=Access.MEMBERS, private_only=True)
async def move_confirmed(event: InboundEvent, ctx: Context, pressed: ConfirmMove) -> list[Reply]:
    member = member_of(event)
    zone = await _zone(ctx, member)
    try:
        change = await coaching.reschedule(
            ctx.repos,
            member.id,
            pressed.booking,
            _moment(pressed.start),
            ctx.now,
            ctx.services.settings,
        )
    except coaching.SlotTaken as taken:
        own = await _own(ctx, member, pressed.booking)
        if own is None:
            return [in_place(event, GONE)]
        booking, coach = own
        text, options = _taken(taken, coach, zone, lambda start: MoveSlot(booking.id, start))
        return [in_place(event, text, options)]
    except coaching.CoachingError as error:
        return [in_place(event, sorry(error))]
    booking = change.booking
    text = (
        f"Moved: your session with {change.coach.name} is now "
        f"{session_time(booking.start_at, booking.end_at, zone)}, and they have been told. The "
        "attached invite updates your calendar."
    )
    return [in_place(event, text), _invite(change, member, zone, ctx.now)]
