"""Spelling correction towards the words a knowledge base knows ("cancle" → "cancel").

Symmetric deletes (the SymSpell idea): every known word is indexed under the strings it leaves
when one or two letters are deleted; a typed word looks up its own deletions, and the few words
found are checked with Damerau-Levenshtein. A lookup is a few hundred dictionary probes, however
large the vocabulary.
"""

from __future__ import annotations

from collections import Counter

from rapidfuzz.distance import DamerauLevenshtein

MAX_EDITS = 2
CORRECTIONS_REMEMBERED = 16_384
LONG_WORD = 6  # words this long may be two edits away; shorter ones one


def allowed_edits(word: str) -> int:
    return MAX_EDITS if len(word) >= LONG_WORD else 1


def _deletions(word: str, depth: int) -> set[str]:
    """`word` and every string left by deleting up to `depth` (1 or 2) of its letters."""
    once = {word[:i] + word[i + 1 :] for i in range(len(word))}
    if depth == 1:
        return once | {word}
    twice = {text[:i] + text[i + 1 :] for text in once for i in range(len(text))}
    return once | twice | {word}


class SpellingCorrector:
    def __init__(self, vocabulary: Counter[str]) -> None:
        self._frequency = vocabulary
        self._index: dict[str, list[str]] = {}
        for word in vocabulary:
            for key in _deletions(word, allowed_edits(word)):
                self._index.setdefault(key, []).append(word)
        self._corrections: dict[str, str | None] = {}

    def __contains__(self, word: str) -> bool:
        return word in self._frequency

    def correct(self, word: str) -> str | None:
        """The correction for `word`, remembered (within a bound: questions bring new words)."""
        if word in self._corrections:
            return self._corrections[word]
        found = self._closest(word)
        if len(self._corrections) < CORRECTIONS_REMEMBERED:
            self._corrections[word] = found
        return found

    def _closest(self, word: str) -> str | None:
        """The closest known word within the allowed edits; ties go to the commoner word."""
        limit = allowed_edits(word)
        candidates = {
            known for key in _deletions(word, limit) for known in self._index.get(key, ())
        }
        best: tuple[int, int, str] | None = None
        for known in candidates:
            distance = DamerauLevenshtein.distance(word, known, score_cutoff=limit)
            if distance <= min(limit, allowed_edits(known)):
                ranked = (distance, -self._frequency[known], known)
                best = ranked if best is None else min(best, ranked)
        return best[2] if best is not None else None
