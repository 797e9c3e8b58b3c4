"""/settings: a member mutes news or events, picks or types quiet hours and a time zone, and
sees in plain words what the bot will do; guests and group chats are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.messages import Choices, Edit
from bot.middleware import JOIN_FIRST, PRIVATE_ONLY
from bot.settings import Settings
from domain.notices import Category
from handlers.settings import SAVED, Mute
from tests.conftest import FakeClock, join_as

DEFAULT_MENU = ["Mute news", "Mute events", "Quiet hours", "Time zone", "Done"]


@pytest.fixture
async def member(bot: Bot, chat: TestChat) -> TestChat:
    await join_as(bot, chat)
    return chat


async def test_settings_start_at_the_programmes_defaults_in_plain_words(member: TestChat) -> None:
    [reply] = await member.send("/settings")
    assert isinstance(reply, Choices)
    assert reply.text == (
        "Your settings for programme notices:\n"
        "• News: on\n"
        "• Events: on\n"
        "• Essential notices: always on\n"
        "• Quiet hours: 20:00-08:00 (Europe/London): nothing but essential notices then; "
        "held messages arrive when they end\n"
        "• Time zone: Europe/London"
    )
    assert member.labels == DEFAULT_MENU


async def test_a_mute_toggle_edits_the_menu_in_place_and_is_kept(member: TestChat) -> None:
    await member.send("/settings")
    [muted] = await member.press("Mute events")
    assert isinstance(muted, Edit) and muted.message_id is not None
    assert "• Events: muted" in muted.text and "• News: on" in muted.text
    assert member.labels == ["Mute news", "Unmute events", "Quiet hours", "Time zone", "Done"]
    [again] = await member.press("Mute news")
    assert isinstance(again, Edit) and again.message_id == muted.message_id
    assert "• News: muted" in again.text

    await member.send("/settings")
    assert "• News: muted" in member.text and "• Events: muted" in member.text
    await member.press("Unmute events")
    assert "• Events: on" in member.text
    assert member.labels == ["Unmute news", "Mute events", "Quiet hours", "Time zone", "Done"]


async def test_quiet_hours_can_be_picked_turned_off_and_returned_to_the_default(
    member: TestChat,
) -> None:
    await member.send("/settings")
    [choices] = await member.press("Quiet hours")
    assert isinstance(choices, Edit)
    assert member.labels == [
        "20:00-08:00 (default)",
        "21:00-07:00",
        "22:00-07:00",
        "Off",
        "Type my own",
    ]
    await member.press("22:00-07:00")
    assert "• Quiet hours: 22:00-07:00 (Europe/London)" in member.text
    assert member.labels == DEFAULT_MENU

    await member.press("Quiet hours")
    assert "Now: 22:00-07:00" in member.text
    await member.press("Off")
    assert "• Quiet hours: off: notices arrive at any time of day" in member.text

    await member.press("Quiet hours")
    await member.press("20:00-08:00 (default)")
    assert "• Quiet hours: 20:00-08:00 (Europe/London)" in member.text


async def test_typed_quiet_hours_are_checked_and_a_bad_value_can_be_typed_again(
    member: TestChat,
) -> None:
    await member.send("/settings")
    await member.press("Quiet hours")
    await member.press("Type my own")
    assert "Type your quiet hours as HH:MM-HH:MM in your time zone (Europe/London)" in member.text
    assert member.labels == []

    await member.send("9pm until 7")
    assert member.text == (
        "Sorry: '9pm until 7' is not a span of hours: use HH:MM-HH:MM, like 20:00-08:00. "
        "Please type it again, or /cancel."
    )
    await member.send("07:00-07:00")
    assert "must start and end at different times" in member.text
    await member.send("21:30 - 06:45")
    assert "• Quiet hours: 21:30-06:45 (Europe/London)" in member.text
    assert member.labels == DEFAULT_MENU

    await member.send("21:00-07:00")  # no longer waiting: a question for the FAQ
    await member.send("/settings")
    assert "• Quiet hours: 21:30-06:45" in member.text


async def test_the_time_zone_can_be_picked_or_typed_and_quiet_hours_follow_it(
    member: TestChat,
) -> None:
    await member.send("/settings")
    await member.press("Time zone")
    assert member.labels == ["Europe/London", "Europe/Dublin", "Europe/Paris", "Type my own"]
    await member.press("Europe/Paris")
    assert "• Time zone: Europe/Paris" in member.text
    assert "• Quiet hours: 20:00-08:00 (Europe/Paris)" in member.text

    await member.press("Time zone")
    await member.press("Type my own")
    await member.send("Mars/Olympus")
    assert member.text == (
        "Sorry: 'Mars/Olympus' is not a time zone: use a name like Europe/London or "
        "Europe/Paris. Please type it again, or /cancel."
    )
    await member.send("America/New_York")
    assert "• Time zone: America/New_York" in member.text


async def test_going_back_to_the_menu_stops_waiting_for_a_typed_value(member: TestChat) -> None:
    await member.send("/settings")
    await member.press("Time zone")
    await member.press("Type my own")
    await member.send("/settings")
    await member.press("Done")
    await member.send("Europe/Dublin")  # no longer waiting: a question for the FAQ
    await member.send("/settings")
    assert "• Time zone: Europe/London" in member.text


async def test_done_leaves_the_settings_on_screen_without_choices(member: TestChat) -> None:
    await member.send("/settings")
    await member.press("Mute news")
    [done] = await member.press("Done")
    assert isinstance(done, Edit) and done.options == ()
    assert "• News: muted" in done.text and done.text.endswith(SAVED)


async def test_essential_notices_cannot_be_muted_even_by_a_made_up_button(
    member: TestChat,
) -> None:
    await member.press_bound(Mute(Category.ESSENTIAL))
    assert member.text == "Not changed: essential programme notices cannot be muted."
    await member.send("/settings")
    assert "• Essential notices: always on" in member.text


async def test_guests_are_asked_to_join_first(chat: TestChat) -> None:
    await chat.send("/settings")
    assert chat.text == JOIN_FIRST.format(who="programme members")
    await chat.press_bound(Mute(Category.NEWS))
    assert chat.text == JOIN_FIRST.format(who="programme members")


async def test_settings_are_refused_in_a_group_chat(bot: Bot, member: TestChat) -> None:
    in_group = TestChat(bot, user_id="alice", chat_id="team-room", group=True)
    await in_group.send("/settings")
    assert in_group.text == PRIVATE_ONLY
    await in_group.press_bound(Mute(Category.NEWS))
    assert in_group.text == PRIVATE_ONLY


@pytest.fixture
async def no_quiet_default(settings: Settings, clock: FakeClock) -> AsyncIterator[Bot]:
    started = await Bot.start(settings.model_copy(update={"quiet_hours": ""}), clock=clock)
    yield started
    await started.close()


async def test_with_no_default_quiet_hours_members_have_none_until_they_choose(
    no_quiet_default: Bot,
) -> None:
    member = TestChat(no_quiet_default, user_id="alice")
    await join_as(no_quiet_default, member)
    await member.send("/settings")
    assert "• Quiet hours: off" in member.text
    await member.press("Quiet hours")
    assert member.labels[0] == "Off (default)"
    await member.press("21:00-07:00")
    assert "• Quiet hours: 21:00-07:00 (Europe/London)" in member.text
