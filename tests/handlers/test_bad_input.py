"""Whatever a person sends, they get a short, helpful reply; nothing raises or half-stores."""

from __future__ import annotations

import pytest

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.messages import Text
from bot.middleware import SORRY
from storage.repositories import Repositories

NASTY = [
    "",
    "   ",
    "\x00\x01\x02\x1b[31m",
    "😀😀🙃",
    "a" * 20_000,
    "?" * 5000,
    "/",
    "/join",
    "/join !!!",
    "/join ABCD-EFGH-IJKL-MNOP",
    "/invite",
    "/me extra args",
    "/unknowncommand with args",
    "/" + "x" * 40,
    "\u202egnp.exe",
    "Z̷̢̛a̸l̵g̶o̷ ̸t̷e̷x̷t̷",
    "DROP TABLE members; --",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "\n\n\n",
    "1",
]


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
async def test_nasty_input_gets_a_short_polite_reply(bot: Bot, text: str) -> None:
    chat = TestChat(bot)
    replies = await chat.send(text)
    assert replies, "every message gets an answer"
    assert replies != [Text(SORRY)], "no input may crash a handler"
    assert len(chat.text) < 1500
    assert "Traceback" not in chat.text and "Error" not in chat.text


async def test_long_messages_are_refused_with_the_limit(chat: TestChat) -> None:
    await chat.send("w" * 20_000)
    assert "too long for me (20,000 characters)" in chat.text
    assert "under 4,000 characters" in chat.text


async def test_a_stale_button_from_an_old_message_is_explained(bot: Bot, chat: TestChat) -> None:
    """Bound to this person, but of a kind this version of the bot no longer makes."""
    bound = bot.services.binder.bind("book:confirm:999", "test", chat.sender.external_id)
    await chat.press_payload(bound, "17")
    assert chat.text == (
        "That button is from an older message and no longer works. Send /start for the menu."
    )


async def test_unknown_commands_point_to_help(chat: TestChat) -> None:
    await chat.send("/frobnicate now")
    assert chat.text == "I don't know /frobnicate. Send /help to see the commands I understand."


async def test_none_of_it_leaves_anything_stored_but_throttle_counters(bot: Bot) -> None:
    chat = TestChat(bot)
    for text in NASTY:
        await chat.send(text)
    async with bot.services.database.transaction() as session:
        repos = Repositories.bound_to(session)
        assert await repos.members.list() == []
        assert await repos.invites.list() == []
