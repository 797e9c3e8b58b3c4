"""The information line: any free text is a question for the knowledge base."""

from __future__ import annotations

from bot.context import Context
from bot.messages import Choice, ChoicePress, Choices, InboundEvent, Reply, Text, TextMessage
from bot.router import Router
from knowledge.base import Entry

router = Router("faq")

FAQ_KEY = "faq"
UNSURE = "I'm not sure I understood. Did you mean one of these?"
DONT_KNOW = (
    "I'm sorry, I don't know the answer to that. Try asking in other words, "
    "or send /help to see what else I can do."
)
RELATED = "Related questions:"


def _entry_choice(entry: Entry) -> Choice:
    return Choice(entry.question, f"{FAQ_KEY}:{entry.id}")


def _answer(entry: Entry, ctx: Context, member_tags: frozenset[str]) -> list[Reply]:
    """The answer, then up to three related entries this person may see."""
    entries = ctx.services.knowledge.entries
    related = [
        entries[entry_id]
        for entry_id in entry.follow_ups
        if entry_id in entries and entries[entry_id].visible_to(member_tags)
    ][:3]
    replies: list[Reply] = [Text(entry.answer)]
    if related:
        replies.append(Choices(RELATED, tuple(_entry_choice(item) for item in related)))
    return replies


def _tags(event: InboundEvent) -> frozenset[str]:
    return event.member.tags if event.member else frozenset()


@router.text()
async def question(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage)
    result = ctx.services.knowledge.match(event.content.text, _tags(event))
    if result.answer is not None:
        return _answer(result.answer.entry, ctx, _tags(event))
    if result.suggestions:
        return [Choices(UNSURE, tuple(_entry_choice(m.entry) for m in result.suggestions))]
    return [Text(DONT_KNOW)]


@router.choice(FAQ_KEY)
async def entry_chosen(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, ChoicePress)
    entry = ctx.services.knowledge.entries.get(event.content.argument(FAQ_KEY))
    if entry is None or not entry.visible_to(_tags(event)):
        return [Text("That question is no longer in my knowledge base. Please ask it again.")]
    return _answer(entry, ctx, _tags(event))
