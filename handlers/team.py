"""The programme team's desk in chat: questions people handed over, the report, knowledge
reloads. The rules are in services/team.py, which the command line (handlers/team_cli.py) calls
too, so chat and terminal follow the same rules.
"""

from __future__ import annotations

from bot.context import Context
from bot.flows import Flow, Step
from bot.messages import Choices, InboundEvent, Reply, Text, TextMessage
from bot.payloads import EntryId, Payload, offer
from bot.reload import reload_knowledge
from bot.router import Access, Router
from services import team
from storage.models import TeamQuestion

router = Router("team")

SHOWN_AT_ONCE = 10
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
    """Learn nothing from the answered question."""

    question: int


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
    rows = list(await team.waiting_questions(ctx.repos))
    if not rows:
        return [Text("No questions are waiting for the team.")]
    shown = rows[:SHOWN_AT_ONCE]
    more = f"\n(and {len(rows) - len(shown)} more)" if len(rows) > len(shown) else ""
    text = "Waiting for an answer:\n" + "\n".join(_describe(row) for row in shown) + more
    return [Choices(text, tuple(offer(f"Answer #{r.id}", StartAnswer(r.id)) for r in shown))]


@router.choice(StartAnswer, access=Access.STAFF, private_only=True)
async def start_answer(event: InboundEvent, ctx: Context, pressed: StartAnswer) -> list[Reply]:
    row = await team.waiting_question(ctx.repos, pressed.question)
    if row is None:
        return [Text("That question has been answered already. Send /unanswered for the rest.")]
    await ctx.conversation.go_to(AnswerFlow.TEXT, {"question_id": row.id})
    return [Text(f"Type your answer to {_describe(row)}\nOr /cancel.")]


@router.step(AnswerFlow.TEXT, access=Access.STAFF)
async def answer_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    """Send the answer, then offer to learn the question as a way of asking an entry it
    plausibly means: only the candidates the engine would itself suggest as "did you mean"."""
    assert isinstance(event.content, TextMessage) and ctx.conversation.state is not None
    assert event.member is not None
    question_id = int(ctx.conversation.state.data["question_id"])
    await ctx.conversation.finish()
    knowledge = ctx.services.knowledge.current
    try:
        row = await team.answer_question(
            ctx.repos,
            knowledge,
            ctx.services.askers,
            question_id,
            event.content.text,
            ctx.now,
            by=event.member,
        )
    except team.TeamDeskError as error:
        return [Text(f"Not sent: {error}.")]
    sent = f"Sent to {row.asker_name}."
    options = tuple(
        offer(f"Add to: {entry.question}", LearnAlternate(row.id, entry.id))
        for entry in team.learnable_entries(knowledge, row)
    )
    if not options:
        return [Text(sent)]
    question = f"{sent} Should I learn this question as a way of asking one of these?"
    return [Choices(question, (*options, offer(DONT_ADD, DontLearn(row.id))))]


@router.choice(LearnAlternate, access=Access.STAFF, private_only=True)
async def alternate_chosen(
    event: InboundEvent, ctx: Context, pressed: LearnAlternate
) -> list[Reply]:
    try:
        row = await team.add_alternate(
            ctx.repos, ctx.services.knowledge.current, pressed.question, pressed.entry, ctx.now
        )
    except team.TeamDeskError as error:
        return [Text(f"Not added: {error}.")]
    return [Text(f"Learnt: «{row.question}» now also finds {pressed.entry} (live within seconds).")]


@router.choice(DontLearn, access=Access.STAFF, private_only=True)
async def alternate_declined(event: InboundEvent, ctx: Context, pressed: DontLearn) -> list[Reply]:
    await team.keep_unlearnt(ctx.repos, pressed.question)
    return [Text("Fine: the knowledge base stays as it is.")]


@router.command(
    "report", summary="Most-missed questions first", access=Access.STAFF, private_only=True
)
async def report(event: InboundEvent, ctx: Context) -> list[Reply]:
    return [Text("\n".join(await team.missed_report(ctx.repos)))]


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
