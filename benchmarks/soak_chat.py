"""The platforms' side of the soak: what each simulated member sends over the real webhooks, and
what the bot sent them, read from the loopback APIs' record as it grows."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import aiohttp

from benchmarks.soak_seed import BROADCAST_TEXT, Account
from bot.adapters.telegram import SECRET_HEADER, WEBHOOK_PATH
from tests.e2e.conftest import SLACK_SIGNING_SECRET, TELEGRAM_SECRET
from tests.e2e.loopback import LoopbackPlatforms, RecordedCall
from tests.e2e.payloads import (
    FORM,
    slack_block_action,
    slack_dm_event,
    slack_event,
    slack_signature_headers,
    telegram_callback,
    telegram_message,
)
from tests.e2e.test_slack import buttons as slack_buttons
from tests.e2e.test_telegram import buttons as telegram_buttons

SLACK_EVENTS = "/slack/events"
TELEGRAM_HEADERS = {SECRET_HEADER: TELEGRAM_SECRET, "Content-Type": "application/json"}
# Methods that put something in front of a person; answerCallbackQuery and the like do not.
SHOWING = frozenset(
    {"sendMessage", "editMessageText", "sendDocument", "chat.postMessage", "chat.update"}
)
EDITS = frozenset({"editMessageText", "chat.update"})
INVITATION = "is open to you"
REQUEST = "would like to be introduced to you"
INTRODUCED = "You're introduced!"
NOTICE_MARKERS = (BROADCAST_TEXT, INVITATION, REQUEST, INTRODUCED)


@dataclass(frozen=True)
class Shown:
    """One message (or edit of one) the bot put in front of a person, with its buttons."""

    call: RecordedCall
    text: str
    buttons: dict[str, str]  # label → payload
    message: str  # what a press names: the Telegram message_id or the Slack ts

    @property
    def edit(self) -> bool:
        return self.call.method in EDITS

    @classmethod
    def of(cls, call: RecordedCall) -> Shown:
        params = call.params
        if call.platform == "telegram":
            buttons = {button["text"]: button["callback_data"] for button in telegram_buttons(call)}
            text = params.get("text") or params.get("caption") or ""
            return cls(call, text, buttons, str(call.answer["result"]["message_id"]))
        buttons = slack_buttons(call) if params.get("blocks") else {}
        return cls(call, params.get("text", ""), buttons, str(call.answer["ts"]))


def recipient(call: RecordedCall) -> int | str | None:
    """Whose chat a call showed something in (a Telegram chat id, a Slack channel), if any."""
    if not call.ok or call.method not in SHOWING:
        return None
    return call.params.get("chat_id" if call.platform == "telegram" else "channel")


@dataclass
class Mailbox:
    """Everything shown to one person, in the order it reached the platform."""

    shown: list[Shown] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def first_after(self, mark: int, posted: float, timeout: float) -> Shown | None:  # noqa: ASYNC109
        """The first message from index `mark` on that reached the platform after `posted`
        and is not a notice; None if none comes within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            for shown in self.shown[mark:]:
                if shown.call.at >= posted and not is_notice(shown):
                    return shown
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return None


def is_notice(shown: Shown) -> bool:
    """A message that comes unasked (the broadcast, a check-in invitation, an introduction
    request or its outcome), and so answers nothing the person just sent."""
    return not shown.edit and any(marker in shown.text for marker in NOTICE_MARKERS)


class Mailboxes:
    """Sorts the loopback's record into one mailbox per person, keeps every message shown, and
    queues the notices (by marker) for someone to act on."""

    def __init__(self, fake: LoopbackPlatforms, people: Iterable[Account]) -> None:
        self._fake = fake
        self._people = {person.chat: person for person in people}
        self._boxes = {chat: Mailbox() for chat in self._people}
        self._sorted: set[int] = set()  # id() of every call sorted; the record keeps them alive
        self._scanned = 0
        self.all_shown: list[Shown] = []
        self.notices: dict[str, deque[tuple[Account, Shown]]] = {
            marker: deque() for marker in NOTICE_MARKERS
        }

    def of(self, person: Account) -> Mailbox:
        return self._boxes[person.chat]

    async def watch(self) -> None:
        """Sort new calls every few milliseconds. The record is kept in order of arrival, so a
        slow call lands a little before the end: the last few hundred are looked at again."""
        while True:
            calls = self._fake.calls
            for call in calls[max(0, self._scanned - 500) :]:
                if id(call) in self._sorted:
                    continue
                self._sorted.add(id(call))
                chat = recipient(call)
                box = self._boxes.get(chat) if chat is not None else None
                if box is not None:
                    self._deliver(self._people[chat], box, Shown.of(call))
            self._scanned = len(calls)
            await asyncio.sleep(0.01)

    def _deliver(self, person: Account, box: Mailbox, shown: Shown) -> None:
        box.shown.append(shown)
        box.arrived.set()
        self.all_shown.append(shown)
        if is_notice(shown):
            for marker in NOTICE_MARKERS:
                if marker in shown.text:
                    self.notices[marker].append((person, shown))


class Speaker:
    """Posts what one person types or presses to the server, as their platform would."""

    _updates = itertools.count(1)

    def __init__(self, http: aiohttp.ClientSession, url: str, person: Account) -> None:
        self._http, self._url, self.person = http, url, person

    async def say(self, text: str) -> int:
        number = next(self._updates)
        if self.person.platform == "telegram":
            update = telegram_message(number, int(self.person.external_id), text)
            return await self._telegram(update)
        event = slack_dm_event(self.person.external_id, text)
        body = slack_event(f"EvSoak{number}", event)
        return await self._post(
            SLACK_EVENTS, body, slack_signature_headers(SLACK_SIGNING_SECRET, body)
        )

    async def press(self, shown: Shown, label: str) -> int:
        payload = shown.buttons[label]
        if self.person.platform == "telegram":
            user = int(self.person.external_id)
            message_id = int(shown.message)
            return await self._telegram(
                telegram_callback(next(self._updates), user, payload, message_id=message_id)
            )
        body = slack_block_action(
            self.person.external_id,
            channel=str(self.person.chat),
            message_ts=shown.message,
            action_id="choice-0",
            value=payload,
        )
        headers = slack_signature_headers(SLACK_SIGNING_SECRET, body, content_type=FORM)
        return await self._post(SLACK_EVENTS, body, headers)

    async def _telegram(self, update: dict[str, object]) -> int:
        return await self._post(WEBHOOK_PATH, json.dumps(update).encode(), TELEGRAM_HEADERS)

    async def _post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        try:
            async with self._http.post(self._url + path, data=body, headers=headers) as response:
                await response.read()
                return response.status
        except aiohttp.ClientError:
            return 0
