"""The aiohttp transport keeps PTB's contract: form fields and files arrive as sent, a stalled or
refused Bot API becomes PTB's `TimedOut` / `NetworkError`, never an aiohttp exception."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot as TelegramBot
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData

from bot.adapters.telegram_http import AiohttpRequest

TOKEN = "123:test"


@pytest.fixture
async def api() -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    """A Bot API stand-in that records each request's form and answers like Telegram."""
    received: list[dict[str, object]] = []

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        if name == "getMe":
            me = {"id": 1, "is_bot": True, "first_name": "CEDP", "username": "cedp_bot"}
            return web.json_response({"ok": True, "result": me})
        if name == "slow":
            await asyncio.sleep(1)
        form = await request.post()
        received.append(
            {
                name: (value.filename, value.file.read())
                if isinstance(value, web.FileField)
                else value
                for name, value in form.items()
            }
        )
        result = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}}
        return web.json_response({"ok": True, "result": result})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", method)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/bot", received
    await runner.cleanup()


async def test_a_message_goes_out_as_the_form_ptb_encoded(api) -> None:
    base_url, received = api
    async with TelegramBot(TOKEN, base_url=base_url, request=AiohttpRequest()) as telegram:
        message = await telegram.send_message(42, "Hello <b>there</b>", parse_mode="HTML")

    assert message.message_id == 7
    assert received == [{"chat_id": "42", "text": "Hello <b>there</b>", "parse_mode": "HTML"}]


async def test_a_document_goes_out_as_multipart_with_its_name_and_bytes(api) -> None:
    base_url, received = api
    async with TelegramBot(TOKEN, base_url=base_url, request=AiohttpRequest()) as telegram:
        await telegram.send_document(42, b"BEGIN:VCALENDAR", filename="session.ics")

    assert received[0]["chat_id"] == "42"
    assert received[0]["document"] == ("session.ics", b"BEGIN:VCALENDAR")


async def test_a_stalled_api_is_a_timeout(api) -> None:
    base_url, _ = api
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(
                f"{base_url}{TOKEN}/slow", "POST", RequestData(), read_timeout=0.05
            )
    finally:
        await request.shutdown()


async def test_an_api_that_refuses_connections_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the request: nothing listens
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match="aiohttp"):
            await request.do_request(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()


async def test_using_it_before_initialize_or_after_shutdown_is_refused() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")
