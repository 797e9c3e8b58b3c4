"""/settings: members mute news or events, choose their quiet hours and their time zone for the
programme notices the bot sends. The rules are in services/settings.py, which the broadcast
sender reads too, so what the menu says is what the sender does.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from bot.context import Context
from bot.flows import Flow, Step
from bot.messages import (
    Choice,
    ChoicePress,
    Choices,
    Edit,
    InboundEvent,
    Reply,
    Text,
    TextMessage,
)
from bot.payloads import Payload, offer
from bot.router import Access, Router
from bot.settings import Settings
from domain.notices import MUTABLE_CATEGORIES, Category, Preferences
from services import settings as member_settings
from services.settings import SettingsError
from storage.repositories import Repositories

router = Router("settings")


class SettingsFlow(Flow, name="settings"):
    """A member typing a value the choices do not offer."""

    QUIET_HOURS = Step()
    TIMEZONE = Step()


class Mute(Payload, prefix="settings:mute"):
    category: Category


class Unmute(Payload, prefix="settings:unmute"):
    category: Category


class ShowQuietHours(Payload, prefix="settings:quiet"):
    pass


class QuietChoice(StrEnum):
    DEFAULT = "default"
    NINE = "21-07"
    TEN = "22-07"
    OFF = "off"


class PickQuietHours(Payload, prefix="settings:quiet-pick"):
    choice: QuietChoice


class TypeQuietHours(Payload, prefix="settings:quiet-own"):
    pass


class ZoneChoice(StrEnum):
    LONDON = "london"
    DUBLIN = "dublin"
    PARIS = "paris"


class ShowTimezones(Payload, prefix="settings:zone"):
    pass


class PickTimezone(Payload, prefix="settings:zone-pick"):
    zone: ZoneChoice


class TypeTimezone(Payload, prefix="settings:zone-own"):
    pass


class Done(Payload, prefix="settings:done"):
    pass


QUIET_TYPED = {  # what each choice means, as a member could type it
    QuietChoice.DEFAULT: member_settings.DEFAULT,
    QuietChoice.NINE: "21:00-07:00",
    QuietChoice.TEN: "22:00-07:00",
    QuietChoice.OFF: "off",
}
ZONES = {
    ZoneChoice.LONDON: "Europe/London",
    ZoneChoice.DUBLIN: "Europe/Dublin",
    ZoneChoice.PARIS: "Europe/Paris",
}
TYPE_MY_OWN = "Type my own"
TRY_AGAIN = "Sorry: {error}. Please type it again, or /cancel."
SAVED = "Saved. Send /settings to change them again."


def describe(preferences: Preferences) -> str:
    """The member's settings in plain words."""
    zone = preferences.timezone.key
    lines = [
        f"• {category.value.capitalize()}: {'muted' if preferences.mutes(category) else 'on'}"
        for category in MUTABLE_CATEGORIES
    ]
    lines.append("• Essential notices: always on")
    if preferences.quiet is None:
        lines.append("• Quiet hours: off: notices arrive at any time of day")
    else:
        lines.append(
            f"• Quiet hours: {preferences.quiet} ({zone}): nothing but essential notices then; "
            "held messages arrive when they end"
        )
    lines.append(f"• Time zone: {zone}")
    return "Your settings for programme notices:\n" + "\n".join(lines)


def _menu_options(preferences: Preferences) -> tuple[Choice, ...]:
    toggles = tuple(
        offer(f"Unmute {category.value}", Unmute(category))
        if preferences.mutes(category)
        else offer(f"Mute {category.value}", Mute(category))
        for category in MUTABLE_CATEGORIES
    )
    return (
        *toggles,
        offer("Quiet hours", ShowQuietHours()),
        offer("Time zone", ShowTimezones()),
        offer("Done", Done()),
    )


async def _stop_waiting(ctx: Context) -> None:
    """A value the member was asked to type is no longer awaited once they moved on."""
    state = ctx.conversation.state
    if state is not None and state.flow == SettingsFlow.name:
        await ctx.conversation.finish()


async def _menu(ctx: Context, preferences: Preferences, pressed: str | None = None) -> Reply:
    """The settings with their choices: in place of the message pressed, else a new one."""
    await _stop_waiting(ctx)
    text, options = describe(preferences), _menu_options(preferences)
    return Choices(text, options) if pressed is None else Edit(pressed, text, options)


def _member_id(event: InboundEvent) -> int:
    assert event.member is not None, "settings routes are for members"
    return event.member.id


def _message_id(event: InboundEvent) -> str | None:
    """The message whose choice was pressed, to edit in place."""
    assert isinstance(event.content, ChoicePress)
    return event.content.message_id


async def _current(event: InboundEvent, ctx: Context) -> Preferences:
    return await member_settings.preferences(ctx.repos, _member_id(event), ctx.services.settings)


class Change(Protocol):
    """A change the member makes by a text value (quiet hours, time zone)."""

    async def __call__(
        self, repos: Repositories, member_id: int, text: str, *, settings: Settings
    ) -> Preferences: ...


async def _set(event: InboundEvent, ctx: Context, change: Change, text: str) -> Preferences:
    return await change(ctx.repos, _member_id(event), text, settings=ctx.services.settings)


@router.command(
    "settings",
    summary="Mute news or events, quiet hours, time zone",
    access=Access.MEMBERS,
    menu="Settings",
    private_only=True,
)
async def show(event: InboundEvent, ctx: Context) -> list[Reply]:
    return [await _menu(ctx, await _current(event, ctx))]


