"""The programme team's desk at the terminal: `cedp-bot kb ...` checks and measures the knowledge
base they maintain, and answers the questions people handed to them (rules: services/team.py)."""

from __future__ import annotations

from pathlib import Path

from bot.commandline import CliCommands, CommandFailed, Desk, Invocation, argument, parsed_by
from bot.parsing import whole_number
from handlers.faq_cli import KB_OPTION, knowledge_for
from knowledge.base import check_knowledge, load_knowledge
from knowledge.evaluation import evaluate, read_queries
from services import team
from storage.models import MAX_ID

cli = CliCommands()
kb = cli.group("kb", help="knowledge base tools and the team's questions")


@kb.tool(
    "check",
    argument(
        "path",
        nargs="?",
        type=Path,
        metavar="PATH",
        help="knowledge base file or folder (default: CEDP_KNOWLEDGE_PATH)",
    ),
    help="validate a knowledge base",
)
async def check(invocation: Invocation, *, path: Path | None) -> int:
    path = path or invocation.settings.knowledge_path
    entries, problems = check_knowledge(path)
    for problem in problems:
        print(problem, file=invocation.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {path}", file=invocation.stderr)
        return 1
    print(f"{path}: {len(entries)} entries, no problems", file=invocation.stdout)
    return 0


@kb.tool(
    "eval",
    KB_OPTION,
    argument(
        "queries",
        type=Path,
        metavar="QUERIES.jsonl",
        help='JSON lines {"q": ..., "id": ... or null}',
    ),
    help="measure answers against labelled queries (JSON lines)",
)
async def eval_queries(invocation: Invocation, *, kb: Path | None, queries: Path) -> int:
    knowledge = knowledge_for(invocation.settings, kb)
    try:
        labelled = read_queries(queries)
    except (OSError, ValueError) as error:
        raise CommandFailed(str(error)) from None
    print("\n".join(evaluate(knowledge, labelled).lines()), file=invocation.stdout)
    return 0


@kb.command("unanswered", help="questions people handed to the team")
async def unanswered(desk: Desk) -> list[str]:
    rows = await team.waiting_questions(desk.repos)
    if not rows:
        return ["No questions are waiting for the team."]
    return ["id\tasked\tfrom\tquestion"] + [
        f"{row.id}\t{row.created_at:%Y-%m-%d %H:%M}\t{row.asker_name}\t{row.question}"
        for row in rows
    ]


@kb.command(
    "answer",
    argument(
        "question_id",
        type=parsed_by(whole_number(1, MAX_ID)),
        metavar="N",
        help="the question's number, as `kb unanswered` lists it",
    ),
    argument("text", metavar="TEXT", help="the answer, in quotes; the asker receives it"),
    argument(
        "--alternate-of",
        metavar="ENTRY_ID",
        help="also learn the question as a way of asking this knowledge base entry",
    ),
    KB_OPTION,
    help="answer a handed-over question; the asker gets it",
)
async def answer(
    desk: Desk, *, question_id: int, text: str, alternate_of: str | None, kb: Path | None
) -> list[str]:
    row = await team.answer_question(desk.repos, question_id, text, desk.now)
    lines = [f"answered #{row.id}; the answer is on its way to {row.asker_name}"]
    if alternate_of:
        knowledge = load_knowledge(kb or desk.settings.knowledge_path)
        await team.add_alternate(desk.repos, knowledge, row.id, alternate_of, desk.now)
        lines.append(f"«{row.question}» added as a way of asking {alternate_of}")
    return lines


@kb.command(
    "report",
    argument(
        "--limit",
        type=parsed_by(whole_number(1, team.MAX_REPORT_LINES)),
        default=team.REPORT_LINES,
        metavar="N",
        help=f"how many lines, from 1 to {team.MAX_REPORT_LINES} (default: %(default)s)",
    ),
    help="most-missed questions first",
)
async def report(desk: Desk, *, limit: int) -> list[str]:
    return await team.missed_report(desk.repos, limit)
