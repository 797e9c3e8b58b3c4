"""Broadcasts in chat: staff compose one with /broadcast and follow them with /broadcasts;
members receive the message with its choices, and answer.

The rules are in services/broadcasts.py, which the command line (handlers/broadcasts_cli.py)
and the senders (bot/adapters/broadcasting.py) call too. Composing is a flow whose draft waits
in the conversation state, one question a step; buttons answer most of them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.flows import Flow, Step
from bot.messages import Choice, ChoicePress, Choices, Edit, InboundEvent, Reply, Text, TextMessage
from bot.parsing import parse_tags, parse_time
from bot.payloads import Payload, offer
from bot.router import Access, Router
from domain.notices import DEFAULT_TIMEZONE, Category
from domain.people import MemberRef
from services import broadcasts
from services.broadcasts import (
    MAX_CHOICE_CHARS,
    MAX_CHOICES,
    BroadcastMessage,
    BroadcastStatus,
    Draft,
    Plan,
)
from storage.broadcasts import DeliveryStatus

router = Router("broadcasts")

CHOSEN = "✓ "


class Rsvp(Payload, prefix="bc:rsvp"):
    """A member's answer to choice number `choice` of broadcast `broadcast`."""

    broadcast: int
    choice: int


def reply_for(message: BroadcastMessage, chosen: int | None = None) -> Reply:
    """A broadcast as a reply in staff's light markup, its choices as buttons (the chosen one
    ticked)."""
    if not message.choices:
        return Text(message.text, markup=True)
    options = tuple(
        offer(f"{CHOSEN}{label}" if index == chosen else label, Rsvp(message.broadcast_id, index))
        for index, label in enumerate(message.choices)
    )
    return Choices(message.text, options, markup=True)


@router.choice(Rsvp, access=Access.MEMBERS)
async def answered(event: InboundEvent, ctx: Context, pressed: Rsvp) -> list[Reply]:
    """Count the answer; the message is shown again with the choice ticked, so pressing
    another changes it."""
    assert event.member is not None and isinstance(event.content, ChoicePress)
    try:
        broadcast, label = await broadcasts.answer(
            ctx.repos, pressed.broadcast, event.member.id, pressed.choice, ctx.now
        )
    except broadcasts.BroadcastError as error:
        return [Text(f"Sorry: {error}.")]
    shown = reply_for(broadcasts.message_of(broadcast), chosen=pressed.choice)
    assert isinstance(shown, Choices)
    note = f"\n\nYour answer: {label}. Press another to change it."
    return [Edit(event.content.message_id, shown.text + note, shown.options, markup=True)]


def preview_lines(plan: Plan) -> list[str]:
    """The preview staff confirm: the counts, then the message exactly as members read it."""
    draft = plan.draft
    assert draft.send_at is not None
    segment = ", ".join(draft.tags) or "everyone"
    where = draft.platform or "each member's last-used platform"
    lines = [
        f"To: {segment}, on {where}; category {draft.category}; "
        f"sends {draft.send_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC.",
        plan.summary(),
        "",
        "It will read:",
        "-" * 40,
        plan.message,
    ]
    lines += [f"  [{choice}]" for choice in draft.choices]
    lines.append("-" * 40)
    return lines


def parse_choices(text: str) -> list[str]:
    """`I'd like to attend | Not this time` → the labels."""
    return [choice.strip() for choice in text.split("|") if choice.strip()]


def headline(report: BroadcastStatus) -> str:
    item = report.broadcast
    stopped = report.counts[DeliveryStatus.CANCELLED]
    also = f" ({stopped} more not sent: cancelled)" if stopped else ""
    return (
        f"broadcast {item.id} ({item.category}, {report.state}): "
        f"{report.recipients} recipients{also}"
    )


def choice_lines(report: BroadcastStatus) -> list[str]:
    """The count for each choice, with names only where the broadcast said they are shared."""
    lines = []
    for label, count in report.choices.items():
        names = (
            f"\t{', '.join(report.names[label])}"
            if report.names is not None and report.names[label]
            else ""
        )
        lines.append(f"choice «{label}»\t{count}{names}")
    return lines


