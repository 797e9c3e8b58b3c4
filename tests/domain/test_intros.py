"""What a directory entry may hold (the parsers and their polite refusals), "new in post", and
how a round pairs people: never a pair anyone refused, nobody twice, one trio at most and only
to leave fewer out, mixed pairs in buddy rounds, the same groups for the same seed."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.intros import (
    NOTE_MAX_CHARS,
    Candidate,
    Group,
    new_in_post,
    pair_up,
    parse_email,
    parse_field,
    parse_interests,
    parse_month,
    parse_note,
    parse_phone,
)

EXAMPLES = int(os.environ.get("CEDP_FUZZ_EXAMPLES", "50"))
TODAY = date(2026, 11, 24)


# The parsers


def test_interests_are_split_on_commas_semicolons_and_lines_lower_cased_and_deduplicated() -> None:
    text = "Finance, digital;  Mental   health\nfinance,, "
    assert parse_interests(text) == ["finance", "digital", "mental health"]
    assert parse_interests("A&E, women's health, co-production") == [
        "a&e",
        "women's health",
        "co-production",
    ]


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("", "type at least one interest"),
        (" , ;\n", "type at least one interest"),
        ("finance, <script>", "at most 40 characters"),
        ("x" * 41, "at most 40 characters"),
        ("-leading dash", "letters, digits"),
    ],
)
def test_an_interest_that_is_empty_too_long_or_odd_is_refused_saying_what_is_allowed(
    text: str, refusal: str
) -> None:
    with pytest.raises(ValueError, match=refusal):
        parse_interests(text)


@pytest.mark.parametrize(
    "text", ["ceo@trust.nhs.uk", "  first.last+cedp@nhs.net ", "a@b.co", "o'neil@x-y.org.uk"]
)
def test_an_email_address_is_kept_without_surrounding_spaces(text: str) -> None:
    assert parse_email(text) == text.strip()


@pytest.mark.parametrize(
    "text",
    ["", "ceo", "ceo@", "@trust.nhs.uk", "ceo@trust", "two words@trust.nhs.uk", "a@b@c.uk",
     "<ceo@trust.nhs.uk>", "x" * 190 + "@trust.nhs.uk"],
)  # fmt: skip
def test_something_that_is_not_an_email_address_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"doesn't look like an email address \(name@"):
        parse_email(text)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("07700 900123", "07700 900123"),
        ("  +44   7700 900123 ", "+44 7700 900123"),
        ("(020) 7946-0018", "(020) 7946-0018"),
        ("1234567", "1234567"),
    ],
)
def test_a_phone_number_is_kept_with_its_spacing_tidied(text: str, kept: str) -> None:
    assert parse_phone(text) == kept


@pytest.mark.parametrize(
    "text", ["", "123456", "0770090012345678", "07700 9OO123", "call me", "+44 7700 900123 ext 4"]
)
def test_something_that_is_not_a_phone_number_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"doesn't look like a phone number \(07700"):
        parse_phone(text)


def test_a_short_field_collapses_its_spaces_and_refuses_empty_or_long_text_by_name() -> None:
    assert parse_field("  Dame   Ann\tSmith ", "name") == "Dame Ann Smith"
    assert parse_field("x" * 200, "organisation") == "x" * 200
    with pytest.raises(ValueError, match="please type your organisation"):
        parse_field(" \n ", "organisation")
    with pytest.raises(ValueError, match="please keep your name to 200 characters"):
        parse_field("x" * 201, "name")
    with pytest.raises(ValueError, match="please keep your line to 10 characters"):
        parse_field("eleven char", "line", limit=10)


def test_a_note_keeps_its_line_breaks_and_may_be_empty_or_exactly_the_limit() -> None:
    assert parse_note("  Hello,\n\nCould we talk about finance?  ") == (
        "Hello,\n\nCould we talk about finance?"
    )
    assert parse_note("   ") == ""
    assert parse_note("x" * NOTE_MAX_CHARS) == "x" * NOTE_MAX_CHARS


def test_a_note_over_the_limit_is_refused_saying_how_long_it_is() -> None:
    with pytest.raises(ValueError, match="your note has 501 characters; please keep it to 500"):
        parse_note("y" * 501)


@pytest.mark.parametrize(
    "text",
    ["September 2025", "sep 2025", "Sept, 2025", "2025-09", "09/2025", "9 2025", " 2025 09 "],
)
def test_the_month_in_post_is_read_in_the_ways_people_write_it(text: str) -> None:
    assert parse_month(text, TODAY) == date(2025, 9, 1)


def test_a_year_alone_means_its_january_and_this_month_is_not_the_future() -> None:
    assert parse_month("2024", TODAY) == date(2024, 1, 1)
    assert parse_month("November 2026", TODAY) == date(2026, 11, 1)


@pytest.mark.parametrize(
    "text", ["", "soon", "13/2025", "2025-00", "Smarch 2025", "1900s", "September", "1 9 2025"]
)
def test_a_month_that_cannot_be_read_is_refused_with_examples(text: str) -> None:
    with pytest.raises(ValueError, match="like September 2025 or 2025-09"):
        parse_month(text, TODAY)


def test_a_month_still_to_come_is_refused() -> None:
    with pytest.raises(ValueError, match="that month is still to come"):
        parse_month("December 2026", TODAY)


@pytest.mark.parametrize(
    ("since", "new"),
    [
        (None, False),
        (date(2026, 11, 1), True),
        (date(2025, 11, 1), True),  # twelve months exactly
        (date(2025, 10, 1), False),  # thirteen
        (date(2019, 4, 1), False),
    ],
)
def test_new_in_post_means_in_post_for_at_most_twelve_calendar_months(
    since: date | None, new: bool
) -> None:
    assert new_in_post(since, TODAY) is new


# Pairing


@st.composite
def rounds(draw: st.DrawFn) -> tuple[list[Candidate], set[tuple[int, int]]]:
    """Up to 12 people, some buddies, and ordered pairs one side refuses (blocks, never lists)."""
    count = draw(st.integers(0, 12))
    people = [Candidate(n, draw(st.booleans())) for n in range(1, count + 1)]
    ordered = st.tuples(st.integers(1, max(count, 1)), st.integers(1, max(count, 1)))
    refused = draw(st.sets(ordered, max_size=count * 2))
    return people, refused


def _allowing(refused: set[tuple[int, int]]) -> Callable[[int, int], bool]:
    return lambda a, b: (a, b) not in refused


def _mutual(refused: set[tuple[int, int]], a: int, b: int) -> bool:
    return (a, b) not in refused and (b, a) not in refused


@settings(max_examples=EXAMPLES * 4)
@given(drawn=rounds(), seed=st.integers(0, 2**32), buddies=st.booleans())
def test_pairing_never_breaks_a_refusal_uses_nobody_twice_and_makes_one_trio_at_most(
    drawn: tuple[list[Candidate], set[tuple[int, int]]], seed: int, buddies: bool
) -> None:
    people, refused = drawn
    groups = pair_up(people, _allowing(refused), random.Random(seed), buddies=buddies)

    placed = [member for group in groups for member in group]
    assert len(placed) == len(set(placed)), groups
    assert set(placed) <= {person.member_id for person in people}
    assert all(len(group) in (2, 3) for group in groups)
    assert sum(len(group) == 3 for group in groups) <= 1
    for group in groups:
        for a in group:
            for b in group:
                assert a == b or _mutual(refused, a, b), (group, refused)


@settings(max_examples=EXAMPLES * 4)
@given(drawn=rounds(), seed=st.integers(0, 2**32), buddies=st.booleans())
def test_nobody_sits_out_who_could_have_been_paired_and_a_trio_only_takes_in_someone_left_over(
    drawn: tuple[list[Candidate], set[tuple[int, int]]], seed: int, buddies: bool
) -> None:
    people, refused = drawn
    groups = pair_up(people, _allowing(refused), random.Random(seed), buddies=buddies)

    placed = {member for group in groups for member in group}
    out = [person.member_id for person in people if person.member_id not in placed]
    for a in out:  # two left out who may meet would have made a pair
        assert not any(_mutual(refused, a, b) for b in out if b != a), (groups, out)
    trios = [group for group in groups if len(group) == 3]
    if not trios:  # someone left out who may meet both of a pair would have made a trio
        for a in out:
            assert not any(all(_mutual(refused, a, m) for m in pair) for pair in groups)
    for trio in trios:  # the trio holds someone who had nobody left to pair with
        assert any(not any(_mutual(refused, m, x) for x in out) for m in trio)


@pytest.mark.parametrize("count", range(0, 9))
def test_with_no_refusals_everyone_is_placed_in_pairs_and_an_odd_number_makes_one_trio(
    count: int,
) -> None:
    people = [Candidate(n) for n in range(count)]
    groups = pair_up(people, lambda a, b: True, random.Random(7))

    sizes = sorted(len(group) for group in groups)
    if count < 2:
        assert groups == []
    elif count % 2:
        assert sizes == [2] * (count // 2 - 1) + [3]
    else:
        assert sizes == [2] * (count // 2)


def _sorted(groups: list[Group]) -> list[tuple[int, ...]]:
    return sorted(tuple(sorted(group)) for group in groups)


@settings(max_examples=EXAMPLES * 2)
@given(buddies=st.integers(0, 6), newcomers=st.integers(0, 6), seed=st.integers(0, 2**32))
def test_a_buddy_round_pairs_each_buddy_with_a_newcomer_while_there_are_both(
    buddies: int, newcomers: int, seed: int
) -> None:
    people = [Candidate(n, buddy=True) for n in range(buddies)] + [
        Candidate(100 + n) for n in range(newcomers)
    ]
    random.Random(seed).shuffle(people)
    groups = pair_up(people, lambda a, b: True, random.Random(seed), buddies=True)

    mixed = [group for group in groups if len({m < 100 for m in group}) == 2]
    assert len(mixed) == min(buddies, newcomers), groups


def test_without_buddy_mode_buddies_are_not_kept_apart_from_each_other() -> None:
    people = [Candidate(n, buddy=n < 10) for n in range(20)]
    same = 0
    for seed in range(20):
        for group in pair_up(people, lambda a, b: True, random.Random(seed)):
            same += len({m < 10 for m in group}) == 1
    assert same > 0  # in buddy mode, as the test above shows, there would be none


def test_a_pair_refused_by_only_one_side_is_never_made() -> None:
    people = [Candidate(1), Candidate(2)]
    for seed in range(10):
        assert pair_up(people, lambda a, b: (a, b) != (2, 1), random.Random(seed)) == []


@given(drawn=rounds(), seed=st.integers(0, 2**32), buddies=st.booleans())
def test_the_same_seed_gives_the_same_groups(
    drawn: tuple[list[Candidate], set[tuple[int, int]]], seed: int, buddies: bool
) -> None:
    people, refused = drawn

    def run() -> list[Group]:
        return pair_up(people, _allowing(refused), random.Random(seed), buddies=buddies)

    assert run() == run()


def test_different_seeds_give_different_rounds() -> None:
    people = [Candidate(n) for n in range(8)]
    seen = {
        tuple(_sorted(pair_up(people, lambda a, b: True, random.Random(seed))))
        for seed in range(20)
    }
    assert len(seen) > 1
