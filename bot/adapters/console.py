"""`cedp-bot chat`: talk to the bot in a terminal, interactively or with piped stdin.

Choices are printed as numbers; typing a number presses that choice.
"""

from __future__ import annotations

import asyncio
import codecs
import getpass
import os
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.adapters.session import ChatSession, NoSuchChoice, render_plain
from bot.core import Bot
from bot.messages import ChoicePress, Conversation, InboundEvent, Sender, parse_text

CONSOLE_PLATFORM = "console"
PROMPT = "you> "
READ_SIZE = 4096


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
        """What the terminal prints for one typed line; a number that is no choice on screen
        is answered here, so it never reaches the FAQ (or the team, or /report)."""
        try:
            event = self._event_for(line)
        except NoSuchChoice as missing:
            return str(missing)
        replies = await self._bot.handle(event)
        replies += await self._bot.deliver(CONSOLE_PLATFORM, self._sender.external_id)
        self._session.receive(replies)
        return render_plain(replies)


class TerminalLines:
    """Lines typed at a terminal, read on the event loop itself.

    A thread blocked in `readline` would keep the process alive after Ctrl-C until Enter is
    pressed; waiting for the descriptor to become readable lets cancellation end it at once.
    """

    def __init__(self, fd: int, encoding: str) -> None:
        self._fd = fd
        self._decoder = codecs.getincrementaldecoder(encoding)("replace")
        self._pending = ""

    async def readline(self) -> str:
        """The next line with its newline, what is left at end of input, or "" after it."""
        while "\n" not in self._pending:
            chunk = await self._read()
            if not chunk:
                rest = self._pending + self._decoder.decode(b"", final=True)
                self._pending = ""
                return rest
            self._pending += self._decoder.decode(chunk)
        line, _, self._pending = self._pending.partition("\n")
        return line + "\n"

    async def _read(self) -> bytes:
        loop = asyncio.get_running_loop()
        readable = loop.create_future()
        loop.add_reader(self._fd, lambda: readable.done() or readable.set_result(None))
        try:
            await readable
        finally:
            loop.remove_reader(self._fd)
        return os.read(self._fd, READ_SIZE)


def _line_reader(stdin: TextIO) -> Callable[[], Awaitable[str]]:
    if stdin.isatty():
        return TerminalLines(stdin.fileno(), stdin.encoding).readline
    loop = asyncio.get_running_loop()
    return lambda: loop.run_in_executor(None, stdin.readline)


def _as_bot(text: str) -> str:
    return "bot> " + text.replace("\n", "\n     ") + "\n\n"


async def run_console(chat: ConsoleChat, stdin: TextIO, stdout: TextIO) -> None:
    """Greet, then answer lines until end of input; a prompt only when a person is typing."""
    interactive = stdin.isatty()
    readline = _line_reader(stdin)
    stdout.write(_as_bot(await chat.reply_to("/start")))
    while True:
        if interactive:
            stdout.write(PROMPT)
            stdout.flush()
        try:
            line = await readline()
        except asyncio.CancelledError:  # Ctrl-C: leave the shell's prompt on a line of its own
            stdout.write("\n")
            raise
        if not line:
            break
        if not interactive:
            stdout.write(f"{PROMPT}{line.rstrip()}\n")
        stdout.write(_as_bot(await chat.reply_to(line)))
        stdout.flush()
