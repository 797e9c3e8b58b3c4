"""Setting Telegram up (the server's start, `telegram set-webhook`): whatever the SDK raises
becomes one `PlatformSetupError` for the operator, and the bot token never appears in it."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, InvalidToken, NetworkError, TimedOut

from bot.adapters.errors import PlatformSetupError
from bot.adapters.telegram import setting_up
from bot.settings import Settings

TOKEN = "123456:very-secret"


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (InvalidToken(f"The token `{TOKEN}` was rejected by the server."), "Telegram rejected"),
        (BadRequest("Bad webhook: an HTTPS URL must be provided"), "Telegram refused: Bad webhook"),
        (NetworkError(f"ClientError: https://x/bot{TOKEN}/getMe"), "cannot reach Telegram at"),
        (TimedOut(), "cannot reach Telegram at http://127.0.0.1:9/bot: Timed out"),
    ],
    ids=["token", "bad-request", "network", "timeout"],
)
def test_sdk_errors_become_one_line_without_the_token(raised: Exception, expected: str) -> None:
    settings = Settings(telegram_bot_token=TOKEN, telegram_api_base_url="http://127.0.0.1:9/bot")

    with pytest.raises(PlatformSetupError) as caught, setting_up(settings):
        raise raised

    assert expected in str(caught.value)
    assert TOKEN not in str(caught.value) and "\n" not in str(caught.value)
