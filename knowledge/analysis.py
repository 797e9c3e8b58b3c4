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


def fold(text: str) -> str:
    """Lower case without accents; curly apostrophes made straight."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _british(word: str) -> str:
    if word in SPELLING_VARIANTS:
        return SPELLING_VARIANTS[word]
    if word not in Z_EXCEPTIONS:
        return _IZE.sub(lambda m: f"{m.group(1)}s{m.group(2)}", word)
    return word


def words(text: str) -> list[str]:
    """Folded words with contractions expanded and spellings made British."""
    found: list[str] = []
    for raw in _WORD.findall(fold(text)):
        expanded = CONTRACTIONS.get(raw, raw.removesuffix("'s"))
        for word in expanded.split():
            found.extend(_british(word).replace("'", "").split())
    return found


@dataclass(frozen=True, slots=True)
class Analysis:
    """Content stems (topic words) and the concepts the text mentions."""

    stems: tuple[str, ...]
    concepts: tuple[str, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        return self.stems + tuple(CONCEPT_PREFIX + concept for concept in self.concepts)


class Analyzer:
    def __init__(self) -> None:
        self._stemmer = snowballstemmer.stemmer("english")
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for concept, phrases in CONCEPTS.items():
            for phrase in phrases:
                stems = tuple(self.stem(word) for word in words(phrase))
                self._phrases.setdefault(stems[0], []).append((stems, concept))
        for candidates in self._phrases.values():
            candidates.sort(key=lambda item: -len(item[0]))  # longest phrase first

    @lru_cache(maxsize=65_536)  # noqa: B019 - one analyzer per knowledge base, bounded cache
    def stem(self, word: str) -> str:
        return self._stemmer.stemWord(word)

    def concept_words(self) -> set[str]:
        """Every word in a concept phrase: the spelling corrector may correct towards these."""
        return {word for phrases in CONCEPTS.values() for p in phrases for word in words(p)}

    def _concepts(self, stems: list[str], found: list[str]) -> None:
        position = 0
        while position < len(stems):
            step = 1
            for phrase, concept in self._phrases.get(stems[position], ()):
                if tuple(stems[position : position + len(phrase)]) == phrase:
                    if concept not in found:
                        found.append(concept)
                    step = max(step, len(phrase))
            position += step

    def analyse(self, folded_words: Iterable[str]) -> Analysis:
        """Stems of the content words, and concepts found with or without the filler words."""
        all_words = list(folded_words)
        stems = [self.stem(word) for word in all_words]
        content = [
            stem for word, stem in zip(all_words, stems, strict=True) if word not in STOP_WORDS
        ]
        concepts: list[str] = []
        self._concepts(stems, concepts)
        self._concepts(content, concepts)
        return Analysis(tuple(content), tuple(concepts))
