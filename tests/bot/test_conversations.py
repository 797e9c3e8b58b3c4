"""Multi-step conversations live in the database: they survive restarts and span workers."""

from __future__ import annotations

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.settings import Settings
from handlers.members import ASK_FOR_CODE
from tests.conftest import FakeClock, create_invite


async def test_a_conversation_survives_a_restart(settings: Settings, clock: FakeClock) -> None:
    first = await Bot.start(settings, clock=clock)
    code = await create_invite(first)
    await TestChat(first, user_id="alice").send("/join")
    await first.close()

    restarted = await Bot.start(settings, clock=clock)
    try:
        chat = TestChat(restarted, user_id="alice", display_name="Alice")
        await chat.send(code)
        assert chat.text.startswith("Welcome to the programme, Alice!")
    finally:
        await restarted.close()


async def test_a_conversation_started_on_one_worker_continues_on_another(
    settings: Settings, clock: FakeClock
) -> None:
    worker_a = await Bot.start(settings, clock=clock)
    worker_b = await Bot.start(settings, clock=clock)
    try:
        code = await create_invite(worker_a)
        await TestChat(worker_a, user_id="alice").send("/join")
        chat_on_b = TestChat(worker_b, user_id="alice")
        await chat_on_b.send(code)
        assert chat_on_b.text.startswith("Welcome")
    finally:
        await worker_a.close()
        await worker_b.close()


async def test_an_expired_conversation_is_forgotten(bot: Bot, clock: FakeClock) -> None:
    chat = TestChat(bot)
    await chat.send("/join")
    clock.advance(minutes=bot.services.settings.conversation_ttl_minutes + 1)
    await chat.send("what is the programme")
    assert "Chief Executive Development Programme" in chat.text


async def test_each_step_restarts_the_expiry(bot: Bot, clock: FakeClock) -> None:
    chat = TestChat(bot)
    ttl = bot.services.settings.conversation_ttl_minutes
    await chat.send("/join")
    clock.advance(minutes=ttl - 1)
    await chat.send("XXXX-XXXX")  # a wrong code keeps the person at the code step
    clock.advance(minutes=ttl - 1)
    code = await create_invite(bot)
    await chat.send(code)
    assert chat.text.startswith("Welcome")


async def test_a_conversation_belongs_to_one_person_in_one_chat(bot: Bot) -> None:
    alice = TestChat(bot, user_id="alice", chat_id="group-1")
    bob = TestChat(bot, user_id="bob", chat_id="group-1")
    await alice.send("/join")
    assert alice.text == ASK_FOR_CODE
    await bob.send("what is the programme")
    assert "Chief Executive Development Programme" in bob.text
    alice_elsewhere = TestChat(bot, user_id="alice", chat_id="group-2")
    await alice_elsewhere.send("what is the programme")
    assert "Chief Executive Development Programme" in alice_elsewhere.text