# Composing: /broadcast


class ComposeFlow(Flow, name="broadcast"):
    """Staff composing a broadcast; the draft so far is the conversation's data."""

    TEXT = Step()
    SEGMENT = Step()
    TAGS = Step()
    PLATFORM = Step()
    CATEGORY = Step()
    BUTTONS = Step()
    LABELS = Step()
    NAMES = Step()
    PREVIEW = Step()
    WHEN = Step()
    CONFIRM = Step()


class Option(StrEnum):
    """Every button of the flow but a segment's tag."""

    EVERYONE = "everyone"
    TYPE_TAGS = "type-tags"
    ALL_PLATFORMS = "all-platforms"
    TELEGRAM = "telegram"
    SLACK = "slack"
    NEWS = "news"
    EVENTS = "events"
    ESSENTIAL = "essential"
    NO_BUTTONS = "no-buttons"
    ADD_BUTTONS = "add-buttons"
    COUNTS_ONLY = "counts"
    NAMES_TO_STAFF = "names"
    SEND_NOW = "now"
    SEND_LATER = "later"
    SCHEDULE = "schedule"
    DISCARD = "discard"


class Compose(Payload, prefix="bc:compose"):
    option: Option


class ComposeTag(Payload, prefix="bc:tag"):
    """The segment is the tag at `index` among those the question offered."""

    index: int


@dataclass(frozen=True, slots=True)
class Pick:
    """An option: the label, the step that offers it, what it sets in the draft, the next step
    (None: the option acts, see `composed`)."""

    label: str
    at: tuple[Step, ...]
    sets: dict[str, Any]
    then: Step | None


F = ComposeFlow
PICKS: dict[Option, Pick] = {
    Option.EVERYONE: Pick("Everyone", (F.SEGMENT,), {"tags": []}, F.PLATFORM),
    Option.TYPE_TAGS: Pick("Type tags", (F.SEGMENT,), {}, F.TAGS),
    Option.ALL_PLATFORMS: Pick("All platforms", (F.PLATFORM,), {"platform": None}, F.CATEGORY),
    Option.TELEGRAM: Pick("Telegram only", (F.PLATFORM,), {"platform": "telegram"}, F.CATEGORY),
    Option.SLACK: Pick("Slack only", (F.PLATFORM,), {"platform": "slack"}, F.CATEGORY),
    Option.NEWS: Pick("News", (F.CATEGORY,), {"category": Category.NEWS}, F.BUTTONS),
    Option.EVENTS: Pick("Events", (F.CATEGORY,), {"category": Category.EVENTS}, F.BUTTONS),
    Option.ESSENTIAL: Pick("Essential", (F.CATEGORY,), {"category": Category.ESSENTIAL}, F.BUTTONS),
    Option.NO_BUTTONS: Pick("No buttons", (F.BUTTONS,), {"choices": [], "names": False}, F.PREVIEW),
    Option.ADD_BUTTONS: Pick("Add buttons", (F.BUTTONS,), {}, F.LABELS),
    Option.COUNTS_ONLY: Pick("Counts only", (F.NAMES,), {"names": False}, F.PREVIEW),
    Option.NAMES_TO_STAFF: Pick("Names to staff", (F.NAMES,), {"names": True}, F.PREVIEW),
    Option.SEND_NOW: Pick("Send now", (F.PREVIEW,), {"send_at": None}, None),
    Option.SEND_LATER: Pick("Send later", (F.PREVIEW,), {}, F.WHEN),
    Option.SCHEDULE: Pick("Schedule it", (F.CONFIRM,), {}, None),
    Option.DISCARD: Pick("Cancel", (F.PREVIEW, F.CONFIRM), {}, None),
}
TAGS_OFFERED = 8
LOCAL_ZONE = ZoneInfo(DEFAULT_TIMEZONE)

