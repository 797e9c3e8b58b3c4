"""The release rule against an adversary: random check-ins (who answered what, with which tags,
skips included), random breakdowns and thresholds, then everything staff are shown is combined
every way a person with a spreadsheet could, and no group of people under the threshold may come
out of it.

The adversary is written here, apart from domain.pulse: it knows which respondents each released
number covers (the test built the respondents, so it can name them), checks that every released
count is the true tally of that group, then closes the released groups under "subtract a
released subset from a released superset" and "add two disjoint groups", to a fixpoint. Any
group it derives, with its counts, is something staff could learn; one of a single person would
be that person's answer.

Groups are bit masks over the respondents (bit i: respondent i), so the closure is quick.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from domain.pulse import (
    MIN_RESPONDENTS_FLOOR,
    NOT_CLOSED,
    Policy,
    Question,
    QuestionKind,
    Release,
    StoredAnswer,
    release,
)
from services.pulse_file import EXAMPLE, read_definition

TAGS = ("new-ceo", "london", "mental-health")
QUESTIONS = read_definition(EXAMPLE, "the example", datetime(2026, 12, 1, tzinfo=UTC)).questions
COMMENT = QUESTIONS.index(next(q for q in QUESTIONS if q.kind is QuestionKind.TEXT))


@dataclass(frozen=True, slots=True)
class Person:
    """One respondent as the test knows them: their tags and, per question, their answer
    (None: skipped; for the text question, their comment)."""

    tags: frozenset[str]
    answers: tuple[int | str | None, ...]

    def gave_any(self) -> bool:
        return any(answer is not None for answer in self.answers)


@dataclass(frozen=True, slots=True)
class CheckIn:
    people: tuple[Person, ...]
    breakdown: tuple[str, ...]
    policy: Policy
    closed: bool

    @property
    def respondents(self) -> int:
        return sum(person.gave_any() for person in self.people)

    def stored(self, order: random.Random) -> list[StoredAnswer]:
        """The answers as storage keeps them: no person, only the breakdown group, any order."""
        rows = []
        for person in self.people:
            group = tuple(sorted(tag for tag in self.breakdown if tag in person.tags))
            for position, given_answer in enumerate(person.answers):
                if isinstance(given_answer, str):
                    rows.append(StoredAnswer(position, group, comment=given_answer))
                elif given_answer is not None:
                    rows.append(StoredAnswer(position, group, value=given_answer))
        order.shuffle(rows)
        return rows

    def release(self, seed: int = 0, policy: Policy | None = None) -> Release:
        return release(
            QUESTIONS,
            self.breakdown,
            self.closed,
            self.respondents,
            self.stored(random.Random(seed)),
            policy or self.policy,
            random.Random(seed),
        )


def _answer(question: Question) -> st.SearchStrategy[int | str | None]:
    """An answer, skipped about one time in six (None)."""
    if question.kind is QuestionKind.TEXT:
        return st.sampled_from((None, "Too many meetings", "All fine"))
    given_answers = question.values() * (5 // len(question.values()) + 1)
    return st.sampled_from((None, *given_answers))


@st.composite
def check_ins(draw: st.DrawFn) -> CheckIn:
    """A check-in of up to 60 people in a few groups that share their tags (mostly
    breakdown tags, so big groups nest and overlap next to groups of one to three), with skips
    and people who skipped everything; mostly closed."""
    breakdown = draw(st.permutations(TAGS))[: draw(st.sampled_from((1, 2, 2, 3, 3)))]
    tags = st.frozensets(st.sampled_from(breakdown)) | st.frozensets(st.sampled_from(TAGS))
    size = st.integers(1, 3) | st.integers(5, 12)
    profiles = draw(st.lists(st.tuples(tags, size), min_size=2, max_size=5))
    answers = st.tuples(*(_answer(q) for q in QUESTIONS))
    people = [Person(tags, draw(answers)) for tags, size in profiles for _ in range(size)]
    threshold = draw(st.integers(MIN_RESPONDENTS_FLOOR, 8))
    closed = draw(st.sampled_from((True, True, True, False)))
    return CheckIn(tuple(people), tuple(breakdown), Policy(threshold), closed)


# The adversary


def _mask(people: Sequence[Person], keep: Callable[[Person], bool]) -> int:
    return sum(1 << i for i, person in enumerate(people) if keep(person))


def _tally(
    question: Question, people: Sequence[Person], group: int, position: int
) -> dict[str, int]:
    counted = Counter(people[i].answers[position] for i in _members(group))
    return {question.key(value): counted.get(value, 0) for value in question.values()}


def _members(group: int) -> list[int]:
    return [i for i in range(group.bit_length()) if group >> i & 1]


def released_groups(check_in: CheckIn, shown: Release) -> dict[int, set[int]]:
    """Per question position, the groups of respondents whose counts staff were shown, each
    checked to be the true tally of exactly those people."""
    people = check_in.people
    groups: dict[int, set[int]] = {}
    for position, result in enumerate(shown.questions):
        question = result.question
        if result.suppressed or question.kind is QuestionKind.TEXT:
            continue
        answered = _mask(people, lambda p, at=position: p.answers[at] is not None)
        assert result.answered == answered.bit_count()
        assert result.counts == _tally(question, people, answered, position)
        groups[position] = {answered}
        for cell in result.breakdown:
            has = _mask(people, lambda p, c=cell: (c.tag in p.tags) is c.has_tag)
            assert cell.answered == (answered & has).bit_count()
            assert cell.counts == _tally(question, people, answered & has, position)
            groups[position].add(answered & has)
    return groups


def derivable(groups: set[int]) -> set[int]:
    """Every group whose counts follow from `groups`' counts by subtracting a subset from a
    superset or adding disjoint groups, repeated until nothing new appears."""
    known = set(groups)
    while True:
        found = set()
        for bigger in known:
            for other in known:
                if other != bigger and other & ~bigger == 0:
                    found.add(bigger & ~other)
                if bigger & other == 0:
                    found.add(bigger | other)
        if found <= known:
            return known
        known |= found


def assert_nobody_singled_out(check_in: CheckIn, shown: Release) -> None:
    policy = check_in.policy
    for position, groups in released_groups(check_in, shown).items():
        least = policy.min_cell if shown.questions[position].breakdown else policy.min_respondents
        small = sorted(g.bit_count() for g in derivable(groups) if 0 < g.bit_count() < least)
        assert not small, f"question {position}: groups of {small} people can be derived"


# The properties


@hypothesis_settings(max_examples=500, deadline=None)
@given(check_ins())
def test_no_released_number_reveals_a_group_under_the_threshold(check_in: CheckIn) -> None:
    shown = check_in.release()
    event(f"released={shown.released}")
    event(f"breakdown shown={any(q.breakdown for q in shown.questions)}")
    assert_nobody_singled_out(check_in, shown)


@hypothesis_settings(max_examples=300, deadline=None)
@given(check_ins())
def test_nothing_is_shown_before_close_or_under_the_threshold(check_in: CheckIn) -> None:
    shown = check_in.release()
    policy = check_in.policy
    if not check_in.closed or check_in.respondents < policy.min_respondents:
        assert not shown.released
        assert all(q.suppressed and not q.counts and not q.comments for q in shown.questions)
        return
    assert shown.released and shown.respondents == check_in.respondents
    for result in shown.questions:
        if not result.suppressed and result.question.kind is not QuestionKind.TEXT:
            assert result.answered >= policy.min_respondents
        if result.breakdown:
            assert all(c.answered == 0 or c.answered >= policy.min_cell for c in result.breakdown)
    comments = shown.questions[COMMENT]
    if comments.comments:
        assert check_in.respondents >= policy.min_for_comments >= 8
        given_comments = [p.answers[COMMENT] for p in check_in.people if p.answers[COMMENT]]
        assert sorted(comments.comments) == sorted(given_comments)


def _numbers(shown: Release) -> list[tuple[object, ...]]:
    """Everything a release shows, comments as a multiset (their order is random on purpose)."""
    return [
        (q.suppressed, q.counts, q.mean, sorted(q.comments), q.breakdown, q.breakdown_withheld)
        for q in shown.questions
    ]


@hypothesis_settings(max_examples=200, deadline=None)
@given(check_ins(), st.integers(0, 2**32), st.integers(MIN_RESPONDENTS_FLOOR, 8))
def test_two_releases_of_one_check_in_show_the_same_numbers_or_less(
    check_in: CheckIn, seed: int, other_threshold: int
) -> None:
    """Differencing two releases of one check-in gains nothing: answers can only arrive while it
    is open, when nothing is released (services refuse answers after close), so every release
    of it is made from the same answers; in whatever order storage returns them, and under
    another threshold setting, each number is the same or withheld, never a different one."""
    first, again = check_in.release(), check_in.release(seed)
    assert _numbers(first) == _numbers(again)
    other = check_in.release(seed, Policy(other_threshold))
    for mine, theirs in zip(_numbers(first), _numbers(other), strict=True):
        if not mine[0] and not theirs[0]:
            assert mine[1:4] == theirs[1:4]
            assert not (mine[4] and theirs[4]) or mine[4] == theirs[4]


@hypothesis_settings(max_examples=200, deadline=None)
@given(check_ins(), st.data())
def test_a_release_with_one_more_respondent_differs_only_above_the_threshold(
    check_in: CheckIn, data: st.DataObject
) -> None:
    """What the rule guarantees about two releases whose respondents differ by one person (two
    check-ins, or one seen both before and after someone answered): a question's numbers can
    appear in both only when each covers at least the threshold, and one of them, from a
    check-in still open, shows nothing at all. (It cannot stop someone comparing two separate
    check-ins when everyone else answered both the same way; the README's threat model says
    so.)"""
    newcomer = data.draw(
        st.builds(Person, st.just(frozenset(TAGS)), st.tuples(*(_answer(q) for q in QUESTIONS)))
    )
    later = CheckIn(
        (*check_in.people, newcomer), check_in.breakdown, check_in.policy, check_in.closed
    )
    before, after = check_in.release(), later.release()
    least = check_in.policy.min_respondents
    for mine, theirs in zip(before.questions, after.questions, strict=True):
        if not mine.suppressed and not theirs.suppressed and mine.counts != theirs.counts:
            assert min(mine.answered, theirs.answered) >= least
    if not check_in.closed:
        assert not before.released and not after.released
        assert before.reason == after.reason == NOT_CLOSED


# Examples an adversary would try first


def _people(*tag_sets: Sequence[str], value: int = 4) -> tuple[Person, ...]:
    return tuple(Person(frozenset(tags), (value, 1, 0, None)) for tags in tag_sets)


def _shown(people: tuple[Person, ...], breakdown: Sequence[str], threshold: int = 5) -> Release:
    return CheckIn(people, tuple(breakdown), Policy(threshold), closed=True).release()


def test_a_six_to_one_split_by_tag_is_withheld_but_the_total_is_shown() -> None:
    people = _people(*[["new-ceo"]] * 6, [])
    wellbeing = _shown(people, ["new-ceo"]).questions[0]
    assert not wellbeing.suppressed and wellbeing.counts["4"] == 7
    assert wellbeing.breakdown_withheld and wellbeing.breakdown == ()


def test_the_total_minus_a_tag_is_caught_even_if_only_the_tag_were_shown() -> None:
    """Six in London and one elsewhere: showing just the London cell next to the total would
    give the one person elsewhere by subtraction; the adversary finds them, and the rule shows
    no cell at all."""
    people = _people(*[["london"]] * 6, ["new-ceo"])
    everyone, london = _mask(people, lambda p: True), _mask(people, lambda p: "london" in p.tags)
    assert 1 in {group.bit_count() for group in derivable({everyone, london})}
    shown = _shown(people, ["london"])
    assert all(q.breakdown_withheld for q in shown.questions if not q.suppressed)


def test_the_adversary_finds_the_one_person_between_two_nested_tags() -> None:
    """Five new chief executives in London, one new elsewhere, five others: every cell of a
    breakdown by both tags has at least 5, yet "new" minus "new in London" is one person. The
    adversary finds that person, and the rule withholds the breakdown."""
    people = _people(*[["new-ceo", "london"]] * 5, ["new-ceo"], *[[]] * 5)
    cells = {
        _mask(people, lambda p, t=tag, h=has: (t in p.tags) is h)
        for tag in ("new-ceo", "london")
        for has in (True, False)
    }
    everyone = _mask(people, lambda p: True)
    assert min(cell.bit_count() for cell in cells) == 5
    assert 1 in {group.bit_count() for group in derivable({everyone, *cells})}
    shown = _shown(people, ["new-ceo", "london"])
    assert all(q.breakdown_withheld for q in shown.questions if not q.suppressed)


def test_overlapping_tags_with_an_overlap_of_one_are_withheld() -> None:
    people = _people(*[["new-ceo"]] * 5, ["new-ceo", "london"], *[["london"]] * 5, *[[]] * 5)
    shown = _shown(people, ["new-ceo", "london"])
    assert all(q.breakdown_withheld for q in shown.questions if not q.suppressed)


def test_a_breakdown_whose_every_combination_has_five_is_shown() -> None:
    people = _people(*[["new-ceo", "london"]] * 5, *[["new-ceo"]] * 5, *[[]] * 5)
    wellbeing = _shown(people, ["new-ceo", "london"]).questions[0]
    sizes = {(cell.tag, cell.has_tag): cell.answered for cell in wellbeing.breakdown}
    assert sizes == {
        ("new-ceo", True): 10,
        ("new-ceo", False): 5,
        ("london", True): 5,
        ("london", False): 10,
    }


def test_a_tag_every_respondent_has_gives_an_empty_cell_not_an_error() -> None:
    wellbeing = _shown(_people(*[["new-ceo"]] * 5), ["new-ceo"]).questions[0]
    empty = next(cell for cell in wellbeing.breakdown if not cell.has_tag)
    assert empty.answered == 0 and empty.mean is None and sum(empty.counts.values()) == 0


@pytest.mark.parametrize("threshold", [3, 5, 8])
def test_one_respondent_short_of_the_threshold_shows_nothing(threshold: int) -> None:
    shown = _shown(_people(*[[]] * (threshold - 1)), [], threshold)
    assert not shown.released and all(q.suppressed for q in shown.questions)
    assert _shown(_people(*[[]] * threshold), [], threshold).released
