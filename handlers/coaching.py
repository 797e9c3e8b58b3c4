"""Coaching and mentoring in chat: members book, move and cancel sessions; coaches keep their
weekly time and see their schedule. Every rule is in services/coaching.py, which the command
line and the jobs call too; this module asks, shows times in the reader's zone, and attaches
the calendar invite.

Slot starts travel in payloads as minutes since the epoch (UTC) and days as date ordinals in
the reader's zone: both plain ints, well inside a payload's bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.flows import Flow, Step
from bot.messages import (
    Choice,
    ChoicePress,
    Choices,
    Edit,
    File,
    InboundEvent,
    Reply,
    Text,
    TextMessage,
)
from bot.payloads import Payload, offer
from bot.router import Access, Router
from domain.coaching import CoachKind, WeeklyWindow
from domain.notices import parse_timezone
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


class AvailabilityFlow(Flow, name="coaching-availability"):
    """A coach typing a weekly window to add, or a day to block."""

    WINDOW = Step()
    BLOCK = Step()


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


# A coach's time


class AddWindow(Payload, prefix="avail:add"):
    pass


class RemoveWindow(Payload, prefix="avail:remove"):
    weekday: int
    start: int  # minutes after midnight, local
    end: int


class BlockDay(Payload, prefix="avail:block"):
    pass


# Showing times


def minutes_since_epoch(moment: datetime) -> int:
    """A slot's start as a payload carries it."""
    return int(moment.timestamp()) // 60


def _moment(minutes: int) -> datetime:
    return datetime.fromtimestamp(minutes * 60, UTC)


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _starts(start: datetime, zone: ZoneInfo) -> str:
    """`Wed 9 Dec 14:00`."""
    local = start.astimezone(zone)
    return f"{_day(local.date())} {local:%H:%M}"


