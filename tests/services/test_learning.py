"""Learning from use: questions that reached an entry become a suggestion once three different
people asked alike, and staff accept it (live at the next reload) or dismiss it."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.people import OPERATOR
from knowledge.base import KnowledgeBase, load_knowledge
from knowledge.source import KnowledgeSource
from services import learning
from services.learning import LEARN_THRESHOLD, AskerDigests, LearningError, asker
from tests.services.conftest import NOW

ASKERS = AskerDigests(b"a test secret of at least 32 characters")
KB = """
- id: coaching-cancel
  question: How do I cancel a coaching session?
  answer: Send /sessions and press Cancel.
- id: coaching-book
  question: How do I book coaching?
  answer: Send /book.
"""


@pytest.fixture
def kb_path(tmp_path: Path) -> Path:
    path = tmp_path / "kb.yaml"
    path.write_text(KB, encoding="utf-8")
    return path


@pytest.fixture
def knowledge(kb_path: Path) -> KnowledgeBase:
    return load_knowledge(kb_path)


def _keep(knowledge: KnowledgeBase, question: str, person: int, entry: str = "coaching-cancel"):
    digest = ASKERS.digest(entry, asker(person, "telegram", str(person)))
    return lambda r: learning.keep_candidate(r, knowledge, entry, question, digest, NOW)


def test_a_digest_tells_people_apart_for_one_entry_only() -> None:
    alice, bob = asker(1, "telegram", "11"), asker(2, "telegram", "22")
    assert ASKERS.digest("a", alice) == ASKERS.digest("a", alice)
    assert ASKERS.digest("a", alice) != ASKERS.digest("a", bob)
    assert ASKERS.digest("a", alice) != ASKERS.digest("b", alice)  # no profile across entries
    assert AskerDigests(b"another secret, 32 characters long").digest("a", alice) != (
        ASKERS.digest("a", alice)
    )
    assert asker(1, "slack", "U1") == asker(1, "telegram", "11")  # a member on any platform
    assert asker(None, "slack", "U1") != asker(None, "telegram", "U1")
    assert len(ASKERS.digest("a", alice)) == 32


async def test_three_different_people_asking_alike_make_a_suggestion_once(
    unit, knowledge: KnowledgeBase
) -> None:
    assert await unit(_keep(knowledge, "cancel my coaching please", 1)) is None
    assert await unit(_keep(knowledge, "how to cancle my coaching", 2)) is None
    made = await unit(_keep(knowledge, "cancel my coaching", 3))
    assert made is not None and made.people == LEARN_THRESHOLD
    assert made.entry.id == "coaching-cancel" and made.text == "cancel my coaching"
    assert await unit(_keep(knowledge, "I want to cancel my coaching", 4)) is None  # told once

    [waiting] = await unit(lambda r: learning.suggestions(r, knowledge))
    assert waiting.people == 4 and waiting.number == made.number
    assert learning.describe(waiting) == (f"{waiting.number}  coaching-cancel  4  «{waiting.text}»")


async def test_the_same_person_three_times_is_not_enough(unit, knowledge: KnowledgeBase) -> None:
    for question in ("cancel my coaching", "cancel my coaching please", "cancel coaching"):
        assert await unit(_keep(knowledge, question, 1)) is None
    assert await unit(_keep(knowledge, "cancel my coaching", 1)) is None  # not even kept again
    assert len(await unit(lambda r: r.candidates.waiting())) == 3
    assert await unit(lambda r: learning.suggestions(r, knowledge)) == []


async def test_dissimilar_questions_of_one_entry_do_not_add_up(
    unit, knowledge: KnowledgeBase
) -> None:
    await unit(_keep(knowledge, "cancel my coaching", 1))
    await unit(_keep(knowledge, "something came up tomorrow", 2))
    await unit(_keep(knowledge, "my diary changed", 3))
    assert await unit(lambda r: learning.suggestions(r, knowledge)) == []


async def test_questions_are_counted_per_entry(unit, knowledge: KnowledgeBase) -> None:
    await unit(_keep(knowledge, "coaching please", 1, "coaching-cancel"))
    await unit(_keep(knowledge, "coaching please", 2, "coaching-book"))
    await unit(_keep(knowledge, "coaching please", 3, "coaching-book"))
    assert await unit(lambda r: learning.suggestions(r, knowledge)) == []


async def test_a_phrasing_the_entry_has_or_a_long_question_is_not_kept(
    unit, knowledge: KnowledgeBase
) -> None:
    await unit(_keep(knowledge, "how do I  CANCEL a coaching session?", 1))
    await unit(_keep(knowledge, "cancel " * 60, 2))
    await unit(_keep(knowledge, "cancel coaching", 3, "no-such-entry"))
    assert await unit(lambda r: r.candidates.waiting()) == []


async def test_accepting_adds_the_phrasing_live_at_the_next_reload(
    unit, knowledge: KnowledgeBase, kb_path: Path
) -> None:
    for person in (1, 2, 3):
        await unit(_keep(knowledge, "call off my coaching", person))
    [suggestion] = await unit(lambda r: learning.suggestions(r, knowledge))

    accepted = await unit(lambda r: learning.accept(r, knowledge, suggestion.number, NOW, OPERATOR))
    assert accepted.text == "call off my coaching"
    rows = await unit(lambda r: r.faq.alternates())
    assert [(row.entry_id, row.text) for row in rows] == [("coaching-cancel", accepted.text)]
    source = KnowledgeSource(kb_path)
    source.load([(row.entry_id, row.text) for row in rows], (1, rows[0].id))
    assert accepted.text in source.current.entries["coaching-cancel"].alternates
    assert await unit(lambda r: learning.suggestions(r, knowledge)) == []
    with pytest.raises(LearningError, match=f"no suggestion {suggestion.number}"):
        await unit(lambda r: learning.accept(r, knowledge, suggestion.number, NOW, OPERATOR))


async def test_dismissing_means_it_is_not_offered_again(unit, knowledge: KnowledgeBase) -> None:
    for person in (1, 2, 3):
        await unit(_keep(knowledge, "call off my coaching", person))
    [suggestion] = await unit(lambda r: learning.suggestions(r, knowledge))
    await unit(lambda r: learning.dismiss(r, knowledge, suggestion.number))
    assert await unit(lambda r: learning.suggestions(r, knowledge)) == []
    assert await unit(lambda r: r.faq.alternates()) == []
    await unit(_keep(knowledge, "call off my coaching", 4))  # its askers no longer count
    assert await unit(lambda r: learning.suggestions(r, knowledge)) == []


async def test_any_candidate_of_a_suggestion_names_it(unit, knowledge: KnowledgeBase) -> None:
    """Staff may have been shown the group before an older question joined it."""
    for person in (1, 2, 3):
        await unit(_keep(knowledge, "call off my coaching", person))
    [suggestion] = await unit(lambda r: learning.suggestions(r, knowledge))
    newest = max(suggestion.candidate_ids)
    dismissed = await unit(lambda r: learning.dismiss(r, knowledge, newest))
    assert dismissed.number == suggestion.number
