"""Typos are corrected towards words the knowledge base knows, never towards far-off words."""

from __future__ import annotations

from collections import Counter

import pytest

from knowledge.spelling import SpellingCorrector


@pytest.fixture(scope="module")
def corrector() -> SpellingCorrector:
    return SpellingCorrector(
        Counter(
            {
                "cancel": 9,
                "coaching": 5,
                "eligible": 3,
                "universities": 2,
                "mentor": 4,
                "mentors": 1,
                "cost": 6,
                "post": 2,
            }
        )
    )


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("cancle", "cancel"),  # transposition
        ("coachin", "coaching"),  # dropped letter
        ("elligible", "eligible"),  # doubled letter
        ("univercities", "universities"),  # two edits in a long word
        ("mentr", "mentor"),
    ],
)
def test_common_typos_are_corrected(corrector: SpellingCorrector, typed: str, meant: str) -> None:
    assert corrector.correct(typed) == meant


def test_short_words_allow_one_edit_only(corrector: SpellingCorrector) -> None:
    assert corrector.correct("cxsy") is None  # "cost" is two edits away


def test_ties_go_to_the_commoner_word(corrector: SpellingCorrector) -> None:
    assert corrector.correct("cosst") == "cost"
    assert corrector.correct("mentorz") == "mentor"  # mentor (4) beats mentors (1)


def test_known_words_are_members(corrector: SpellingCorrector) -> None:
    assert "cancel" in corrector and "cancle" not in corrector
