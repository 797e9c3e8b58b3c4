"""Greeting, main menu, /help and /cancel: all built from what the routers registered."""

from __future__ import annotations

from bot.context import Context
from bot.messages import Choices, InboundEvent, Reply, Text
from bot.payloads import offer
from bot.router import MenuChoice, Router
from domain.people import MemberRef

router = Router("start")

GREETING = (
    "Hello{name}! This is the information line of the Chief Executive Development Programme. "
    "Type any question about the programme, or pick from the menu."
)
GUEST_NOTE = "You can ask questions straight away; members join with /join and their invite code."


def main_menu(ctx: Context, member: MemberRef | None, text: str) -> Choices:
    """The menu as choices: every command on the menu that this person may use."""
    options = tuple(
        offer(info.menu_label, MenuChoice(info.name))
        for info in ctx.services.routes.commands_for(member)
        if info.menu_label
    )
    return Choices(text, options)


@router.command("start", summary="Show the main menu")
async def start(event: InboundEvent, ctx: Context) -> list[Reply]:
    name = event.member.display_name if event.member else event.sender.display_name
    greeting = GREETING.format(name=f", {name}" if name else "")
    if event.member is None:
        greeting = f"{greeting}\n\n{GUEST_NOTE}"
    return [main_menu(ctx, event.member, greeting)]


@router.command("help", summary="List what I can do", menu="Help")
async def help_(event: InboundEvent, ctx: Context) -> list[Reply]:
    lines = [
        f"/{info.name} – {info.summary}" for info in ctx.services.routes.commands_for(event.member)
    ]
    lines.append("\nOr just type a question about the programme in your own words.")
    return [Text("Here's what I can do:\n" + "\n".join(lines))]


@router.command("cancel", summary="Stop what we're in the middle of")
async def cancel(event: InboundEvent, ctx: Context) -> list[Reply]:
    if ctx.conversation.state is None:
        return [Text("There's nothing to cancel. Ask me a question, or send /start for the menu.")]
    await ctx.conversation.finish()
    return [Text("Stopped. Ask me a question, or send /start for the menu.")]
