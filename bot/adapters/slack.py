"""Slack: direct messages, mentions, the /cedp slash command, buttons and the Home tab.

POST /slack/events on the shared aiohttp server checks the signature on the raw body before
anything parses it, reads the body as bolt will and checks it down to the input the core will
get, stores it in the inbox (bot/adapters/inbox.py) and only then answers 200, well within
Slack's 3 seconds. The inbox hands the stored body to one slack_bolt `AsyncApp`, whose listeners
only translate. Every call that writes to Slack waits its turn (one message a second per
channel) and waits out a 429 instead of dropping the message.

Addresses are Slack channel ids; in a channel the bot answers in the thread of the mention, and
such an address carries the thread as "CHANNEL:THREAD_TS". Personal data never lands in a
channel: slash commands and Home tab buttons are answered in the person's direct messages.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.adapters.broadcasting import BroadcastSender
from bot.adapters.delivery import OutboxPump, Unreachable, mark_unreachable
from bot.adapters.inbox import Arrival, Inbox, check_ids, contains_nul
from bot.adapters.pacing import Pacer, with_retries
from bot.adapters.text import split_text
from bot.core import Bot
from bot.markup import slack_escape as escape
from bot.markup import slack_mrkdwn
from bot.messages import (
    Choice,
    ChoicePress,
    Choices,
    CommandMessage,
    Content,
    Conversation,
    Edit,
    File,
    InboundEvent,
    Reply,
    Sender,
    TextMessage,
    parse_text,
)

log = logging.getLogger(__name__)

PLATFORM = "slack"
SLASH_COMMAND = "/cedp"

SECTION_LIMIT = 3000  # characters in one section block
BLOCKS_PER_MESSAGE = 50
BUTTONS_PER_BLOCK = 25  # elements in one actions block
LABEL_LIMIT = 75  # characters of a button's text
ACTION_ID = re.compile(r"^choice-\d+$")

# Errors that will not go away by trying again: the person or the conversation is gone to us.
GONE = frozenset(
    {
        "user_disabled",
        "account_inactive",
        "user_not_found",
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "cannot_dm_bot",
    }
)
NOT_EDITABLE = frozenset({"message_not_found", "cant_update_message"})

_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s,:]*")
_MARKUP = re.compile(r"<(?P<target>[^<>|]+)(?:\|(?P<label>[^<>]*))?>")


# Rendering: pure functions from core replies to Slack's formats.


def from_slack(text: str) -> str:
    """What a person typed, as plain text: links and mentions as their labels, entities decoded."""
    text = _MARKUP.sub(lambda found: found["label"] or found["target"], text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def without_mention(text: str) -> str:
    """An app_mention's text without the leading "<@BOT>" that addressed the bot."""
    return _LEADING_MENTION.sub("", text, count=1)


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One chat.postMessage: `text` is the notification fallback, `blocks` what is shown."""

    text: str
    blocks: list[dict[str, Any]]


def button(index: int, choice: Choice) -> dict[str, Any]:
    """A button whose action id is unique within its message or view; the payload is its value."""
    label = choice.label
    if len(label) > LABEL_LIMIT:
        label = label[: LABEL_LIMIT - 1] + "…"
    return {
        "type": "button",
        "action_id": f"choice-{index}",
        "text": {"type": "plain_text", "text": label},
        "value": choice.payload,
    }


def blocks_for(
    text: str, options: Sequence[Choice] = (), *, first: int = 0, markup: bool = False
) -> list[dict[str, Any]]:
    """Sections of at most SECTION_LIMIT characters (never cut), then the options as buttons
    numbered from `first`. Staff's light markup becomes Slack's own; a span never crosses a
    line, so only a line longer than a section could show its marks as typed."""
    shown = slack_mrkdwn(text) if markup else escape(text)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
        for piece in split_text(shown, SECTION_LIMIT)
        if piece.strip()
    ]
    for start in range(0, len(options), BUTTONS_PER_BLOCK):
        chunk = options[start : start + BUTTONS_PER_BLOCK]
        elements = [button(first + start + i, choice) for i, choice in enumerate(chunk)]
        blocks.append({"type": "actions", "elements": elements})
    return blocks


def render(
    text: str, options: Sequence[Choice] = (), *, markup: bool = False
) -> list[SlackMessage]:
    """A reply as one message, or several when it needs more blocks than a message holds."""
    blocks = blocks_for(text, options, markup=markup)
    messages = []
    for start in range(0, len(blocks), BLOCKS_PER_MESSAGE):
        page = blocks[start : start + BLOCKS_PER_MESSAGE]
        shown = [block["text"]["text"] for block in page if block["type"] == "section"]
        messages.append(SlackMessage("\n\n".join(shown), page))
    return messages


def home_view(replies: Sequence[Reply]) -> dict[str, Any]:
    """The Home tab: the replies to /start (the greeting and main menu) as one view."""
    blocks: list[dict[str, Any]] = []
    first = 0
    for reply in replies:
        if isinstance(reply, File):
            continue
        options = reply.options if isinstance(reply, Choices | Edit) else ()
        blocks += blocks_for(reply.text, options, first=first, markup=reply.markup)
        first += len(options)
    return {"type": "home", "blocks": blocks}


def address_of(channel: str, thread_ts: str | None = None) -> str:
    """Where to answer: a channel, or a thread in it (the inbox and the outbox see only this)."""
    return f"{channel}:{thread_ts}" if thread_ts else channel


def parse_address(address: str) -> tuple[str, str | None]:
    """(channel, thread ts or None) of an address made by `address_of`."""
    channel, _, thread_ts = address.partition(":")
    return channel, thread_ts or None


def retry_after(error: Exception) -> float | None:
    """Slack's wait for a 429 (Retry-After, in seconds); None for anything not worth a retry."""
    if not isinstance(error, SlackApiError) or error.response.status_code != 429:
        return None
    try:
        return float(error.response.headers.get("Retry-After", 1))
    except ValueError:
        return 1.0


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    """Slack errors that mean "never" become `Unreachable`; the rest propagate as they are."""
    try:
        yield
    except SlackApiError as error:
        reason = error.response.get("error")
        if reason in GONE:
            raise Unreachable(reason) from error
        raise


