"""Coaches' own time in chat: /availability (weekly windows and days taken out) and /schedule.
The rules are in services/coaching.py, as for members' bookings (handlers/coaching.py)."""

from __future__ import annotations

from datetime import time

from bot.context import Context
from bot.flows import Flow, Step
from bot.messages import Choice, Choices, InboundEvent, Reply, Text, TextMessage, in_place
from bot.payloads import Payload, offer
from bot.router import Access, Router
from domain.coaching import WeeklyWindow
from domain.notices import parse_timezone
from handlers.coaching import TRY_AGAIN, member_of, session_time, sorry
from services import coaching
from storage.coaching import Coach

router = Router("coaching-time")


class AvailabilityFlow(Flow, name="coaching-availability"):
    """A coach typing a weekly window to add, or a day to block."""

    WINDOW = Step()
    BLOCK = Step()


class AddWindow(Payload, prefix="avail:add"):
    pass


class RemoveWindow(Payload, prefix="avail:remove"):
    weekday: int
    start: int  # minutes after midnight, local
    end: int


class BlockDay(Payload, prefix="avail:block"):
    pass


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
        coach = await coaching.coach_of(ctx.repos, member_of(event).id)
    except coaching.CoachingError as error:
        return [Text(sorry(error))]
    return [Choices(*_availability(coach))]


@router.choice(AddWindow, access=Access.COACHES, private_only=True)
async def add_window(event: InboundEvent, ctx: Context, pressed: AddWindow) -> list[Reply]:
    await ctx.conversation.go_to(AvailabilityFlow.WINDOW)
    text = "Type the weekly window as a day and hours, like mon 09:00-12:00. Or /cancel."
    return [in_place(event, text)]


@router.choice(BlockDay, access=Access.COACHES, private_only=True)
async def block_day(event: InboundEvent, ctx: Context, pressed: BlockDay) -> list[Reply]:
    await ctx.conversation.go_to(AvailabilityFlow.BLOCK)
    text = (
        "Type the day to take out, like 2026-12-24, or part of a day, like "
        "2026-12-24 09:00-12:00. Or /cancel."
    )
    return [in_place(event, text)]


@router.step(AvailabilityFlow.WINDOW, access=Access.COACHES)
async def window_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage)
    typed = event.content.text
    try:
        coach = await coaching.add_window(ctx.repos, member_of(event).id, typed)
    except coaching.CoachingError as error:
        await ctx.conversation.stay()
        return [Text(TRY_AGAIN.format(error=error))]
    await ctx.conversation.finish()
    return [Choices(*_availability(coach, f"Added {WeeklyWindow.parse(typed)}. "))]


@router.step(AvailabilityFlow.BLOCK, access=Access.COACHES)
async def block_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage)
    try:
        coach = await coaching.block(ctx.repos, member_of(event).id, event.content.text, ctx.now)
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
        coach = await coaching.remove_window(ctx.repos, member_of(event).id, str(window))
    except coaching.CoachingError as error:
        return [in_place(event, sorry(error))]
    note = f"Removed {window}; sessions already booked in it stay booked. "
    return [in_place(event, *_availability(coach, note))]


@router.command(
    "schedule",
    summary="Your upcoming coaching sessions",
    access=Access.COACHES,
    private_only=True,
)
async def schedule(event: InboundEvent, ctx: Context) -> list[Reply]:
    member = member_of(event)
    try:
        coach = await coaching.coach_of(ctx.repos, member.id)
        booked = await coaching.schedule_of(ctx.repos, member.id, ctx.now)
    except coaching.CoachingError as error:
        return [Text(sorry(error))]
    if not booked:
        return [Text("No sessions are booked with you yet.")]
    zone = parse_timezone(coach.timezone)
    lines = [f"• {session_time(b.start_at, b.end_at, zone)}: {name}" for b, name in booked]
    return [Text(f"Your upcoming sessions (times in {zone.key}):\n" + "\n".join(lines))]
