"""The FAQ engine: which entry answers a question, and how sure we are.

1. Analysis (knowledge/analysis.py): folded words, British spellings, stems, concepts.
2. Spelling: a query word the knowledge base has never seen is corrected to the closest word it
   has (knowledge/spelling.py: 1 edit for short words, 2 for long ones).
3. Retrieval: candidates from the query's rarest terms in the entries' phrasings (question and
   alternates), scored exactly by BM25F over the phrasings and, with a lower weight, the answer
   text. With the semantic extra, the entries nearest in embedding space join the candidates.
4. Rerank of the best few: retrieval score relative to the best possible for this query, how much
   of the query the entry covers, IDF-weighted overlap with its closest single phrasing (so the
   intent word of "cancel coaching" counts against an entry about booking), a bonus when intent
   concepts agree and a penalty when they conflict, and, with the semantic extra, the cosine
   similarity to the closest phrasing; less a penalty for content words the knowledge base has
   never seen (the mark of a near-miss out-of-scope question such as "cancel my gym membership").
5. Decision: answer only when the top score is high and clear of the runner-up, or when the
   question is word for word one of the best entry's phrasings (and no runner-up's); "did you
   mean" when it is middling or close; otherwise decline. The weights and thresholds are
   calibrated on questions the base was not built from (knowledge/calibration.py).

Before all that, a message that is no question (small talk, or text with nothing to look up) is
set apart as a remark (knowledge/remarks.py) and matched against nothing.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge.analysis import Analysis, Analyzer, normal_words, tokens, words
from knowledge.lexicon import STOP_WORDS
from knowledge.remarks import Remark, remark_in
from knowledge.semantic import SemanticIndex
from knowledge.spelling import SpellingCorrector

if TYPE_CHECKING:
    from knowledge.semantic import SentenceEncoder

if TYPE_CHECKING:
    from knowledge.base import Entry

# Concepts that name what the person wants done: an entry about cancelling must not answer
# a question about booking, however much of the topic they share.
INTENTS = frozenset(
    {
        "cancel",
        "book",
        "reschedule",
        "change",
        "erase",
        "export",
        "stop",
        "decline",
        "block",
        "complaint",
        "join",
        "eligible",
        "cost",
        "when",
        "where",
        "who",
        "why",
        "contact",
    }
)

POSTINGS_BUDGET = 1_500  # postings walked to find candidates (see FaqEngine._retrieve)
CANDIDATES = 64  # candidates scored exactly before the rerank
WORD_FOR_WORD = 0.999  # a Dice overlap this high means the same terms (rounding aside)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the rerank weighs for one candidate. It does not depend on the weights, so
    calibration (knowledge/calibration.py) gathers it once per question and tries many."""

    retrieval: float  # BM25F score relative to the best possible for this question
    coverage: float  # IDF-weighted share of the question's terms the entry holds anywhere
    overlap: float  # IDF-weighted Dice overlap with the entry's closest single phrasing
    intents_agree: bool  # the question and the entry name the same intent ("cancel")
    intents_conflict: bool  # both name intents, and none is shared (cancel vs book)
    unknown_share: float  # share of the question's content words the base has never seen
    semantic: float = 0.0  # cosine similarity to the closest phrasing (semantic extra only)

    @property
    def word_for_word(self) -> bool:
        """The question's terms are exactly those of one of the entry's phrasings."""
        return self.overlap >= WORD_FOR_WORD


@dataclass(frozen=True, slots=True)
class Tuning:
    """Weights and thresholds, calibrated on questions the base was not built from
    (knowledge/calibration.py; README, "FAQ engine")."""

    k1: float = 1.6
    b: float = 0.75
    answer_weight: float = 0.1
    rerank_depth: int = 12
    weight_retrieval: float = 0.448
    weight_coverage: float = 0.55
    weight_overlap: float = 0.387
    intent_bonus: float = 0.05
    intent_penalty: float = 0.04
    unknown_penalty: float = 0.992
    weight_semantic: float = 0.0
    confident: float = 0.76
    margin: float = 0.22
    suggest: float = 0.43

    def score(self, evidence: Evidence) -> float:
        combined = (
            self.weight_retrieval * evidence.retrieval
            + self.weight_coverage * evidence.coverage
            + self.weight_overlap * evidence.overlap
            + self.weight_semantic * max(0.0, evidence.semantic)
        )
        if evidence.intents_agree:
            combined += self.intent_bonus
        if evidence.intents_conflict:
            combined -= self.intent_penalty
        return max(0.0, combined - self.unknown_penalty * evidence.unknown_share)

    def confident_in(self, best: float, runner_up: float) -> bool:
        return best >= self.confident and best - runner_up >= self.margin


