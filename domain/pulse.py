"""Pulse check-ins: what a check-in asks, when it may reach a member, and the one rule for what
its results may show ("may this result be released").

Nothing here knows who answered: the release rule works on answers that carry no person, only
the breakdown group (which of the check-in's declared `breakdown` tags the respondent had).
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum

from domain.notices import Preferences

SCALE = (1, 2, 3, 4, 5)
YES, NO = 1, 0
MIN_RESPONDENTS_FLOOR = 3  # the setting may raise the threshold, never lower it below this
MIN_CELL = 5  # every cell of a breakdown
MIN_FOR_COMMENTS = 8
TREND_LENGTH = 5
WELLBEING_SIGNPOST_AT_MOST = 2


class QuestionKind(StrEnum):
    SCALE = "scale"  # 1 to 5, with a label for each
    YESNO = "yesno"
    CHOICE = "choice"  # one of `options`
    TEXT = "text"  # optional free text


class State(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    kind: QuestionKind
    options: tuple[str, ...] = ()  # a scale's 5 labels, a choice's options

    def values(self) -> tuple[int, ...]:
        """The values an answer may take, in the order the buttons show them."""
        if self.kind is QuestionKind.SCALE:
            return SCALE
        if self.kind is QuestionKind.YESNO:
            return (YES, NO)
        if self.kind is QuestionKind.CHOICE:
            return tuple(range(len(self.options)))
        return ()

    def label(self, value: int) -> str:
        """How a value reads on a button and in results."""
        if self.kind is QuestionKind.SCALE:
            return f"{value} {self.options[value - 1]}" if self.options else str(value)
        if self.kind is QuestionKind.YESNO:
            return "Yes" if value == YES else "No"
        return self.options[value]

    def key(self, value: int) -> str:
        """A value as a key of `counts` in results: `1`..`5`, `yes`/`no`, or the option."""
        if self.kind is QuestionKind.SCALE:
            return str(value)
        if self.kind is QuestionKind.YESNO:
            return "yes" if value == YES else "no"
        return self.options[value]


@dataclass(frozen=True, slots=True)
class Definition:
    """A check-in as staff define it (in chat or in the YAML file of issue 13)."""

    title: str
    opens: datetime
    closes: datetime
    questions: tuple[Question, ...]
    segment: tuple[str, ...] = ()  # member tags; empty = every member
    breakdown: tuple[str, ...] = ()  # tags whose groups results may compare


def signpost(question: Question, value: int) -> bool:
    """Whether an answer suggests burn-out or isolation: a wellbeing score of 2 or less, or yes
    to feeling isolated. The member is then offered support at once; nobody else is told."""
    if question.kind is QuestionKind.SCALE and question.id == "wellbeing":
        return value <= WELLBEING_SIGNPOST_AT_MOST
    return question.kind is QuestionKind.YESNO and question.id == "isolated" and value == YES


# When a check-in may reach a member

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>[01]\d|2[0-3]):(?P<start_m>[0-5]\d)-(?P<end>[01]\d|2[0-4]):(?P<end_m>[0-5]\d)$"
)


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """When check-ins go out, in each member's own zone: `mon-fri 09:00-17:00`, or `always`."""

    days: frozenset[int]  # Monday is 0
    start: time
    end: time | None  # None: up to midnight

    @classmethod
    def parse(cls, text: str) -> WorkingHours | None:
        """`mon-fri 09:00-17:00` → WorkingHours; `always` → None (any time)."""
        cleaned = " ".join(text.strip().lower().split())
        if cleaned == "always":
            return None
        match = _HOURS.match(cleaned)
        days = None
        if match and match["first"] in _DAYS and (match["last"] or match["first"]) in _DAYS:
            first, last = _DAYS.index(match["first"]), _DAYS.index(match["last"] or match["first"])
            days = frozenset(range(first, last + 1)) if first <= last else None
        if match is None or days is None:
            raise ValueError(
                f"{text!r} is not working hours: use days and hours like mon-fri 09:00-17:00, "
                "or always"
            )
        start = time(int(match["start"]), int(match["start_m"]))
        end_minutes = int(match["end"]) * 60 + int(match["end_m"])
        if end_minutes > 24 * 60 or end_minutes <= start.hour * 60 + start.minute:
            raise ValueError(f"{text!r}: the hours must end after they start, by 24:00")
        end = None if end_minutes == 24 * 60 else time(end_minutes // 60, end_minutes % 60)
        return cls(days, start, end)

    def contains(self, local: datetime) -> bool:
        clock = local.time()
        return (
            local.weekday() in self.days
            and clock >= self.start
            and (self.end is None or clock < self.end)
        )

    def next_start(self, local: datetime) -> datetime:
        """The first moment at or after `local` within these hours (same zone)."""
        if self.contains(local):
            return local
        for ahead in range(8):
            day = (local.replace(tzinfo=None) + timedelta(days=ahead)).date()
            start = datetime.combine(day, self.start).replace(tzinfo=local.tzinfo)
            if day.weekday() in self.days and start >= local:
                return start
        raise AssertionError("working hours cover at least one day a week")


def sending_time(at: datetime, hours: WorkingHours | None, preferences: Preferences) -> datetime:
    """The first moment from `at` that is in working hours and outside the member's quiet
    hours, both in the member's zone."""
    moment = at
    for _ in range(32):  # each turn moves past one bound; they agree within a few
        local = moment.astimezone(preferences.timezone)
        if hours is not None and not hours.contains(local):
            moment = hours.next_start(local).astimezone(at.tzinfo)
            continue
        quiet_end = preferences.quiet_until(moment)
        if quiet_end is None:
            return moment
        moment = quiet_end
    return moment  # hours and quiet hours that never leave a gap: send at the last bound


# What results may show


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """One answer as it is kept: no person, no time; `group` is the sorted breakdown tags."""

    position: int
    group: tuple[str, ...]
    value: int | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """The thresholds (`min_respondents` from the setting, never below the floor)."""

    min_respondents: int = 5

    def __post_init__(self) -> None:
        if self.min_respondents < MIN_RESPONDENTS_FLOOR:
            raise ValueError(f"the threshold may not be below {MIN_RESPONDENTS_FLOOR}")

    @property
    def min_cell(self) -> int:
        return max(MIN_CELL, self.min_respondents)

    @property
    def min_for_comments(self) -> int:
        return max(MIN_FOR_COMMENTS, self.min_respondents)


@dataclass(frozen=True, slots=True)
class Cell:
    """One group of a breakdown: those with (or without) a tag who answered the question."""

    tag: str
    has_tag: bool
    answered: int
    counts: dict[str, int]
    mean: float | None


@dataclass(frozen=True, slots=True)
class QuestionResult:
    question: Question
    answered: int = 0
    suppressed: bool = True
    counts: dict[str, int] = field(default_factory=dict)
    mean: float | None = None
    comments: tuple[str, ...] = ()  # text questions: shuffled, names already removed
    breakdown: tuple[Cell, ...] = ()  # empty when none was declared or it was withheld
    breakdown_withheld: bool = False


@dataclass(frozen=True, slots=True)
class Release:
    """What staff may see of one check-in."""

    respondents: int
    released: bool
    reason: str  # why not, when not released; "" when released
    questions: tuple[QuestionResult, ...]


NOT_CLOSED = "results are released only after the check-in closes"
TOO_FEW = "fewer than {threshold} people answered, so no results are shown"


def _tally(
    question: Question, answers: Sequence[StoredAnswer]
) -> tuple[dict[str, int], float | None]:
    """Counts per value, and the mean (None for an empty group: a breakdown cell nobody is in,
    such as those without a tag every respondent has)."""
    counted = Counter(answer.value for answer in answers)
    counts = {question.key(value): counted.get(value, 0) for value in question.values()}
    values = [answer.value for answer in answers if answer.value is not None]
    return counts, sum(values) / len(values) if values else None


def _atoms_big_enough(answers: Sequence[StoredAnswer], tags: Sequence[str], least: int) -> bool:
    """Whether every group a breakdown by `tags` could reveal has at least `least` people.

    The breakdown publishes, per tag, those with it and those without; any published group can
    be subtracted from another and from the whole. Everything so derivable is a union of
    "atoms" (respondents with exactly the same set of those tags), so when every atom that is
    not empty is big enough, no derivable cell is small.
    """
    atoms = Counter(tuple(tag for tag in tags if tag in answer.group) for answer in answers)
    return all(size >= least for size in atoms.values())


def _breakdown(
    question: Question, answers: Sequence[StoredAnswer], tags: Sequence[str]
) -> tuple[Cell, ...]:
    cells = []
    for tag in tags:
        for has_tag in (True, False):
            group = [answer for answer in answers if (tag in answer.group) is has_tag]
            counts, mean = _tally(question, group)
            shown_mean = mean if question.kind is QuestionKind.SCALE else None
            cells.append(Cell(tag, has_tag, len(group), counts, shown_mean))
    return tuple(cells)


def _question_result(
    question: Question,
    answers: Sequence[StoredAnswer],
    respondents: int,
    breakdown: Sequence[str],
    policy: Policy,
    shuffle: random.Random,
) -> QuestionResult:
    answered = len(answers)
    if question.kind is QuestionKind.TEXT:
        if respondents < policy.min_for_comments or not answers:
            return QuestionResult(question, answered)
        comments = [answer.comment or "" for answer in answers]
        shuffle.shuffle(comments)
        return QuestionResult(question, answered, False, comments=tuple(comments))
    if answered < policy.min_respondents:
        return QuestionResult(question, answered)
    counts, mean = _tally(question, answers)
    shown_mean = mean if question.kind is QuestionKind.SCALE else None
    cells: tuple[Cell, ...] = ()
    withheld = False
    if breakdown:
        if _atoms_big_enough(answers, breakdown, policy.min_cell):
            cells = _breakdown(question, answers, breakdown)
        else:
            withheld = True
    return QuestionResult(question, answered, False, counts, shown_mean, (), cells, withheld)


def release(
    questions: Sequence[Question],
    breakdown: Sequence[str],
    closed: bool,
    respondents: int,
    answers: Iterable[StoredAnswer],
    policy: Policy,
    shuffle: random.Random | None = None,
) -> Release:
    """The one rule for what a check-in's results may show.

    Nothing before the check-in closes or with fewer than `policy.min_respondents`
    respondents; a question only when that many answered it; a breakdown only when no group it
    could reveal, directly or by subtracting released numbers from each other, is under
    `policy.min_cell`; comments only with `policy.min_for_comments` respondents, shuffled.
    """
    if not closed or respondents < policy.min_respondents:
        reason = NOT_CLOSED if not closed else TOO_FEW.format(threshold=policy.min_respondents)
        hidden = tuple(QuestionResult(question) for question in questions)
        return Release(respondents, False, reason, hidden)
    by_position: dict[int, list[StoredAnswer]] = defaultdict(list)
    for answer in answers:
        by_position[answer.position].append(answer)
    shuffler = shuffle or random.SystemRandom()
    results = tuple(
        _question_result(question, by_position[position], respondents, breakdown, policy, shuffler)
        for position, question in enumerate(questions)
    )
    return Release(respondents, True, "", results)


# Names in comments

_TITLED = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Sir|Dame)\.?\s+[A-Z][\w'-]+")
_ORGANISATION = re.compile(
    r"\b(?:[A-Z][\w'&-]*\s+){1,6}(?:NHS\s+)?(?:Foundation\s+)?"
    r"(?:Trust|Hospitals?|ICB|Integrated Care Board|Health Board|Council|University)\b"
)
NAME = "[name]"
ORGANISATION = "[organisation]"


def remove_names(text: str, people: Iterable[str], organisations: Iterable[str]) -> str:
    """`text` with the names of people and organisations replaced: those the programme knows
    (members, coaches, directory entries) in any case ("spoke to priya"), and anything shaped
    like a titled name or an NHS body ("Dr Shah", "Northfield NHS Foundation Trust")."""
    cleaned = _ORGANISATION.sub(ORGANISATION, text)
    cleaned = _TITLED.sub(NAME, cleaned)
    for names, marker in ((organisations, ORGANISATION), (people, NAME)):
        words: set[str] = set()
        for name in names:
            words.add(name.strip())
            if marker is NAME:  # "Priya Shah" also as "Priya" and "Shah"
                words.update(part for part in name.split() if len(part) >= 3)
        known = sorted((word for word in words if word), key=len, reverse=True)
        if known:  # one pattern, longest first, so a full name goes before its parts
            alternatives = "|".join(map(re.escape, known))
            pattern = rf"(?<!\w)(?:{alternatives})(?!\w)"
            cleaned = re.sub(pattern, marker, cleaned, flags=re.IGNORECASE)
    return cleaned
