"""The programme team's desk at the terminal: `cedp-bot kb ...` checks and measures the knowledge
base they maintain, answers the questions people handed to them (rules: services/team.py), and
learns the phrasings people used (rules: services/learning.py)."""

from __future__ import annotations

from pathlib import Path

from bot.binding import secret_in
from bot.commandline import (
    CliCommands,
    CommandFailed,
    Desk,
    Invocation,
    argument,
    open_database,
    parsed_by,
)
from bot.parsing import whole_number
from domain.people import OPERATOR
from handlers.faq_cli import KB_OPTION, knowledge_for
from knowledge.base import KnowledgeBase, check_knowledge, check_lines, load_knowledge
from knowledge.evaluation import evaluate, read_queries
from knowledge.source import KnowledgeSource
from services import learning, team
from services.alternates_file import ExportError, export_alternates
from services.learning import AskerDigests
from storage.models import MAX_ID
from storage.repositories import Repositories

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
    if problems:
        print("\n".join(check_lines(path, problems)), file=invocation.stderr)
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
    knowledge = load_knowledge(kb or desk.settings.knowledge_path)
    askers = AskerDigests(await secret_in(desk.settings, desk.repos.keys, desk.now))
    row = await team.answer_question(
        desk.repos,
        knowledge,
        askers,
        question_id,
        text,
        desk.now,
        by=OPERATOR,
        linking=alternate_of,
    )
    lines = [f"answered #{row.id}; the answer is on its way to {row.asker_name}"]
    if alternate_of:
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


async def _live_knowledge(desk: Desk, kb: Path | None) -> KnowledgeBase:
    """The knowledge base as the bot answers from it: its files and the alternates staff added
    (suggestions are grouped and numbered on it, so the numbers match /learn's)."""
    source = KnowledgeSource(kb or desk.settings.knowledge_path)
    rows = await desk.repos.faq.alternates()
    source.load(
        [(row.entry_id, row.text) for row in rows], await desk.repos.faq.alternates_version()
    )
    return source.current


@kb.command(
    "suggestions",
    KB_OPTION,
    help="phrasings that different people used to reach an entry, to accept as alternates",
)
async def suggestions(desk: Desk, *, kb: Path | None) -> list[str]:
    found = await learning.suggestions(desk.repos, await _live_knowledge(desk, kb))
    return learning.waiting_lines(found)


@kb.command(
    "accept",
    argument(
        "number",
        type=parsed_by(whole_number(1, MAX_ID)),
        metavar="N",
        help="the suggestion's number, as `kb suggestions` lists it",
    ),
    KB_OPTION,
    help="add suggestion N as a way of asking its entry (live at the bot's next reload check)",
)
async def accept(desk: Desk, *, number: int, kb: Path | None) -> list[str]:
    knowledge = await _live_knowledge(desk, kb)
    suggestion = await learning.accept(desk.repos, knowledge, number, desk.now, OPERATOR)
    return [f"added «{suggestion.text}» as a way of asking {suggestion.entry.id}"]


@kb.tool(
    "export-alternates",
    KB_OPTION,
    help="write the alternates added in the database into the knowledge base YAML, in place",
)
async def export(invocation: Invocation, *, kb: Path | None) -> int:
    path = kb or invocation.settings.knowledge_path
    _, problems = check_knowledge(path)
    if problems:
        raise CommandFailed(f"{path} has problems; fix them first (`cedp-bot kb check`)")
    async with open_database(invocation.settings) as database, database.transaction() as session:
        rows = await Repositories.bound_to(session).faq.alternates()
    try:
        exported = export_alternates(path, [(row.entry_id, row.text) for row in rows])
    except ExportError as error:
        raise CommandFailed(str(error)) from None
    out = invocation.stdout
    for entry_id, texts in sorted(exported.written.items()):
        for text in texts:
            print(f"{entry_id}\t{text}", file=out)
    for entry_id, count in sorted(exported.unknown.items()):
        print(f"skipped {count} alternate(s) of {entry_id}: no such entry in {path}", file=out)
    files = ", ".join(str(file) for file in exported.files) or "no file changed"
    print(f"{exported.count} alternate(s) written ({files})", file=out)
    return 0