def _hours(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    return f"{start.astimezone(zone):%H:%M}–{end.astimezone(zone):%H:%M}"


def _when(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """`Wed 9 Dec 14:00–15:00`."""
    return f"{_day(start.astimezone(zone).date())} {_hours(start, end, zone)}"


def _session_of(coach: Coach) -> timedelta:
    return timedelta(minutes=coach.session_minutes)


def _screen(event: InboundEvent, text: str, options: Sequence[Choice] = ()) -> Reply:
    """In place of the message whose choice was pressed, else a new message."""
    if isinstance(event.content, ChoicePress):
        return Edit(event.content.message_id, text, tuple(options))
    return Choices(text, tuple(options)) if options else Text(text)


def _member(event: InboundEvent) -> MemberRef:
    assert event.member is not None, "coaching routes are for members"
    return event.member


async def _zone(ctx: Context, member: MemberRef) -> ZoneInfo:
    preferences = await member_settings.preferences(ctx.repos, member.id, ctx.services.settings)
    return preferences.timezone


def _sorry(error: coaching.CoachingError) -> str:
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
    text = f"{heading}\nFree on {_day(day)} (times in {zone.key}):"
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
    return _screen(event, f"{note}Any particular area?", options)


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
        return _screen(event, f"No {WHO[kind]}{where} are taking bookings right now.")
    lines = [
        f"• {coach.name} ({coach.format})" + (f": {coach.bio}" if coach.bio else "")
        for coach in found
    ]
    text = f"{WHO[kind].capitalize()}{where}:\n" + "\n".join(lines) + "\n\nWhom would you like?"
    return _screen(event, text, [offer(coach.name, PickCoach(coach.id)) for coach in found])


async def _booking_days(
    event: InboundEvent, ctx: Context, coach_id: int, wanted: int | None
) -> list[Reply]:
    member = _member(event)
    try:
        coach = await coaching.coach(ctx.repos, coach_id)
    except coaching.CoachingError as error:
        return [_screen(event, _sorry(error))]
    slots = await coaching.free_slots(ctx.repos, coach, ctx.now, member_id=member.id)
    if not slots:
        text = (
            f"{coach.name} has no free time in the next {coach.horizon_weeks} weeks. "
            "Join the waiting list, and I'll offer you the first time that frees up."
        )
        return [_screen(event, text, [offer("Join the waiting list", JoinWaitlist(coach.id))])]
    text, options = _day_page(
        slots,
        coach,
        await _zone(ctx, member),
        wanted,
        heading=f"Sessions with {coach.name} ({coach.format}).",
        day_choice=lambda day: ShowDay(coach.id, day),
        slot_choice=lambda start: PickSlot(coach.id, start),
    )
    return [_screen(event, text, options)]


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
        return [_screen(event, _sorry(error))]
    zone = await _zone(ctx, _member(event))
    start = _moment(pressed.start)
    when = _when(start, start + _session_of(coach), zone)
    options = (
        offer("Yes", ConfirmBooking(coach.id, pressed.start)),
        offer("Pick another", ShowDay(coach.id, start.astimezone(zone).date().toordinal())),
    )
    return [_screen(event, f"Book {when} with {coach.name}?", options)]


def _taken(
    error: coaching.SlotTaken,
    coach: Coach,
    zone: ZoneInfo,
    slot_choice: Callable[[int], Payload],
) -> tuple[str, list[Choice]]:
    """The polite refusal when someone was faster, with the next free times to pick from."""
    session = _session_of(coach)
    options = [
        offer(_when(slot, slot + session, zone), slot_choice(minutes_since_epoch(slot)))
        for slot in error.alternatives
    ]
    if not options:
        return f"{TAKEN} {coach.name} has no other free time soon.", []
    return f"{TAKEN} These times are still free:", options


@router.choice(ConfirmBooking, access=Access.MEMBERS, private_only=True)
async def booking_confirmed(
    event: InboundEvent, ctx: Context, pressed: ConfirmBooking
) -> list[Reply]:
    member = _member(event)
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
        return [_screen(event, text, options)]
    except coaching.CoachingError as error:
        return [_screen(event, _sorry(error))]
    booking, coach = change.booking, change.coach
    text = (
        f"Booked: {_when(booking.start_at, booking.end_at, zone)} with {coach.name} "
        f"({coach.format}); {coach.name} has been told. The calendar invite is attached, and "
        "reminders come a day and an hour before; /sessions shows your sessions, to move or "
        "cancel them."
    )
    return [_screen(event, text), _invite(change, member, zone, ctx.now)]


@router.choice(JoinWaitlist, access=Access.MEMBERS, private_only=True)
async def waitlist_joined(event: InboundEvent, ctx: Context, pressed: JoinWaitlist) -> list[Reply]:
    try:
        coach = await coaching.coach(ctx.repos, pressed.coach)
        joined = await coaching.join_waitlist(ctx.repos, _member(event).id, coach.id, ctx.now)
    except coaching.CoachingError as error:
        return [_screen(event, _sorry(error))]
    if not joined:
        return [_screen(event, f"You're on {coach.name}'s waiting list already.")]
    return [
        _screen(
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
        return _screen(event, GONE)
    try:
        coaching.check_changeable(*own, ctx.now, ctx.services.settings)
    except coaching.CoachingError as error:
        return _screen(event, _sorry(error))
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
    member = _member(event)
    found = await coaching.upcoming(ctx.repos, member.id, ctx.now)
    if not found:
        return [Text("You have no upcoming sessions. Send /book to book one.")]
    zone = await _zone(ctx, member)
    lines, options = [], []
    for booking, coach in found:
        lines.append(
            f"• {_when(booking.start_at, booking.end_at, zone)} with {coach.name} ({coach.format})"
        )
        short = _starts(booking.start_at, zone)
        options.append(offer(f"Reschedule {short}", StartMove(booking.id)))
        options.append(offer(f"Cancel {short}", AskCancel(booking.id)))
    text = f"Your upcoming sessions (times in {zone.key}):\n" + "\n".join(lines)
    return [Choices(text, tuple(options))]


@router.choice(AskCancel, access=Access.MEMBERS, private_only=True)
async def cancel_asked(event: InboundEvent, ctx: Context, pressed: AskCancel) -> list[Reply]:
    member = _member(event)
    own = await _changeable(event, ctx, member, pressed.booking)
    if not isinstance(own, tuple):
        return [own]
    booking, coach = own
    when = _when(booking.start_at, booking.end_at, await _zone(ctx, member))
    options = (
        offer("Yes, cancel it", ConfirmCancel(booking.id)),
        offer("Keep it", KeepSession()),
    )
    return [_screen(event, f"Cancel your session {when} with {coach.name}?", options)]


@router.choice(KeepSession, access=Access.MEMBERS, private_only=True)
async def session_kept(event: InboundEvent, ctx: Context, pressed: KeepSession) -> list[Reply]:
    return [_screen(event, "Fine: your session stays as it is.")]


@router.choice(ConfirmCancel, access=Access.MEMBERS, private_only=True)
async def cancel_confirmed(
    event: InboundEvent, ctx: Context, pressed: ConfirmCancel
) -> list[Reply]:
    member = _member(event)
    try:
        change = await coaching.cancel(
            ctx.repos, member.id, pressed.booking, ctx.now, ctx.services.settings
        )
    except coaching.CoachingError as error:
        return [_screen(event, _sorry(error))]
    zone = await _zone(ctx, member)
    booking = change.booking
    text = (
        f"Cancelled: {_when(booking.start_at, booking.end_at, zone)} with {change.coach.name}, "
        "who has been told. The attached update takes it out of your calendar."
    )
    return [_screen(event, text), _invite(change, member, zone, ctx.now, cancelled=True)]


async def _move_days(
    event: InboundEvent, ctx: Context, booking_id: int, wanted: int | None
) -> list[Reply]:
    member = _member(event)
    own = await _changeable(event, ctx, member, booking_id)
    if not isinstance(own, tuple):
        return [own]
    booking, coach = own
    zone = await _zone(ctx, member)
    free = await coaching.free_slots(
        ctx.repos, coach, ctx.now, member_id=member.id, besides=booking.id
    )
    slots = [slot for slot in free if slot != booking.start_at]
    when = _when(booking.start_at, booking.end_at, zone)
    if not slots:
        return [_screen(event, f"{coach.name} has no other free time for {when} to move to.")]
    text, options = _day_page(
        slots,
        coach,
        zone,
        wanted,
        heading=f"Move your session {when} with {coach.name}.",
        day_choice=lambda day: MoveDay(booking.id, day),
        slot_choice=lambda start: MoveSlot(booking.id, start),
    )
    return [_screen(event, text, options)]


@router.choice(StartMove, access=Access.MEMBERS, private_only=True)
async def move_started(event: InboundEvent, ctx: Context, pressed: StartMove) -> list[Reply]:
    return await _move_days(event, ctx, pressed.booking, None)


@router.choice(MoveDay, access=Access.MEMBERS, private_only=True)
async def move_day_shown(event: InboundEvent, ctx: Context, pressed: MoveDay) -> list[Reply]:
    return await _move_days(event, ctx, pressed.booking, pressed.day)


@router.choice(MoveSlot, access=Access.MEMBERS, private_only=True)
async def move_slot_picked(event: InboundEvent, ctx: Context, pressed: MoveSlot) -> list[Reply]:
    member = _member(event)
    own = await _own(ctx, member, pressed.booking)
    if own is None:
        return [_screen(event, GONE)]
    booking, coach = own
    zone = await _zone(ctx, member)
    start = _moment(pressed.start)
    old = _when(booking.start_at, booking.end_at, zone)
    new = _when(start, start + _session_of(coach), zone)
    options = (
        offer("Yes", ConfirmMove(booking.id, pressed.start)),
        offer("Pick another", MoveDay(booking.id, start.astimezone(zone).date().toordinal())),
    )
    return [_screen(event, f"Move your session with {coach.name} from {old} to {new}?", options)]


@router.choice(ConfirmMove, access=Access.MEMBERS, private_only=True)
async def move_confirmed(event: InboundEvent, ctx: Context, pressed: ConfirmMove) -> list[Reply]:
    member = _member(event)
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
            return [_screen(event, GONE)]
        booking, coach = own
        text, options = _taken(taken, coach, zone, lambda start: MoveSlot(booking.id, start))
        return [_screen(event, text, options)]
    except coaching.CoachingError as error:
        return [_screen(event, _sorry(error))]
    booking = change.booking
    text = (
        f"Moved: your session with {change.coach.name} is now "
        f"{_when(booking.start_at, booking.end_at, zone)}, and they have been told. The "
        "attached invite updates your calendar."
    )
    return [_screen(event, text), _invite(change, member, zone, ctx.now)]


# /availability and /schedule, for coaches


def _window_pressed(pressed: RemoveWindow) -> WeeklyWindow | None:
    """The window a Remove choice names; None for numbers no shown choice could carry."""
    try:
        start = time(pressed.start // 60, pressed.start % 60)
        end = time(pressed.end // 60, pressed.end % 60)
        return WeeklyWindow.parse(str(WeeklyWindow(pressed.weekday, start, end)))
    except (ValueError, IndexError):
        return None


def _availability(coach: Coach, note: str = "") -> tuple[str, tuple[Choice, ...]]:
    weekly = [WeeklyWindow.parse(text) for text in coach.weekly]
    windows = "\n".join(f"• {window}" for window in weekly) or "• none yet"
    blocked = "\n".join(f"• {text}" for text in coach.exceptions) or "• none"
    text = (
        f"{note}Your time ({coach.timezone}): {coach.session_minutes}-minute sessions, "
        f"{coach.buffer_minutes} minutes apart.\nEvery week:\n{windows}\nTaken out:\n{blocked}"
    )
    options = (
        offer("Add a weekly window", AddWindow()),
        *(
            offer(
                f"Remove {window}",
                RemoveWindow(
                    window.weekday,
                    window.start.hour * 60 + window.start.minute,
                    window.end.hour * 60 + window.end.minute,
                ),
            )
            for window in weekly
        ),
        offer("Block a day", BlockDay()),
    )
    return text, options


async def _stop_waiting(ctx: Context) -> None:
    """A value the coach was asked to type is no longer awaited once they pressed on."""
    state = ctx.conversation.state
    if state is not None and state.flow == AvailabilityFlow.name:
        await ctx.conversation.finish()


@router.command(
    "availability",
    summary="Your weekly coaching time and days off",
    access=Access.COACHES,
    private_only=True,
)
async def availability(event: InboundEvent, ctx: Context) -> list[Reply]:
    try:
        coach = await coaching.coach_of(ctx.repos, _member(event).id)
    except coaching.CoachingError as error:
        return [Text(_sorry(error))]
    return [Choices(*_availability(coach))]


@router.choice(AddWindow, access=Access.COACHES, private_only=True)
async def add_window(event: InboundEvent, ctx: Context, pressed: AddWindow) -> list[Reply]:
    await ctx.conversation.go_to(AvailabilityFlow.WINDOW)
    text = "Type the weekly window as a day and hours, like mon 09:00-12:00. Or /cancel."
    return [_screen(event, text)]


@router.choice(BlockDay, access=Access.COACHES, private_only=True)
async def block_day(event: InboundEvent, ctx: Context, pressed: BlockDay) -> list[Reply]:
    await ctx.conversation.go_to(AvailabilityFlow.BLOCK)
    text = (
        "Type the day to take out, like 2026-12-24, or part of a day, like "
        "2026-12-24 09:00-12:00. Or /cancel."
    )
    return [_screen(event, text)]


@router.step(AvailabilityFlow.WINDOW, access=Access.COACHES)
async def window_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage)
    typed = event.content.text
    try:
        coach = await coaching.add_window(ctx.repos, _member(event).id, typed)
    except coaching.CoachingError as error:
        await ctx.conversation.stay()
        return [Text(TRY_AGAIN.format(error=error))]
    await ctx.conversation.finish()
    return [Choices(*_availability(coach, f"Added {WeeklyWindow.parse(typed)}. "))]


@router.step(AvailabilityFlow.BLOCK, access=Access.COACHES)
async def block_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage)
    try:
        coach = await coaching.block(ctx.repos, _member(event).id, event.content.text, ctx.now)
    except coaching.CoachingError as error:
        await ctx.conversation.stay()
        return [Text(TRY_AGAIN.format(error=error))]
    await ctx.conversation.finish()
    note = "Taken out. Sessions already booked then stay booked: move them with the member. "
    return [Choices(*_availability(coach, note))]


@router.choice(RemoveWindow, access=Access.COACHES, private_only=True)
async def remove_window(event: InboundEvent, ctx: Context, pressed: RemoveWindow) -> list[Reply]:
    await _stop_waiting(ctx)
    window = _window_pressed(pressed)
    try:
        if window is None:
            raise coaching.CoachingError("that is not one of your weekly windows")
        coach = await coaching.remove_window(ctx.repos, _member(event).id, str(window))
    except coaching.CoachingError as error:
        return [_screen(event, _sorry(error))]
    note = f"Removed {window}; sessions already booked in it stay booked. "
    return [_screen(event, *_availability(coach, note))]


@router.command(
    "schedule",
    summary="Your upcoming coaching sessions",
    access=Access.COACHES,
    private_only=True,
)
async def schedule(event: InboundEvent, ctx: Context) -> list[Reply]:
    member = _member(event)
    try:
        coach = await coaching.coach_of(ctx.repos, member.id)
        booked = await coaching.schedule_of(ctx.repos, member.id, ctx.now)
    except coaching.CoachingError as error:
        return [Text(_sorry(error))]
    if not booked:
        return [Text("No sessions are booked with you yet.")]
    zone = parse_timezone(coach.timezone)
    lines = [f"• {_when(b.start_at, b.end_at, zone)}: {name}" for b, name in booked]
    return [Text(f"Your upcoming sessions (times in {zone.key}):\n" + "\n".join(lines))]
