"""The loopback platforms speak the real SDKs' language, and the payloads parse as the real thing.

If these fail, an end-to-end failure may be the fake's fault rather than the adapters'.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import telegram
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, InvalidToken, NetworkError, RetryAfter

from tests.e2e.loopback import LoopbackPlatforms
from tests.e2e.payloads import (
    FORM,
    slack_block_action,
    slack_signature_headers,
    telegram_callback,
    telegram_message,
)


@pytest.fixture
async def tg(platforms: LoopbackPlatforms) -> AsyncIterator[telegram.Bot]:
    bot = telegram.Bot(platforms.TELEGRAM_TOKEN, base_url=platforms.telegram_base_url)
    async with bot:
        yield bot


def slack(platforms: LoopbackPlatforms, **options: object) -> AsyncWebClient:
    return AsyncWebClient(platforms.SLACK_TOKEN, base_url=platforms.slack_base_url, **options)


async def test_telegram_bot_initializes_against_get_me(
    tg: telegram.Bot, platforms: LoopbackPlatforms
) -> None:
    assert tg.username == platforms.BOT_USERNAME
    assert tg.id == platforms.BOT_ID
    assert len(platforms.calls_to("getMe")) == 1


async def test_telegram_wrong_token_is_unauthorized(platforms: LoopbackPlatforms) -> None:
    bot = telegram.Bot("999:WRONG", base_url=platforms.telegram_base_url)

    with pytest.raises(InvalidToken):
        await bot.initialize()

    assert [call.answered for call in platforms.calls_to("getMe", ok_only=False)] == [401]


async def test_send_message_records_decoded_keyboard_and_keeps_numeric_text(
    tg: telegram.Bot, platforms: LoopbackPlatforms
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="intro:yes")]])

    sent = await tg.send_message(chat_id=42, text="123", reply_markup=keyboard)

    (call,) = await platforms.wait_for("sendMessage")
    assert call.params["chat_id"] == 42
    assert call.params["text"] == "123"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Yes", "callback_data": "intro:yes"}]]
    }
    assert sent.chat.type == "private"
    assert sent.reply_markup == keyboard


async def test_send_document_records_the_uploaded_bytes(
    tg: telegram.Bot, platforms: LoopbackPlatforms
) -> None:
    invite = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"

    sent = await tg.send_document(-100, invite, filename="invite.ics", caption="Your session")

    (call,) = platforms.calls_to("sendDocument")
    assert call.params["document"]["content"] == invite
    assert call.params["document"]["filename"] == "invite.ics"
    assert call.params["caption"] == "Your session"
    assert sent.document is not None
    assert sent.document.file_name == "invite.ics"
    assert sent.chat.type == "group"


async def test_telegram_rate_limit_raises_retry_after_once(
    tg: telegram.Bot, platforms: LoopbackPlatforms, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22's future behaviour, without the warning
    platforms.rate_limit_next("sendMessage", retry_after=3)

    with pytest.raises(RetryAfter) as raised:
        await tg.send_message(chat_id=42, text="hello")
    await tg.send_message(chat_id=42, text="hello")

    assert raised.value.retry_after == timedelta(seconds=3)
    answered = [call.answered for call in platforms.calls_to("sendmessage", ok_only=False)]
    assert answered == [429, 200]


async def test_blocked_chat_is_forbidden(tg: telegram.Bot, platforms: LoopbackPlatforms) -> None:
    platforms.block_chat(42)

    with pytest.raises(Forbidden, match="blocked"):
        await tg.send_message(chat_id=42, text="hello")

    assert platforms.calls_to("sendMessage") == []


async def test_above_a_rate_limit_calls_get_429_and_are_counted(
    tg: telegram.Bot, platforms: LoopbackPlatforms, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    platforms.limit_rate("sendMessage", per_second=3, retry_after=2)

    outcomes = []
    for chat in range(5):
        try:
            await tg.send_message(chat_id=chat + 1, text="hello")
            outcomes.append("sent")
        except RetryAfter:
            outcomes.append("429")

    assert outcomes == ["sent", "sent", "sent", "429", "429"]
    assert platforms.rate_limited == 2


async def test_a_failing_chat_answers_500_as_often_as_told_then_accepts(
    tg: telegram.Bot, platforms: LoopbackPlatforms
) -> None:
    platforms.fail_chat(42, times=2)

    for _ in range(2):
        with pytest.raises(NetworkError):
            await tg.send_message(chat_id=42, text="hello")
    await tg.send_message(chat_id=42, text="hello")
    await tg.send_message(chat_id=43, text="hello")

    answered = [call.answered for call in platforms.calls_to("sendMessage", ok_only=False)]
    assert answered == [500, 500, 200, 200]


async def test_calls_through_a_senders_base_url_are_marked_with_it(
    platforms: LoopbackPlatforms,
) -> None:
    base_url = platforms.telegram_base_url_of("worker-2")
    async with telegram.Bot(platforms.TELEGRAM_TOKEN, base_url=base_url) as marked:
        await marked.send_message(chat_id=42, text="hello")

    assert [call.sender for call in platforms.calls_to("sendMessage")] == ["worker-2"]


async def test_get_updates_hands_out_queued_payloads_until_confirmed(
    tg: telegram.Bot, platforms: LoopbackPlatforms
) -> None:
    platforms.queue_update(telegram_message(1, 42, "/start@cedp_test_bot hi 👋 @cedp_test_bot"))
    platforms.queue_update(telegram_callback(2, 42, "intro:yes", message_id=7))

    first, second = await tg.get_updates(offset=0, timeout=1)
    confirmed = await tg.get_updates(offset=3, timeout=0)

    assert isinstance(first, Update)
    assert first.message is not None
    entities = first.message.parse_entities()  # offsets count UTF-16 units, past the emoji
    assert list(entities.values()) == ["/start@cedp_test_bot", "@cedp_test_bot"]
    assert second.callback_query is not None
    assert second.callback_query.data == "intro:yes"
    assert second.callback_query.message is not None
    assert second.callback_query.message.message_id == 7
    assert confirmed == ()


async def test_slack_client_auth_test_and_post_with_blocks(platforms: LoopbackPlatforms) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}]

    auth = await slack(platforms).auth_test()
    posted = await slack(platforms).chat_postMessage(channel="D123", text="Hello", blocks=blocks)

    assert auth["user_id"] == platforms.SLACK_BOT_USER
    (call,) = platforms.calls_to("chat.postMessage")
    assert call.params["blocks"] == blocks
    assert posted["ts"] == posted["message"]["ts"]


async def test_slack_files_upload_v2_records_the_bytes(platforms: LoopbackPlatforms) -> None:
    invite = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"

    result = await slack(platforms).files_upload_v2(
        channel="D123", content=invite, filename="invite.ics", title="Your session"
    )

    (upload,) = platforms.calls_to("upload")
    (complete,) = platforms.calls_to("files.completeUploadExternal")
    assert upload.params["content"] == invite
    assert complete.params["channel_id"] == "D123"
    assert complete.params["files"] == [{"id": upload.params["file_id"], "title": "Your session"}]
    assert result["file"]["id"] == upload.params["file_id"]


async def test_slack_rate_limit_answers_429_with_retry_after(
    platforms: LoopbackPlatforms,
) -> None:
    platforms.rate_limit_next("chat.postMessage", retry_after=2)

    with pytest.raises(SlackApiError) as raised:
        await slack(platforms, retry_handlers=[]).chat_postMessage(channel="D123", text="Hi")

    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "2"
    assert raised.value.response["error"] == "ratelimited"


async def test_slack_refusals(platforms: LoopbackPlatforms) -> None:
    platforms.deactivate_slack_user("U123")

    with pytest.raises(SlackApiError, match="user_disabled"):
        await slack(platforms).conversations_open(users="U123")
    with pytest.raises(SlackApiError, match="user_disabled"):
        await slack(platforms).chat_postMessage(channel="D123", text="Hi")
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await AsyncWebClient("xoxb-wrong", base_url=platforms.slack_base_url).auth_test()

    opened = await slack(platforms).conversations_open(users="U456")
    assert opened["channel"]["id"] == "D456"


async def test_wait_for_names_the_calls_seen_on_timeout(
    tg: telegram.Bot, platforms: LoopbackPlatforms
) -> None:
    with pytest.raises(AssertionError, match=r"getMe \(200\)"):
        await platforms.wait_for("sendMessage", timeout=0.05)


def test_signature_headers_satisfy_slack_sdk_verifier() -> None:
    body = slack_block_action(
        "U123", channel="D123", message_ts="1700000000.000100", action_id="a", value="v"
    )
    headers = slack_signature_headers("secret", body, content_type=FORM, retry_num=1)

    assert SignatureVerifier("secret").is_valid(
        body=body,
        timestamp=headers["X-Slack-Request-Timestamp"],
        signature=headers["X-Slack-Signature"],
    )
    assert headers["Content-Type"] == FORM
    assert headers["X-Slack-Retry-Num"] == "1"
