"""Long replies are cut into messages a platform accepts, at the most readable places."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.adapters.text import split_text

SEPARATORS = re.compile(r"[ \n]+")  # split_text cuts at paragraphs, lines and spaces only
WHITESPACE = re.compile(r"\s+")

# Few letters and much whitespace: runs of blank lines and spaces, tabs (which are not
# separators) and long words are all common.
texts = st.text(alphabet=st.sampled_from("ab \n\t."), max_size=120)
limits = st.integers(min_value=1, max_value=20)
thorough = settings(max_examples=500)


def _visible(text: str) -> str:
    return WHITESPACE.sub("", text)


def _words(text: str) -> list[str]:
    """Words as split_text sees them, leaving out those that are only whitespace (tabs)."""
    return [word for word in SEPARATORS.split(text) if word.strip()]


def _chunks(word: str, limit: int) -> list[str]:
    return [word[start : start + limit] for start in range(0, len(word), limit)]


@thorough
@given(texts, limits)
def test_every_piece_fits_within_the_limit(text: str, limit: int) -> None:
    assert all(len(piece) <= limit for piece in split_text(text, limit))


@thorough
@given(texts, limits)
def test_nothing_but_whitespace_is_lost(text: str, limit: int) -> None:
    pieces = split_text(text, limit)

    assert _visible("".join(pieces)) == _visible(text)


@thorough
@given(st.text(alphabet=st.sampled_from("ab \n."), max_size=120), limits)
def test_a_text_over_the_limit_never_yields_a_blank_piece(text: str, limit: int) -> None:
    assume(len(text) > limit)

    assert all(piece.strip() for piece in split_text(text, limit))  # platforms refuse them


@pytest.mark.parametrize(("text", "limit"), [("a\t", 1), ("word\t\t\t\t", 4), ("x\u00a0", 1)])
def test_a_word_cut_mid_word_never_yields_a_blank_piece(text: str, limit: int) -> None:
    assert all(piece.strip() for piece in split_text(text, limit))


@thorough
@given(texts, limits)
def test_the_words_come_back_in_order_and_only_words_over_the_limit_are_cut(
    text: str, limit: int
) -> None:
    pieces = split_text(text, limit)

    expected = [chunk for word in _words(text) for chunk in _chunks(word, limit) if chunk.strip()]
    assert [word for piece in pieces for word in _words(piece)] == expected


@given(texts, limits)
def test_a_text_within_the_limit_comes_back_unchanged_as_one_piece(text: str, limit: int) -> None:
    assume(len(text) <= limit)

    assert split_text(text, limit) == [text]


@thorough
@given(
    st.lists(st.text(alphabet=st.sampled_from("ab \n."), max_size=15), min_size=2, max_size=12),
    st.integers(min_value=0, max_value=20),
)
def test_paragraphs_that_fit_are_never_cut_in_two(parts: list[str], slack: int) -> None:
    text = "\n\n".join(parts)
    paragraphs = text.split("\n\n")
    limit = max(1, *map(len, paragraphs)) + slack  # every paragraph fits

    pieces = split_text(text, limit)

    # Each piece is one or more whole paragraphs; only blank ones may vanish.
    in_pieces = [paragraph for piece in pieces for paragraph in piece.split("\n\n")]
    assert [p for p in in_pieces if p.strip()] == [p for p in paragraphs if p.strip()]


@given(st.text(alphabet="xyz", min_size=1, max_size=100), limits)
def test_a_single_word_longer_than_the_limit_is_cut_into_limit_sized_chunks(
    word: str, limit: int
) -> None:
    assume(len(word) > limit)

    assert split_text(word, limit) == _chunks(word, limit)


def test_paragraphs_are_preferred_to_lines_and_lines_to_spaces() -> None:
    text = "one two\nthree\n\nfour five"

    assert split_text(text, 14) == ["one two\nthree", "four five"]
    assert split_text(text, 9) == ["one two", "three", "four five"]


def test_a_long_word_after_short_ones_starts_a_piece_of_its_own() -> None:
    assert split_text("hi " + "x" * 25, 10) == ["hi", "x" * 10, "x" * 10, "x" * 5]


def test_as_many_paragraphs_as_fit_share_a_piece() -> None:
    text = "\n\n".join(["aaaa"] * 5)

    assert split_text(text, 10) == ["aaaa\n\naaaa", "aaaa\n\naaaa", "aaaa"]


def test_a_run_of_whitespace_longer_than_the_limit_is_dropped_not_crashed_on() -> None:
    # Used to raise ValueError: the blank part split into no pieces, and unpacking them failed.
    assert split_text("Hi\n" + " " * 11 + "\nthere", 10) == ["Hi", "there"]
    assert split_text("  \n", 1) == []
