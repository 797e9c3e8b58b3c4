"""One Telegram user in an end-to-end test: types and presses over the real webhook, and reads
what the bot sent them from the loopback Bot API's record."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from tests.conftest import eventually
from tests.e2e.conftest import Endpoint
from tests.e2e.loopback import LoopbackPlatforms, RecordedCall
from tests.e2e.payloads import telegram_callback, telegram_message
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
