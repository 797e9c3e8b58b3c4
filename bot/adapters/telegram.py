"""Telegram through python-telegram-bot: updates in (webhook or long polling), replies out.

Only translation lives here. Updates arrive on the shared aiohttp server's webhook, or by long
polling; either way each is parsed by python-telegram-bot (`Update.de_json`), checked, and
stored in the inbox (bot/adapters/inbox.py) before Telegram hears that it arrived: the webhook
answers 200, or polling asks for the next offset, only after the update is in the database.
The inbox then hands each update back here to become an `InboundEvent` for the core; replies go
out as messages, inline keyboards, edits and documents through PTB's `ExtBot`, over aiohttp
(`telegram_http`). Sends go through `PacedRateLimiter`, PTB's pluggable rate limiter, so every
Bot API call keeps to Telegram's limits and waits out a `RetryAfter`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from telegram import Bot as TelegramBot
from telegram import (
    BotCommand,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, MessageLimit, ParseMode, UpdateType
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter, ExtBot

from bot.adapters.broadcasting import BroadcastSender
from bot.adapters.delivery import OutboxPump, Unreachable, mark_unreachable
from bot.adapters.errors import PlatformSetupError
from bot.adapters.inbox import Arrival, Inbox, check_ids, contains_nul
from bot.adapters.pacing import Pacer, with_retries
from bot.adapters.telegram_http import AiohttpRequest
from bot.adapters.text import split_text
from bot.core import Bot
from bot.loops import Loop
from bot.markup import telegram_html
from bot.messages import (
    Choice,
    ChoicePress,
    Choices,
    Conversation,
    Edit,
    File,
    InboundEvent,
    Reply,
    Sender,
    Text,
    TextMessage,
    parse_text,
)
from bot.settings import Settings
from domain.people import MemberRef, Role

log = logging.getLogger(__name__)

PLATFORM = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = [UpdateType.MESSAGE, UpdateType.CALLBACK_QUERY, UpdateType.MY_CHAT_MEMBER]
PER_CHAT_PER_SECOND = 1.0  # Telegram: "avoid more than one message per second in a chat"
PER_CHAT_BURST = 3  # short bursts are tolerated: an answer and its buttons go out at once
POLL_TIMEOUT = 30  # seconds Telegram holds a getUpdates call open when there is nothing
POLL_RETRY_SECONDS = 5.0
BULK = "bulk"  # rate_limit_args of a broadcast send
_PACED_ENDPOINTS = frozenset({"sendMessage", "editMessageText", "sendDocument"})
_GONE = ("chat not found", "user is deactivated", "bot was kicked", "have no rights to send")


class PacedRateLimiter(BaseRateLimiter[str]):
    """Messages keep to the overall and per-chat limits; a `RetryAfter` pauses and retries.
    Calls made with `rate_limit_args=BULK` (broadcasts) go in the pacer's bulk lane."""

    def __init__(self, messages_per_second: float, broadcast_per_second: float) -> None:
        self._pacer = Pacer(
            per_chat_per_second=PER_CHAT_PER_SECOND,
            per_chat_burst=PER_CHAT_BURST,
            overall_per_second=messages_per_second,
            bulk_per_second=broadcast_per_second,
        )

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint not in _PACED_ENDPOINTS:
            return await callback(*args, **kwargs)
        return await with_retries(
            lambda: callback(*args, **kwargs),
            _retry_after,
            pacer=self._pacer,
            chat=str(data.get("chat_id")),
            bulk=rate_limit_args == BULK,
        )


def _retry_after(error: Exception) -> float | None:
    if isinstance(error, RetryAfter):
        delay = error.retry_after
        return delay if isinstance(delay, int | float) else delay.total_seconds()
    return None


def build_api(settings: Settings) -> ExtBot[str]:
    """The Bot API client: aiohttp transport, paced sends."""
    assert settings.telegram_bot_token is not None, "the Telegram adapter needs a token"
    return ExtBot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(connections=1),
        rate_limiter=PacedRateLimiter(
            settings.telegram_messages_per_second, settings.telegram_broadcast_messages_per_second
        ),
    )


def read_update(payload: Any, api: TelegramBot) -> Update:
    """An update as PTB reads it; ValueError for anything that is not a usable update."""
    if not isinstance(payload, dict) or type(payload.get("update_id")) is not int:
        raise ValueError("not an update")
    if contains_nul(payload):
        raise ValueError("NUL characters")
    try:
        return Update.de_json(payload, api)
    except Exception as error:  # PTB raises whatever a malformed field makes it raise
        raise ValueError(f"unreadable update ({type(error).__name__})") from None


