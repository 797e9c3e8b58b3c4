"""The first matcher: answers what it recognises, offers choices when unsure, else declines."""

from __future__ import annotations

import pytest

from bot.settings import SHIPPED_KNOWLEDGE
from knowledge.base import Entry, KnowledgeBase, load_knowledge
from knowledge.matcher import normalise


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return load_knowledge(SHIPPED_KNOWLEDGE)


def test_normalise_drops_case_punctuation_and_filler_words() -> None:
    assert normalise("What IS the CEDP?!") == "cedp"
    assert normalise("what is it") == "what is it"  # nothing but filler: keep it all


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("What is the Chief Executive Development Programme?", "programme-what-is"),
        ("how do i join", "join-how"),
        ("who runs the programme", "programme-who-runs"),
    ],
)
def test_questions_close_to_an_entry_are_answered(
    knowledge: KnowledgeBase, question: str, entry_id: str
) -> None:
    result = knowledge.match(question)
    assert result.answer is not None and result.answer.entry.id == entry_id


def test_unrelated_text_is_not_answered(knowledge: KnowledgeBase) -> None:
    result = knowledge.match("zxqv wplk")
    assert result.answer is None and result.suggestions == ()


def test_candidates_are_the_top_three_best_first(knowledge: KnowledgeBase) -> None:
    result = knowledge.match("mentoring")
    scores = [match.score for match in result.candidates]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)


def test_two_equally_good_entries_are_not_answered_confidently() -> None:
    knowledge = KnowledgeBase(
        [
            Entry("book", "How do I book coaching?", "Book it."),
            Entry("cancel", "How do I cancel coaching?", "Cancel it."),
        ]
    )
    result = knowledge.match("coaching")
    assert result.answer is None
    assert {m.entry.id for m in result.suggestions} == {"book", "cancel"}
