"""The floor for benchmarks/webhook.py: a bare python-telegram-bot echo bot behind an aiohttp
webhook with the same secret check, with nothing else (no database, no inbox, no core, no FAQ
engine): the update goes on PTB's in-memory queue and the webhook answers 200 at once.

    python -m benchmarks.echo_bot --port 8090 [--aiohttp-transport]   (reads TELEGRAM_* settings)

With --aiohttp-transport it sends through cedp-bot's transport instead of PTB's default httpx.
"""

from __future__ import annotations

import argparse
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.adapters.telegram import SECRET_HEADER, WEBHOOK_PATH, read_update
from bot.adapters.telegram_http import AiohttpRequest
from bot.core import HANDLING_SLOTS
from bot.settings import Settings
from bot.web import healthz


def webhook(
    application: Application[Any, Any, Any, Any, Any, Any], secret: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Check the secret in constant time, queue the update in memory, answer 200."""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret.encode()):
            return web.json_response({"ok": False}, status=403)
        try:
            update = read_update(json.loads(await request.read()), application.bot)
        except ValueError:
            return web.json_response({"ok": False}, status=400)
        await application.update_queue.put(update)
        return web.json_response({"ok": True})

    return receive


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


def build(settings: Settings, *, aiohttp_transport: bool) -> web.Application:
    assert settings.telegram_bot_token is not None
    assert settings.telegram_webhook_secret is not None
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .updater(None)
        .concurrent_updates(HANDLING_SLOTS)  # as many as cedp-bot handles at once
        .job_queue(None)
    )
    if aiohttp_transport:
        builder = builder.request(AiohttpRequest())
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    app = web.Application()
    secret = settings.telegram_webhook_secret.get_secret_value()
    app.router.add_post(WEBHOOK_PATH, webhook(application, secret))
    app.router.add_get("/healthz", healthz)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        async with application:
            await application.start()
            yield
            await application.stop()

    app.cleanup_ctx.append(lifecycle)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--aiohttp-transport", action="store_true")
    args = parser.parse_args()
    app = build(Settings(), aiohttp_transport=args.aiohttp_transport)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)
