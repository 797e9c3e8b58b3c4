"""Free text is answered from the knowledge base, honestly when it does not know."""

from __future__ import annotations

import pytest

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.messages import Choices, Text
from handlers.faq import DONT_KNOW, RELATED, UNSURE
from tests.conftest import join_as


async def test_a_clear_question_gets_its_answer_and_related_questions(chat: TestChat) -> None:
    replies = await chat.send("How do I join the programme?")
    assert isinstance(replies[0], Text) and "/join" in replies[0].text
    assert isinstance(replies[1], Choices) and replies[1].text == RELATED
    assert 1 <= len(replies[1].options) <= 3


async def test_pressing_a_related_question_answers_it(chat: TestChat) -> None:
    await chat.send("How do I join the programme?")
    label = chat.labels[0]
    replies = await chat.press(label)
    assert isinstance(replies[0], Text) and replies[0].text


async def test_nonsense_gets_an_honest_dont_know(chat: TestChat) -> None:
    assert await chat.send("zxqv wplk") == [Text(DONT_KNOW)]


async def test_a_vague_question_offers_did_you_mean(chat: TestChat) -> None:
    replies = await chat.send("mentoring")
    assert isinstance(replies[0], Choices) and replies[0].text == UNSURE
    assert any("mentor" in option.label.lower() for option in replies[0].options)


async def test_an_entry_for_an_audience_is_shown_only_to_members_with_that_tag(bot: Bot) -> None:
    audience_entries = [e for e in bot.services.knowledge.entries.values() if e.audience]
    assert audience_entries, "the shipped knowledge base has an audience-only entry"
    entry = audience_entries[0]

    guest = TestChat(bot, user_id="guest")
    await guest.send(entry.question)
    assert entry.answer not in guest.text
    await guest.press_payload(f"faq:{entry.id}")
    assert entry.answer not in guest.text

    tagged = TestChat(bot, user_id="tagged")
    await join_as(bot, tagged, tags=tuple(entry.audience))
    await tagged.send(entry.question)
    assert entry.answer in tagged.text


async def test_a_button_for_an_entry_that_no_longer_exists_says_so(chat: TestChat) -> None:
    await chat.press_payload("faq:removed-entry")
    assert "no longer in my knowledge base" in chat.text


@pytest.mark.parametrize("question", ["what is the CEDP", "who runs the programme"])
async def test_shipped_answers_are_reflowed_prose(chat: TestChat, question: str) -> None:
    replies = await chat.send(question)
    assert isinstance(replies[0], Text)
    assert "\n" not in replies[0].text.split("\n\n")[0]
