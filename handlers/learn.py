"""`/learn`: phrasings that enough different people used to reach an entry, offered to staff
as alternates with one tap. The rules are in services/learning.py, which `cedp-bot kb
suggestions` and `kb accept` (handlers/team_cli.py) call too.
"""

from __future__ import annotations

from bot.context import Context
from bot.messages import Choices, InboundEvent, Reply, Text
from bot.payloads import Payload, offer
from bot.reload import reload_knowledge
from bot.router import Access, Router
from services import learning

router = Router("learn")

SHOWN_AT_ONCE = 5


class AcceptSuggestion(Payload, prefix="learn:add"):
    """Add suggestion `number` as a way of asking its entry."""

    number: int


class DismissSuggestion(Payload, prefix="learn:drop"):
    """Never offer suggestion `number` again."""

    number: int


def _line(suggestion: learning.Suggestion) -> str:
    people = f"{suggestion.people} people"
    return f"#{suggestion.number} «{suggestion.text}» for «{suggestion.entry.question}» ({people})"


@router.command(
    "learn",
    summary="Ways of asking that members used, to add to the knowledge base",
    access=Access.STAFF,
    menu="Phrasings to learn",
    private_only=True,
)
async def learn(event: InboundEvent, ctx: Context) -> list[Reply]:
    found = await learning.suggestions(ctx.repos, ctx.services.knowledge.current)
    if not found:
        return [Text(learning.waiting_lines(found)[0])]
    shown = found[:SHOWN_AT_ONCE]
    more = f"\n(and {len(found) - len(shown)} more)" if len(found) > len(shown) else ""
    text = (
        "Different people reached these entries by asking this way. Add a phrasing to the "
        "knowledge base, or dismiss it:\n" + "\n".join(_line(s) for s in shown) + more
    )
    options = tuple(
        option
        for s in shown
        for option in (
            offer(f"Add #{s.number}", AcceptSuggestion(s.number)),
            offer(f"Dismiss #{s.number}", DismissSuggestion(s.number)),
        )
    )
    return [Choices(text, options)]


@router.choice(AcceptSuggestion, access=Access.STAFF, private_only=True)
async def accepted(event: InboundEvent, ctx: Context, pressed: AcceptSuggestion) -> list[Reply]:
    try:
        assert event.member is not None
        suggestion = await learning.accept(
            ctx.repos, ctx.services.knowledge.current, pressed.number, ctx.now, event.member
        )
    except learning.LearningError as error:
        return [Text(f"Not added: {error}. Send /learn for the current ones.")]
    # Live at once here; other workers see the new alternate at their next reload check.
    await reload_knowledge(
        ctx.services.knowledge, ctx.repos, ctx.services.binder, ctx.now, force=False
    )
    return [
        Text(
            f"Added: «{suggestion.text}» now also finds «{suggestion.entry.question}» "
            f"({suggestion.entry.id})."
        )
    ]


@router.choice(DismissSuggestion, access=Access.STAFF, private_only=True)
async def dismissed(event: InboundEvent, ctx: Context, pressed: DismissSuggestion) -> list[Reply]:
    try:
        suggestion = await learning.dismiss(
            ctx.repos, ctx.services.knowledge.current, pressed.number
        )
    except learning.LearningError as error:
        return [Text(f"Not dismissed: {error}. Send /learn for the current ones.")]
    text = f"Dismissed: «{suggestion.text}» is no longer offered; its questions count no more."
    return [Text(text)]
