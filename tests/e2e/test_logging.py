"""No secret reaches the log at any level: a whole session on both platforms, logged at DEBUG.

The session runs through the public HTTP endpoints only (updates and events posted, replies
awaited at the loopback platforms), so it holds however deliveries travel inside the server.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging
from bot.settings import Settings
from tests.e2e.conftest import Served, ServerFactory
from tests.e2e.loopback import LoopbackPlatforms, slack_dm_channel
from tests.e2e.payloads import (
    slack_dm_event,
    slack_event,
    slack_signature_headers,
    telegram_callback,
    telegram_message,
)
from tests.e2e.test_slack import EVENTS, buttons, dm, press
from tests.e2e.test_telegram import ALICE, HEADERS, SECRET_HEADER, button, post_update


@pytest.fixture
def debug_log(platform_settings: Settings) -> Iterator[io.StringIO]:
    """Everything the configured handler writes at DEBUG; the logging set-up restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("DEBUG", platform_settings.secrets())
    written = io.StringIO()
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(written)
    yield written
    root.handlers[:] = handlers
    root.setLevel(level)


async def _telegram_session(served: Served, platforms: LoopbackPlatforms) -> None:
    await post_update(served, telegram_message(1, ALICE, "/start"))
    [menu] = await platforms.wait_for("sendMessage")
    await post_update(served, telegram_callback(2, ALICE, button(menu, "Help"), message_id=9))
    await platforms.wait_for("sendMessage", count=2)
    await post_update(served, telegram_message(3, ALICE, "what is the programme?"))
    await platforms.wait_for("sendMessage", count=3)
    forged = {**HEADERS, SECRET_HEADER: "wrong"}
    assert await post_update(served, telegram_message(4, ALICE, "/start"), **forged) == 403


async def _slack_session(served: Served, platforms: LoopbackPlatforms) -> None:
    user = "U0ALICE"
    await dm(served, user, "/start", "Ev01")
    (menu,) = await platforms.wait_for("chat.postMessage", 1)
    await press(served, user, buttons(menu)["Help"], channel=slack_dm_channel(user))
    await platforms.wait_for("chat.postMessage", 2)
    await dm(served, user, "what is the programme?", "Ev02")
    await platforms.wait_for("chat.postMessage", 3)
    body = slack_event("Ev03", slack_dm_event(user, "/start"))
    status, _ = await served.post(EVENTS, body, slack_signature_headers("not-the-secret", body))
    assert status == 401


async def test_a_debug_log_of_both_platforms_shows_no_secret(
    start_server: ServerFactory,
    platforms: LoopbackPlatforms,
    platform_settings: Settings,
    debug_log: io.StringIO,
) -> None:
    async with start_server() as served:
        await _telegram_session(served, platforms)
        await _slack_session(served, platforms)

    written = debug_log.getvalue()
    secrets = platform_settings.secrets()
    assert set(secrets) >= {
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
    }
    for name, value in secrets.items():
        assert value not in written, f"{name} is in the log"
    assert "[TELEGRAM_BOT_TOKEN]" in written  # python-telegram-bot did log the Bot API URL