def slash_content(typed: str, commands: frozenset[str]) -> TextMessage | CommandMessage:
    """`/cedp` alone is /start; `/cedp help` is /help; anything else is a question."""
    text = from_slack(typed).strip()
    if not text:
        return CommandMessage("start")
    if not text.startswith("/") and text.split(maxsplit=1)[0].lower() in commands:
        text = "/" + text
    return parse_text(text)


@dataclass(frozen=True, slots=True)
class SlackInput:
    """One thing a person did in Slack, read from its payload."""

    user: str
    content: Content
    event_id: str
    conversation: Conversation | None = None  # None: answer in the person's direct messages


@dataclass(frozen=True, slots=True)
class Challenge:
    """Slack checking the events URL: answered at once, nothing stored."""

    challenge: str


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


_SLACK_ID = re.compile(r"[A-Z0-9]{2,32}")


def _slack_id(value: Any) -> str:
    """A user or channel id as Slack makes them (upper-case letters and digits); TypeError for
    anything else, so a malformed payload is refused before it is stored."""
    if not isinstance(value, str) or not _SLACK_ID.fullmatch(value):
        raise TypeError("not a Slack id")
    return value


def message_input(body: dict[str, Any]) -> SlackInput | None:
    """A direct message to the bot; None for edits, joins, bots (ourselves) and channels."""
    event = body["event"]
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return None
    conversation = Conversation(PLATFORM, _slack_id(event["channel"]), is_private=True)
    content = parse_text(from_slack(_text(event.get("text", ""))))
    return SlackInput(_slack_id(event["user"]), content, _text(body["event_id"]), conversation)


