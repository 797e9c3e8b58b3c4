"""The one aiohttp application: health, readiness and metrics (adapters add their webhooks here)."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.core import Bot

log = logging.getLogger(__name__)
BOT_KEY = web.AppKey("bot", Bot)


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


def create_web_app(bot: Bot) -> web.Application:
    """Routes of DESIGN.md's web interface; closing the app closes the bot."""
    app = web.Application()
    app[BOT_KEY] = bot
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)

    async def close_bot(_app: web.Application) -> None:
        await bot.close()

    app.on_cleanup.append(close_bot)
    return app
