"""The one aiohttp application: health, readiness, metrics, each platform adapter's webhook,
and the staff console."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from aiohttp import web

from bot.core import Bot

log = logging.getLogger(__name__)
BOT_KEY = web.AppKey("bot", Bot)


class WebAdapter(Protocol):
    """A platform adapter served by the shared web application."""

    platform: str

    def mount(self, app: web.Application) -> None:
        """Add its routes, and a cleanup context that starts it and, at shutdown, drains it."""
        ...


async def healthz(request: web.Request) -> web.Response:
    """The process is up and serving requests."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """The database answers; load balancers should route traffic only when this is 200."""
    try:
        await request.app[BOT_KEY].services.database.ping()
    except Exception as error:  # any driver error means "not ready", never a 500 page
        log.warning("readiness check failed: %s", type(error).__name__)
        return web.json_response({"status": "unavailable", "database": "down"}, status=503)
    return web.json_response({"status": "ok", "database": "up"})


async def metrics(request: web.Request) -> web.Response:
    collected = request.app[BOT_KEY].services.metrics
    response = web.Response(body=collected.render())
    response.headers["Content-Type"] = collected.content_type
    return response


def create_web_app(bot: Bot, adapters: Sequence[WebAdapter] = ()) -> web.Application:
    """Routes of DESIGN.md's web interface. At shutdown the adapters drain first, then the bot
    (and its database pool) closes: cleanup contexts unwind in reverse order."""
    app = web.Application()
    app[BOT_KEY] = bot
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)

    async def close_bot_last(_app: web.Application) -> AsyncIterator[None]:
        yield
        await bot.close()

    app.cleanup_ctx.append(close_bot_last)
    for adapter in adapters:
        adapter.mount(app)
    if bot.services.settings.console_enabled:
        from console.app import mount  # the console's templates load only when it is on

        mount(app, bot)
    return app


def platform_adapters(bot: Bot, *, telegram_polling: bool = False) -> list[WebAdapter]:
    """Every platform whose token is set (DESIGN.md: an adapter is on when its token is set)."""
    settings = bot.services.settings
    adapters: list[WebAdapter] = []
    if settings.telegram_bot_token is not None:
        from bot.adapters.telegram import TelegramAdapter  # the SDKs load only when used

        adapters.append(TelegramAdapter(bot, polling=telegram_polling))
    if settings.slack_bot_token is not None:
        from bot.adapters.slack import SlackAdapter

        adapters.append(SlackAdapter(bot))
    return adapters
