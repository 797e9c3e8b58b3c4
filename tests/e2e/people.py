"""One person in an end-to-end test, on Telegram or on Slack: types and presses over the real
webhook, and reads what the bot sent them from the loopback platform's record."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from tests.conftest import eventually
from tests.e2e.conftest import Endpoint
from tests.e2e.loopback import LoopbackPlatforms, RecordedCall, slack_dm_channel
from tests.e2e.payloads import telegram_callback, telegram_message
from tests.e2e.test_slack import buttons, dm, press
from tests.e2e.test_telegram import button, post_update


class Person:
    """One Telegram user's side: types, presses, and reads what the bot sent them.

    Given several servers (workers on one database), each update goes to the next in turn, as a
    load balancer would send them.
    """

    def __init__(
        self,
        served: Endpoint | Sequence[Endpoint],
        platforms: LoopbackPlatforms,
        user_id: int,
        first: int,
    ) -> None:
        self._servers = itertools.cycle([served] if isinstance(served, Endpoint) else served)
        self._platforms, self.user_id = platforms, user_id
        self._updates = iter(range(first, first + 1000))

    def received(self) -> list[RecordedCall]:
        """Every message sent to this person and every edit of one, in order."""
        return [
            call
            for call in self._platforms.calls
            if call.ok
            and call.method in {"sendMessage", "editMessageText"}
            and call.params.get("chat_id") == self.user_id
        ]

    async def _next(self, update: dict[str, Any], count: int) -> RecordedCall:
        before = len(self.received())
        await post_update(next(self._servers), update)
        await eventually(lambda: len(self.received()) >= before + count, 10, "the bot's answer")
        return self.received()[-1]

    async def type(self, text: str) -> RecordedCall:
        return await self._next(telegram_message(next(self._updates), self.user_id, text), 1)

    async def press(self, shown: RecordedCall, label: str, *, answers: int = 1) -> RecordedCall:
        """Press the button labelled `label` on `shown`; the last of the `answers` messages or
        edits it brings."""
        message_id = shown.answer["result"]["message_id"]
        data = button(shown, label)
        update = telegram_callback(next(self._updates), self.user_id, data, message_id=message_id)
        return await self._next(update, answers)


class SlackPerson:
    """One Slack user's side, in their direct messages with the bot: writes, presses, and reads
    what the bot posted or updated there."""

    def __init__(self, served: Endpoint, platforms: LoopbackPlatforms, user: str) -> None:
        self._served, self._platforms, self.user = served, platforms, user
        self.channel = slack_dm_channel(user)
        self._events = iter(range(1, 100_000))

    def received(self) -> list[RecordedCall]:
        """Every message posted in this person's DM and every update of one, in order."""
        return [
            call
            for call in self._platforms.calls
            if call.ok
            and call.method in {"chat.postMessage", "chat.update"}
            and call.params.get("channel") == self.channel
        ]

    async def _answered(self, before: int, count: int) -> RecordedCall:
        await eventually(lambda: len(self.received()) >= before + count, 10, "the bot's answer")
        return self.received()[-1]

    async def type(self, text: str) -> RecordedCall:
        before = len(self.received())
        await dm(self._served, self.user, text, f"Ev-{self.user}-{next(self._events)}")
        return await self._answered(before, 1)

    async def press(self, shown: RecordedCall, label: str, *, answers: int = 1) -> RecordedCall:
        """Press the button labelled `label` on `shown`; the last of the `answers` messages or
        updates it brings."""
        before = len(self.received())
        ts = shown.answer.get("ts") or shown.params["ts"]
        await press(
            self._served, self.user, buttons(shown)[label], channel=self.channel, message_ts=ts
        )
        return await self._answered(before, answers)
