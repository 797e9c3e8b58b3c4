"""A fake Telegram Bot API and Slack Web API on 127.0.0.1, for end-to-end tests and benchmarks.

The real SDKs (python-telegram-bot, slack_sdk) talk to it over HTTP, so requests are parsed the
way the platforms parse them. Every call is recorded, and a test can make the next calls fail the
way the platforms fail: rate limits (the next calls, or everything above a rate), blocked chats,
deactivated users, chats that fail a few times with a 500.

What the SDKs send, and so what this server must understand:
- python-telegram-bot posts form data (multipart when a file is attached) whose values are JSON
  dumps of everything but strings: chat_id 42 arrives as "42", reply_markup as JSON text.
- slack_sdk sends most write methods as a JSON body with a Bearer token, but methods it calls
  with ``params=`` (auth.test, conversations.open, files.*) as a POST with an empty body and the
  parameters in the query string; files.completeUploadExternal sends `files` as a JSON string.
- files_upload_v2 posts the raw bytes to the upload URL without a token and wants text/plain back.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

Params = dict[str, Any]

BOT_ID = 777
BOT_USERNAME = "cedp_test_bot"
SLACK_BOT_USER = "UBOT"
SLACK_BOT_ID = "B0001"
SLACK_TEAM_ID = "T0001"

# Telegram parameters that are text even when they look like JSON ("123", "true").
_TELEGRAM_TEXT_KEYS = frozenset(
    {"text", "caption", "callback_query_id", "parse_mode", "url", "secret_token"}
)
# Telegram methods that deliver to a chat, and so fail when the user blocked the bot.
_TELEGRAM_CHAT_METHODS = frozenset({"sendMessage", "sendDocument", "editMessageText"})
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class SlackRefusal(Exception):
    """A Web API method's refusal with HTTP 200 and ok false, such as message_not_found."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class RecordedCall:
    """One API call as the fake received it, and how it answered.

    `ok` is the answer's "ok": Slack refuses some calls with HTTP 200 and ok false; `answer` is
    the whole JSON answer (a posted message's `ts`, say).
    """

    platform: str
    method: str
    params: Params
    at: float
    answered: int
    ok: bool
    answer: Params
    sender: str = ""  # the path prefix of `telegram_base_url(sender)`: which worker called


def telegram_bot_user() -> dict[str, Any]:
    """The bot as Telegram shows it in the "from" of its own messages."""
    return {"id": BOT_ID, "is_bot": True, "first_name": "CEDP", "username": BOT_USERNAME}


def slack_dm_channel(user: str) -> str:
    """The bot's direct-message channel with `user`: deterministic, so tests can predict it."""
    return "D" + user.removeprefix("U")


def slack_group_dm_channel(users: list[str]) -> str:
    """The group DM of the bot and `users` (a "G" channel id), as predictable as a DM's."""
    return "G" + "".join(user.removeprefix("U") for user in users)


