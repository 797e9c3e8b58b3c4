"""The shipped knowledge base keeps answering questions it was never given (issue 14).

shipped_eval.jsonl holds questions written from the answers, not from the phrasings, a third of
them out of scope (half of those near misses in the programme's own words). Measured here the way
`cedp-bot kb eval` measures them, so a change to the content cannot silently break answers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SHIPPED_KNOWLEDGE
from knowledge.base import KnowledgeBase, load_knowledge
from knowledge.evaluation import LabelledQuery, evaluate, read_queries
from knowledge.semantic import choose_encoder, load_encoder, semantic_available

EVAL_SET = Path(__file__).with_name("shipped_eval.jsonl")

# Floors, each a point or two below what was measured on 2026-12-02 with the calibrated tunings
# (benchmarks/faq_calibration.py, which never fits to these questions). Lexical core: right
# 80/173 (46.2%), wrong 3/173 (1.7%), right entry in top 3 154/173 (89.0%), out of scope
# refused 84/88 (95.5%); before the calibration the same content gave 57.8%, 5.2%, 88.4% and
# 85.2%: fewer answers, far fewer wrong ones. With the semantic extra: 56.6%, 1.7%, 89.6% and
# 89.8%. WRONG is the target on unseen questions.
FLOORS = {
    # mode: (answered right at least, wrong at most, refused at least, right in top 3 at least)
    "off": (0.45, 0.03, 0.93, 0.88),
    "on": (0.54, 0.03, 0.87, 0.88),
}  # at least this share of in-scope questions with the right entry among the choices


@pytest.fixture(scope="module")
def queries() -> list[LabelledQuery]:
    return read_queries(EVAL_SET)


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return load_knowledge(SHIPPED_KNOWLEDGE, choose_encoder("off"))


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def test_the_set_is_large_and_a_third_out_of_scope(queries: list[LabelledQuery]) -> None:
    out_of_scope = sum(query.expected is None for query in queries)
    assert len(queries) >= 180
    assert 3 * out_of_scope >= len(queries)


def test_every_label_is_an_entry_of_the_shipped_base(
    queries: list[LabelledQuery], knowledge: KnowledgeBase
) -> None:
    labels = {query.expected for query in queries if query.expected is not None}
    assert labels - knowledge.entries.keys() == set()


def test_no_question_is_asked_twice(queries: list[LabelledQuery]) -> None:
    asked = [_normal(query.text) for query in queries]
    assert sorted({text for text in asked if asked.count(text) > 1}) == []


def test_no_question_is_already_a_phrasing_of_the_base(
    queries: list[LabelledQuery], knowledge: KnowledgeBase
) -> None:
    """A question the base already carries would measure recall, not answering the unseen."""
    phrasings = {
        _normal(text)
        for entry in knowledge.entries.values()
        for text in (entry.question, *entry.alternates)
    }
    assert [query.text for query in queries if _normal(query.text) in phrasings] == []


@pytest.mark.parametrize("mode", ["off", "on"], ids=["lexical", "semantic"])
def test_each_mode_stays_above_its_measured_floors(
    queries: list[LabelledQuery], knowledge: KnowledgeBase, mode: str
) -> None:
    if mode == "on" and not semantic_available():
        pytest.skip("pip install 'cedp-bot[semantic]' to measure the semantic mode")
    measured = knowledge if mode == "off" else load_knowledge(SHIPPED_KNOWLEDGE, load_encoder())
    right, wrong, refused, top3 = FLOORS[mode]
    report = evaluate(measured, queries)
    summary = "\n".join(report.lines())
    assert report.right >= right * report.in_scope, summary
    assert report.wrong <= wrong * report.in_scope, summary
    assert report.refused >= refused * report.out_of_scope, summary
    assert report.top3 >= top3 * report.in_scope, summary
