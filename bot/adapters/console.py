"""`cedp-bot chat`: talk to the bot in a terminal, interactively or with piped stdin.

Choices are printed as numbers; typing a number presses that choice.
"""

from __future__ import annotations

import asyncio
import getpass
from typing import TextIO

from bot.adapters.session import ChatSession, render_plain
from bot.core import Bot
from bot.messages import ChoicePress, Conversation, InboundEvent, Sender, parse_text

CONSOLE_PLATFORM = "console"
PROMPT = "you> "


def console_user() -> str:
    """The terminal's user name is the console identity."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "console"


class ConsoleChat:
    def __init__(self, bot: Bot, *, user_id: str, display_name: str) -> None:
        self._bot = bot
        self._sender = Sender(CONSOLE_PLATFORM, user_id, display_name)
        self._conversation = Conversation(CONSOLE_PLATFORM, user_id)
        self._session = ChatSession()

    def _event_for(self, line: str) -> InboundEvent:
        shown = self._session.by_number(line.strip())
        content = (
            ChoicePress(shown.choice.payload, shown.message_id)
            if shown is not None
            else parse_text(line)
        )
        return InboundEvent(self._sender, self._conversation, content)

    async def reply_to(self, line: str) -> str:
        """What the terminal prints for one typed line."""
        replies = await self._bot.handle(self._event_for(line))
        replies += await self._bot.deliver(CONSOLE_PLATFORM, self._sender.external_id)
        self._session.receive(replies)
        return render_plain(replies)


def _as_bot(text: str) -> str:
    return "bot> " + text.replace("\n", "\n     ") + "\n\n"


async def run_console(chat: ConsoleChat, stdin: TextIO, stdout: TextIO) -> None:
    """Greet, then answer lines until end of input; a prompt only when a person is typing."""
    interactive = stdin.isatty()
    loop = asyncio.get_running_loop()
    stdout.write(_as_bot(await chat.reply_to("/start")))
    while True:
        if interactive:
            stdout.write(PROMPT)
            stdout.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        if not interactive:
            stdout.write(f"{PROMPT}{line.rstrip()}\n")
        stdout.write(_as_bot(await chat.reply_to(line)))
        stdout.flush()