async def _mute(event: InboundEvent, ctx: Context, category: Category, muted: bool) -> list[Reply]:
    try:
        preferences = await member_settings.mute(
            ctx.repos, _member_id(event), category, muted, settings=ctx.services.settings
        )
    except SettingsError as error:
        return [Text(f"Not changed: {error}.")]
    return [await _menu(ctx, preferences, _message_id(event))]


@router.choice(Mute, access=Access.MEMBERS, private_only=True)
async def mute(event: InboundEvent, ctx: Context, pressed: Mute) -> list[Reply]:
    return await _mute(event, ctx, pressed.category, muted=True)


@router.choice(Unmute, access=Access.MEMBERS, private_only=True)
async def unmute(event: InboundEvent, ctx: Context, pressed: Unmute) -> list[Reply]:
    return await _mute(event, ctx, pressed.category, muted=False)


@router.choice(ShowQuietHours, access=Access.MEMBERS, private_only=True)
async def quiet_hours(event: InboundEvent, ctx: Context, pressed: ShowQuietHours) -> list[Reply]:
    preferences = await _current(event, ctx)
    default = ctx.services.settings.default_quiet_hours
    labels = {
        QuietChoice.DEFAULT: f"{default or 'Off'} (default)",
        QuietChoice.NINE: QUIET_TYPED[QuietChoice.NINE],
        QuietChoice.TEN: QUIET_TYPED[QuietChoice.TEN],
        QuietChoice.OFF: "Off",
    }
    text = (
        f"Quiet hours, in your time zone ({preferences.timezone.key}): nothing but essential "
        "notices is sent then, and held messages arrive when they end. "
        f"Now: {preferences.quiet or 'off'}. Pick one:"
    )
    options = (
        *(offer(labels[choice], PickQuietHours(choice)) for choice in QuietChoice),
        offer(TYPE_MY_OWN, TypeQuietHours()),
    )
    return [Edit(_message_id(event), text, options)]


@router.choice(PickQuietHours, access=Access.MEMBERS, private_only=True)
async def quiet_hours_picked(
    event: InboundEvent, ctx: Context, pressed: PickQuietHours
) -> list[Reply]:
    preferences = await _set(
        event, ctx, member_settings.set_quiet_hours, QUIET_TYPED[pressed.choice]
    )
    return [await _menu(ctx, preferences, _message_id(event))]


@router.choice(TypeQuietHours, access=Access.MEMBERS, private_only=True)
async def type_quiet_hours(
    event: InboundEvent, ctx: Context, pressed: TypeQuietHours
) -> list[Reply]:
    zone = (await _current(event, ctx)).timezone.key
    await ctx.conversation.go_to(SettingsFlow.QUIET_HOURS)
    text = (
        f"Type your quiet hours as HH:MM-HH:MM in your time zone ({zone}), like 21:30-07:00, "
        "or off. Or /cancel."
    )
    return [Edit(_message_id(event), text)]


@router.step(SettingsFlow.QUIET_HOURS, access=Access.MEMBERS)
async def quiet_hours_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    return await _typed(event, ctx, member_settings.set_quiet_hours)


@router.choice(ShowTimezones, access=Access.MEMBERS, private_only=True)
async def timezones(event: InboundEvent, ctx: Context, pressed: ShowTimezones) -> list[Reply]:
    zone = (await _current(event, ctx)).timezone.key
    text = f"Your time zone decides when your quiet hours fall. Now: {zone}. Pick one:"
    options = (
        *(offer(name, PickTimezone(choice)) for choice, name in ZONES.items()),
        offer(TYPE_MY_OWN, TypeTimezone()),
    )
    return [Edit(_message_id(event), text, options)]


@router.choice(PickTimezone, access=Access.MEMBERS, private_only=True)
async def timezone_picked(event: InboundEvent, ctx: Context, pressed: PickTimezone) -> list[Reply]:
    preferences = await _set(event, ctx, member_settings.set_timezone, ZONES[pressed.zone])
    return [await _menu(ctx, preferences, _message_id(event))]


@router.choice(TypeTimezone, access=Access.MEMBERS, private_only=True)
async def type_timezone(event: InboundEvent, ctx: Context, pressed: TypeTimezone) -> list[Reply]:
    await ctx.conversation.go_to(SettingsFlow.TIMEZONE)
    text = "Type your time zone as a name like Europe/Berlin or America/New_York. Or /cancel."
    return [Edit(_message_id(event), text)]


@router.step(SettingsFlow.TIMEZONE, access=Access.MEMBERS)
async def timezone_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    return await _typed(event, ctx, member_settings.set_timezone)


async def _typed(event: InboundEvent, ctx: Context, change: Change) -> list[Reply]:
    """Apply what the member typed, or tell them the format and wait for another try."""
    assert isinstance(event.content, TextMessage)
    try:
        preferences = await _set(event, ctx, change, event.content.text)
    except SettingsError as error:
        await ctx.conversation.stay()
        return [Text(TRY_AGAIN.format(error=error))]
    return [await _menu(ctx, preferences)]


@router.choice(Done, access=Access.MEMBERS, private_only=True)
async def done(event: InboundEvent, ctx: Context, pressed: Done) -> list[Reply]:
    await _stop_waiting(ctx)
    preferences = await _current(event, ctx)
    return [Edit(_message_id(event), f"{describe(preferences)}\n\n{SAVED}")]
