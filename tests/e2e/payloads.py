"""Genuine Telegram and Slack payloads, shaped exactly as the platforms send them to a bot.

End-to-end tests and benchmarks post these to the running app, so the adapters meet what they
will meet in production: entities with UTF-16 offsets, Slack's envelope, form-encoded
interactivity, signed requests.

Slack bodies are bytes; sign them with `slack_signature_headers`, passing `content_type`:
`JSON` for events and URL verification, `FORM` for block actions and slash commands.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from tests.e2e.loopback import (
    BOT_USERNAME,
    SLACK_BOT_ID,
    SLACK_BOT_USER,
    SLACK_TEAM_ID,
    slack_dm_channel,
    telegram_bot_user,
)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

TELEGRAM_GROUP_ID = -1001234567890
SLACK_APP_ID = "A0001"
SLACK_VERIFICATION_TOKEN = "legacy-verification-token"

# Telegram


def telegram_message(
    update_id: int,
    user_id: int,
    text: str,
    *,
    chat_id: int | None = None,
    chat_type: str = "private",
    first_name: str = "Alice",
    reply_to_bot: bool = False,
    message_id: int | None = None,
) -> dict[str, Any]:
    """An Update with a user's text message; a private chat is the user's own id, as on Telegram.

    A group defaults to TELEGRAM_GROUP_ID; message_id defaults to update_id + 1.
    """
    message_id = update_id + 1 if message_id is None else message_id
    user = _telegram_user(user_id, first_name)
    chat = _telegram_chat(user, chat_id, chat_type)
    message: dict[str, Any] = {
        "message_id": message_id,
        "from": user,
        "chat": chat,
        "date": int(time.time()),
        "text": text,
    }
    if entities := _entities(text):
        message["entities"] = entities
    if reply_to_bot:
        message["reply_to_message"] = _bot_message(message_id - 1, chat)
    return {"update_id": update_id, "message": message}


def telegram_callback(
    update_id: int,
    user_id: int,
    data: str,
    *,
    message_id: int,
    chat_id: int | None = None,
    chat_type: str = "private",
) -> dict[str, Any]:
    """An Update for a press on an inline button of the bot's message `message_id`."""
    user = _telegram_user(user_id, "Alice")
    chat = _telegram_chat(user, chat_id, chat_type)
    callback_query = {
        "id": str(4_382_000_000_000_000_000 + update_id),
        "from": user,
        "message": _bot_message(message_id, chat),
        "chat_instance": str(-5_000_000_000_000_000_000 - abs(chat["id"])),
        "data": data,
    }
    return {"update_id": update_id, "callback_query": callback_query}


def _telegram_user(user_id: int, first_name: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "username": f"{first_name.lower()}{user_id}",
        "language_code": "en",
    }


def _telegram_chat(user: dict[str, Any], chat_id: int | None, chat_type: str) -> dict[str, Any]:
    if chat_type == "private":
        return {
            "id": user["id"] if chat_id is None else chat_id,
            "first_name": user["first_name"],
            "username": user["username"],
            "type": "private",
        }
    group_id = TELEGRAM_GROUP_ID if chat_id is None else chat_id
    return {"id": group_id, "title": "CEDP cohort", "type": chat_type}


def _bot_message(message_id: int, chat: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "from": telegram_bot_user(),
        "chat": chat,
        "date": int(time.time()) - 60,
        "text": "How can I help?",
    }


def _entities(text: str) -> list[dict[str, Any]]:
    """A bot_command for a leading /command and a mention of the bot, offsets in UTF-16 units."""
    entities: list[dict[str, Any]] = []
    command = text.split(maxsplit=1)[0] if text.startswith("/") else ""
    if command:
        entities.append({"offset": 0, "length": _utf16(command), "type": "bot_command"})
    mention = f"@{BOT_USERNAME}"
    at = text.find(mention, len(command))
    if at >= 0:
        entities.append({"offset": _utf16(text[:at]), "length": _utf16(mention), "type": "mention"})
    return entities


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# Slack


