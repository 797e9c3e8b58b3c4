"""Broadcasts in chat: the message members receive, with its choices, and their answers.

The rules are in services/broadcasts.py, which the command line (handlers/broadcasts_cli.py)
and the senders (bot/adapters/broadcasting.py) call too.
"""

from __future__ import annotations

from bot.context import Context
from bot.messages import ChoicePress, Choices, Edit, InboundEvent, Reply, Text
from bot.payloads import Payload, offer
from bot.router import Access, Router
from services import broadcasts
from services.broadcasts import BroadcastMessage, Plan

router = Router("broadcasts")

CHOSEN = "✓ "


class Rsvp(Payload, prefix="bc:rsvp"):
    """A member's answer to choice number `choice` of broadcast `broadcast`."""

    broadcast: int
    choice: int


def reply_for(message: BroadcastMessage, chosen: int | None = None) -> Reply:
    """A broadcast as a reply, its choices as buttons (the chosen one ticked)."""
    if not message.choices:
        return Text(message.text)
    options = tuple(
        offer(f"{CHOSEN}{label}" if index == chosen else label, Rsvp(message.broadcast_id, index))
        for index, label in enumerate(message.choices)
    )
    return Choices(message.text, options)


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
    return [Edit(event.content.message_id, shown.text + note, shown.options)]


def preview_lines(plan: Plan) -> list[str]:
    """The preview staff confirm: the counts, then the message exactly as members read it."""
    draft = plan.draft
    assert draft.send_at is not None
    segment = ", ".join(draft.tags) or "everyone"
    where = draft.platform or "each member's last-used platform"
    lines = [
        f"To: {segment}, on {where}; category {draft.category}; "
        f"sends {draft.send_at:%Y-%m-%d %H:%M} UTC.",
        plan.summary(),
        "",
        "It will read:",
        "-" * 40,
        plan.message,
    ]
    lines += [f"  [{choice}]" for choice in draft.choices]
    lines.append("-" * 40)
    return lines
