"""/start, /help and /cancel are built from the routers and depend on who is asking."""

from __future__ import annotations

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.messages import Choices
from domain.people import Role
from tests.conftest import join_as


async def test_start_greets_a_guest_with_help_and_join(chat: TestChat) -> None:
    replies = await chat.send("/start")
    assert isinstance(replies[0], Choices)
    assert "Chief Executive Development Programme" in replies[0].text
    assert chat.labels == ["Help", "Join", "Link another app"]


async def test_menu_grows_with_role_and_join_disappears_for_members(
    bot: Bot, chat: TestChat
) -> None:
    await join_as(bot, chat, Role.MEMBER)
    await chat.send("/start")
    assert chat.labels == [
        "Help",
        "My details",
        "Link another app",
        "Settings",
        "Book coaching",
        "My sessions",
        "Peer directory",
        "Download my data",
        "Erase my data",
    ]

    staff = TestChat(bot, user_id="sam", display_name="Sam Staff")
    await join_as(bot, staff, Role.STAFF)
    await staff.send("/start")
    assert staff.labels == [
        "Help",
        "My details",
        "Link another app",
        "Create an invite code",
        "Settings",
        "Book coaching",
        "My sessions",
        "Peer directory",
        "Send a broadcast",
        "Unanswered questions",
        "Phrasings to learn",
        "Download my data",
        "Erase my data",
    ]


async def test_help_lists_exactly_the_commands_a_person_may_use(bot: Bot, chat: TestChat) -> None:
    await chat.send("/help")
    assert "/join" in chat.text and "/invite" not in chat.text and "/me" not in chat.text

    staff = TestChat(bot, user_id="sam")
    await join_as(bot, staff, Role.STAFF)
    await staff.send("/help")
    assert "/invite" in staff.text and "/me" in staff.text and "/join" not in staff.text


async def test_menu_choice_runs_its_command(chat: TestChat) -> None:
    await chat.send("/start")
    await chat.press("Help")
    assert chat.text.startswith("Here's what I can do")


async def test_cancel_with_nothing_to_cancel_says_so(chat: TestChat) -> None:
    await chat.send("/cancel")
    assert "nothing to cancel" in chat.text


async def test_cancel_leaves_a_conversation_and_text_is_a_question_again(chat: TestChat) -> None:
    await chat.send("/join")
    await chat.send("/cancel")
    assert chat.text.startswith("Stopped")
    await chat.send("what is the programme")
    assert "Chief Executive Development Programme" in chat.text
