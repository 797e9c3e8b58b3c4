"""Small talk and nonsense are set apart as remarks, never answered from the knowledge base; a
question that merely starts with a greeting or thanks is still a question."""

from __future__ import annotations

import pytest

from bot.settings import SHIPPED_KNOWLEDGE
from knowledge.base import KnowledgeBase, load_knowledge
from knowledge.remarks import Remark


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return load_knowledge(SHIPPED_KNOWLEDGE)


@pytest.mark.parametrize(
    ("text", "remark"),
    [
        ("hello", Remark.GREETING),
        ("Good morning!", Remark.GREETING),
        ("hi there, how are you?", Remark.GREETING),
        ("what can you do?", Remark.GREETING),
        ("thank you so much", Remark.THANKS),
        ("Thanks, bot", Remark.THANKS),
        ("that was helpful", Remark.THANKS),
        ("great", Remark.THANKS),
        ("no", Remark.ACKNOWLEDGEMENT),
        ("yes please", Remark.ACKNOWLEDGEMENT),
        ("OK", Remark.ACKNOWLEDGEMENT),
        ("no thanks", Remark.ACKNOWLEDGEMENT),
        ("👍", Remark.ACKNOWLEDGEMENT),
        ("bye", Remark.GOODBYE),
        ("ok thanks, bye!", Remark.GOODBYE),
        ("1 OR 1=1", Remark.UNCLEAR),
        ("asdf qwer", Remark.UNCLEAR),
        ("???", Remark.UNCLEAR),
        ("12345", Remark.UNCLEAR),
        ("what is it", Remark.UNCLEAR),
    ],
)
def test_a_remark_is_recognised_and_matched_against_nothing(
    knowledge: KnowledgeBase, text: str, remark: Remark
) -> None:
    result = knowledge.match(text)

    assert result.remark is remark
    assert result.answer is None and result.candidates == ()


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("hello! what is this bot for?", "bot-what"),
        ("thanks, how do I join?", "join-how"),
        ("1:1 coaching", "coaching-what-is"),
    ],
)
def test_a_question_with_a_greeting_or_thanks_is_still_answered(
    knowledge: KnowledgeBase, text: str, entry_id: str
) -> None:
    result = knowledge.match(text)

    assert result.remark is None
    assert result.answer is not None and result.answer.entry.id == entry_id


def test_a_real_question_about_something_unknown_is_no_remark(knowledge: KnowledgeBase) -> None:
    result = knowledge.match("can I bring my dog?")

    assert result.remark is None and result.answer is None


def test_no_phrasing_in_the_shipped_knowledge_base_is_taken_for_a_remark(
    knowledge: KnowledgeBase,
) -> None:
    remarks = [
        phrasing
        for entry in knowledge.entries.values()
        for phrasing in entry.phrasings
        if knowledge.match(phrasing).remark is not None
    ]

    assert remarks == []
