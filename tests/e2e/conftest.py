"""A running `cedp-bot serve` (the real aiohttp app, both adapters) beside loopback platforms."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.core import Bot
from bot.settings import Settings
from bot.web import create_web_app, platform_adapters
from tests.conftest import FakeClock
from tests.e2e.loopback import LoopbackPlatforms

TELEGRAM_SECRET = "telegram-webhook-secret"
SLACK_SIGNING_SECRET = "slack-signing-secret"


@dataclass
class Endpoint:
    """A running server's address and an HTTP client to post to it with: all a platform sees."""

    url: str
    http: aiohttp.ClientSession

    async def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        async with self.http.post(self.url + path, data=body, headers=headers or {}) as response:
            return response.status, await response.text()


@dataclass
class Served(Endpoint):
    """A server started in this process: its endpoint, and its bot to look inside."""

    bot: Bot


@pytest.fixture
async def platforms() -> AsyncIterator[LoopbackPlatforms]:
    async with LoopbackPlatforms() as fake:
        yield fake


@pytest.fixture
def platform_settings(settings: Settings, platforms: LoopbackPlatforms) -> Settings:
    return settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(platforms.TELEGRAM_TOKEN),
            "telegram_webhook_secret": SecretStr(TELEGRAM_SECRET),
            "telegram_api_base_url": platforms.telegram_base_url,
            "slack_bot_token": SecretStr(platforms.SLACK_TOKEN),
            "slack_signing_secret": SecretStr(SLACK_SIGNING_SECRET),
            "slack_api_base_url": platforms.slack_base_url,
            "outbox_poll_seconds": 0.05,
            "knowledge_reload_seconds": 0,
        }
    )


ServerFactory = Callable[..., AbstractAsyncContextManager[Served]]


@pytest.fixture
def start_server(platform_settings: Settings, clock: FakeClock) -> ServerFactory:
    """Start a server; several may run at once on one database, like workers, or one after
    another, like a restart."""

    @asynccontextmanager
    async def serve(
        *, settings: Settings = platform_settings, telegram_polling: bool = False
    ) -> AsyncIterator[Served]:
        bot = await Bot.start(settings, clock=clock)
        app = create_web_app(bot, platform_adapters(bot, telegram_polling=telegram_polling))
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with aiohttp.ClientSession() as http:
                yield Served(f"http://127.0.0.1:{port}", http, bot)
        finally:
            await runner.cleanup()

    return serve


@pytest.fixture
async def served(start_server: ServerFactory) -> AsyncIterator[Served]:
    async with start_server() as server:
        yield server
