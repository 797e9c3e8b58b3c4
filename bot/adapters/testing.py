"""The test adapter: hold whole conversations with the core, no platform library involved.

chat = TestChat(bot, user_id="alice")
replies = await chat.send("/start")
await chat.press("Help")
"""

from __future__ import annotations

from bot.adapters.session import ChatSession, render_plain
from bot.core import Bot
from bot.messages import ChoicePress, Conversation, InboundEvent, Reply, Sender, parse_text
from bot.payloads import Payload

TEST_PLATFORM = "test"


class TestChat:
    __test__ = False  # not a pytest test class

    def __init__(
        self,
        bot: Bot,
        *,
        user_id: str = "u1",
        display_name: str = "Test User",
        platform: str = TEST_PLATFORM,
        chat_id: str | None = None,
        group: bool = False,
    ) -> None:
        self._bot = bot
        self.sender = Sender(platform, user_id, display_name)
        self.conversation = Conversation(platform, chat_id or user_id, is_private=not group)
        self._session = ChatSession()
        self.last: list[Reply] = []

    async def _handle(self, event: InboundEvent) -> list[Reply]:
        return await self._show(await self._bot.handle(event))

    async def send(self, text: str, *, event_id: str | None = None) -> list[Reply]:
        """Type a message (a command or free text)."""
        return await self._handle(
            InboundEvent(self.sender, self.conversation, parse_text(text), event_id=event_id)
        )

    async def press(self, label: str) -> list[Reply]:
        """Press the choice with this label among the latest replies."""
        shown = self._session.by_label(label)
        return await self.press_payload(shown.choice.payload, shown.message_id)

    async def press_payload(self, payload: str, message_id: str | None = None) -> list[Reply]:
        """Press a choice by its payload as the platform returns it: one shown to this person
        earlier, someone else's, or made up."""
        content = ChoicePress(payload, message_id)
        return await self._handle(InboundEvent(self.sender, self.conversation, content))

    async def press_bound(self, payload: Payload, message_id: str | None = None) -> list[Reply]:
        """Press a button the bot could have shown this person, e.g. one whose record is gone."""
        bound = self._bot.services.binder.bind(
            payload.pack(), self.sender.platform, self.sender.external_id
        )
        return await self.press_payload(bound, message_id)

    async def inbox(self) -> list[Reply]:
        """Messages the bot queued for this person from elsewhere (answers, notifications)."""
        return await self._show(
            await self._bot.deliver(self.sender.platform, self.sender.external_id)
        )

    async def _show(self, replies: list[Reply]) -> list[Reply]:
        self.last = replies
        self._session.receive(replies)
        return replies

    @property
    def text(self) -> str:
        """The latest replies as the terminal would show them."""
        return render_plain(self.last)

    def payload(self, label: str) -> str:
        """The payload of the choice with this label on screen, to press again later."""
        return self._session.by_label(label).choice.payload

    @property
    def labels(self) -> list[str]:
        """Labels of the choices now on screen."""
        return [shown.choice.label for shown in self._session.shown]
