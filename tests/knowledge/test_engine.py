"""The FAQ engine answers what it recognises, offers choices when unsure, and otherwise declines."""

from __future__ import annotations

import pytest

from bot.settings import SHIPPED_KNOWLEDGE
from knowledge.analysis import Analyzer, words
from knowledge.base import Entry, KnowledgeBase, load_knowledge


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return load_knowledge(SHIPPED_KNOWLEDGE)


def _base(*entries: Entry) -> KnowledgeBase:
    return KnowledgeBase(entries)


BOOK = Entry(
    "coaching-book",
    "How do I book a coaching session?",
    "Book it.",
    alternates=("arrange coaching",),
)
CANCEL = Entry(
    "coaching-cancel",
    "How do I cancel a coaching session?",
    "Cancel it.",
    alternates=("call off my coaching",),
)
COST = Entry("cost", "Does the programme cost anything?", "It is free to members.")
CONTACT = Entry("contact", "How do I contact the programme team?", "Ask the team.")


def test_words_fold_case_accents_contractions_and_american_spelling() -> None:
    assert words("Who's organizing the Program?") == ["who", "is", "organising", "the", "programme"]
    assert words("Café’s ÉLAN") == ["cafe", "elan"]


def test_concepts_join_different_words_for_one_idea() -> None:
    analyzer = Analyzer()
    assert "cost" in analyzer.analyse(words("how much is the fee")).concepts
    assert "contact" in analyzer.analyse(words("put me through to someone")).concepts


def test_a_typo_is_corrected_to_a_word_the_knowledge_base_knows() -> None:
    result = _base(BOOK, CANCEL, COST).match("how do i cancle my coachin")
    assert result.answer is not None and result.answer.entry.id == "coaching-cancel"


def test_the_intent_word_decides_between_close_neighbours() -> None:
    knowledge = _base(BOOK, CANCEL, COST, CONTACT)
    assert knowledge.match("I need to call off tomorrow's coaching").candidates[0].entry is CANCEL
    assert knowledge.match("can I arrange some coaching").candidates[0].entry is BOOK


def test_synonyms_answer_a_question_sharing_no_word_with_the_entry() -> None:
    result = _base(BOOK, CANCEL, COST, CONTACT).match("what's the price?")
    assert result.candidates[0].entry is COST


def test_a_near_miss_out_of_scope_question_is_not_answered() -> None:
    result = _base(BOOK, CANCEL, COST, CONTACT).match("cancel my gym membership")
    assert result.answer is None


def test_unrelated_text_is_not_answered_or_suggested(knowledge: KnowledgeBase) -> None:
    result = knowledge.match("zxqv wplk")
    assert result.answer is None and result.suggestions == ()


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("What is the Chief Executive Development Programme?", "programme-what-is"),
        ("how do i join", "join-how"),
        ("who runs the programme", "programme-who-runs"),
    ],
)
def test_shipped_questions_close_to_an_entry_are_answered(
    knowledge: KnowledgeBase, question: str, entry_id: str
) -> None:
    result = knowledge.match(question)
    assert result.answer is not None and result.answer.entry.id == entry_id


def test_candidates_are_at_most_three_best_first(knowledge: KnowledgeBase) -> None:
    scores = [match.score for match in knowledge.match("mentoring").candidates]
    assert 1 <= len(scores) <= 3 and scores == sorted(scores, reverse=True)


def test_two_equally_good_entries_are_not_answered_confidently() -> None:
    twins = _base(
        Entry("a", "How do I book coaching?", "A."),
        Entry("b", "How can I book coaching?", "B."),
    )
    result = twins.match("book coaching")
    assert result.answer is None
    assert {m.entry.id for m in result.suggestions} == {"a", "b"}


def test_a_question_asked_word_for_word_as_a_phrasing_is_answered_however_close_the_rest() -> None:
    mentoring = Entry("mentoring", "How does mentoring work?", "A mentor.", ("mentoring?",))
    become = Entry("mentor-become", "Can I become a mentor?", "Yes.", ("mentoring volunteers",))
    knowledge = _base(mentoring, become)
    result = knowledge.match("Mentoring")
    assert result.candidates[1].score > result.candidates[0].score - knowledge._engine.tuning.margin
    assert result.answer is not None and result.answer.entry is mentoring


def test_a_phrasing_two_entries_share_word_for_word_decides_nothing_by_itself() -> None:
    first = Entry("first", "What are open space events?", "One.", ("events",))
    second = Entry("second", "How do I sign up for events?", "Two.", ("events",))
    assert _base(first, second).match("events").answer is None


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("I need to cancel my coaching on Friday", "coaching-change"),
        ("book a coach", "coaching-book"),
        ("reschedule coaching", "coaching-change"),
        ("say no to an introduction", "intros-decline"),
        ("leave the directory", "intros-leave"),
        ("block a chief executive from matching with me", "intros-never-pair"),
        ("opt out of the updates", "broadcasts-stop"),
    ],
)
def test_neighbours_sharing_a_topic_noun_are_told_apart_by_the_intent_word(
    knowledge: KnowledgeBase, question: str, entry_id: str
) -> None:
    """The confusions that cost most trust (issue 14): book / cancel / change coaching; decline /
    block / leave / opt out. The right entry comes first and nothing else is answered."""
    result = knowledge.match(question)
    assert result.candidates[0].entry.id == entry_id
    assert result.answer is None or result.answer.entry.id == entry_id