# With embeddings the scores spread differently; these are calibrated the same way.
SEMANTIC_TUNING = Tuning(
    weight_retrieval=0.199,
    weight_coverage=0.387,
    weight_overlap=0.0,
    intent_bonus=0.0,
    intent_penalty=0.036,
    unknown_penalty=1.006,
    weight_semantic=0.647,
    confident=0.6,
    margin=0.14,
    suggest=0.38,
)


@dataclass(frozen=True, slots=True)
class Match:
    entry: Entry
    score: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    """`answer` is set only when the engine is confident; `candidates` are the best three;
    `remark` says what the message is instead when it is no question (then nothing is set)."""

    answer: Match | None
    candidates: tuple[Match, ...]
    suggest_threshold: float = 0.0
    remark: Remark | None = None

    @property
    def suggestions(self) -> tuple[Match, ...]:
        return tuple(m for m in self.candidates if m.score >= self.suggest_threshold)


@dataclass(frozen=True, slots=True)
class _Document:
    phrasing_terms: tuple[frozenset[str], ...]
    all_terms: frozenset[str]
    intents: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Query:
    """What the rerank needs of a question, worked out once per question, not per candidate."""

    analysis: Analysis
    terms: Counter[str]
    term_set: frozenset[str]
    weight: float  # summed IDF of the terms: the whole the coverage is a share of
    unknown_share: float


def _gibberish(folded: Sequence[str], content: int, unknown: int) -> bool:
    """No word the knowledge base knows and not one function word: "asdf qwer", not a real
    question about something unknown ("can I bring my dog?" gets an honest "I don't know")."""
    return unknown == content and not any(word in STOP_WORDS for word in folded)