def mention_input(body: dict[str, Any]) -> SlackInput:
    """Answered in the thread of the mention, so the channel stays readable."""
    event = body["event"]
    thread = _text(event.get("thread_ts") or event["ts"])
    conversation = Conversation(
        PLATFORM, address_of(_slack_id(event["channel"]), thread), is_private=False
    )
    content = parse_text(from_slack(without_mention(_text(event.get("text", "")))))
    return SlackInput(_slack_id(event["user"]), content, _text(body["event_id"]), conversation)


def command_input(body: dict[str, Any], commands: frozenset[str]) -> SlackInput:
    """/cedp, answered in the person's direct messages, never in the channel."""
    content = slash_content(_text(body.get("text", "")), commands)
    return SlackInput(_slack_id(body["user_id"]), content, _text(body["trigger_id"]))


def press_input(body: dict[str, Any], action: dict[str, Any]) -> SlackInput:
    """A button: on a message, answered there; on the Home tab, in the direct messages."""
    user = _slack_id(body["user"]["id"])
    press_id = _text(body.get("trigger_id") or action["action_ts"])
    container = body.get("container") or {}
    if container.get("type") != "message":
        return SlackInput(user, ChoicePress(_text(action["value"])), press_id)
    channel = _slack_id(container["channel_id"])
    thread = container.get("thread_ts") or (body.get("message") or {}).get("thread_ts")
    conversation = Conversation(
        PLATFORM,
        address_of(channel, _text(thread) if thread else None),
        is_private=channel.startswith("D"),
    )
    content = ChoicePress(_text(action["value"]), _text(container["message_ts"]))
    return SlackInput(user, content, press_id, conversation)


def home_input(body: dict[str, Any]) -> SlackInput | None:
    """The Home tab opened: it shows what /start answers. None for the other tabs."""
    event = body["event"]
    if event.get("tab") != "home":
        return None
    conversation = Conversation(PLATFORM, _slack_id(event["channel"]), is_private=True)
    return SlackInput(
        _slack_id(event["user"]), CommandMessage("start"), _text(body["event_id"]), conversation
    )


def _content_type(body: str) -> str:
    """Events come as JSON, commands and button presses as a form."""
    return (
        "application/json" if body.lstrip().startswith("{") else "application/x-www-form-urlencoded"
    )


def read_delivery(body: str, commands: frozenset[str]) -> Arrival | Challenge | None:
    """What a signed request carries, read as bolt will read it, and checked all the way to
    the input the core will get: an arrival to store, a URL check, or None for what the bot
    does not listen to. ValueError for a body that cannot be read."""
    payload = parse_body(body, _content_type(body))
    if not isinstance(payload, dict):
        raise ValueError("not an object")
    if contains_nul(payload):
        raise ValueError("NUL characters")
    try:
        received = _input_of(payload, commands)
    except (KeyError, TypeError, AttributeError, IndexError) as error:
        raise ValueError(f"incomplete payload ({type(error).__name__})") from None
    if isinstance(received, Challenge) or received is None:
        return received
    check_ids(received.event_id, Sender(PLATFORM, received.user), received.conversation)
    return Arrival(received.event_id, body, received.user, bolt_request(body))


def bolt_request(body: str) -> AsyncBoltRequest:
    """The request bolt dispatches; ValueError when bolt cannot read the envelope."""
    try:
        return AsyncBoltRequest(body=body, headers={"content-type": _content_type(body)})
    except Exception as error:  # bolt raises whatever a malformed envelope makes it raise
        raise ValueError(f"unreadable envelope ({type(error).__name__})") from None


def _input_of(payload: dict[str, Any], commands: frozenset[str]) -> SlackInput | Challenge | None:
    kind = payload.get("type")
    if kind == "url_verification":
        return Challenge(_text(payload["challenge"]))
    if kind == "event_callback":
        event_type = payload["event"]["type"]
        if event_type == "message":
            return message_input(payload)
        if event_type == "app_mention":
            return mention_input(payload)
        if event_type == "app_home_opened":
            return home_input(payload)
        return None
    if kind == "block_actions":
        actions = payload["actions"]
        if not actions or not ACTION_ID.match(_text(actions[0]["action_id"])):
            return None
        return press_input(payload, actions[0])
    if "command" in payload:
        return command_input(payload, commands) if payload["command"] == SLASH_COMMAND else None
    return None