def webhook_handler(
    adapter: TelegramAdapter, secret: str | None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """POST /telegram/webhook: check the secret in constant time, store the update, answer 200.

    With no secret configured every request is refused: an open webhook would take forged
    updates from anyone who finds the address. A malformed update gets 400, which Telegram
    does not retry, and nothing of it is stored.
    """
    expected = secret.encode() if secret else None

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if expected is None or not hmac.compare_digest(given, expected):
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        try:
            body = (await request.read()).decode()
            arrival = adapter.arrival(json.loads(body), body)
        except (ValueError, RecursionError) as error:
            log.warning("refused a malformed Telegram update: %s", error)
            return web.json_response({"ok": False, "error": "malformed update"}, status=400)
        await adapter.inbox.accept([arrival])
        return web.json_response({"ok": True})

    return receive


def menu_commands(bot: Bot) -> list[BotCommand]:
    """The commands a guest or a member may use, for Telegram's command menu."""
    routes = bot.services.routes
    seen: dict[str, str] = {}
    for person in (None, MemberRef(0, "", Role.MEMBER)):
        for info in routes.commands_for(person):
            seen.setdefault(info.name, info.summary)
    return [BotCommand(name, summary) for name, summary in seen.items()]


class TelegramAdapter:
    """The Telegram platform: a webhook (or long polling) in, the Bot API out."""

    platform = PLATFORM

    def __init__(self, bot: Bot, *, polling: bool = False) -> None:
        self._bot = bot
        self._settings = bot.services.settings
        self._polling = polling
        self.api = build_api(self._settings)
        self.inbox = Inbox(bot, self)
        self._pump = OutboxPump(bot, self, self._settings.outbox_poll_seconds)
        self.broadcasts = BroadcastSender(bot, self)
        self._poller = Loop("telegram-polling", 0, self._poll_once)
        self._offset: int | None = None

    def mount(self, app: web.Application) -> None:
        if not self._polling:
            secret = self._settings.telegram_webhook_secret
            if secret is None:
                log.warning("TELEGRAM_WEBHOOK_SECRET is not set: the webhook refuses every update")
            handler = webhook_handler(self, secret.get_secret_value() if secret else None)
            app.router.add_post(WEBHOOK_PATH, handler)
        app.cleanup_ctx.append(self._lifecycle)

    async def _lifecycle(self, _app: web.Application) -> AsyncIterator[None]:
        """Start receiving; at shutdown, or when starting failed half-way, stop receiving and
        finish the updates already taken."""
        try:
            with setting_up(self._settings):
                await self.api.initialize()
                await self.api.set_my_commands(menu_commands(self._bot))
                if self._polling:
                    await self.api.delete_webhook()
                elif self._settings.telegram_webhook_url:
                    await register_webhook(self.api, self._settings)
            if self._polling:
                self._poller.start()
            self.inbox.start()
            self._pump.start()
            self.broadcasts.start()
            yield
        finally:
            await self._poller.stop()
            await self.inbox.stop()
            await self._pump.stop()
            await self.broadcasts.stop()
            await self.api.shutdown()

    def arrival(self, payload: Any, body: str) -> Arrival:
        """A checked update, ready to store; ValueError when it is not one we can read."""
        update = read_update(payload, self.api)
        try:
            event = self._event_for(update)
        except Exception as error:  # an update PTB read but that is missing what we need
            raise ValueError(f"incomplete update ({type(error).__name__})") from None
        if event is not None:
            check_ids(event.event_id, event.sender, event.conversation)
        return Arrival(str(update.update_id), body, _person_of(update), update)

    async def _poll_once(self) -> None:
        """One long poll. The offset moves past updates only once they are stored, so updates
        fetched by a process that dies before storing them are fetched again."""
        try:
            updates = await self.api.get_updates(
                offset=self._offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
            )
        except TelegramError as error:
            log.warning("Telegram polling failed (%s); trying again", error)
            await asyncio.sleep(POLL_RETRY_SECONDS)
            return
        arrivals = []
        for update in updates:
            payload = update.to_dict()
            try:
                arrivals.append(self.arrival(payload, json.dumps(payload)))
            except ValueError as error:
                log.warning("skipped a malformed Telegram update: %s", error)
        await self.inbox.accept(arrivals)
        if updates:
            self._offset = updates[-1].update_id + 1

    def person_of(self, body: str) -> str:
        return _person_of(read_update(json.loads(body), self.api))

    async def process(self, arrival: Arrival) -> None:
        update = arrival.parsed or read_update(json.loads(arrival.body), self.api)
        if update.callback_query is not None:
            await self._acknowledge(update.callback_query)
        if update.my_chat_member is not None:
            await self._membership_changed(update.my_chat_member)
        event = self._event_for(update)
        if event is not None:
            await self.inbox.respond(event)

    async def _acknowledge(self, query: CallbackQuery) -> None:
        """Stop the button's spinner before the work; a failure here only costs the spinner."""
        try:
            await query.answer()
        except TelegramError as error:
            log.warning("could not answer a callback query: %s", error)

    async def _membership_changed(self, change: ChatMemberUpdated) -> None:
        """A person who blocks the bot in their private chat is unreachable from now on."""
        if (
            change.chat.type == ChatType.PRIVATE
            and change.new_chat_member.status == ChatMemberStatus.BANNED
        ):
            await mark_unreachable(self._bot, PLATFORM, str(change.from_user.id), "blocked the bot")

    def _event_for(self, update: Update) -> InboundEvent | None:
        """The core event for an update, or None when it is not for us."""
        query = update.callback_query
        if query is not None:
            message = query.message
            if message is None or query.data is None:
                return None
            return InboundEvent(
                Sender(PLATFORM, _id(query.from_user.id), query.from_user.full_name),
                _conversation(message.chat.id, message.chat.type),
                ChoicePress(_checked(query.data), _id(message.message_id)),
                event_id=str(update.update_id),
            )
        message = update.message
        if message is None or message.from_user is None or message.from_user.is_bot:
            return None
        text = _checked(message.text or "")  # a photo or a sticker: "type in words"
        if message.chat.type != ChatType.PRIVATE:
            addressed = self._addressed_text(message)
            if addressed is None:
                return None
            text = addressed
        return InboundEvent(
            Sender(PLATFORM, _id(message.from_user.id), message.from_user.full_name),
            _conversation(message.chat.id, message.chat.type),
            parse_text(text) if text else TextMessage(""),
            event_id=str(update.update_id),
        )

    def _addressed_text(self, message: Message) -> str | None:
        """In a group the bot speaks only when spoken to: an @mention, a command addressed to
        it, or a reply to one of its messages. Returns the text without the mention."""
        text = message.text or ""
        mention = f"@{self.api.username}"
        if mention.lower() in text.lower():
            start = text.lower().index(mention.lower())
            return (text[:start] + text[start + len(mention) :]).strip() or "/start"
        replied = message.reply_to_message
        to_us = replied is not None and replied.from_user is not None
        return text if to_us and replied.from_user.id == self.api.id else None

    async def direct_address(self, person_id: str) -> str:
        """A person's private chat with the bot has the person's own id."""
        return person_id

    async def send(self, address: str, replies: Sequence[Reply], *, bulk: bool = False) -> None:
        chat_id = int(address)
        try:
            for reply in replies:
                await self._send_one(chat_id, reply, BULK if bulk else None)
        except Forbidden as refusal:
            raise Unreachable(refusal.message) from refusal
        except BadRequest as refusal:
            if any(reason in refusal.message.lower() for reason in _GONE):
                raise Unreachable(refusal.message) from refusal
            raise

    async def _send_one(self, chat_id: int, reply: Reply, lane: str | None) -> None:
        if isinstance(reply, File):
            await self.api.send_document(
                chat_id,
                InputFile(reply.content, filename=reply.filename),
                caption=reply.caption[: MessageLimit.CAPTION_LENGTH] or None,
                rate_limit_args=lane,
            )
            return
        options = reply.options if isinstance(reply, Choices | Edit) else ()
        if isinstance(reply, Edit) and reply.message_id and await self._edit(chat_id, reply):
            return
        assert isinstance(reply, Text | Choices | Edit)
        for message in render(reply.text, options, markup=reply.markup):
            await self.api.send_message(
                chat_id,
                message.html,
                parse_mode=ParseMode.HTML,
                reply_markup=message.keyboard,
                rate_limit_args=lane,
            )

    async def _edit(self, chat_id: int, edit: Edit) -> bool:
        """Edit the message whose button was pressed; False when the text needs more than one
        message or Telegram won't (too old)."""
        assert edit.message_id is not None
        messages = render(edit.text, edit.options, markup=edit.markup)
        if len(messages) != 1:
            return False
        try:
            await self.api.edit_message_text(
                messages[0].html,
                chat_id=chat_id,
                message_id=int(edit.message_id),
                parse_mode=ParseMode.HTML,
                reply_markup=messages[0].keyboard,
            )
        except BadRequest as refusal:
            if "not modified" in refusal.message.lower():
                return True
            log.info("edit refused (%s); sending a new message", refusal.message)
            return False
        return True


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    """One sendMessage: its piece of the reply's text, the HTML sent for it (parse_mode HTML:
    escaped, so shown as typed, with <b> and <i> where staff's markup asks), and the keyboard."""

    text: str
    html: str
    keyboard: InlineKeyboardMarkup | None


def render(
    text: str, options: Sequence[Choice] = (), *, markup: bool = False
) -> list[TelegramMessage]:
    """A reply as the messages Telegram accepts, the buttons under the last; the console's
    broadcast preview shows these too. The text is split before it becomes HTML, so a split
    never cuts a tag (and Telegram's limit counts the text without tags)."""
    pieces = split_text(text, MessageLimit.MAX_TEXT_LENGTH)
    return [
        TelegramMessage(
            piece,
            telegram_html(piece) if markup else html.escape(piece, quote=False),
            _keyboard(options) if number == len(pieces) else None,
        )
        for number, piece in enumerate(pieces, start=1)
    ]


def _person_of(update: Update) -> str:
    """Whose update it is, for handling one person's updates in order."""
    if update.effective_user is not None:
        return str(update.effective_user.id)
    if update.effective_chat is not None:
        return f"chat:{update.effective_chat.id}"
    return f"update:{update.update_id}"


def _conversation(chat_id: int, chat_type: str) -> Conversation:
    return Conversation(PLATFORM, _id(chat_id), is_private=chat_type == ChatType.PRIVATE)


def _id(value: object) -> str:
    """A Telegram id as text. PTB takes a payload's types on trust; TypeError for anything but
    a whole number, so a malformed update is refused before it is stored."""
    if type(value) is not int:
        raise TypeError("an id that is not a whole number")
    return str(value)


def _checked(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("text that is not text")
    return value


def _keyboard(options: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    """One button per row: labels stay readable on a phone."""
    if not options:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(option.label, callback_data=option.payload)] for option in options]
    )


