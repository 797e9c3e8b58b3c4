"""The information line: any free text is a question for the knowledge base.

Confident: the answer, up to three related questions, and 👍 / 👎. Unsure: "did you mean" with
the best three and "None of these". Not known: say so and offer to ask the programme team, who
answer through the bot (handlers/team.py). Small talk and text with nothing to look up are no
questions: answered in kind, not recorded.
"""

from __future__ import annotations

from bot.context import Context
from bot.messages import Choice, ChoicePress, Choices, InboundEvent, Reply, Text, TextMessage
from bot.notify import notify_staff
from bot.router import Router
from knowledge.base import Entry, KnowledgeBase
from knowledge.remarks import Remark
from storage.faq import Outcome
from storage.models import AskedQuestion

router = Router("faq")

SHOW, PICK, NONE, VOTE, TEAM, NO_THANKS = (
    "faq:show",
    "faq:pick",
    "faq:none",
    "faq:vote",
    "faq:team",
    "faq:no",
)
# A message that is no question is answered in kind, never recorded or offered to the team.
REMARK_REPLIES = {
    Remark.GREETING: (
        "Hello! I'm the information line of the Chief Executive Development Programme. "
        "Ask me anything about the programme, or send /start for the menu."
    ),
    Remark.THANKS: "You're welcome! Ask me anything else about the programme whenever you like.",
    Remark.ACKNOWLEDGEMENT: (
        "OK. Ask me anything about the programme whenever you like, or send /help to see what "
        "I can do."
    ),
    Remark.GOODBYE: "Goodbye, and thank you for getting in touch. I'm here whenever you need me.",
    Remark.UNCLEAR: (
        "Sorry, I didn't understand that. Ask me about the programme in a few words, for "
        "example “How do I join?”, or send /help to see what I can do."
    ),
}
UNSURE = "I'm not sure I understood. Did you mean one of these?"
DONT_KNOW = (
    "I'm sorry, I don't know the answer to that. I can pass your question to the programme "
    "team: they will reply to you here."
)
NOT_FOUND = (
    "Sorry I couldn't find it. I can pass your question to the programme team: "
    "they will reply to you here."
)
HANDED_OVER = (
    "Done: I've passed your question to the programme team. Their answer will arrive here."
)
ALREADY_HANDED_OVER = (
    "That question is already with the programme team; their answer will arrive here."
)
STALE = "That button belongs to an older question. Please ask it again."
GONE = "That question is no longer in my knowledge base. Please ask it again."
THANKS_UP = "Thanks, glad that helped."
THANKS_DOWN = "Thanks for telling me; the programme team will use this to improve the answer."
ASK_TEAM = "Ask the programme team"
HELPFUL, NOT_HELPFUL = "👍 Helpful", "👎 Not helpful"


def _tags(event: InboundEvent) -> frozenset[str]:
    return event.member.tags if event.member else frozenset()


def _knowledge(ctx: Context) -> KnowledgeBase:
    return ctx.services.knowledge.current


def _offer_team(text: str, asked_id: int) -> list[Reply]:
    return [
        Choices(
            text,
            (Choice(ASK_TEAM, f"{TEAM}:{asked_id}"), Choice("No, thanks", NO_THANKS)),
        )
    ]


def _answer(ctx: Context, entry: Entry, asked_id: int, tags: frozenset[str]) -> list[Reply]:
    """The answer, up to three related questions this person may see, and the vote buttons."""
    entries = _knowledge(ctx).entries
    related = [
        entries[entry_id]
        for entry_id in entry.follow_ups
        if entry_id in entries and entries[entry_id].visible_to(tags)
    ][:3]
    options = tuple(Choice(item.question, f"{SHOW}:{item.id}") for item in related)
    votes = (
        Choice(HELPFUL, f"{VOTE}:{asked_id}:up"),
        Choice(NOT_HELPFUL, f"{VOTE}:{asked_id}:down"),
    )
    return [Choices(entry.answer, options + votes)]


