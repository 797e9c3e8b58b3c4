"""The information line: any free text is a question for the knowledge base.

Confident: the answer, up to three related questions, and 👍 / 👎. Unsure: "did you mean" with
the best three and "None of these". Not known: say so and offer to ask the programme team, who
answer through the bot (handlers/team.py). Small talk and text with nothing to look up are no
questions: answered in kind, not recorded.
"""

from __future__ import annotations

from enum import StrEnum

from bot.context import Context
from bot.messages import Choices, InboundEvent, Reply, Text, TextMessage
from bot.notify import notify_staff
from bot.payloads import EntryId, Payload, offer
from bot.router import Router
from knowledge.base import Entry, KnowledgeBase
from knowledge.remarks import Remark
from services import learning
from storage.faq import Outcome

router = Router("faq")


class ShowEntry(Payload, prefix="faq:show"):
    """A related question under an answer."""

    entry: EntryId


class PickSuggestion(Payload, prefix="faq:pick"):
    """One of the "did you mean" suggestions for an asked question."""

    asked: int
    entry: EntryId


class NoneOfThese(Payload, prefix="faq:none"):
    asked: int


class Verdict(StrEnum):
    UP = "up"
    DOWN = "down"


class Vote(Payload, prefix="faq:vote"):
    """👍 or 👎 on the answer given to an asked question."""

    asked: int
    verdict: Verdict


class HandOver(Payload, prefix="faq:team"):
    """Consent to pass an asked question to the programme team."""

    asked: int


class NoThanks(Payload, prefix="faq:no"):
    pass


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
    return [Choices(text, (offer(ASK_TEAM, HandOver(asked_id)), offer("No, thanks", NoThanks())))]


def _answer(ctx: Context, entry: Entry, asked_id: int, tags: frozenset[str]) -> list[Reply]:
    """The answer, up to three related questions this person may see, and the vote buttons."""
    entries = _knowledge(ctx).entries
    related = [
        entries[entry_id]
        for entry_id in entry.follow_ups
        if entry_id in entries and entries[entry_id].visible_to(tags)
    ][:3]
    options = tuple(offer(item.question, ShowEntry(item.id)) for item in related)
    votes = (
        offer(HELPFUL, Vote(asked_id, Verdict.UP)),
        offer(NOT_HELPFUL, Vote(asked_id, Verdict.DOWN)),
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
            offer(m.entry.question, PickSuggestion(asked_id, m.entry.id))
            for m in result.suggestions
        )
        return [Choices(UNSURE, (*options, offer("None of these", NoneOfThese(asked_id))))]
    asked_id = await faq.record(text, Outcome.DECLINED, None, ctx.now)
    return _offer_team(DONT_KNOW, asked_id)


def _visible_entry(ctx: Context, event: InboundEvent, entry_id: str) -> Entry | None:
    entry = _knowledge(ctx).entries.get(entry_id)
    return entry if entry is not None and entry.visible_to(_tags(event)) else None


@router.choice(ShowEntry)
async def related_chosen(event: InboundEvent, ctx: Context, pressed: ShowEntry) -> list[Reply]:
    entry = _visible_entry(ctx, event, pressed.entry)
    if entry is None:
        return [Text(GONE)]
    asked_id = await ctx.repos.faq.record(entry.question, Outcome.ANSWERED, entry.id, ctx.now)
    return _answer(ctx, entry, asked_id, _tags(event))


@router.choice(PickSuggestion)
async def suggestion_chosen(
    event: InboundEvent, ctx: Context, pressed: PickSuggestion
) -> list[Reply]:
    asked = await ctx.repos.faq.get(pressed.asked)
    entry = _visible_entry(ctx, event, pressed.entry)
    if asked is None:
        return [Text(STALE)]
    if entry is None:
        return [Text(GONE)]
    await ctx.repos.faq.resolve(asked, entry.id)
    await _learn_from_pick(event, ctx, entry, asked.question)
    return _answer(ctx, entry, asked.id, _tags(event))


async def _learn_from_pick(event: InboundEvent, ctx: Context, entry: Entry, question: str) -> None:
    """The pick says the question meant `entry`: keep it as a candidate phrasing (linked to
    nobody), and tell staff when similar ones of enough different people are now waiting."""
    sender = event.sender
    member_id = event.member.id if event.member else None
    digest = ctx.services.askers.digest(
        entry.id, learning.asker(member_id, sender.platform, sender.external_id)
    )
    ready = await learning.keep_candidate(
        ctx.repos, _knowledge(ctx), entry.id, question, digest, ctx.now
    )
    if ready is not None:
        await notify_staff(
            ctx.repos,
            ctx.services.binder,
            f"{ready.people} different people reached «{entry.question}» by asking like "
            f"«{ready.text}». Send /learn to add it as a way of asking.",
            ctx.now,
        )


@router.choice(NoneOfThese)
async def none_of_these(event: InboundEvent, ctx: Context, pressed: NoneOfThese) -> list[Reply]:
    asked = await ctx.repos.faq.get(pressed.asked)
    if asked is None:
        return [Text(STALE)]
    await ctx.repos.faq.decline(asked)
    return _offer_team(NOT_FOUND, asked.id)


@router.choice(Vote)
async def vote(event: InboundEvent, ctx: Context, pressed: Vote) -> list[Reply]:
    asked = await ctx.repos.faq.get(pressed.asked)
    if asked is None:
        return [Text(STALE)]
    helpful = pressed.verdict is Verdict.UP
    if not await ctx.repos.faq.vote(asked.id, helpful=helpful):
        return [Text("You've already told me about that answer, thanks.")]
    if helpful:
        return [Text(THANKS_UP)]
    return _offer_team(f"{THANKS_DOWN} Would you like to ask the team directly?", asked.id)


@router.choice(HandOver)
async def hand_to_team(event: InboundEvent, ctx: Context, pressed: HandOver) -> list[Reply]:
    """Pressing the button is the consent: the offer says the team will reply here."""
    asked = await ctx.repos.faq.get(pressed.asked)
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
        ctx.services.binder,
        f"New question for the programme team (#{team_question.id}) from "
        f"{team_question.asker_name}:\n«{asked.question}»\nSend /unanswered to answer it.",
        ctx.now,
    )
    return [Text(HANDED_OVER)]


@router.choice(NoThanks)
async def no_thanks(event: InboundEvent, ctx: Context, pressed: NoThanks) -> list[Reply]:
    return [Text("No problem. Ask me anything else, or send /help.")]
