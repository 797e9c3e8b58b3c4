"""Turning text into terms: folding, contractions, British spelling, stems and concepts."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from knowledge.lexicon import CONCEPTS, CONTRACTIONS, SPELLING_VARIANTS, STOP_WORDS, Z_EXCEPTIONS

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|£")
_IZE = re.compile(r"(?<=[a-z]{2})(i|y)z(e|es|ed|ing|ation|ations|er|ers)$")
CONCEPT_PREFIX = "~"
STEM_CACHE_LIMIT = 200_000


def fold(text: str) -> str:
    """Lower case without accents; curly apostrophes made straight."""
    text = text.replace("’", "'").replace("‘", "'")
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@lru_cache(maxsize=65_536)
def normal_words(raw: str) -> tuple[str, ...]:
    """One token as words: contractions expanded, possessive dropped, spelling made British."""
    expanded = CONTRACTIONS.get(raw, raw.removesuffix("'s"))
    return tuple(
        part for word in expanded.split() for part in _british(word).replace("'", "").split()
    )


def _british(word: str) -> str:
    if word in SPELLING_VARIANTS:
        return SPELLING_VARIANTS[word]
    if word not in Z_EXCEPTIONS:
        return _IZE.sub(lambda m: f"{m.group(1)}s{m.group(2)}", word)
    return word


def tokens(text: str) -> list[str]:
    """Folded tokens as written ("can't", "organize"), before `normal_words`."""
    return _WORD.findall(fold(text))


def words(text: str) -> list[str]:
    """Folded words with contractions expanded and spellings made British."""
    return [word for raw in tokens(text) for word in normal_words(raw)]


@dataclass(frozen=True, slots=True)
class Analysis:
    """Content stems (topic words), the concepts the text mentions, and both as index terms."""

    stems: tuple[str, ...]
    concepts: tuple[str, ...]
    terms: tuple[str, ...]


class Analyzer:
    def __init__(self) -> None:
        self._stemmer = snowballstemmer.stemmer("english")
        self._stems: dict[str, str] = {}
        self._token_stems: dict[str, tuple[str, ...]] = {}  # knowledge base text only
        self._single: dict[str, list[str]] = {}  # stem -> concepts of one-word phrases
        self._multi: dict[str, list[tuple[tuple[str, ...], str]]] = {}  # by first stem
        for concept, phrases in CONCEPTS.items():
            for phrase in phrases:
                stems = tuple(self.stem(word) for word in words(phrase))
                if len(stems) == 1:
                    self._single.setdefault(stems[0], []).append(concept)
                else:
                    self._multi.setdefault(stems[0], []).append((stems, concept))
        for candidates in self._multi.values():
            candidates.sort(key=lambda item: -len(item[0]))  # longest phrase first

    def stem(self, word: str) -> str:
        stem = self._stems.get(word)
        if stem is None:
            stem = self._stemmer.stemWord(word)
            if len(self._stems) < STEM_CACHE_LIMIT:  # questions bring new words: stay bounded
                self._stems[word] = stem
        return stem

    def concept_words(self) -> set[str]:
        """Every word in a concept phrase: the spelling corrector may correct towards these."""
        return {word for phrases in CONCEPTS.values() for p in phrases for word in words(p)}

    def _concepts(self, stems: list[str], found: dict[str, None]) -> None:
        """Concepts named in `stems`; words inside a longer phrase do not count on their own
        ("call off" is cancelling, not calling)."""
        single, multi = self._single, self._multi
        position, end = 0, len(stems)
        while position < end:
            stem = stems[position]
            matched = 0
            for phrase, concept in multi.get(stem, ()):
                if tuple(stems[position : position + len(phrase)]) == phrase:
                    found[concept] = None
                    matched = len(phrase)
                    break
            if matched:
                position += matched
                continue
            for concept in single.get(stem, ()):
                found[concept] = None
            position += 1

    def _stems_of_token(self, raw: str) -> tuple[str, ...]:
        stems = tuple(self.stem(w) for w in normal_words(raw) if w not in STOP_WORDS)
        self._token_stems[raw] = stems
        return stems

    def content_stems(self, raw_tokens: Iterable[str]) -> list[str]:
        """Stems of the content words, no concepts: the fast path for long answer text."""
        cache, compute = self._token_stems, self._stems_of_token
        return [
            stem for raw in raw_tokens for stem in (cache[raw] if raw in cache else compute(raw))
        ]

    def analyse(self, folded_words: Iterable[str]) -> Analysis:
        """Stems of the content words, and concepts found with or without the filler words."""
        known, stem = self._stems.get, self.stem  # the hot loop of a knowledge base load
        found: dict[str, None] = {}
        all_words = list(folded_words)
        stems = [known(word) or stem(word) for word in all_words]
        content = [
            stem for word, stem in zip(all_words, stems, strict=True) if word not in STOP_WORDS
        ]
        self._concepts(stems, found)
        if len(content) < len(stems):
            self._concepts(content, found)
        return Analysis(
            tuple(content),
            tuple(found),
            (*content, *(CONCEPT_PREFIX + concept for concept in found)),
        )
