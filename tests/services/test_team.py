"""The team desk's rules, the same for /unanswered in chat and for `cedp-bot kb ...`."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.people import OPERATOR
from knowledge.base import KnowledgeBase, load_knowledge
from services import team
from services.learning import AskerDigests, asker
from services.team import TeamDeskError
from storage.faq import Outcome
from tests.services.conftest import NOW

ASKERS = AskerDigests(b"a test secret of at least 32 characters")


@pytest.fixture
def knowledge(tmp_path: Path) -> KnowledgeBase:
    path = tmp_path / "kb.yaml"
    path.write_text(
        "- id: join-how\n  question: How do I join?\n  answer: With an invite code.\n",
        encoding="utf-8",
    )
    return load_knowledge(path)


async def _hand_over(unit, question: str = "zxqv wplk") -> int:
    row = await unit(
        lambda r: r.team_questions.create(
            question=question, platform="test", recipient_id="alice", asker_name="Alice", now=NOW
        )
    )
    return row.id


def _answer(knowledge: KnowledgeBase, question_id: int, text: str, linking: str | None = None):
    return lambda r: team.answer_question(
        r, knowledge, ASKERS, question_id, text, NOW, linking=linking, by=OPERATOR
    )


async def test_an_answer_is_queued_for_the_asker_once_and_their_address_forgotten(
    unit, knowledge: KnowledgeBase
) -> None:
    question_id = await _hand_over(unit)

    await unit(_answer(knowledge, question_id, "  It is a test.  "))

    [message] = await unit(lambda r: r.outbox.take("test", "alice", NOW))
    assert message.text.endswith("«zxqv wplk»:\n\nIt is a test.")
    row = await unit(lambda r: r.team_questions.get(question_id))
    assert row.answer == "It is a test." and row.recipient_id is None
    assert await unit(lambda r: team.waiting_question(r, question_id)) is None
    assert await unit(team.waiting_questions) == []
    with pytest.raises(TeamDeskError, match=f"#{question_id} was already answered"):
        await unit(_answer(knowledge, question_id, "again"))


@pytest.mark.parametrize(
    ("question_id", "answer", "refusal"),
    [(1, "   ", "the answer is empty"), (99, "An answer.", "there is no question #99")],
)
async def test_an_empty_answer_or_an_unknown_question_is_refused(
    unit, knowledge: KnowledgeBase, question_id: int, answer: str, refusal: str
) -> None:
    await _hand_over(unit)

    with pytest.raises(TeamDeskError, match=refusal):
        await unit(_answer(knowledge, question_id, answer))
    assert await unit(lambda r: r.outbox.take("test", "alice", NOW)) == []


async def test_a_question_is_learnt_only_for_a_known_entry_and_when_short_enough(
    unit, knowledge: KnowledgeBase
) -> None:
    short = await _hand_over(unit, "can I get in")
    long = await _hand_over(unit, "x" * (team.MAX_ALTERNATE_CHARS + 1))

    await unit(lambda r: team.add_alternate(r, knowledge, short, "join-how", NOW))
    with pytest.raises(TeamDeskError, match="no entry 'nowhere'"):
        await unit(lambda r: team.add_alternate(r, knowledge, short, "nowhere", NOW))
    with pytest.raises(TeamDeskError, match="too long"):
        await unit(lambda r: team.add_alternate(r, knowledge, long, "join-how", NOW))

    learnt = await unit(lambda r: r.faq.alternates())
    assert [(row.entry_id, row.text) for row in learnt] == [("join-how", "can I get in")]


async def test_a_linked_answer_keeps_the_question_as_the_askers_candidate_and_no_address(
    unit, knowledge: KnowledgeBase
) -> None:
    question_id = await _hand_over(unit, "can I get in")
    await unit(_answer(knowledge, question_id, "Yes, with a code.", linking="join-how"))
    row = await unit(lambda r: r.team_questions.get(question_id))
    expected = ASKERS.digest("join-how", asker(None, "test", "alice"))
    assert row.recipient_id is None and row.learn_digests == {"join-how": expected}

    await unit(lambda r: team.add_alternate(r, knowledge, question_id, "join-how", NOW))

    [candidate] = await unit(lambda r: r.candidates.waiting())
    assert (candidate.entry_id, candidate.question) == ("join-how", "can I get in")
    assert candidate.asker_digest == expected
    row = await unit(lambda r: r.team_questions.get(question_id))
    assert row.learn_digests is None  # staff chose: nothing more is held for it


async def test_declining_to_learn_drops_the_digests_the_answer_kept(
    unit, knowledge: KnowledgeBase
) -> None:
    question_id = await _hand_over(unit, "can I get in")
    await unit(_answer(knowledge, question_id, "Yes.", linking="join-how"))
    await unit(lambda r: team.keep_unlearnt(r, question_id))
    row = await unit(lambda r: r.team_questions.get(question_id))
    assert row.learn_digests is None
    assert await unit(lambda r: r.candidates.waiting()) == []


async def test_the_report_puts_the_most_missed_first_and_says_when_nothing_was(unit) -> None:
    assert await unit(team.missed_report) == [
        "Nothing missed so far: no unanswered questions and no 👎."
    ]
    for _ in range(2):
        await unit(lambda r: r.faq.record("zxqv", Outcome.DECLINED, None, NOW))
    asked = await unit(lambda r: r.faq.record("how do I join", Outcome.ANSWERED, "join-how", NOW))
    await unit(lambda r: r.faq.vote(asked, helpful=False))

    assert await unit(team.missed_report) == [
        "2 × not answered: «zxqv»",
        "1 × 👎 on join-how (e.g. «how do I join»)",
    ]
    assert len(await unit(lambda r: team.missed_report(r, limit=1))) == 1
