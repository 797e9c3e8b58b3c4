"""A first fuzzy matcher: rapidfuzz over each entry's question and alternates.

Text is lower-cased, stripped of punctuation and of words that carry no topic ("what", "the",
"is"), then scored with WRatio; an entry scores its best phrasing. The top candidate is
answered only above a threshold and ahead of the runner-up by a margin, so that two close
neighbours produce "did you mean" rather than a confident wrong answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    from knowledge.base import Entry

CONFIDENT = 82.0
SUGGEST = 60.0
MARGIN = 4.0

_STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "i'm",
        "im",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "please",
        "the",
        "there",
        "this",
        "to",
        "what",
        "whats",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
    }
)
_NON_WORD = re.compile(r"[^\w']+")


def normalise(text: str) -> str:
    """Lower-case words that carry meaning, in order."""
    words = _NON_WORD.sub(" ", text.lower()).split()
    kept = [word for word in words if word not in _STOP_WORDS]
    return " ".join(kept or words)


@dataclass(frozen=True, slots=True)
class Match:
    entry: Entry
    score: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    """`answer` is set only when the bot is confident; `candidates` are the best three."""

    answer: Match | None
    candidates: tuple[Match, ...]

    @property
    def suggestions(self) -> tuple[Match, ...]:
        return tuple(match for match in self.candidates if match.score >= SUGGEST)


class FuzzyMatcher:
    def __init__(self, entries: Sequence[Entry]) -> None:
        self._entries = entries
        self._phrases = [normalise(p) for entry in entries for p in entry.phrasings]
        self._owner = [i for i, entry in enumerate(entries) for _ in entry.phrasings]

    def match(self, question: str, allowed: Callable[[Entry], bool]) -> MatchResult:
        query = normalise(question)
        if not query:
            return MatchResult(None, ())
        best: dict[int, float] = {}
        scored = process.extract(
            query, self._phrases, scorer=fuzz.WRatio, limit=None, score_cutoff=SUGGEST / 2
        )
        for _, score, phrase_index in scored:
            owner = self._owner[phrase_index]
            if score > best.get(owner, -1.0) and allowed(self._entries[owner]):
                best[owner] = score
        ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)[:3]
        candidates = tuple(Match(self._entries[i], round(score, 1)) for i, score in ranked)
        if not candidates or candidates[0].score < CONFIDENT:
            return MatchResult(None, candidates)
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        confident = candidates[0].score - runner_up >= MARGIN
        return MatchResult(candidates[0] if confident else None, candidates)