def slack_signature_headers(
    signing_secret: str,
    body: bytes,
    *,
    content_type: str = JSON,
    timestamp: int | None = None,
    retry_num: int | None = None,
) -> dict[str, str]:
    """The headers Slack sends with `body`, signed; retry_num marks a redelivery after a timeout."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"v0:{timestamp}:".encode() + body
    digest = hmac.new(signing_secret.encode(), signed, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": f"v0={digest}",
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return headers


def slack_event(
    event_id: str,
    event: dict[str, Any],
    *,
    team_id: str = SLACK_TEAM_ID,
    api_app_id: str = SLACK_APP_ID,
) -> bytes:
    """The Events API envelope around `event` (JSON)."""
    envelope = {
        "token": SLACK_VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": SLACK_BOT_USER,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }
    return json.dumps(envelope).encode()


def slack_dm_event(
    user: str, text: str, *, channel: str | None = None, ts: str | None = None
) -> dict[str, Any]:
    """A message from `user` in their DM with the bot; ts defaults to now."""
    channel = slack_dm_channel(user) if channel is None else channel
    return {**_slack_message(user, text, channel, ts), "type": "message", "channel_type": "im"}


def slack_mention_event(
    user: str, text: str, *, channel: str = "C0001", ts: str | None = None
) -> dict[str, Any]:
    """`user` writing "<@UBOT> `text`" in a channel."""
    return {
        **_slack_message(user, f"<@{SLACK_BOT_USER}> {text}", channel, ts),
        "type": "app_mention",
    }


def slack_home_opened(user: str) -> dict[str, Any]:
    """`user` opening the bot's Home tab."""
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": slack_dm_channel(user),
        "tab": "home",
        "event_ts": _now_ts(),
    }


def slack_url_verification(challenge: str) -> bytes:
    """The handshake Slack sends when the events URL is configured (JSON)."""
    payload = {
        "token": SLACK_VERIFICATION_TOKEN,
        "challenge": challenge,
        "type": "url_verification",
    }
    return json.dumps(payload).encode()


def slack_block_action(
    user: str,
    *,
    channel: str,
    message_ts: str,
    action_id: str,
    value: str,
    trigger_id: str | None = None,
) -> bytes:
    """A press on a button of the bot's message `message_ts` (form-encoded `payload=`)."""
    payload = {
        "type": "block_actions",
        "user": {
            "id": user,
            "username": user.lower(),
            "name": user.lower(),
            "team_id": SLACK_TEAM_ID,
        },
        "api_app_id": SLACK_APP_ID,
        "token": SLACK_VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": SLACK_TEAM_ID, "domain": "cedp"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": _channel_name(channel)},
        "message": {
            "type": "message",
            "user": SLACK_BOT_USER,
            "bot_id": SLACK_BOT_ID,
            "app_id": SLACK_APP_ID,
            "team": SLACK_TEAM_ID,
            "ts": message_ts,
            "text": "Choose one",
        },
        "state": {"values": {}},
        "response_url": f"https://hooks.slack.com/actions/{SLACK_TEAM_ID}/1/{uuid.uuid4().hex}",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "choices",
                "text": {"type": "plain_text", "text": value, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": _now_ts(),
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def slack_slash_command(
    user: str,
    text: str,
    *,
    command: str = "/cedp",
    channel: str = "C0001",
    user_name: str = "alice",
    trigger_id: str | None = None,
) -> bytes:
    """`user` typing "`command` `text`" (form-encoded)."""
    fields = {
        "token": SLACK_VERIFICATION_TOKEN,
        "team_id": SLACK_TEAM_ID,
        "team_domain": "cedp",
        "channel_id": channel,
        "channel_name": _channel_name(channel),
        "user_id": user,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": SLACK_APP_ID,
        "is_enterprise_install": "false",
        "response_url": f"https://hooks.slack.com/commands/{SLACK_TEAM_ID}/1/{uuid.uuid4().hex}",
        "trigger_id": trigger_id or _trigger_id(),
    }
    return urlencode(fields).encode()


def _slack_message(user: str, text: str, channel: str, ts: str | None) -> dict[str, Any]:
    ts = ts or _now_ts()
    return {
        "user": user,
        "text": text,
        "ts": ts,
        "client_msg_id": str(uuid.uuid4()),
        "team": SLACK_TEAM_ID,
        "blocks": [_rich_text(text)],
        "channel": channel,
        "event_ts": ts,
    }


def _rich_text(text: str) -> dict[str, Any]:
    """The rich_text block Slack derives from a message's text, with <@U…> as user elements."""
    elements: list[dict[str, Any]] = []
    for part in re.split(r"(<@\w+>)", text):
        if mention := re.fullmatch(r"<@(\w+)>", part):
            elements.append({"type": "user", "user_id": mention[1]})
        elif part:
            elements.append({"type": "text", "text": part})
    section = {"type": "rich_text_section", "elements": elements}
    return {"type": "rich_text", "block_id": uuid.uuid4().hex[:5], "elements": [section]}


def _channel_name(channel: str) -> str:
    return "directmessage" if channel.startswith("D") else "general"


def _now_ts() -> str:
    return f"{time.time():.6f}"


def _trigger_id() -> str:
    return f"{int(time.time())}.{SLACK_TEAM_ID[1:]}.{uuid.uuid4().hex}"
