"""The core's own commands: `chat`, `serve`, `telegram set-webhook`, `db upgrade` / `current` /
`purge`, `jobs list`."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.adapters.console import ConsoleChat, console_user, run_console
from bot.commandline import (
    CliCommands,
    CommandFailed,
    Desk,
    Invocation,
    argument,
    open_database,
    parsed_by,
)
from bot.core import Bot
from bot.joblist import list_jobs
from bot.middleware import TERMINAL_MIDDLEWARE
from bot.parsing import whole_number
from bot.web import create_web_app, platform_adapters
from services import retention
from storage.migrate import database_revision

log = logging.getLogger("cedp-bot")

cli = CliCommands()


@cli.tool(
    "chat",
    argument(
        "--user", default=console_user(), metavar="ID", help="console identity (default: you)"
    ),
    argument("--name", metavar="NAME", help="display name (default: the identity)"),
    help="talk to the bot in this terminal",
)
async def chat(invocation: Invocation, *, user: str, name: str | None) -> int:
    bot = await Bot.start(invocation.settings, middleware=TERMINAL_MIDDLEWARE)
    bot.start_background()
    try:
        console = ConsoleChat(bot, user_id=user, display_name=name or user)
        await run_console(console, invocation.stdin, invocation.stdout)
    finally:
        await bot.close()
    return 0


@cli.tool(
    "serve",
    argument(
        "--host",
        default="127.0.0.1",
        metavar="HOST",
        help="address to listen on (default: %(default)s)",
    ),
    argument(
        "--port",
        type=parsed_by(whole_number(1, 65_535)),
        default=8080,
        metavar="PORT",
        help="TCP port to listen on (default: %(default)s)",
    ),
    argument(
        "--telegram-polling",
        action="store_true",
        help="fetch Telegram updates by long polling (no public address needed)",
    ),
    help="run the web server (health, metrics, webhooks)",
    server=True,
)
async def serve(invocation: Invocation, *, host: str, port: int, telegram_polling: bool) -> int:
    bot = await Bot.start(invocation.settings)
    bot.start_background()
    try:
        adapters = platform_adapters(bot, telegram_polling=telegram_polling)
    except BaseException:
        await bot.close()
        raise
    runner = web.AppRunner(create_web_app(bot, adapters), handle_signals=False)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stopping.set)
    try:
        await runner.setup()  # starts the adapters; closes the bot when cleaned up
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as error:
            raise CommandFailed(f"cannot listen on {host}:{port}: {error.strerror}") from None
        log.info("serving on http://%s:%d", host, port)
        await stopping.wait()
        log.info("shutting down")
    finally:
        await runner.cleanup()
    return 0


telegram = cli.group("telegram", help="Telegram set-up")


@telegram.tool(
    "set-webhook",
    argument("--url", metavar="URL", help="public https URL (default: TELEGRAM_WEBHOOK_URL)"),
    help="register the webhook with Telegram (secret, allowed updates)",
)
async def set_webhook(invocation: Invocation, *, url: str | None) -> int:
    from bot.adapters.telegram import connect, register_webhook  # the SDK loads only when used

    settings = invocation.settings
    if url:
        settings = settings.model_copy(update={"telegram_webhook_url": url})
    try:
        async with connect(settings) as api:
            await register_webhook(api, settings)
    except ValueError as error:
        raise CommandFailed(str(error)) from None
    print(
        f"Telegram will deliver updates to {settings.telegram_webhook_url}", file=invocation.stdout
    )
    return 0


db = cli.group("db", help="database schema and retention")


async def _show_revision(invocation: Invocation, *, migrate: bool) -> int:
    async with open_database(invocation.settings, migrate=migrate) as database:
        current, head = await database_revision(database.engine)
    print(f"database at revision {current or 'none'} (newest: {head})", file=invocation.stdout)
    return 0


@db.tool("upgrade", help="apply migrations")
async def upgrade(invocation: Invocation) -> int:
    return await _show_revision(invocation, migrate=True)


@db.tool("current", help="show the schema revision")
async def current(invocation: Invocation) -> int:
    return await _show_revision(invocation, migrate=False)


@db.command("purge", help="purge now what the retention periods say has been kept long enough")
async def purge(desk: Desk) -> list[str]:
    purged = await retention.purge(desk.repos, desk.settings, desk.now)
    return [f"{count}\t{what}" for what, count in purged.items()]


jobs = cli.group("jobs", help="timed work (reminders, scheduled sends)")


@jobs.command(
    "list",
    argument("--dead", action="store_true", help="only jobs that failed for good"),
    help="jobs waiting to run, and dead ones",
)
async def list_waiting_jobs(desk: Desk, *, dead: bool) -> list[str]:
    return await list_jobs(desk.repos, dead_only=dead)