ASK_TEXT = (
    f"Type the message to send (at most {broadcasts.MAX_TEXT_CHARS} characters), or /cancel. "
    "Stars around words make them bold, underscores italic; start a line with - for a bullet."
)
ASK_TAGS = (
    "Type the tags, separated by commas (e.g. new-ceo,london): members with any of them "
    "receive it. Or /cancel."
)
ASK_LABELS = (
    f"Type the buttons separated by |, e.g. I'd like to attend | Not this time "
    f"(at most {MAX_CHOICES}, {MAX_CHOICE_CHARS} characters each). Or /cancel."
)
ASK_WHEN = (
    f"When should it go? Type a time like 2026-12-07 09:00 ({DEFAULT_TIMEZONE} time), "
    "or ISO 8601 with an offset like 2026-12-07T09:00+00:00. Or /cancel."
)
NOT_COMPOSING = "That broadcast is no longer being composed. Send /broadcast to start again."
EARLIER_STEP = "That button is from an earlier question; please answer the latest one, or /cancel."
PRESS_A_BUTTON = "Please press one of the buttons, or /cancel."
DISCARDED = "Not sent: the draft is discarded."


def _offers(step: Step) -> tuple[Choice, ...]:
    return tuple(offer(p.label, Compose(o)) for o, p in PICKS.items() if step in p.at)


def _draft(data: dict[str, Any]) -> Draft:
    """The draft the conversation holds, as the service takes it."""
    send_at = data.get("send_at")
    return Draft(
        data["text"],
        category=Category(data.get("category", Category.NEWS)),
        tags=tuple(data.get("tags", ())),
        platform=data.get("platform"),
        choices=tuple(data.get("choices", ())),
        send_at=datetime.fromisoformat(send_at) if send_at else None,
        names_to_staff=bool(data.get("names", False)),
    )


async def _common_tags(ctx: Context) -> list[str]:
    counted = Counter(tag.tag for member in await ctx.repos.members.list() for tag in member.tags)
    ranked = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    return [tag for tag, _ in ranked[:TAGS_OFFERED]]


async def _ask(ctx: Context, step: Step, data: dict[str, Any]) -> list[Reply]:
    """The question of `step`, from the draft alone: asked on arrival and again after a slip."""
    if step is F.TEXT:
        return [Text(ASK_TEXT)]
    if step is F.SEGMENT:
        tags = tuple(offer(tag, ComposeTag(i)) for i, tag in enumerate(data["offered"]))
        everyone, typed = _offers(step)
        return [Choices("Who should receive it?", (everyone, *tags, typed))]
    if step is F.TAGS:
        return [Text(ASK_TAGS)]
    if step is F.PLATFORM:
        return [Choices("On which platform? Each member receives it once.", _offers(step))]
    if step is F.CATEGORY:
        question = (
            "What kind of notice is it? Members can mute news and events; essential notices "
            "reach everyone, even in their quiet hours."
        )
        return [Choices(question, _offers(step))]
    if step is F.BUTTONS:
        return [Choices("Buttons under it for members to answer (an RSVP, say)?", _offers(step))]
    if step is F.LABELS:
        return [Text(ASK_LABELS)]
    if step is F.NAMES:
        question = "Who sees the answers? Members are told which."
        return [Choices(question, _offers(step))]
    if step is F.WHEN:
        return [Text(ASK_WHEN)]
    return await _preview(ctx, step, data)


async def _preview(ctx: Context, step: Step, data: dict[str, Any]) -> list[Reply]:
    """The exact recipients and the message as members will read it; back to the question
    that can fix it when the draft no longer holds (nobody in the segment, time passed)."""
    try:
        planned = await broadcasts.plan(ctx.repos, _draft(data), ctx.now, ctx.services.settings)
    except broadcasts.BroadcastError as error:
        return await _move(ctx, F.WHEN, data, f"Sorry: {error}.")
    if not planned.recipients:
        return await _move(
            ctx, F.SEGMENT, data, "Nobody is in that segment: please choose another."
        )
    return [Choices("\n".join(preview_lines(planned)), _offers(step))]


async def _move(
    ctx: Context, step: Step, data: dict[str, Any], note: str | None = None
) -> list[Reply]:
    await ctx.conversation.go_to(step, data)
    asked = await _ask(ctx, step, data)
    return [Text(note), *asked] if note else asked