class SlackAdapter:
    """The Slack platform: a web adapter for the shared server and an outlet for replies."""

    platform = PLATFORM

    def __init__(self, bot: Bot) -> None:
        settings = bot.services.settings
        if settings.slack_bot_token is None or settings.slack_signing_secret is None:
            raise ValueError("Slack needs both SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET")
        self._bot = bot
        self._verifier = SignatureVerifier(settings.slack_signing_secret.get_secret_value())
        # Only connection errors are retried by slack_sdk: 429s go through `with_retries`,
        # so a retry also waits its turn with the pacer.
        self._client = AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_base_url,
            retry_handlers=[AsyncConnectionErrorRetryHandler()],
        )
        # The signature is checked in `_serve` before bolt sees the request; bolt sees stored
        # deliveries, and its listeners run inline, so it leaves no untracked work.
        self._app = AsyncApp(
            client=self._client,
            request_verification_enabled=False,
            process_before_response=True,
        )
        self._pacer = Pacer(per_chat_per_second=1.0, per_chat_burst=3)
        self._commands = bot.services.routes.command_names()
        self._dm_channels: dict[str, str] = {}
        self.inbox = Inbox(bot, self)
        self.broadcasts = BroadcastSender(bot, self)
        self._app.event("message")(self._on_message)
        self._app.event("app_mention")(self._on_mention)
        self._app.event("app_home_opened")(self._on_home_opened)
        self._app.command(SLASH_COMMAND)(self._on_command)
        self._app.action(ACTION_ID)(self._on_press)

    # The web side

    def mount(self, app: web.Application) -> None:
        app.router.add_post("/slack/events", self._serve)
        app.cleanup_ctx.append(self._lifetime)

    async def _lifetime(self, _app: web.Application) -> AsyncIterator[None]:
        """Handle stored deliveries and push the outbox while serving; at shutdown, finish the
        deliveries in hand."""
        pump = OutboxPump(self._bot, self, self._bot.services.settings.outbox_poll_seconds)
        self.inbox.start()
        pump.start()
        self.broadcasts.start()
        yield
        await self.inbox.stop()
        await pump.stop()
        await self.broadcasts.stop()

    async def _serve(self, request: web.Request) -> web.Response:
        """Check the signature on the raw body, store the delivery, then answer 200: Slack
        does not send again what it saw acknowledged. Malformed signed bodies get 400."""
        raw = await request.read()
        if not self._signed(raw, request):
            return web.Response(status=401, text="invalid or stale signature")
        try:
            body = raw.decode()
            received = read_delivery(body, self._commands)
        except (ValueError, RecursionError) as error:
            log.warning("refused a malformed Slack request: %s", error)
            return web.Response(status=400, text="malformed request")
        if isinstance(received, Challenge):
            return web.json_response({"challenge": received.challenge})
        if received is not None:
            await self.inbox.accept([received])
        return web.Response(status=200)

    def _signed(self, raw: bytes, request: web.Request) -> bool:
        """Slack's HMAC over the raw body, made less than 5 minutes ago."""
        try:
            return self._verifier.is_valid(
                body=raw,
                timestamp=request.headers.get("X-Slack-Request-Timestamp"),
                signature=request.headers.get("X-Slack-Signature"),
            )
        except ValueError:  # a timestamp that is not a number, a body that is not UTF-8
            return False

    # The inbox side: a stored body goes through bolt, whose listeners answer it

    def person_of(self, body: str) -> str:
        received = read_delivery(body, self._commands)
        assert isinstance(received, Arrival), "only arrivals are stored"
        return received.person

    async def process(self, arrival: Arrival) -> None:
        request = arrival.parsed or bolt_request(arrival.body)
        await self._app.async_dispatch(request)

    # Listeners: bolt passes arguments by name. Acknowledging is a formality here: the
    # delivery was acknowledged when it was stored.

    async def _on_message(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        received = message_input(body)
        if received is not None:
            await self._answer(received)

    async def _on_mention(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await self._answer(mention_input(body))

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await self._answer(command_input(body, self._commands))

    async def _on_press(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await self._answer(press_input(body, action))

    async def _on_home_opened(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        received = home_input(body)
        if received is not None:
            await self._publish_home(received)

    async def _answer(self, received: SlackInput) -> None:
        """Into the core; answered where it happened, or in the person's direct messages."""
        conversation = received.conversation
        if conversation is None:
            try:
                channel = await self.direct_address(received.user)
            except Unreachable as refusal:
                await mark_unreachable(self._bot, PLATFORM, received.user, refusal.reason)
                return
            conversation = Conversation(PLATFORM, channel, is_private=True)
        sender = Sender(PLATFORM, received.user, display_name=received.user)  # only the id
        await self.inbox.respond(
            InboundEvent(sender, conversation, received.content, received.event_id)
        )

    async def _publish_home(self, received: SlackInput) -> None:
        """The Home tab shows what /start answers this person: greeting and main menu."""
        assert received.conversation is not None
        sender = Sender(PLATFORM, received.user, display_name=received.user)
        replies = await self._bot.handle(
            InboundEvent(sender, received.conversation, received.content)
        )
        view = home_view(replies)
        publish = partial(self._client.views_publish, user_id=received.user, view=view)
        await self._call(received.user, publish)

    # The outlet side

    async def direct_address(self, person_id: str) -> str:
        """The person's DM channel with the bot (the same every time, so remembered)."""
        channel = self._dm_channels.get(person_id)
        if channel is None:
            with refusals():
                opened = await self._call(
                    person_id, partial(self._client.conversations_open, users=person_id)
                )
            channel = self._dm_channels[person_id] = opened["channel"]["id"]
        return channel

    async def send(self, address: str, replies: Sequence[Reply], *, bulk: bool = False) -> None:
        channel, thread = parse_address(address)
        with refusals():
            for reply in replies:
                if isinstance(reply, File):
                    await self._upload(channel, thread, reply)
                elif isinstance(reply, Edit):
                    await self._edit(channel, thread, reply)
                else:
                    options = reply.options if isinstance(reply, Choices) else ()
                    messages = render(reply.text, options, markup=reply.markup)
                    await self._post(channel, thread, messages, bulk=bulk)

    async def _call(
        self, chat: str, send: Callable[[], Awaitable[AsyncSlackResponse]], *, bulk: bool = False
    ) -> AsyncSlackResponse:
        """One Slack call in `chat`'s turn (in the bulk lane for broadcasts), 429s waited out."""
        return await with_retries(send, retry_after, pacer=self._pacer, chat=chat, bulk=bulk)

    async def _post(
        self, channel: str, thread: str | None, messages: list[SlackMessage], *, bulk: bool = False
    ) -> None:
        for message in messages:
            post = partial(
                self._client.chat_postMessage,
                channel=channel,
                thread_ts=thread,
                text=message.text,
                blocks=message.blocks,
            )
            await self._call(channel, post, bulk=bulk)

    async def _edit(self, channel: str, thread: str | None, edit: Edit) -> None:
        """Replace the message in place; post anew when it is gone or cannot be changed."""
        messages = render(edit.text, edit.options, markup=edit.markup)
        if edit.message_id is not None and messages:
            first = messages[0]
            update = partial(
                self._client.chat_update,
                channel=channel,
                ts=edit.message_id,
                text=first.text,
                blocks=first.blocks,
            )
            try:
                await self._call(channel, update)
                messages = messages[1:]
            except SlackApiError as error:
                if error.response.get("error") not in NOT_EDITABLE:
                    raise
        await self._post(channel, thread, messages)

    async def _upload(self, channel: str, thread: str | None, file: File) -> None:
        upload = partial(
            self._client.files_upload_v2,
            channel=channel,
            thread_ts=thread,
            content=file.content,
            filename=file.filename,
            title=file.filename,
            initial_comment=escape(file.caption) if file.caption else None,
        )
        await self._call(channel, upload)
