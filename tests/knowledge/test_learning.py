"""Which candidate phrasings of an entry ask the same thing, and which one to suggest."""

from __future__ import annotations

import pytest

from bot.settings import SHIPPED_KNOWLEDGE
from knowledge.base import KnowledgeBase, load_knowledge
from knowledge.learning import SIMILAR, Candidate, groups, ready, similar, similarity


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return load_knowledge(SHIPPED_KNOWLEDGE)


def _candidate(knowledge: KnowledgeBase, id: int, asker: str, text: str) -> Candidate:
    return Candidate(id, asker, text, knowledge.terms(text))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("how do I cancel my coaching session", "how do i cancle my coachng session"),
        ("call off my coaching", "cancel my coaching"),
        ("can my deputy come instead", "could my deputy attend instead of me"),
        ("what is open space", "Open Space: what is it?"),
    ],
)
def test_ways_of_asking_one_thing_are_similar(
    knowledge: KnowledgeBase, first: str, second: str
) -> None:
    assert similar(knowledge.terms(first), knowledge.terms(second))
    assert similar(knowledge.terms(second), knowledge.terms(first))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("cancel my coaching", "book coaching"),
        ("decline an introduction", "block a member"),
        ("cancel my mentoring", "reschedule my mentoring"),
        ("how do I join", "how do I leave"),
    ],
)
def test_different_intents_are_not(knowledge: KnowledgeBase, first: str, second: str) -> None:
    assert similarity(knowledge.terms(first), knowledge.terms(second)) < SIMILAR


def test_typos_pair_only_words_long_enough_and_never_concepts() -> None:
    assert similarity(frozenset({"book"}), frozenset({"look"})) == 0.0
    assert similarity(frozenset({"cancel"}), frozenset({"cancl"})) == 1.0
    assert similarity(frozenset({"~book"}), frozenset({"~boo"})) == 0.0
    assert similarity(frozenset(), frozenset({"a"})) == 0.0


def test_similar_candidates_group_through_each_other_and_dissimilar_ones_do_not(
    knowledge: KnowledgeBase,
) -> None:
    candidates = [
        _candidate(knowledge, 4, "p1", "cancel my coaching"),
        _candidate(knowledge, 7, "p2", "book coaching"),
        _candidate(knowledge, 9, "p3", "call off my coaching"),
        _candidate(knowledge, 12, "p4", "cancle coaching please"),
    ]
    found = groups(reversed(candidates))  # the order they come in does not matter
    assert [group.ids for group in found] == [(4, 9, 12), (7,)]
    assert [group.number for group in found] == [4, 7]


def test_a_group_counts_different_people_not_questions(knowledge: KnowledgeBase) -> None:
    same_person = [_candidate(knowledge, i, "p1", "cancel my coaching") for i in (1, 2, 3)]
    assert groups(same_person)[0].people == 1
    assert ready(same_person, 3) == []
    others = [_candidate(knowledge, i, f"p{i}", "cancel my coaching") for i in (1, 2, 3)]
    assert [group.people for group in ready(others, 3)] == [3]


def test_the_representative_is_the_most_typical_then_the_shortest(
    knowledge: KnowledgeBase,
) -> None:
    group = groups(
        [
            _candidate(knowledge, 1, "p1", "how do i cancle my coachng session"),
            _candidate(knowledge, 2, "p2", "how do I cancel my coaching session"),
            _candidate(knowledge, 3, "p3", "how do I cancel my coaching session please"),
            _candidate(knowledge, 4, "p4", "How do I cancel my coaching session"),
        ]
    )[0]
    best = group.representative()
    assert best is not None and best.id == 2  # as typical as #4, as short, and older
    excluded = group.representative(lambda text: "cancel my" in text)
    assert excluded is not None and excluded.id == 1
    assert group.representative(lambda text: True) is None