@router.text()
async def question(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage)
    text = event.content.text
    result = _knowledge(ctx).match(text, _tags(event))
    if result.remark is not None:
        return [Text(REMARK_REPLIES[result.remark])]
    faq = ctx.repos.faq
    if result.answer is not None:
        entry = result.answer.entry
        asked_id = await faq.record(text, Outcome.ANSWERED, entry.id, ctx.now)
        return _answer(ctx, entry, asked_id, _tags(event))
    if result.suggestions:
        asked_id = await faq.record(text, Outcome.UNSURE, None, ctx.now)
        options = tuple(
            Choice(m.entry.question, f"{PICK}:{asked_id}:{m.entry.id}") for m in result.suggestions
        )
        return [Choices(UNSURE, (*options, Choice("None of these", f"{NONE}:{asked_id}")))]
    asked_id = await faq.record(text, Outcome.DECLINED, None, ctx.now)
    return _offer_team(DONT_KNOW, asked_id)


async def _asked(ctx: Context, argument: str) -> AskedQuestion | None:
    head = argument.split(":", 1)[0]
    return await ctx.repos.faq.get(int(head)) if head.isdigit() else None


def _visible_entry(ctx: Context, event: InboundEvent, entry_id: str) -> Entry | None:
    entry = _knowledge(ctx).entries.get(entry_id)
    return entry if entry is not None and entry.visible_to(_tags(event)) else None


@router.choice(SHOW)
async def related_chosen(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, ChoicePress)
    entry = _visible_entry(ctx, event, event.content.argument(SHOW))
    if entry is None:
        return [Text(GONE)]
    asked_id = await ctx.repos.faq.record(entry.question, Outcome.ANSWERED, entry.id, ctx.now)
    return _answer(ctx, entry, asked_id, _tags(event))


@router.choice(PICK)
async def suggestion_chosen(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, ChoicePress)
    argument = event.content.argument(PICK)
    asked = await _asked(ctx, argument)
    entry = _visible_entry(ctx, event, argument.partition(":")[2])
    if asked is None:
        return [Text(STALE)]
    if entry is None:
        return [Text(GONE)]
    await ctx.repos.faq.resolve(asked, entry.id)
    return _answer(ctx, entry, asked.id, _tags(event))


@router.choice(NONE)
async def none_of_these(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, ChoicePress)
    asked = await _asked(ctx, event.content.argument(NONE))
    if asked is None:
        return [Text(STALE)]
    await ctx.repos.faq.decline(asked)
    return _offer_team(NOT_FOUND, asked.id)


@router.choice(VOTE)
async def vote(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, ChoicePress)
    argument = event.content.argument(VOTE)
    asked = await _asked(ctx, argument)
    direction = argument.rpartition(":")[2]
    if asked is None or direction not in {"up", "down"}:
        return [Text(STALE)]
    if not await ctx.repos.faq.vote(asked.id, helpful=direction == "up"):
        return [Text("You've already told me about that answer, thanks.")]
    if direction == "up":
        return [Text(THANKS_UP)]
    return _offer_team(f"{THANKS_DOWN} Would you like to ask the team directly?", asked.id)


@router.choice(TEAM)
async def hand_to_team(event: InboundEvent, ctx: Context) -> list[Reply]:
    """Pressing the button is the consent: the offer says the team will reply here."""
    assert isinstance(event.content, ChoicePress)
    asked = await _asked(ctx, event.content.argument(TEAM))
    if asked is None:
        return [Text(STALE)]
    if asked.team_question_id is not None:
        return [Text(ALREADY_HANDED_OVER)]
    name = event.member.display_name if event.member else event.sender.display_name
    team_question = await ctx.repos.team_questions.create(
        question=asked.question,
        platform=event.sender.platform,
        recipient_id=event.sender.external_id,
        asker_name=name or "someone",
        now=ctx.now,
    )
    asked.team_question_id = team_question.id
    await notify_staff(
        ctx.repos,
        f"New question for the programme team (#{team_question.id}) from "
        f"{team_question.asker_name}:\n«{asked.question}»\nSend /unanswered to answer it.",
        ctx.now,
    )
    return [Text(HANDED_OVER)]


@router.choice(NO_THANKS)
async def no_thanks(event: InboundEvent, ctx: Context) -> list[Reply]:
    return [Text("No problem. Ask me anything else, or send /help.")]
