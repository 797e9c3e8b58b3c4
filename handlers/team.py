"""The programme team's desk: questions people handed over, the report, knowledge reloads.

The functions without a route (`answer_question`, `add_alternate`, `report_lines`) also serve
the command line, so chat and terminal follow the same rules.
"""

from __future__ import annotations

from datetime import datetime

from bot.context import Context
from bot.messages import Choice, ChoicePress, Choices, InboundEvent, Reply, Text, TextMessage
from bot.reload import reload_knowledge
from bot.router import Access, Router
from knowledge.base import KnowledgeBase
from storage.faq import Missed
from storage.models import TeamQuestion
from storage.repositories import Repositories

router = Router("team")

ANSWER, ALTERNATE = "team:answer", "team:alt"
ANSWER_FLOW, ANSWER_STEP = "team-answer", "text"
SHOWN_AT_ONCE = 10
MAX_ALTERNATE_CHARS = 300


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
    return [Choices(text, tuple(Choice(f"Answer #{r.id}", f"{ANSWER}:{r.id}") for r in shown))]


@router.choice(ANSWER, access=Access.STAFF, private_only=True)
async def start_answer(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, ChoicePress)
    argument = event.content.argument(ANSWER)
    row = await ctx.repos.team_questions.get(int(argument)) if argument.isdigit() else None
    if row is None or row.answer is not None:
        return [Text("That question has been answered already. Send /unanswered for the rest.")]
    await ctx.conversation.go_to(ANSWER_FLOW, ANSWER_STEP, {"question_id": row.id})
    return [Text(f"Type your answer to {_describe(row)}\nOr /cancel.")]


@router.step(ANSWER_FLOW, ANSWER_STEP, access=Access.STAFF)
async def answer_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage) and ctx.conversation.state is not None
    question_id = int(ctx.conversation.state.data["question_id"])
    await ctx.conversation.finish()
    try:
        row = await answer_question(ctx.repos, question_id, event.content.text, ctx.now)
    except TeamDeskError as error:
        return [Text(f"Not sent: {error}.")]
    knowledge = ctx.services.knowledge.current
    candidates = knowledge.match(row.question).candidates
    options = tuple(
        Choice(f"Add to: {m.entry.question}", f"{ALTERNATE}:{row.id}:{m.entry.id}")
        for m in candidates
    )
    sent = f"Sent to {row.asker_name}."
    if not options or len(row.question) > MAX_ALTERNATE_CHARS:
        return [Text(sent)]
    return [
        Choices(f"{sent} Should I learn this question as a way of asking one of these?", options)
    ]


@router.choice(ALTERNATE, access=Access.STAFF, private_only=True)
async def alternate_chosen(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, ChoicePress)
    question_id, _, entry_id = event.content.argument(ALTERNATE).partition(":")
    if not question_id.isdigit():
        return [Text("That button is from an older message.")]
    try:
        row = await add_alternate(
            ctx.repos, ctx.services.knowledge.current, int(question_id), entry_id, ctx.now
        )
    except TeamDeskError as error:
        return [Text(f"Not added: {error}.")]
    return [Text(f"Learnt: «{row.question}» now also finds {entry_id} (live within seconds).")]


@router.command(
    "report", summary="Most-missed questions first", access=Access.STAFF, private_only=True
)
async def report(event: InboundEvent, ctx: Context) -> list[Reply]:
    return [Text("\n".join(report_lines(await ctx.repos.faq.most_missed())))]


@router.command(
    "reload", summary="Reload the knowledge base now", access=Access.STAFF, private_only=True
)
async def reload(event: InboundEvent, ctx: Context) -> list[Reply]:
    outcome = await reload_knowledge(ctx.services.knowledge, ctx.repos, ctx.now, force=True)
    assert outcome is not None
    if outcome.problems:
        return [
            Text(
                "Not reloaded; the previous version is still answering:\n" + outcome.problem_list()
            )
        ]
    return [Text(f"Knowledge base reloaded: {outcome.entries} entries.")]
