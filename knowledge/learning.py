"""Which candidate phrasings of an entry ask the same thing, and which of them to suggest.

Pure rules over terms as the engine sees them (`KnowledgeBase.terms`: stems and concepts after
spelling correction): two questions are similar when most of their terms are shared (Jaccard at
least `SIMILAR`), a term counting as shared when the other question has it or a near spelling
of it (people misspell differently, and the base itself holds some misspellings, so correction
alone does not bring "cancle" and "cancel" together). A concept (the `~cancel` of "call off")
is shared only as itself, so "cancel my coaching" and "book coaching" stay apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein

from knowledge.analysis import CONCEPT_PREFIX
from knowledge.spelling import allowed_edits

SIMILAR = 0.5
MIN_FUZZY_LENGTH = 5  # shorter stems must match exactly ("book" and "look" stay apart)


def _near(a: str, b: str) -> bool:
    """The same stem, or one a typo away from the other (concepts only as themselves)."""
    if a == b:
        return True
    if a.startswith(CONCEPT_PREFIX) or b.startswith(CONCEPT_PREFIX):
        return False
    if min(len(a), len(b)) < MIN_FUZZY_LENGTH:
        return False
    limit = allowed_edits(max(a, b, key=len))
    return DamerauLevenshtein.distance(a, b, score_cutoff=limit) <= limit


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    """Jaccard overlap of two term sets, each term of `first` paired with at most one equal or
    near term of `second` (exact pairs first)."""
    if not first or not second:
        return 0.0
    unpaired = set(second - first)
    shared = len(first & second)
    for term in sorted(first - second):
        partner = next((other for other in sorted(unpaired) if _near(term, other)), None)
        if partner is not None:
            unpaired.discard(partner)
            shared += 1
    return shared / (len(first) + len(second) - shared)


def similar(first: frozenset[str], second: frozenset[str]) -> bool:
    return similarity(first, second) >= SIMILAR


def _nothing(text: str) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class Candidate:
    """One kept question of an entry: its row id, whose (as a digest) and what it asked."""

    id: int
    asker: str
    text: str
    terms: frozenset[str]


@dataclass(frozen=True, slots=True)
class Group:
    """Similar candidates of one entry. `number` is its oldest candidate's id: it stays the
    same while more similar questions join, so a number staff were shown still names it."""

    members: tuple[Candidate, ...]

    @property
    def number(self) -> int:
        return min(candidate.id for candidate in self.members)

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(candidate.id for candidate in self.members)

    @property
    def people(self) -> int:
        """How many different people asked (distinct digests)."""
        return len({candidate.asker for candidate in self.members})

    def representative(self, excluded: Callable[[str], bool] = _nothing) -> Candidate | None:
        """The member most similar to all the others, of those whose text is not `excluded`;
        ties go to the shortest, then the oldest. None when every text is excluded."""
        eligible = [c for c in self.members if not excluded(c.text)]
        return min(
            eligible,
            key=lambda c: (
                -sum(similarity(c.terms, o.terms) for o in self.members if o is not c),
                len(c.text),
                c.id,
            ),
            default=None,
        )


def groups(candidates: Iterable[Candidate]) -> list[Group]:
    """Candidates joined when similar, directly or through others (connected components),
    oldest group first. Adding a candidate only ever merges groups, never splits one."""
    ordered = sorted(candidates, key=lambda c: c.id)
    parent = list(range(len(ordered)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for i, first in enumerate(ordered):
        for j in range(i):
            if root(i) != root(j) and similar(first.terms, ordered[j].terms):
                parent[root(i)] = root(j)
    found: dict[int, list[Candidate]] = {}
    for index, candidate in enumerate(ordered):
        found.setdefault(root(index), []).append(candidate)
    return sorted((Group(tuple(members)) for members in found.values()), key=lambda g: g.number)


def ready(candidates: Sequence[Candidate], threshold: int) -> list[Group]:
    """The groups asked by at least `threshold` different people: those to suggest."""
    return [group for group in groups(candidates) if group.people >= threshold]