async def _stay(ctx: Context, note: str) -> list[Reply]:
    """A slip: say what was wrong and ask the same question again."""
    state = ctx.conversation.state
    assert state is not None
    await ctx.conversation.stay()
    return [Text(note), *await _ask(ctx, getattr(F, state.step.upper()), state.data)]


@router.command(
    "broadcast",
    summary="Send an update to every member or a segment",
    access=Access.STAFF,
    menu="Send a broadcast",
    private_only=True,
)
async def broadcast(event: InboundEvent, ctx: Context) -> list[Reply]:
    return await _move(ctx, F.TEXT, {})


@router.step(F.TEXT, access=Access.STAFF)
async def text_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage)
    try:
        draft = Draft(event.content.text).checked(ctx.now)
    except broadcasts.BroadcastError as error:
        return await _stay(ctx, f"Sorry: {error}.")
    return await _move(ctx, F.SEGMENT, {"text": draft.text, "offered": await _common_tags(ctx)})


@router.step(F.TAGS, access=Access.STAFF)
async def tags_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage) and ctx.conversation.state is not None
    try:
        tags = parse_tags(event.content.text)
    except ValueError as error:
        return await _stay(ctx, f"Sorry: {error}.")
    return await _move(ctx, F.PLATFORM, {**ctx.conversation.state.data, "tags": tags})


@router.step(F.LABELS, access=Access.STAFF)
async def labels_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage) and ctx.conversation.state is not None
    data = ctx.conversation.state.data
    labels = parse_choices(event.content.text)
    try:
        Draft(data["text"], choices=tuple(labels)).checked(ctx.now)
    except broadcasts.BroadcastError as error:
        return await _stay(ctx, f"Sorry: {error}.")
    return await _move(ctx, F.NAMES, {**data, "choices": labels})


@router.step(F.WHEN, access=Access.STAFF)
async def when_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage) and ctx.conversation.state is not None
    data = ctx.conversation.state.data
    try:
        moment = parse_time(event.content.text, LOCAL_ZONE)
        Draft(data["text"], send_at=moment).checked(ctx.now)
    except (ValueError, broadcasts.BroadcastError) as error:
        return await _stay(ctx, f"Sorry: {error}.")
    return await _move(ctx, F.CONFIRM, {**data, "send_at": moment.astimezone(UTC).isoformat()})


async def _press_a_button(event: InboundEvent, ctx: Context) -> list[Reply]:
    """Typed text where the question wants a button."""
    return await _stay(ctx, PRESS_A_BUTTON)


for _step in (F.SEGMENT, F.PLATFORM, F.CATEGORY, F.BUTTONS, F.NAMES, F.PREVIEW, F.CONFIRM):
    router.step(_step, access=Access.STAFF)(_press_a_button)


def _waiting_at(ctx: Context, steps: tuple[Step, ...]) -> str | None:
    """Why a press of the flow's button does not count now, or None when it does."""
    state = ctx.conversation.state
    if state is None or state.flow != F.name:
        return NOT_COMPOSING
    if all(step.key != (state.flow, state.step) for step in steps):
        return EARLIER_STEP
    return None


@router.choice(Compose, access=Access.STAFF, private_only=True)
async def composed(event: InboundEvent, ctx: Context, pressed: Compose) -> list[Reply]:
    pick = PICKS[pressed.option]
    refusal = _waiting_at(ctx, pick.at)
    if refusal is not None:
        return [Text(refusal)]
    assert ctx.conversation.state is not None
    data = {**ctx.conversation.state.data, **pick.sets}
    if pick.then is not None:
        return await _move(ctx, pick.then, data)
    if pressed.option is Option.DISCARD:
        await ctx.conversation.finish()
        return [Text(DISCARDED)]
    assert event.member is not None
    return await _schedule(ctx, data, event.member)


