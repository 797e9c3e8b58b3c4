"""The terminal adapter: numbered choices, typed numbers pressing them, and a clean end of input."""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.adapters.console import PROMPT, ConsoleChat, run_console
from bot.adapters.session import ChatSession, render_plain
from bot.core import Bot
from bot.messages import Choice, Choices, Edit, File, Text
from domain.people import Role
from storage.repositories import Repositories
from tests.conftest import create_invite


def _chat(bot: Bot, user_id: str = "alice", name: str = "Alice") -> ConsoleChat:
    return ConsoleChat(bot, user_id=user_id, display_name=name)


async def _run(chat: ConsoleChat, *lines: str) -> str:
    """Pipe `lines` into the console and return everything it printed."""
    stdout = io.StringIO()
    await run_console(chat, io.StringIO("".join(f"{line}\n" for line in lines)), stdout)
    return stdout.getvalue()


def _replies(printed: str) -> list[str]:
    """What the bot said, in order, the greeting first."""
    return [block.split("\n", 1)[0] for block in printed.split("bot> ")[1:]]


async def test_the_greeting_comes_first_with_numbered_choices(bot: Bot) -> None:
    printed = await _run(_chat(bot))

    assert printed.startswith("bot> Hello, Alice!")
    assert "  1. Help\n" in printed and "  2. Join\n" in printed


async def test_piped_input_is_echoed_after_the_prompt(bot: Bot) -> None:
    printed = await _run(_chat(bot), "/help")

    assert f"\n{PROMPT}/help\nbot> Here's what I can do" in printed


async def test_typing_a_number_presses_that_choice(bot: Bot) -> None:
    printed = await _run(_chat(bot), "1", "/start", "2")

    replies = _replies(printed)
    assert replies[1].startswith("Here's what I can do")
    assert replies[3].startswith("Please type your invite code")


async def _missed(bot: Bot) -> list:
    async with bot.services.database.transaction() as session:
        return await Repositories.bound_to(session).faq.most_missed()


async def test_a_number_out_of_range_says_which_choices_there_are(bot: Bot) -> None:
    chat = _chat(bot)
    await chat.reply_to("/start")  # three choices on screen

    assert await chat.reply_to("9") == (
        "There's no choice 9 on screen: pick 1 to 3, or type your question."
    )
    assert (await chat.reply_to("1")).startswith("Here's what I can do")  # still on screen
    assert await _missed(bot) == []


async def test_zero_is_never_a_choice(bot: Bot) -> None:
    chat = _chat(bot)
    await chat.reply_to("/start")

    assert (await chat.reply_to("0")).startswith("There's no choice 0 on screen: pick 1 to 3")


async def test_a_number_from_an_older_menu_is_not_sent_as_a_question(bot: Bot) -> None:
    chat = _chat(bot)
    await chat.reply_to("/start")
    assert (await chat.reply_to("1")).startswith("Here's what I can do")

    reply = await chat.reply_to("1")  # the help text offered no choices

    assert reply == (
        "There's no choice 1 on screen: type your question, or send /start for the menu."
    )
    assert await _missed(bot) == []


def test_a_long_number_is_text_not_a_choice() -> None:
    session = ChatSession()
    session.receive([Choices("Pick:", (Choice("One", "a"),))])

    assert session.by_number("23456789") is None  # an invite code typed without its dash


async def test_an_edit_reply_shows_its_text(bot: Bot) -> None:
    code = await create_invite(bot, Role.STAFF)
    chat = _chat(bot, "sam", "Sam Staff")
    await chat.reply_to(f"/join {code}")
    menu = await chat.reply_to("/invite")
    assert "1. Member" in menu

    edited = await chat.reply_to("1")  # the role chosen replaces the question with the code

    assert edited.startswith("Invite code ") and "for a member" in edited


async def test_run_console_stops_cleanly_at_end_of_input(bot: Bot) -> None:
    printed = await _run(_chat(bot), "what is the CEDP")

    assert printed.count("bot> ") == 2
    assert printed.endswith("\n\n")
    assert PROMPT not in printed.rsplit("bot> ", 1)[1]


async def test_an_interactive_terminal_gets_a_prompt_and_no_echo(bot: Bot) -> None:
    controller, terminal = pty.openpty()
    os.write(controller, b"/help\n\x04")  # a line, then Ctrl-D at the start of the next
    stdout = io.StringIO()
    with os.fdopen(terminal, encoding="utf-8") as stdin:
        await run_console(_chat(bot), stdin, stdout)
    os.close(controller)

    printed = stdout.getvalue()
    assert printed.count(PROMPT) == 2  # before the line, and before end of input
    assert "/help\n" not in printed.split("Here's what I can do")[0]


def test_ctrl_c_in_an_interactive_chat_ends_it_at_once(tmp_path: Path) -> None:
    """A real `cedp-bot chat` on a terminal: SIGINT while it waits for a line stops it."""
    env = {**os.environ, "CEDP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cedp.db'}"}
    env["CEDP_SEMANTIC"] = "off"
    controller, terminal = pty.openpty()
    chat = subprocess.Popen(
        [str(Path(sys.executable).parent / "cedp-bot"), "chat"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        cwd=tmp_path,
    )
    os.close(terminal)
    try:
        printed = _read_until(controller, PROMPT.encode(), timeout=30)
        chat.send_signal(signal.SIGINT)
        started = time.monotonic()
        chat.wait(timeout=10)
        took = time.monotonic() - started
        printed += _read_until(controller, b"\0", timeout=0.5)  # whatever it said on the way out
    finally:
        if chat.poll() is None:
            chat.kill()
            chat.wait()
        os.close(controller)

    assert took < 2, f"took {took:.1f} s to stop"
    assert b"Traceback" not in printed, printed.decode(errors="replace")


def _read_until(fd: int, marker: bytes, timeout: float) -> bytes:
    """What a terminal shows until `marker` appears, the process closes it, or time runs out."""
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and (left := deadline - time.monotonic()) > 0:
        if not select.select([fd], [], [], left)[0]:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: every process holding the terminal has closed it
            break
        if not chunk:
            break
        seen += chunk
    return seen


def test_choices_are_numbered_across_every_reply_in_a_batch() -> None:
    replies = [
        Text("Here you go."),
        Choices("Related:", (Choice("First", "a"), Choice("Second", "b"))),
        Choices("More:", (Choice("Third", "c"),)),
        Edit("4", "Updated", (Choice("Fourth", "d"),)),
    ]

    rendered = render_plain(replies)

    assert "  1. First\n  2. Second" in rendered
    assert "More:\n  3. Third" in rendered
    assert "Updated\n  4. Fourth" in rendered
    session = ChatSession()
    session.receive(replies)
    pressed = [session.by_number(str(n)) for n in range(1, 5)]
    assert [shown.choice.payload for shown in pressed if shown] == ["a", "b", "c", "d"]


def test_an_edit_renders_its_text() -> None:
    assert render_plain([Edit("3", "Invite code ABCD-EFGH for a member")]) == (
        "Invite code ABCD-EFGH for a member"
    )


def test_a_file_renders_its_name_and_size() -> None:
    file = File("session.ics", b"x" * 1234, "text/calendar", caption="Your next session")

    assert render_plain([file]) == "[file session.ics, 1,234 bytes] (Your next session)"


def test_replies_are_separated_by_a_blank_line() -> None:
    assert render_plain([Text("one"), Text("two")]) == "one\n\ntwo"