class FaqEngine:
    def __init__(
        self,
        entries: Sequence[Entry],
        tuning: Tuning | None = None,
        encoder: SentenceEncoder | None = None,
    ) -> None:
        self.tuning = tuning or (SEMANTIC_TUNING if encoder else Tuning())
        self._entries = list(entries)
        self._semantic = (
            SemanticIndex(encoder, [entry.phrasings for entry in self._entries])
            if encoder
            else None
        )
        self._analyzer = Analyzer()
        vocabulary: Counter[str] = Counter()
        phrase_tf: list[Counter[str]] = []
        answer_tf: list[Counter[str]] = []
        answer_token_counts: Counter[str] = Counter()
        self._documents: list[_Document] = []
        for entry in self._entries:
            analysed = []
            for phrasing in entry.phrasings:
                folded = words(phrasing)
                vocabulary.update(folded)
                analysed.append(self._analyzer.analyse(folded))
            answer_tokens = tokens(entry.answer)
            answer_token_counts.update(answer_tokens)
            answer_terms = self._analyzer.content_stems(answer_tokens)
            phrase_tf.append(Counter(t for a in analysed for t in a.terms))
            answer_tf.append(Counter(answer_terms))
            phrasing_terms = tuple(frozenset(a.terms) for a in analysed)
            self._documents.append(
                _Document(
                    phrasing_terms=phrasing_terms,
                    all_terms=frozenset().union(*phrasing_terms, answer_terms),
                    intents=frozenset(c for a in analysed[:1] for c in a.concepts if c in INTENTS),
                )
            )
        for raw, times in answer_token_counts.items():
            for word in normal_words(raw):
                vocabulary[word] += times
        self._build_index(phrase_tf, answer_tf)
        self._phrasing_weights = [
            tuple(self._idf_sum(phrasing) for phrasing in document.phrasing_terms)
            for document in self._documents
        ]
        vocabulary.update(self._analyzer.concept_words() - vocabulary.keys())
        self._spelling = SpellingCorrector(vocabulary)

    def _build_index(self, phrase_tf: list[Counter[str]], answer_tf: list[Counter[str]]) -> None:
        count = len(self._entries)
        phrase_lengths = [sum(tf.values()) for tf in phrase_tf]
        answer_lengths = [sum(tf.values()) for tf in answer_tf]
        mean_phrase = sum(phrase_lengths) / count if count else 1.0
        mean_answer = sum(answer_lengths) / count if count else 1.0
        tuning = self.tuning
        document_frequency: Counter[str] = Counter()
        for index in range(count):
            document_frequency.update(phrase_tf[index].keys() | answer_tf[index].keys())
        self._idf = {
            term: math.log(1 + (count - df + 0.5) / (df + 0.5))
            for term, df in document_frequency.items()
        }
        self._phrase_tf, self._answer_tf = phrase_tf, answer_tf
        self._phrase_norm = [1 - tuning.b + tuning.b * n / mean_phrase for n in phrase_lengths]
        self._answer_norm = [
            (1 - tuning.b + tuning.b * n / mean_answer) / tuning.answer_weight
            for n in answer_lengths
        ]
        # Postings hold phrasing terms only: candidates come from how entries are asked about;
        # answer text counts when candidates are scored exactly (`_weight`).
        self._postings: dict[str, list[tuple[int, float]]] = {}
        for index, phrases in enumerate(phrase_tf):
            for term in phrases:
                self._postings.setdefault(term, []).append((index, self._weight(index, term)))

    def _idf_sum(self, terms: Iterable[str]) -> float:
        return sum(self._idf.get(term, 0.0) for term in terms)

    def _weight(self, index: int, term: str) -> float:
        """BM25F weight of `term` in entry `index`: phrasings, and answer text weighted lower."""
        tf = (
            self._phrase_tf[index].get(term, 0) / self._phrase_norm[index]
            + self._answer_tf[index].get(term, 0) / self._answer_norm[index]
        )
        if not tf:
            return 0.0
        k1 = self.tuning.k1
        return self._idf[term] * tf * (k1 + 1) / (tf + k1)

    def _analyse_query(self, folded: list[str]) -> tuple[Analysis, int, int]:
        """The query's analysis after spelling correction, its number of content words, and how
        many of those the knowledge base has never seen (nor anything one spelling slip away)."""
        corrected: list[str] = []
        content = unknown = 0
        for word in folded:
            if word in STOP_WORDS or word in self._spelling:
                corrected.append(word)
                content += word not in STOP_WORDS
                continue
            content += 1
            fixed = self._spelling.correct(word) if len(word) >= 4 and word.isalpha() else None
            if fixed is None:
                unknown += 1
                corrected.append(word)
            else:
                corrected.append(fixed)
        return self._analyzer.analyse(corrected), content, unknown

    def terms(self, question: str) -> frozenset[str]:
        """The question's terms as matching sees them: spelling corrected towards the base's
        words, content stems and the concepts named. Two ways of asking one thing share most."""
        return frozenset(self._analyse_query(words(question))[0].terms)

    def match(self, question: str, allowed: Callable[[Entry], bool]) -> MatchResult:
        remark, evidence = self.weigh(question, allowed)
        if remark is not None:
            return MatchResult(None, (), self.tuning.suggest, remark)
        return self.decide(evidence, self.tuning)

    def decide(self, evidence: Sequence[tuple[int, Evidence]], tuning: Tuning) -> MatchResult:
        """The best three candidates under `tuning`, and the answer when it is confident."""
        ranked = heapq.nlargest(3, ((tuning.score(e), index, e) for index, e in evidence))
        candidates = tuple(Match(self._entries[i], round(s, 3)) for s, i, _ in ranked)
        if not candidates:
            return MatchResult(None, candidates, tuning.suggest)
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        # Asked word for word as one of the best entry's phrasings and of no runner-up's: the
        # phrasings are written by the team, so that is an answer whatever the scores.
        asked_as_written = ranked[0][2].word_for_word and not (
            len(ranked) > 1 and ranked[1][2].word_for_word
        )
        confident = asked_as_written or tuning.confident_in(candidates[0].score, runner_up)
        return MatchResult(candidates[0] if confident else None, candidates, tuning.suggest)

    def weigh(
        self, question: str, allowed: Callable[[Entry], bool]
    ) -> tuple[Remark | None, list[tuple[int, Evidence]]]:
        """The question's remark when it is none, else the evidence for each shortlisted entry
        this person may see (entry index, evidence)."""
        folded = words(question)
        remark = remark_in(question, folded)
        if remark is not None:
            return remark, []
        analysis, content, unknown = self._analyse_query(folded)
        if _gibberish(folded, content, unknown):
            return Remark.UNCLEAR, []
        terms = Counter(analysis.terms)
        scores = self._retrieve(terms)
        k1 = self.tuning.k1
        best_possible = sum(self._idf.get(term, 0.0) * (k1 + 1) * n for term, n in terms.items())
        shortlist = self._first_allowed(
            sorted(scores, key=scores.__getitem__, reverse=True), allowed
        )
        similarity = None
        if self._semantic is not None:
            similarity = self._semantic.similarities(question)
            nearest = (int(index) for index in similarity.argsort()[::-1])
            shortlist = list(dict.fromkeys(shortlist + self._first_allowed(nearest, allowed)))
        term_set = frozenset(terms)
        # A remark has no content words; a question has some.
        query = _Query(analysis, terms, term_set, self._idf_sum(term_set), unknown / content)
        return None, [
            (
                index,
                self._evidence(
                    index,
                    scores.get(index, 0.0),
                    best_possible,
                    query,
                    0.0 if similarity is None else float(similarity[index]),
                ),
            )
            for index in shortlist
        ]

    def _first_allowed(self, ordered: Iterable[int], allowed: Callable[[Entry], bool]) -> list[int]:
        """The first `rerank_depth` entries of `ordered` this person may see."""
        found: list[int] = []
        for index in ordered:
            if allowed(self._entries[index]):
                found.append(index)
                if len(found) == self.tuning.rerank_depth:
                    break
        return found

    def _retrieve(self, terms: Counter[str]) -> dict[int, float]:
        """BM25F scores of the likeliest entries, without walking every entry for common terms.

        Candidates come from the query's rarest terms, within a budget of postings (a term that
        half the base contains says little about which entry is meant); the best of them are
        then scored exactly over all the query's terms.
        """
        partial: dict[int, float] = {}
        budget = POSTINGS_BUDGET
        for term in sorted(terms, key=lambda t: len(self._postings.get(t, ()))):
            postings = self._postings.get(term)
            if not postings:
                continue
            if budget <= 0:
                break
            times = terms[term]
            for index, weight in postings:
                partial[index] = partial.get(index, 0.0) + weight * times
            budget -= len(postings)
        shortlisted = heapq.nlargest(CANDIDATES, partial, key=partial.__getitem__)
        return {
            index: sum(self._weight(index, term) * n for term, n in terms.items())
            for index in shortlisted
        }

    def _best_overlap(self, index: int, query: _Query) -> float:
        """IDF-weighted Dice overlap with the closest single phrasing: rewards a phrasing whose
        own words are all in the question, so "cancel coaching" loses to "book coaching" when
        the question is about booking."""
        best = 0.0
        for phrasing, weight in zip(
            self._documents[index].phrasing_terms, self._phrasing_weights[index], strict=True
        ):
            shared = self._idf_sum(query.term_set & phrasing)
            total = query.weight + weight
            if total:
                best = max(best, 2 * shared / total)
        return best

    def _evidence(
        self, index: int, score: float, best_possible: float, query: _Query, semantic: float
    ) -> Evidence:
        document = self._documents[index]
        weight_total = query.weight or 1.0
        covered = self._idf_sum(t for t in query.terms if t in document.all_terms)
        query_intents = {c for c in query.analysis.concepts if c in INTENTS}
        return Evidence(
            retrieval=min(1.0, score / best_possible if best_possible else 0.0),
            coverage=covered / weight_total,
            overlap=self._best_overlap(index, query),
            intents_agree=bool(query_intents & document.intents),
            intents_conflict=bool(query_intents and document.intents)
            and not query_intents & document.intents,
            unknown_share=query.unknown_share,
            semantic=semantic,
        )