@contextlib.contextmanager
def setting_up(settings: Settings) -> Iterator[None]:
    """The SDK's errors while connecting and registering, as one `PlatformSetupError` with the
    token masked (PTB's InvalidToken message, and some transport errors' URLs, carry it)."""
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""

    def masked(text: str) -> str:
        return text.replace(token, "<TELEGRAM_BOT_TOKEN>") if token else text

    try:
        yield
    except InvalidToken:
        raise PlatformSetupError("Telegram rejected TELEGRAM_BOT_TOKEN") from None
    except (BadRequest, Forbidden) as refusal:
        raise PlatformSetupError(masked(f"Telegram refused: {refusal.message}")) from None
    except TelegramError as error:  # NetworkError, TimedOut
        where = settings.telegram_api_base_url
        raise PlatformSetupError(
            masked(f"cannot reach Telegram at {where}: {error.message}")
        ) from None


@contextlib.asynccontextmanager
async def connect(settings: Settings) -> AsyncIterator[TelegramBot]:
    """A Bot API client outside the server, for set-up commands."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    api = TelegramBot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        request=AiohttpRequest(connections=1),
    )
    with setting_up(settings):
        async with api:
            yield api


async def register_webhook(api: TelegramBot, settings: Settings) -> None:
    """Point Telegram at our webhook, with the secret and only the updates we handle."""
    if not settings.telegram_webhook_url:
        raise ValueError("TELEGRAM_WEBHOOK_URL is not set")
    if settings.telegram_webhook_secret is None:
        raise ValueError("TELEGRAM_WEBHOOK_SECRET is not set: the webhook would take forgeries")
    await api.set_webhook(
        settings.telegram_webhook_url,
        secret_token=settings.telegram_webhook_secret.get_secret_value(),
        allowed_updates=ALLOWED_UPDATES,
    )
    log.info("Telegram webhook set to %s", settings.telegram_webhook_url)
