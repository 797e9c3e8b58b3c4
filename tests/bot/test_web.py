"""The web application: liveness, readiness against the database, Prometheus metrics."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.web import create_web_app
from storage.database import Database

UNREACHABLE_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:1/none"


@pytest.fixture
async def client(bot: Bot) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_web_app(bot))) as web_client:
        yield web_client


async def test_healthz_says_the_process_is_up(client: TestClient) -> None:
    response = await client.get("/healthz")

    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_readyz_is_ok_when_the_database_answers(client: TestClient) -> None:
    response = await client.get("/readyz")

    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "up"}


async def test_readyz_is_unavailable_not_an_error_page_when_the_database_is_down(
    bot: Bot,
) -> None:
    unreachable = Bot(dataclasses.replace(bot.services, database=Database(UNREACHABLE_DATABASE)))

    async with TestClient(TestServer(create_web_app(unreachable))) as client:
        response = await client.get("/readyz")
        body = await response.text()

    assert response.status == 503
    assert "Traceback" not in body
    assert await response.json() == {"status": "unavailable", "database": "down"}


async def test_metrics_count_messages_and_time_handlers(bot: Bot, client: TestClient) -> None:
    await TestChat(bot).send("/start")

    response = await client.get("/metrics")
    text = await response.text()

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert re.search(r'^cedp_messages_in_total\{platform="test"\} 1\.0$', text, re.M), text
    assert re.search(r'^cedp_messages_out_total\{platform="test"\} 1\.0$', text, re.M), text
    buckets = re.findall(r"^cedp_handler_seconds_bucket\{(.*)\} (\S+)$", text, re.M)
    start_buckets = [count for labels, count in buckets if 'route="command:start"' in labels]
    assert start_buckets and start_buckets[-1] == "1.0", text  # +Inf holds the one event


async def test_metrics_are_empty_before_any_message(client: TestClient) -> None:
    text = await (await client.get("/metrics")).text()

    assert "# TYPE cedp_messages_in_total counter" in text
    assert "cedp_messages_in_total{" not in text


async def test_an_unknown_path_is_not_found(client: TestClient) -> None:
    response = await client.get("/no-such-page")

    assert response.status == 404


async def test_closing_the_app_closes_the_bot_and_closing_again_is_harmless(bot: Bot) -> None:
    pool = bot.services.database.engine.pool
    async with TestClient(TestServer(create_web_app(bot))) as client:
        assert (await client.get("/readyz")).status == 200
        assert pool.checkedin() >= 1  # the readiness check left a pooled connection

    assert bot.services.database.engine.pool.checkedin() == 0
    await bot.close()  # the fixture closes it once more, too


async def test_the_console_is_served_unless_a_setting_turns_it_off(bot: Bot) -> None:
    async with TestClient(TestServer(create_web_app(bot))) as client:
        assert (await client.get("/console")).status == 401  # there: it asks to sign in
    bot.services.settings.console_enabled = False
    async with TestClient(TestServer(create_web_app(bot))) as client:
        assert (await client.get("/console")).status == 404
        assert (await client.get("/healthz")).status == 200


async def test_the_console_says_so_when_the_database_is_down(bot: Bot) -> None:
    unreachable = Bot(dataclasses.replace(bot.services, database=Database(UNREACHABLE_DATABASE)))

    async with TestClient(TestServer(create_web_app(unreachable))) as client:
        response = await client.get("/console", cookies={"cedp_console": "some.cookie"})
        assert response.status == 503
        assert "cannot reach its database" in await response.text()
