"""Calibration scores a tuning exactly as the engine does, asks each phrasing of a base without
it, and keeps within its goal on the questions it was fitted to."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from knowledge.base import Entry, KnowledgeBase, check_knowledge
from knowledge.calibration import Goal, calibrate, leave_one_phrasing_out, measure, weigh_all
from knowledge.engine import Tuning
from knowledge.evaluation import LabelledQuery, evaluate, read_queries

SHIPPED = Path(__file__).resolve().parents[2] / "knowledge" / "content"
LABELLED = Path(__file__).with_name("shipped_eval.jsonl")

ENTRIES = (
    Entry("coaching-book", "How do I book a coaching session?", "Book.", ("reserve a coach",)),
    Entry("coaching-cancel", "How do I cancel my coaching session?", "Cancel.", ("drop coaching",)),
    Entry("programme-cost", "Does the programme cost anything?", "Free.", ("is it free",)),
)


@pytest.fixture(scope="module")
def shipped() -> list[Entry]:
    entries, problems = check_knowledge(SHIPPED)
    assert not problems
    return entries


@pytest.mark.parametrize(
    "tuning",
    [Tuning(), Tuning(intent_penalty=0.2, confident=0.5, margin=0.1, unknown_penalty=1.2)],
    ids=["in the code", "another"],
)
def test_measure_gives_what_the_engine_does(shipped, tuning) -> None:
    queries = read_queries(LABELLED)
    by_engine = evaluate(KnowledgeBase(shipped, tuning=tuning), queries)
    figures = measure(weigh_all(shipped, queries, None, tuning), tuning)
    assert (figures.right, figures.wrong, figures.top3, figures.refused) == (
        by_engine.right,
        by_engine.wrong,
        by_engine.top3,
        by_engine.refused,
    )
    assert (figures.in_scope, figures.out_of_scope) == (by_engine.in_scope, by_engine.out_of_scope)


def test_each_phrasing_is_asked_of_the_base_without_it() -> None:
    weighed = leave_one_phrasing_out(list(ENTRIES), None, Tuning())
    assert [item.expected for item in weighed] == [e.id for e in ENTRIES for _ in e.phrasings]
    # "reserve a coach" shares nothing but "coach" with what is left of its entry.
    first = weighed[1]
    assert {entry_id for entry_id, _ in first.evidence} <= {e.id for e in ENTRIES}


def test_a_single_phrasing_entry_is_not_asked_about() -> None:
    lonely = Entry("lonely", "What is the register of providers?", "A list.")
    weighed = leave_one_phrasing_out([lonely, *ENTRIES], None, Tuning())
    assert "lonely" not in {item.expected for item in weighed}


def test_calibration_keeps_its_goal_on_what_it_was_fitted_to(shipped) -> None:
    queries = read_queries(LABELLED)
    fit = weigh_all(shipped, queries, None, Tuning())
    goal = Goal(max_wrong=0.02, min_refused=0.97)
    tuned = calibrate(fit, Tuning(), goal, trials=60)
    figures = measure(fit, tuned)
    assert figures.share("wrong") <= goal.max_wrong
    assert figures.share("refused") >= goal.min_refused
    assert figures.right > 0
    assert tuned.suggest <= tuned.confident


def test_an_impossible_goal_is_said_so(shipped) -> None:
    fit = weigh_all(shipped, [LabelledQuery("book coaching", "programme-cost")], None, Tuning())
    everything_wrong = Goal(max_wrong=-1.0)
    with pytest.raises(ValueError, match="no tuning meets"):
        calibrate(fit, dataclasses.replace(Tuning()), everything_wrong, trials=5)