@router.choice(ComposeTag, access=Access.STAFF, private_only=True)
async def tag_chosen(event: InboundEvent, ctx: Context, pressed: ComposeTag) -> list[Reply]:
    refusal = _waiting_at(ctx, (F.SEGMENT,))
    if refusal is not None:
        return [Text(refusal)]
    assert ctx.conversation.state is not None
    data = ctx.conversation.state.data
    if pressed.index >= len(data["offered"]):
        return [Text(EARLIER_STEP)]
    return await _move(ctx, F.PLATFORM, {**data, "tags": [data["offered"][pressed.index]]})


async def _schedule(ctx: Context, data: dict[str, Any], by: MemberRef) -> list[Reply]:
    try:
        settings = ctx.services.settings
        planned = await broadcasts.schedule(ctx.repos, _draft(data), ctx.now, settings, by)
    except broadcasts.BroadcastError:
        assert ctx.conversation.state is not None
        step = getattr(F, ctx.conversation.state.step.upper())
        return await _preview(ctx, step, data)  # says why, at the question that fixes it
    await ctx.conversation.finish()
    return [
        Text(
            f"Broadcast {planned.broadcast_id} scheduled: {planned.recipients} recipients; "
            "status with /broadcasts"
        )
    ]


# Following: /broadcasts

SHOWN_BROADCASTS = 5
QUOTED_CHARS = 40


class StopAction(StrEnum):
    ASK = "ask"
    CONFIRM = "confirm"
    KEEP = "keep"


class StopBroadcast(Payload, prefix="bc:stop"):
    broadcast: int
    action: StopAction


def _quoted(text: str) -> str:
    first = text.strip().splitlines()[0]
    return f"«{first[:QUOTED_CHARS]}…»" if len(first) > QUOTED_CHARS else f"«{first}»"


def _chat_lines(report: BroadcastStatus) -> list[str]:
    counts = ", ".join(f"{status.value} {report.counts[status]}" for status in DeliveryStatus)
    return [
        f"{headline(report)}, sends {report.broadcast.send_at:%Y-%m-%d %H:%M} UTC",
        _quoted(report.broadcast.text),
        counts,
        *choice_lines(report),
    ]


@router.command(
    "broadcasts",
    summary="The latest broadcasts and their counts",
    access=Access.STAFF,
    private_only=True,
)
async def latest(event: InboundEvent, ctx: Context) -> list[Reply]:
    reports = await broadcasts.list_broadcasts(ctx.repos, limit=SHOWN_BROADCASTS)
    if not reports:
        return [Text("No broadcasts yet. Send /broadcast to compose one.")]
    text = "\n\n".join("\n".join(_chat_lines(report)) for report in reports)
    options = tuple(
        offer(f"Cancel #{r.broadcast.id}", StopBroadcast(r.broadcast.id, StopAction.ASK))
        for r in reports
        if r.state == "sending"
    )
    return [Choices(text, options) if options else Text(text)]


@router.choice(StopBroadcast, access=Access.STAFF, private_only=True)
async def stop(event: InboundEvent, ctx: Context, pressed: StopBroadcast) -> list[Reply]:
    number = pressed.broadcast
    if pressed.action is StopAction.KEEP:
        return [Text(f"Fine: broadcast {number} carries on.")]
    try:
        if pressed.action is StopAction.CONFIRM:
            assert event.member is not None
            stopped = await broadcasts.cancel(ctx.repos, number, ctx.now, event.member)
            return [
                Text(f"Cancelled broadcast {number}: {stopped} pending messages will not be sent.")
            ]
        report = await broadcasts.status(ctx.repos, number)
    except broadcasts.BroadcastError as error:
        return [Text(f"Sorry: {error}.")]
    if report.state != "sending":
        return [Text(f"Broadcast {number} is {report.state}: nothing is left to cancel.")]
    pending = report.counts[DeliveryStatus.PENDING]
    question = f"Cancel broadcast {number}? The {pending} messages still pending will not be sent."
    options = (
        offer(f"Yes, cancel #{number}", StopBroadcast(number, StopAction.CONFIRM)),
        offer("Keep it", StopBroadcast(number, StopAction.KEEP)),
    )
    return [Choices(question, options)]
