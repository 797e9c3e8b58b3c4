"""Log lines carry a correlation id, and configured secrets appear only by name."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.logs import RedactingFormatter, configure_logging, correlation_id
from bot.settings import Settings

TOKEN = "123456:AAH-secret-token"


def _record(message: str, *args: object, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("test", logging.ERROR, __file__, 1, message, args, exc_info)


def test_a_secret_is_replaced_by_its_name_in_the_message_and_its_arguments() -> None:
    formatter = RedactingFormatter("%(message)s", {"TELEGRAM_BOT_TOKEN": TOKEN})

    line = formatter.format(_record("Set Bot API URL: https://api.telegram.org/bot%s", TOKEN))

    assert line == "Set Bot API URL: https://api.telegram.org/bot[TELEGRAM_BOT_TOKEN]"


def test_a_secret_inside_exception_text_or_percent_encoded_is_replaced_too() -> None:
    formatter = RedactingFormatter("%(message)s", {"SLACK_BOT_TOKEN": "xoxb-1/2"})
    try:
        raise RuntimeError("request to https://host/?token=xoxb-1%2F2 failed for xoxb-1/2")
    except RuntimeError:
        record = _record("call failed", exc_info=sys.exc_info())

    line = formatter.format(record)

    assert "xoxb-1" not in line
    assert "token=[SLACK_BOT_TOKEN] failed for [SLACK_BOT_TOKEN]" in line


def test_a_secret_that_contains_another_is_replaced_whole() -> None:
    formatter = RedactingFormatter("%(message)s", {"SHORT": "abc", "LONG": "abcdef"})

    assert formatter.format(_record("abcdef and abc")) == "[LONG] and [SHORT]"


def test_a_console_sign_in_token_in_an_address_is_replaced() -> None:
    formatter = RedactingFormatter("%(message)s", {})
    line = '127.0.0.1 "POST /console/sign-in/vMqz-QQK_U63l HTTP/1.1" 303 "http://h/console/sign-in/vMqz-QQK_U63l"'

    assert formatter.format(_record(line)) == (
        '127.0.0.1 "POST /console/sign-in/[token] HTTP/1.1" 303 "http://h/console/sign-in/[token]"'
    )


def test_settings_name_every_secret_that_is_set() -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://cedp:p%40ss@db/cedp",
        telegram_bot_token=SecretStr(TOKEN),
        slack_signing_secret=SecretStr(""),
    )

    assert settings.secrets() == {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "CEDP_DATABASE_URL password": "p@ss",
    }


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_configured_logging_redacts_and_keeps_url_and_payload_printing_loggers_quiet(
    root_logging: logging.Logger,
) -> None:
    configure_logging("DEBUG", {"SLACK_BOT_TOKEN": TOKEN})
    written = io.StringIO()
    [handler] = root_logging.handlers
    assert isinstance(handler, logging.StreamHandler) and handler.formatter is not None
    handler.setStream(written)
    token = correlation_id.set("abc123")

    # Our own logger: slack_bolt's fix their level at the root's when an app is made.
    logging.getLogger("bot.adapters.slack").debug("Authorization: Bearer %s", TOKEN)
    logging.getLogger("httpx").info("HTTP Request: POST .../bot%s/getMe", TOKEN)
    sent = "Calling Bot API endpoint `sendMessage` with parameters `{'text': 'Email: a@b.uk'}`"
    logging.getLogger("telegram.ext.ExtBot").debug(sent)
    logging.getLogger("slack_sdk.web.async_base_client").debug("Sending a request - json: {}")
    correlation_id.reset(token)

    assert written.getvalue().endswith(
        "DEBUG [abc123] bot.adapters.slack: Authorization: Bearer [SLACK_BOT_TOKEN]\n"
    )
    assert "httpx" not in written.getvalue()
    assert "Bot API endpoint" not in written.getvalue()
    assert "Sending a request" not in written.getvalue()
