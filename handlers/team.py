"""The programme team's desk: questions people handed over, the report, knowledge reloads.

The functions without a route (`answer_question`, `add_alternate`, `report_lines`) also serve
the command line, so chat and terminal follow the same rules.
"""

from __future__ import annotations

from datetime import datetime

from bot.context import Context
from bot.flows import Flow, Step
from bot.messages import Choices, InboundEvent, Reply, Text, TextMessage
from bot.payloads import EntryId, Payload, offer
from bot.reload import reload_knowledge
from bot.router import Access, Router
from knowledge.base import KnowledgeBase
from storage.faq import Missed
from storage.models import TeamQuestion
from storage.repositories import Repositories

router = Router("team")

SHOWN_AT_ONCE = 10
MAX_ALTERNATE_CHARS = 300
DONT_ADD = "Don't add"


class AnswerFlow(Flow, name="team-answer"):
    """A staff member typing the answer to a handed-over question."""

    TEXT = Step()


class StartAnswer(Payload, prefix="team:answer"):
    question: int


class LearnAlternate(Payload, prefix="team:alt"):
    """Learn the answered question as a way of asking `entry`."""

    question: int
    entry: EntryId


class DontLearn(Payload, prefix="team:keep"):
    pass


class TeamDeskError(Exception):
    """A request staff made that cannot be carried out; the message says why."""


async def answer_question(
    repos: Repositories, question_id: int, answer: str, now: datetime
) -> TeamQuestion:
    """Record the team's answer and queue it for the asker, exactly once."""
    answer = answer.strip()
    if not answer:
        raise TeamDeskError("the answer is empty")
    row = await repos.team_questions.answer(question_id, answer, now)
    if row is None:
        exists = await repos.team_questions.get(question_id)
        raise TeamDeskError(
            f"question #{question_id} was already answered"
            if exists
            else f"there is no question #{question_id}"
        )
    if row.recipient_id is not None:
        await repos.outbox.enqueue(
            row.platform,
            row.recipient_id,
            f"The programme team has answered your question «{row.question}»:\n\n{answer}",
            now,
        )
        await repos.team_questions.forget_asker(row)
    return row


async def add_alternate(
    repos: Repositories, knowledge: KnowledgeBase, question_id: int, entry_id: str, now: datetime
) -> TeamQuestion:
    """Teach an entry the way this person asked; live at the next knowledge reload."""
    row = await repos.team_questions.get(question_id)
    if row is None:
        raise TeamDeskError(f"there is no question #{question_id}")
    if entry_id not in knowledge.entries:
        raise TeamDeskError(f"there is no entry {entry_id!r} in the knowledge base")
    if len(row.question) > MAX_ALTERNATE_CHARS:
        raise TeamDeskError("that question is too long to be a way of asking an entry")
    await repos.faq.add_alternate(entry_id, row.question, now)
    return row


def report_lines(missed: list[Missed]) -> list[str]:
    """Most-missed questions first: not answered, or answered but marked not helpful."""
    if not missed:
        return ["Nothing missed so far: no unanswered questions and no 👎."]
    lines = []
    for item in missed:
        if item.entry_id is None:
            lines.append(f"{item.count} × not answered: «{item.question}»")
        else:
            lines.append(f"{item.count} × 👎 on {item.entry_id} (e.g. «{item.question}»)")
    return lines


def _describe(row: TeamQuestion) -> str:
    return f"#{row.id} from {row.asker_name}, {row.created_at:%d %b %H:%M}: «{row.question}»"


@router.command(
    "unanswered",
    summary="Questions people handed to the team, to answer",
    access=Access.STAFF,
    menu="Unanswered questions",
    private_only=True,
)
async def unanswered(event: InboundEvent, ctx: Context) -> list[Reply]:
    rows = list(await ctx.repos.team_questions.open())
    if not rows:
        return [Text("No questions are waiting for the team.")]
    shown = rows[:SHOWN_AT_ONCE]
    more = f"\n(and {len(rows) - len(shown)} more)" if len(rows) > len(shown) else ""
    text = "Waiting for an answer:\n" + "\n".join(_describe(row) for row in shown) + more
    return [Choices(text, tuple(offer(f"Answer #{r.id}", StartAnswer(r.id)) for r in shown))]


@router.choice(StartAnswer, access=Access.STAFF, private_only=True)
async def start_answer(event: InboundEvent, ctx: Context, pressed: StartAnswer) -> list[Reply]:
    row = await ctx.repos.team_questions.get(pressed.question)
    if row is None or row.answer is not None:
        return [Text("That question has been answered already. Send /unanswered for the rest.")]
    await ctx.conversation.go_to(AnswerFlow.TEXT, {"question_id": row.id})
    return [Text(f"Type your answer to {_describe(row)}\nOr /cancel.")]


@router.step(AnswerFlow.TEXT, access=Access.STAFF)
async def answer_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    """Send the answer, then offer to learn the question as a way of asking an entry it
    plausibly means: only the candidates the engine would itself suggest as "did you mean"."""
    assert isinstance(event.content, TextMessage) and ctx.conversation.state is not None
    question_id = int(ctx.conversation.state.data["question_id"])
    await ctx.conversation.finish()
    try:
        row = await answer_question(ctx.repos, question_id, event.content.text, ctx.now)
    except TeamDeskError as error:
        return [Text(f"Not sent: {error}.")]
    sent = f"Sent to {row.asker_name}."
    if len(row.question) > MAX_ALTERNATE_CHARS:
        return [Text(sent)]
    plausible = ctx.services.knowledge.current.match(row.question).suggestions
    options = tuple(
        offer(f"Add to: {m.entry.question}", LearnAlternate(row.id, m.entry.id)) for m in plausible
    )
    if not options:
        return [Text(sent)]
    question = f"{sent} Should I learn this question as a way of asking one of these?"
    return [Choices(question, (*options, offer(DONT_ADD, DontLearn())))]


@router.choice(LearnAlternate, access=Access.STAFF, private_only=True)
async def alternate_chosen(
    event: InboundEvent, ctx: Context, pressed: LearnAlternate
) -> list[Reply]:
    try:
        row = await add_alternate(
            ctx.repos, ctx.services.knowledge.current, pressed.question, pressed.entry, ctx.now
        )
    except TeamDeskError as error:
        return [Text(f"Not added: {error}.")]
    return [Text(f"Learnt: «{row.question}» now also finds {pressed.entry} (live within seconds).")]


@router.choice(DontLearn, access=Access.STAFF, private_only=True)
async def alternate_declined(event: InboundEvent, ctx: Context, pressed: DontLearn) -> list[Reply]:
    return [Text("Fine: the knowledge base stays as it is.")]


@router.command(
    "report", summary="Most-missed questions first", access=Access.STAFF, private_only=True
)
async def report(event: InboundEvent, ctx: Context) -> list[Reply]:
    return [Text("\n".join(report_lines(await ctx.repos.faq.most_missed())))]


@router.command(
    "reload", summary="Reload the knowledge base now", access=Access.STAFF, private_only=True
)
async def reload(event: InboundEvent, ctx: Context) -> list[Reply]:
    outcome = await reload_knowledge(
        ctx.services.knowledge, ctx.repos, ctx.services.binder, ctx.now, force=True
    )
    assert outcome is not None
    if outcome.problems:
        return [
            Text(
                "Not reloaded; the previous version is still answering:\n" + outcome.problem_list()
            )
        ]
    return [Text(f"Knowledge base reloaded: {outcome.entries} entries.")]
