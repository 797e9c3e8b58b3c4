"""Free text is answered from the knowledge base, honestly when it does not know."""

from __future__ import annotations

import pytest

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.messages import Choices, Text
from handlers.faq import (
    ALREADY_HANDED_OVER,
    ASK_TEAM,
    DONT_KNOW,
    HANDED_OVER,
    HELPFUL,
    NOT_HELPFUL,
    REMARK_REPLIES,
    THANKS_UP,
    UNSURE,
    HandOver,
    NoneOfThese,
    PickSuggestion,
    ShowEntry,
    Verdict,
    Vote,
)
from knowledge.remarks import Remark
from storage.repositories import Repositories
from tests.conftest import join_as

UNKNOWN_QUESTION = "can I bring my dog?"  # a real question the knowledge base cannot answer


async def _most_missed(bot: Bot) -> list:
    async with bot.services.database.transaction() as session:
        return await Repositories.bound_to(session).faq.most_missed()


async def test_a_clear_question_gets_its_answer_related_questions_and_votes(
    chat: TestChat,
) -> None:
    replies = await chat.send("How do I join the programme?")
    assert len(replies) == 1 and isinstance(replies[0], Choices)
    assert "/join" in replies[0].text
    assert chat.labels[-2:] == [HELPFUL, NOT_HELPFUL]
    assert 1 <= len(chat.labels) - 2 <= 3


async def test_pressing_a_related_question_answers_it(chat: TestChat) -> None:
    await chat.send("How do I join the programme?")
    related = chat.labels[0]
    replies = await chat.press(related)
    assert isinstance(replies[0], Choices) and chat.labels[-1] == NOT_HELPFUL


async def test_a_vote_is_counted_once(chat: TestChat) -> None:
    await chat.send("How do I join the programme?")
    down = chat.payload(NOT_HELPFUL)
    await chat.press(HELPFUL)
    assert chat.text == THANKS_UP
    await chat.press_payload(down)  # the same answer's other button, pressed later
    assert "already told me" in chat.text


async def test_not_helpful_reaches_the_report_and_offers_the_team(bot: Bot, chat: TestChat) -> None:
    await chat.send("How do I join the programme?")
    await chat.press(NOT_HELPFUL)
    assert ASK_TEAM in chat.labels
    [missed] = await _most_missed(bot)
    assert missed.entry_id == "join-how" and missed.question == "How do I join the programme?"


@pytest.mark.parametrize(
    ("text", "remark"),
    [
        ("hello!", Remark.GREETING),
        ("good morning", Remark.GREETING),
        ("thank you so much", Remark.THANKS),
        ("that was helpful", Remark.THANKS),
        ("no", Remark.ACKNOWLEDGEMENT),
        ("ok", Remark.ACKNOWLEDGEMENT),
        ("bye for now", Remark.GOODBYE),
        ("1 OR 1=1", Remark.UNCLEAR),
        ("asdf qwer", Remark.UNCLEAR),
    ],
)
async def test_a_remark_is_answered_in_kind_and_never_offered_to_the_team_or_reported(
    bot: Bot, chat: TestChat, text: str, remark: Remark
) -> None:
    assert await chat.send(text) == [Text(REMARK_REPLIES[remark])]
    assert await _most_missed(bot) == []


async def test_nonsense_gets_a_hint_not_an_apology_for_not_knowing(chat: TestChat) -> None:
    await chat.send("asdf qwer")
    assert "didn't understand" in chat.text and "/help" in chat.text
    assert DONT_KNOW not in chat.text


async def test_an_unknown_question_is_admitted_and_offered_to_the_team(chat: TestChat) -> None:
    replies = await chat.send(UNKNOWN_QUESTION)
    assert isinstance(replies[0], Choices) and replies[0].text == DONT_KNOW
    assert chat.labels == [ASK_TEAM, "No, thanks"]
    await chat.press("No, thanks")
    assert chat.text.startswith("No problem")


async def test_handing_over_needs_the_press_and_happens_once(bot: Bot, chat: TestChat) -> None:
    await chat.send(UNKNOWN_QUESTION)
    async with bot.services.database.transaction() as session:
        assert await Repositories.bound_to(session).team_questions.open() == []
    ask_team = chat.payload(ASK_TEAM)
    await chat.press(ASK_TEAM)
    assert chat.text == HANDED_OVER
    await chat.press_payload(ask_team)
    assert chat.text == ALREADY_HANDED_OVER
    async with bot.services.database.transaction() as session:
        [row] = await Repositories.bound_to(session).team_questions.open()
    assert row.question == UNKNOWN_QUESTION and row.recipient_id == "alice"


async def test_a_vague_question_offers_did_you_mean_with_none_of_these(
    bot: Bot, chat: TestChat
) -> None:
    replies = await chat.send("events")
    assert isinstance(replies[0], Choices) and replies[0].text == UNSURE
    assert chat.labels[-1] == "None of these" and 2 <= len(chat.labels) <= 4
    await chat.press("None of these")
    assert ASK_TEAM in chat.labels
    assert [m.question for m in await _most_missed(bot)] == ["events"]


async def test_picking_a_suggestion_answers_it_with_votes(chat: TestChat) -> None:
    await chat.send("events")
    await chat.press(chat.labels[0])
    assert chat.labels[-2:] == [HELPFUL, NOT_HELPFUL]


async def test_an_entry_for_an_audience_is_shown_only_to_members_with_that_tag(bot: Bot) -> None:
    knowledge = bot.services.knowledge.current
    entry = next(e for e in knowledge.entries.values() if e.audience)

    guest = TestChat(bot, user_id="guest")
    await guest.send(entry.question)
    assert entry.answer not in guest.text
    await guest.press_bound(ShowEntry(entry.id))
    assert entry.answer not in guest.text

    tagged = TestChat(bot, user_id="tagged")
    await join_as(bot, tagged, tags=tuple(entry.audience))
    await tagged.send(entry.question)
    assert entry.answer in tagged.text


async def test_buttons_for_gone_entries_or_questions_say_so(chat: TestChat) -> None:
    await chat.press_bound(ShowEntry("removed-entry"))
    assert "no longer in my knowledge base" in chat.text
    for payload in (
        PickSuggestion(999, "join-how"),
        Vote(999, Verdict.UP),
        HandOver(999),
        NoneOfThese(999),
    ):
        await chat.press_bound(payload)
        assert "older question" in chat.text, payload


async def test_shipped_answers_are_reflowed_prose(chat: TestChat) -> None:
    replies = await chat.send("what is the CEDP")
    assert isinstance(replies[0], Choices)
    assert "\n" not in replies[0].text.split("\n\n")[0]
