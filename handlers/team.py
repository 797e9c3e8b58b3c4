"""The programme team's desk in chat: questions people handed over, the report, knowledge
reloads. The rules are in services/team.py, which the command line (handlers/team_cli.py) calls
too, so chat and terminal follow the same rules.
"""

from __future__ import annotations

from bot.context import Context
from bot.messages import Choice, ChoicePress, Choices, InboundEvent, Reply, Text, TextMessage
from bot.reload import reload_knowledge
from bot.router import Access, Router
from services import team
from storage.models import TeamQuestion

router = Router("team")

ANSWER, ALTERNATE = "team:answer", "team:alt"
ANSWER_FLOW, ANSWER_STEP = "team-answer", "text"
SHOWN_AT_ONCE = 10


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
    return [Choices(text, tuple(Choice(f"Answer #{r.id}", f"{ANSWER}:{r.id}") for r in shown))]


@router.choice(ANSWER, access=Access.STAFF, private_only=True)
async def start_answer(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, ChoicePress)
    argument = event.content.argument(ANSWER)
    row = await team.waiting_question(ctx.repos, int(argument)) if argument.isdigit() else None
    if row is None:
        return [Text("That question has been answered already. Send /unanswered for the rest.")]
    await ctx.conversation.go_to(ANSWER_FLOW, ANSWER_STEP, {"question_id": row.id})
    return [Text(f"Type your answer to {_describe(row)}\nOr /cancel.")]


@router.step(ANSWER_FLOW, ANSWER_STEP, access=Access.STAFF)
async def answer_typed(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert isinstance(event.content, TextMessage) and ctx.conversation.state is not None
    question_id = int(ctx.conversation.state.data["question_id"])
    await ctx.conversation.finish()
    try:
        row = await team.answer_question(ctx.repos, question_id, event.content.text, ctx.now)
    except team.TeamDeskError as error:
        return [Text(f"Not sent: {error}.")]
    knowledge = ctx.services.knowledge.current
    candidates = knowledge.match(row.question).candidates
    options = tuple(
        Choice(f"Add to: {m.entry.question}", f"{ALTERNATE}:{row.id}:{m.entry.id}")
        for m in candidates
    )
    sent = f"Sent to {row.asker_name}."
    if not options or not team.may_become_alternate(row):
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
        row = await team.add_alternate(
            ctx.repos, ctx.services.knowledge.current, int(question_id), entry_id, ctx.now
        )
    except team.TeamDeskError as error:
        return [Text(f"Not added: {error}.")]
    return [Text(f"Learnt: «{row.question}» now also finds {entry_id} (live within seconds).")]


@router.command(
    "report", summary="Most-missed questions first", access=Access.STAFF, private_only=True
)
async def report(event: InboundEvent, ctx: Context) -> list[Reply]:
    return [Text("\n".join(await team.missed_report(ctx.repos)))]


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
