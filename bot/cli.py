"""`cedp-bot`: the command line (chat, serve, ask, kb, db, invites, members, telegram)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from aiohttp import web

from bot import admin
from bot.adapters.console import ConsoleChat, console_user, run_console
from bot.context import utc_now
from bot.core import Bot
from bot.joblist import list_jobs
from bot.logs import configure_logging
from bot.parsing import parse_duration, parse_role, parse_tags
from bot.settings import Settings
from bot.web import create_web_app, platform_adapters
from knowledge.base import KnowledgeBase, KnowledgeError, check_knowledge, load_knowledge
from knowledge.engine import MatchResult
from knowledge.evaluation import evaluate, read_queries
from knowledge.semantic import choose_encoder
from storage.database import Database
from storage.migrate import database_revision, upgrade_database
from storage.repositories import Repositories

log = logging.getLogger("cedp-bot")

AdminCommand = Callable[[Repositories, argparse.Namespace, Any], Awaitable[list[str]]]


def _typed(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """Let argparse show our parsers' own messages for bad values."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return convert


def _identity(text: str) -> tuple[str, str]:
    platform, _, external_id = text.partition(":")
    if not platform or not external_id:
        raise ValueError(f"{text!r} is not PLATFORM:ID, e.g. telegram:12345 or console:alice")
    return platform, external_id


async def _run_chat(settings: Settings, args: argparse.Namespace) -> int:
    bot = await Bot.start(settings)
    bot.start_background()
    try:
        chat = ConsoleChat(bot, user_id=args.user, display_name=args.name or args.user)
        await run_console(chat, sys.stdin, sys.stdout)
    finally:
        await bot.close()
    return 0


async def _run_serve(settings: Settings, args: argparse.Namespace) -> int:
    bot = await Bot.start(settings)
    bot.start_background()
    try:
        adapters = platform_adapters(bot, telegram_polling=args.telegram_polling)
    except BaseException:
        await bot.close()
        raise
    runner = web.AppRunner(create_web_app(bot, adapters), handle_signals=False)
    await runner.setup()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stopping.set)
    try:
        await web.TCPSite(runner, args.host, args.port).start()
        log.info("serving on http://%s:%d", args.host, args.port)
        await stopping.wait()
        log.info("shutting down")
    finally:
        await runner.cleanup()  # closes the bot and its database pool
    return 0