class LoopbackPlatforms:
    """Plays the Telegram Bot API and the Slack Web API on one local port, recording every call."""

    TELEGRAM_TOKEN = "123456:TEST-TOKEN"
    SLACK_TOKEN = "xoxb-test-token"
    BOT_USERNAME = BOT_USERNAME
    BOT_ID = BOT_ID
    SLACK_BOT_USER = SLACK_BOT_USER

    def __init__(
        self, *, telegram_token: str = TELEGRAM_TOKEN, slack_token: str = SLACK_TOKEN
    ) -> None:
        self._telegram_token = telegram_token
        self._slack_token = slack_token
        self.calls: list[RecordedCall] = []
        self.latency = 0.0  # seconds every API call takes, as a real network round trip would
        self._recorded = asyncio.Event()
        self._throttled: defaultdict[str, deque[int]] = defaultdict(deque)
        # method → (accepted calls allowed within any second, retry_after of the 429 beyond)
        self._rate_limits: dict[str, tuple[int, int]] = {}
        self._accepted_at: defaultdict[str, deque[float]] = defaultdict(deque)
        self.rate_limited = 0  # how many 429s it answered, for benchmarks to report
        self._failing_chats: defaultdict[str, int] = defaultdict(int)
        self._blocked_chats: set[str] = set()
        self._disabled_slack: set[str] = set()  # user ids and their DM channels
        self._slack_messages: set[tuple[str, str]] = set()  # (channel, ts) of posted messages
        self._updates: list[dict[str, Any]] = []
        self._update_queued = asyncio.Event()
        self._webhook_url = ""
        self._message_ids = itertools.count(1)
        self._slack_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._telegram_methods: dict[str, Callable[[Params], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "answerCallbackQuery": self._true,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._true,
            "deleteMyCommands": self._true,
            "getUpdates": self._get_updates,
        }
        self._telegram_names = {name.lower(): name for name in self._telegram_methods}
        self._slack_methods: dict[str, Callable[[Params], Params]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._chat_update,
            "conversations.open": self._conversations_open,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1; port 0 lets the system pick a free one."""
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/bot{token}/{method}", self._telegram)
        app.router.add_route("*", "/{sender}/bot{token}/{method}", self._telegram)
        app.router.add_route("*", "/api/{method}", self._slack)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self._port = self._runner.addresses[0][1]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def origin(self) -> str:
        """Where the fake listens; Slack upload URLs point here too."""
        if self._runner is None:
            raise RuntimeError("start() the loopback platforms first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def telegram_base_url(self) -> str:
        """What to pass as telegram.Bot(base_url=...): PTB appends the token, then /method."""
        return f"{self.origin}/bot"

    def telegram_base_url_of(self, sender: str) -> str:
        """A base URL that marks every call through it with `sender`, to tell workers apart."""
        return f"{self.origin}/{sender}/bot"

    @property
    def slack_base_url(self) -> str:
        """What to pass as AsyncWebClient(base_url=...): slack_sdk appends the method."""
        return f"{self.origin}/api/"

    def calls_to(self, method: str, *, ok_only: bool = True) -> list[RecordedCall]:
        """Calls of `method` (any letter case), by default only those the platform accepted."""
        return [
            call
            for call in self.calls
            if call.method.lower() == method.lower() and (call.ok or not ok_only)
        ]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[RecordedCall]:
        """The accepted calls of `method`, once there are at least `count` of them.

        A deadline per expectation reads better in a test than a timeout block around it.
        """
        try:
            async with asyncio.timeout(timeout):
                while len(found := self.calls_to(method)) < count:
                    self._recorded.clear()
                    await self._recorded.wait()
        except TimeoutError:
            seen = ", ".join(f"{call.method} ({call.answered})" for call in self.calls)
            raise AssertionError(
                f"expected {count} accepted {method} call(s) within {timeout} s, "
                f"got {len(self.calls_to(method))}; calls seen: {seen or 'none'}"
            ) from None
        return found

    def rate_limit_next(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with the platform's 429."""
        self._throttled[method.lower()].extend([retry_after] * times)

    def limit_rate(self, method: str, per_second: int, retry_after: int = 1) -> None:
        """Answer 429 to a call of `method` that would be more than `per_second` accepted ones
        within a second, as Telegram does to a bot that sends too fast."""
        self._rate_limits[method.lower()] = (per_second, retry_after)

    def fail_chat(self, chat_id: int | str, times: int) -> None:
        """Telegram: the next `times` deliveries to this chat fail with a 500, then succeed."""
        self._failing_chats[str(chat_id)] += times

    def block_chat(self, chat_id: int | str) -> None:
        """Telegram: the user blocked the bot, so delivering to this chat is forbidden."""
        self._blocked_chats.add(str(chat_id))

    def unblock_chat(self, chat_id: int | str) -> None:
        """Telegram: the user unblocked the bot."""
        self._blocked_chats.discard(str(chat_id))

    def deactivate_slack_user(self, user_id: str) -> None:
        """Slack: the user left the workspace, so opening or posting to their DM fails."""
        self._disabled_slack |= {user_id, slack_dm_channel(user_id)}

    def queue_update(self, update: dict[str, Any]) -> None:
        """Hand `update` to the next getUpdates (long polling)."""
        self._updates.append(update)
        self._update_queued.set()

    def reset(self) -> None:
        """Forget the recorded calls; rate limits, blocks and queued updates stay."""
        self.calls.clear()

    def _record(
        self,
        platform: str,
        method: str,
        params: Params,
        at: float,
        answer: Params,
        status: int,
        sender: str = "",
    ) -> None:
        if status == 429:
            self.rate_limited += 1
        call = RecordedCall(platform, method, params, at, status, answer["ok"], answer, sender)
        bisect.insort(self.calls, call, key=lambda recorded: recorded.at)
        self._recorded.set()

    def _next_retry_after(self, method: str) -> int | None:
        """The delay of a 429 to answer this call with, or None to accept it."""
        queue = self._throttled.get(method.lower())
        if queue:
            return queue.popleft()
        limit = self._rate_limits.get(method.lower())
        if limit is None:
            return None
        (allowed, retry_after), now = limit, time.monotonic()
        accepted = self._accepted_at[method.lower()]
        while accepted and accepted[0] <= now - 1.0:
            accepted.popleft()
        if len(accepted) >= allowed:
            return retry_after
        accepted.append(now)
        return None

    # Telegram

    async def _telegram(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        await asyncio.sleep(self.latency)
        asked = request.match_info["method"]
        method = self._telegram_names.get(asked.lower(), asked)
        params = {
            key: value if key in _TELEGRAM_TEXT_KEYS else _json_or_text(value, scalars=True)
            for key, value in (await _read_params(request)).items()
        }
        status, answer = await self._answer_telegram(request.match_info["token"], method, params)
        sender = request.match_info.get("sender", "")
        self._record("telegram", method, params, at, answer, status, sender)
        return web.json_response(answer, status=status)

    async def _answer_telegram(self, token: str, method: str, params: Params) -> tuple[int, Params]:
        if token != self._telegram_token:
            return 401, _telegram_error(401, "Unauthorized")
        handler = self._telegram_methods.get(method)
        if handler is None:
            return 404, _telegram_error(404, "Not Found")
        if (retry_after := self._next_retry_after(method)) is not None:
            description = f"Too Many Requests: retry after {retry_after}"
            return 429, _telegram_error(429, description, {"retry_after": retry_after})
        chat = str(params.get("chat_id"))
        if method in _TELEGRAM_CHAT_METHODS and chat in self._blocked_chats:
            return 403, _telegram_error(403, "Forbidden: bot was blocked by the user")
        if method in _TELEGRAM_CHAT_METHODS and self._failing_chats.get(chat, 0) > 0:
            self._failing_chats[chat] -= 1
            return 500, _telegram_error(500, "Internal Server Error")
        try:
            return 200, {"ok": True, "result": await handler(params)}
        except KeyError as missing:
            return 400, _telegram_error(400, f"Bad Request: {missing.args[0]} is empty")

    def _message(self, params: Params, **content: Any) -> Params:
        """A message from the bot into params["chat_id"], as Telegram returns it."""
        chat_id = params["chat_id"]
        private = isinstance(chat_id, int) and chat_id > 0
        chat = (
            {"id": chat_id, "type": "private"}
            if private
            else {"id": chat_id, "type": "group", "title": "CEDP group"}
        )
        message = {
            "message_id": next(self._message_ids),
            "from": telegram_bot_user(),
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:  # only these come back
            message["reply_markup"] = markup
        return message

    async def _get_me(self, params: Params) -> Params:
        return {
            **telegram_bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _send_message(self, params: Params) -> Params:
        return self._message(params, text=params["text"])

    async def _send_document(self, params: Params) -> Params:
        upload = params["document"]
        if not isinstance(upload, dict):  # a file_id or URL instead of an upload
            upload = {"filename": "document", "content_type": "application/octet-stream"}
        caption = {"caption": params["caption"]} if "caption" in params else {}
        message = self._message(params, **caption)
        file_id = f"BQACAgQAAxkDAAI{message['message_id']:06d}"
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": f"AgAD{message['message_id']:06d}",
            "file_name": upload["filename"],
            "mime_type": upload["content_type"],
        }
        return message

    async def _edit_message_text(self, params: Params) -> Params:
        message = self._message(params, text=params["text"], edit_date=int(time.time()))
        return {**message, "message_id": params["message_id"]}

    async def _true(self, params: Params) -> bool:
        return True

    async def _set_webhook(self, params: Params) -> bool:
        self._webhook_url = params["url"]
        return True

    async def _delete_webhook(self, params: Params) -> bool:
        self._webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: Params) -> Params:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    async def _get_updates(self, params: Params) -> list[Params]:
        """Updates from `offset` on; forgets the older ones, as Telegram does once confirmed."""
        offset = int(params.get("offset", 0))
        if not self._pending(offset):
            self._update_queued.clear()
            with contextlib.suppress(TimeoutError):
                wait = min(float(params.get("timeout", 0)), 1.0)
                await asyncio.wait_for(self._update_queued.wait(), wait)
        self._updates = self._pending(offset)
        return self._updates[: int(params.get("limit", 100))]

    def _pending(self, offset: int) -> list[Params]:
        return [update for update in self._updates if update["update_id"] >= offset]

    # Slack

    async def _slack(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        await asyncio.sleep(self.latency)
        method = request.match_info["method"]
        params = {
            key: _json_or_text(value, scalars=False)
            for key, value in (await _read_params(request)).items()
        }
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        token = params.pop("token", None) or bearer
        status, answer, headers = self._answer_slack(token, method, params)
        self._record("slack", method, params, at, answer, status)
        return web.json_response(answer, status=status, headers=headers)

    def _answer_slack(
        self, token: str, method: str, params: Params
    ) -> tuple[int, Params, dict[str, str]]:
        handler = self._slack_methods.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        if token != self._slack_token:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        if (retry_after := self._next_retry_after(method)) is not None:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        recipient = {"conversations.open": "users", "chat.postMessage": "channel"}.get(method)
        if recipient and params.get(recipient) in self._disabled_slack:
            return 200, {"ok": False, "error": "user_disabled"}, {}
        try:
            return 200, {"ok": True, **handler(params)}, {}
        except KeyError:
            return 200, {"ok": False, "error": "invalid_arguments"}, {}
        except SlackRefusal as refusal:
            return 200, {"ok": False, "error": refusal.error}, {}

    def _ts(self) -> str:
        """A message timestamp: unique and increasing, as Slack's are within a channel."""
        seq = next(self._slack_ids) * 100
        return f"{1_700_000_000 + seq // 1_000_000}.{seq % 1_000_000:06d}"

    def _auth_test(self, params: Params) -> Params:
        return {
            "url": "https://cedp.slack.com/",
            "team": "CEDP",
            "user": "cedp",
            "team_id": SLACK_TEAM_ID,
            "user_id": SLACK_BOT_USER,
            "bot_id": SLACK_BOT_ID,
        }

    def _post_message(self, params: Params) -> Params:
        ts = self._ts()
        message = {
            "type": "message",
            "text": params.get("text", ""),
            "ts": ts,
            "user": SLACK_BOT_USER,
            "bot_id": SLACK_BOT_ID,
        }
        if "blocks" in params:
            message["blocks"] = params["blocks"]
        self._slack_messages.add((params["channel"], ts))
        return {"channel": params["channel"], "ts": ts, "message": message}

    def _chat_update(self, params: Params) -> Params:
        if (params["channel"], params["ts"]) not in self._slack_messages:
            raise SlackRefusal("message_not_found")  # deleted, or never posted by the bot
        return {"channel": params["channel"], "ts": params["ts"], "text": params.get("text", "")}

    def _conversations_open(self, params: Params) -> Params:
        """One user: their DM; a comma-separated list: a group DM of them all, as Slack does."""
        users = params["users"].split(",")
        if len(users) > 1:
            return {"channel": {"id": slack_group_dm_channel(users)}}
        return {"channel": {"id": slack_dm_channel(params["users"])}}

    def _views_publish(self, params: Params) -> Params:
        return {"view": {**params["view"], "id": "V0001"}}

    def _get_upload_url(self, params: Params) -> Params:
        file_id = f"F{next(self._slack_ids):08d}"
        return {"upload_url": f"{self.origin}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, params: Params) -> Params:
        files = params["files"]
        return {"files": [{"id": file["id"], "title": file.get("title", "")} for file in files]}

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL step of files_upload_v2: raw bytes (or a multipart file) in."""
        at = time.monotonic()
        if request.content_type == "multipart/form-data":
            uploads = [
                value for value in (await _read_params(request)).values() if isinstance(value, dict)
            ]
            content = uploads[0]["content"]
        else:
            content = await request.read()
        params = {"file_id": request.match_info["file_id"], "content": content}
        self._record("slack", "upload", params, at, {"ok": True}, 200)
        return web.Response(text=f"OK - {len(content)}")


def _telegram_error(code: int, description: str, parameters: Params | None = None) -> Params:
    error: Params = {"ok": False, "error_code": code, "description": description}
    if parameters:
        error["parameters"] = parameters
    return error


async def _read_params(request: web.Request) -> Params:
    """Query string and body merged; uploaded files as {"filename", "content_type", "content"}."""
    params: Params = dict(request.query)
    if request.content_type == "application/json" and request.body_exists:
        params.update(await request.json())
    elif request.content_type in _FORM_TYPES:
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                value = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "content": value.file.read(),
                }
            params[key] = value
    return params


def _json_or_text(value: Any, *, scalars: bool) -> Any:
    """`value` decoded when it is a JSON object or array (or, with `scalars`, number or bool)."""
    if not isinstance(value, str):
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    kinds = (dict, list, int, float) if scalars else (dict, list)  # bool is an int
    return decoded if isinstance(decoded, kinds) else value