def _question(line: str) -> str:
    """A stdin line is plain text or a JSON object with "q"."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError:
            return stripped
        if isinstance(parsed, dict) and isinstance(parsed.get("q"), str):
            return parsed["q"]
    return stripped


def ask_record(question: str, result: MatchResult) -> dict[str, Any]:
    """One line of `ask --json`."""
    best = result.answer
    top = result.candidates[0].score if result.candidates else 0.0
    return {
        "q": question,
        "id": best.entry.id if best else None,
        "score": best.score if best else top,
        "answer": best.entry.answer if best else None,
        "candidates": [{"id": m.entry.id, "score": m.score} for m in result.candidates],
    }


def _knowledge_for(settings: Settings, path: Path | None) -> KnowledgeBase:
    return load_knowledge(path or settings.knowledge_path, choose_encoder(settings.semantic))


def _run_ask(settings: Settings, args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    knowledge = _knowledge_for(settings, args.kb)
    for line in stdin:
        question = _question(line)
        record = ask_record(question, knowledge.match(question))
        if args.json:
            stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            answer = record["answer"] or "(not answered confidently)"
            stdout.write(f"Q: {question}\n   {record['id']} ({record['score']}): {answer}\n")
    return 0


def _run_kb_eval(settings: Settings, args: argparse.Namespace) -> int:
    knowledge = _knowledge_for(settings, args.kb)
    try:
        queries = read_queries(args.queries)
    except (OSError, ValueError) as error:
        print(f"cedp-bot: {error}", file=sys.stderr)
        return 1
    print("\n".join(evaluate(knowledge, queries).lines()))
    return 0


def _run_kb_check(settings: Settings, args: argparse.Namespace) -> int:
    path = args.path or settings.knowledge_path
    entries, problems = check_knowledge(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(f"{path}: {len(entries)} entries, no problems")
    return 0


async def _run_telegram(settings: Settings, args: argparse.Namespace) -> int:
    from bot.adapters.telegram import connect, register_webhook  # the SDK loads only when used

    if args.url:
        settings = settings.model_copy(update={"telegram_webhook_url": args.url})
    try:
        async with connect(settings) as api:
            await register_webhook(api, settings)
    except ValueError as error:
        print(f"cedp-bot: {error}", file=sys.stderr)
        return 1
    print(f"Telegram will deliver updates to {settings.telegram_webhook_url}")
    return 0


async def _run_db(settings: Settings, args: argparse.Namespace) -> int:
    database = Database(settings.database_url)
    try:
        if args.db_command == "upgrade":
            await upgrade_database(database.engine)
        current, head = await database_revision(database.engine)
        print(f"database at revision {current or 'none'} (newest: {head})")
    finally:
        await database.dispose()
    return 0


async def _run_admin(settings: Settings, args: argparse.Namespace) -> int:
    command: AdminCommand = args.admin
    database = Database(settings.database_url)
    try:
        await upgrade_database(database.engine)
        async with database.transaction() as session:
            lines = await command(Repositories.bound_to(session), args, utc_now())
    except admin.AdminError as error:
        print(f"cedp-bot: {error}", file=sys.stderr)
        return 1
    finally:
        await database.dispose()
    print("\n".join(lines))
    return 0


async def _list_jobs(repos: Repositories, args: argparse.Namespace, now: datetime) -> list[str]:
    return await list_jobs(repos, dead_only=args.dead)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cedp-bot", description="The CEDP information line and assistant."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--user", default=console_user(), help="console identity (default: you)")
    chat.add_argument("--name", help="display name (default: the identity)")

    serve = commands.add_parser("serve", help="run the web server (health, metrics, webhooks)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--telegram-polling",
        action="store_true",
        help="fetch Telegram updates by long polling (no public address needed)",
    )

    telegram = commands.add_parser("telegram", help="Telegram set-up").add_subparsers(
        dest="telegram_command", required=True, metavar="TELEGRAM_COMMAND"
    )
    set_webhook = telegram.add_parser(
        "set-webhook", help="register the webhook with Telegram (secret, allowed updates)"
    )
    set_webhook.add_argument("--url", help="public https URL (default: TELEGRAM_WEBHOOK_URL)")

    ask = commands.add_parser("ask", help="answer questions from stdin, one per line")
    ask.add_argument("--kb", type=Path, help="knowledge base file or folder")
    ask.add_argument("--json", action="store_true", help="one JSON object per line")

    kb = commands.add_parser("kb", help="knowledge base tools").add_subparsers(
        dest="kb_command", required=True, metavar="KB_COMMAND"
    )
    kb.add_parser("check", help="validate a knowledge base").add_argument(
        "path", nargs="?", type=Path
    )
    kb.add_parser("unanswered", help="questions people handed to the team").set_defaults(
        admin=admin.list_unanswered
    )
    kb_answer = kb.add_parser("answer", help="answer a handed-over question; the asker gets it")
    kb_answer.add_argument("id", type=int)
    kb_answer.add_argument("text")
    kb_answer.add_argument("--alternate-of", metavar="ENTRY_ID", help="also learn the question")
    kb_answer.add_argument("--kb", type=Path, help="knowledge base file or folder")
    kb_answer.set_defaults(admin=admin.answer_unanswered)
    kb_report = kb.add_parser("report", help="most-missed questions first")
    kb_report.add_argument("--limit", type=int, default=20)
    kb_report.set_defaults(admin=admin.missed_report)
    kb_eval = kb.add_parser("eval", help="measure answers against labelled queries (JSON lines)")
    kb_eval.add_argument("--kb", type=Path, help="knowledge base file or folder")
    kb_eval.add_argument("queries", type=Path, help='JSON lines {"q": ..., "id": ... or null}')

    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True, metavar="DB_COMMAND"
    )
    db.add_parser("upgrade", help="apply migrations")
    db.add_parser("current", help="show the schema revision")

    role = _typed(parse_role)
    tags = _typed(parse_tags)
    invites = commands.add_parser("invites", help="invite codes").add_subparsers(
        dest="invites_command", required=True, metavar="INVITES_COMMAND"
    )
    create = invites.add_parser("create", help="create an invite code")
    create.add_argument("--role", type=role, required=True)
    create.add_argument("--tags", type=tags, default=[])
    create.add_argument("--uses", type=int, default=1, choices=range(1, 10_001), metavar="N")
    create.add_argument("--expires", type=_typed(parse_duration), help="e.g. 14d, 12h, 2w")
    create.set_defaults(admin=admin.create_invite)
    invites.add_parser("list", help="list invite codes").set_defaults(admin=admin.list_invites)
    revoke = invites.add_parser("revoke", help="withdraw an invite code")
    revoke.add_argument("code")
    revoke.set_defaults(admin=admin.revoke_invite)

    members = commands.add_parser("members", help="programme members").add_subparsers(
        dest="members_command", required=True, metavar="MEMBERS_COMMAND"
    )
    listing = members.add_parser("list", help="list members")
    listing.add_argument("--role", type=role)
    listing.add_argument("--tag")
    listing.set_defaults(admin=admin.list_members)
    add = members.add_parser("add", help="add a member")
    add.add_argument("--name", required=True)
    add.add_argument("--role", type=role, required=True)
    add.add_argument("--tags", type=tags, default=[])
    add.add_argument("--identity", type=_typed(_identity), help="PLATFORM:ID, e.g. console:alice")
    add.set_defaults(admin=admin.add_member)
    remove = members.add_parser("remove", help="remove a member and everything linked to them")
    remove.add_argument("id", type=int)
    remove.set_defaults(admin=admin.remove_member)
    set_role = members.add_parser("set-role", help="change a member's role")
    set_role.add_argument("id", type=int)
    set_role.add_argument("role", type=role)
    set_role.set_defaults(admin=admin.set_member_role)
    tag = members.add_parser("tag", help="add or remove a member's tags")
    tag.add_argument("id", type=int)
    tag.add_argument("--add", type=tags, default=[])
    tag.add_argument("--remove", type=tags, default=[])
    tag.set_defaults(admin=admin.tag_member)

    jobs = commands.add_parser("jobs", help="timed work (reminders, scheduled sends)")
    job_commands = jobs.add_subparsers(dest="jobs_command", required=True, metavar="JOBS_COMMAND")
    job_listing = job_commands.add_parser("list", help="jobs waiting to run, and dead ones")
    job_listing.add_argument("--dead", action="store_true", help="only jobs that failed for good")
    job_listing.set_defaults(admin=_list_jobs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    quiet = args.command in {"chat", "ask", "kb", "invites", "members", "db", "telegram", "jobs"}
    configure_logging("WARNING" if quiet else settings.log_level, settings.secrets())
    try:
        if args.command == "ask":
            return _run_ask(settings, args, sys.stdin, sys.stdout)
        if args.command == "kb" and args.kb_command in {"eval", "check"}:
            return (_run_kb_eval if args.kb_command == "eval" else _run_kb_check)(settings, args)
        args.default_knowledge = settings.knowledge_path
        runners = {
            "chat": _run_chat,
            "serve": _run_serve,
            "db": _run_db,
            "telegram": _run_telegram,
        }
        return asyncio.run(runners.get(args.command, _run_admin)(settings, args))
    except KnowledgeError as error:
        print(f"cedp-bot: the knowledge base has problems:\n{error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
