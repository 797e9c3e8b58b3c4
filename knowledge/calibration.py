"""Calibrating the FAQ engine on questions the knowledge base was not built from.

Thresholds picked on a couple of hundred development queries do not hold on unseen ones: the
wrong-answer rate nearly tripled (issue 14). So the weights and thresholds are chosen on far more
questions, each asked of a base that does not contain it:

- leave one phrasing out: every phrasing of every entry (question and alternates) is asked of the
  base built without that one phrasing, and should find its entry;
- development queries, and out-of-scope questions from the programme's neighbours (a chief
  executive's own trust, NHS England, other services), which should be refused.

The evidence for each shortlisted entry (knowledge.engine.Evidence) does not depend on the
weights, so it is gathered once and then many tunings are tried on it, vectorised with numpy;
`measure` scores a tuning exactly as the engine does (a test holds the two together).
`python -m benchmarks.faq_calibration` runs the whole calibration and reports figures on
questions the tuning was not chosen on.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.base import Entry
from knowledge.engine import Evidence, FaqEngine, Tuning
from knowledge.evaluation import LabelledQuery
from knowledge.semantic import SentenceEncoder

FEATURES = ("retrieval", "coverage", "overlap", "semantic", "intents_agree", "intents_conflict")


@dataclass(frozen=True, slots=True)
class Weighed:
    """A labelled question (`expected` None when out of scope) and the evidence for each entry
    the engine shortlisted for it, by entry id."""

    expected: str | None
    evidence: tuple[tuple[str, Evidence], ...]


def weigh(
    engine: FaqEngine,
    entries: Sequence[Entry],
    query: LabelledQuery,
    tags: frozenset[str] = frozenset(),
) -> Weighed:
    """The question asked by someone with `tags` (no tags: a member with no audience, as
    `kb eval` asks). A message the engine sets apart as no question (a remark) has no
    evidence: it is never answered, whatever the tuning."""
    _remark, evidence = engine.weigh(query.text, lambda entry: entry.visible_to(tags))
    # The engine breaks score ties in favour of the later entry; keep that order for numpy.
    ordered = sorted(evidence, key=lambda item: -item[0])
    return Weighed(query.expected, tuple((entries[i].id, e) for i, e in ordered))


def weigh_all(
    entries: Sequence[Entry],
    queries: Iterable[LabelledQuery],
    encoder: SentenceEncoder | None,
    tuning: Tuning,
) -> list[Weighed]:
    engine = FaqEngine(entries, tuning, encoder)
    return [weigh(engine, entries, query) for query in queries]


def leave_one_phrasing_out(
    entries: Sequence[Entry], encoder: SentenceEncoder | None, tuning: Tuning
) -> list[Weighed]:
    """Each phrasing asked of the base without it, by someone in the entry's audience (entries
    with a single phrasing are skipped: without it they could not be asked about at all)."""
    weighed: list[Weighed] = []
    for position, entry in enumerate(entries):
        phrasings = entry.phrasings
        if len(phrasings) < 2:
            continue
        for left_out, text in enumerate(phrasings):
            rest = [p for i, p in enumerate(phrasings) if i != left_out]
            without = dataclasses.replace(entry, question=rest[0], alternates=tuple(rest[1:]))
            base = [*entries[:position], without, *entries[position + 1 :]]
            engine = FaqEngine(base, tuning, encoder)
            query = LabelledQuery(text, entry.id)
            weighed.append(weigh(engine, base, query, entry.audience))
    return weighed


@dataclass(frozen=True, slots=True)
class Figures:
    in_scope: int
    right: int
    wrong: int
    top3: int
    out_of_scope: int
    refused: int

    def share(self, part: str) -> float:
        whole = self.out_of_scope if part == "refused" else self.in_scope
        return getattr(self, part) / whole if whole else 0.0

    def line(self) -> str:
        parts = []
        if self.in_scope:
            parts.append(
                f"right {100 * self.share('right'):5.1f}%  wrong {100 * self.share('wrong'):4.1f}%"
                f"  top 3 {100 * self.share('top3'):5.1f}%  ({self.in_scope} in scope)"
            )
        if self.out_of_scope:
            parts.append(
                f"refused {100 * self.share('refused'):5.1f}%  ({self.out_of_scope} out of scope)"
            )
        return "  ".join(parts)


class _Arrays:
    """The weighed questions as padded arrays: features (question, candidate, feature)."""

    def __init__(self, weighed: Sequence[Weighed]) -> None:
        depth = max((len(item.evidence) for item in weighed), default=1) or 1
        self.features = np.zeros((len(weighed), depth, len(FEATURES)))
        self.valid = np.zeros((len(weighed), depth), dtype=bool)
        self.correct = np.zeros((len(weighed), depth), dtype=bool)
        self.word_for_word = np.zeros((len(weighed), depth), dtype=bool)
        self.unknown = np.zeros(len(weighed))
        self.in_scope = np.array([item.expected is not None for item in weighed])
        for row, item in enumerate(weighed):
            for column, (entry_id, evidence) in enumerate(item.evidence):
                self.features[row, column] = [
                    evidence.retrieval,
                    evidence.coverage,
                    evidence.overlap,
                    max(0.0, evidence.semantic),
                    evidence.intents_agree,
                    evidence.intents_conflict,
                ]
                self.valid[row, column] = True
                self.correct[row, column] = entry_id == item.expected
                self.word_for_word[row, column] = evidence.word_for_word
                self.unknown[row] = evidence.unknown_share

    def scores(self, tuning: Tuning) -> np.ndarray:
        weights = np.array(
            [
                tuning.weight_retrieval,
                tuning.weight_coverage,
                tuning.weight_overlap,
                tuning.weight_semantic,
                tuning.intent_bonus,
                -tuning.intent_penalty,
            ]
        )
        combined = self.features @ weights - tuning.unknown_penalty * self.unknown[:, None]
        return np.where(self.valid, np.maximum(0.0, combined), -1.0)

    def ranking(self, tuning: Tuning) -> _Ranking:
        scores = self.scores(tuning)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :3]
        top = np.take_along_axis(scores, order, axis=1)
        top = np.where(top < 0, 0.0, top)  # a missing runner-up counts as 0, as in the engine
        best = np.round(top[:, 0], 3)
        runner_up = np.round(top[:, 1], 3) if top.shape[1] > 1 else np.zeros(len(best))
        has_best = self.valid.any(axis=1)
        correct = np.take_along_axis(self.correct & self.valid, order, axis=1)
        written = np.take_along_axis(self.word_for_word & self.valid, order, axis=1)
        as_written = written[:, 0] & ~(written[:, 1] if written.shape[1] > 1 else False)
        return _Ranking(
            np.where(has_best, best, -1.0), runner_up, as_written, correct[:, 0], correct.any(1)
        )


@dataclass(frozen=True, slots=True)
class _Ranking:
    """Per question: best and runner-up scores (rounded as the engine shows them), whether it
    was asked word for word as a phrasing of the best entry only (answered whatever the
    thresholds), whether the best is the expected entry, and whether that is in the best 3."""

    best: np.ndarray
    runner_up: np.ndarray
    as_written: np.ndarray
    first_right: np.ndarray
    top3: np.ndarray


def _figures(
    arrays: _Arrays, answered: np.ndarray, first_right: np.ndarray, top3: np.ndarray
) -> Figures:
    inside = arrays.in_scope
    return Figures(
        in_scope=int(inside.sum()),
        right=int((answered & first_right & inside).sum()),
        wrong=int((answered & ~first_right & inside).sum()),
        top3=int((top3 & inside).sum()),
        out_of_scope=int((~inside).sum()),
        refused=int((~answered & ~inside).sum()),
    )


def measure(weighed: Sequence[Weighed], tuning: Tuning) -> Figures:
    """What the engine with `tuning` would do with these questions."""
    arrays = _Arrays(weighed)
    ranked = arrays.ranking(tuning)
    answered = ranked.as_written | (
        (ranked.best >= tuning.confident) & (ranked.best - ranked.runner_up >= tuning.margin)
    )
    return _figures(arrays, answered, ranked.first_right, ranked.top3)


@dataclass(frozen=True, slots=True)
class Goal:
    """Constraints on the calibration data. Leaving a phrasing out is harsher than a real
    question (the engine of issue 13 gave 8.7% wrong there and 3.3% on held-out questions), so
    the issue's target on unseen questions of at most 3% wrong is asked of the fit as it stands.
    Out-of-scope questions are easier to fit than to meet: 97.5% refused in the fit gave 94% on
    held-out ones with the semantic extra, so the fit asks for 98.5% (for 95% unseen)."""

    max_wrong: float = 0.03
    min_refused: float = 0.985
    top3_weight: float = 0.3  # answered right counts most; the "did you mean" list a little


CONFIDENT_GRID = np.round(np.arange(0.15, 1.31, 0.01), 2)
MARGIN_GRID = np.round(np.arange(0.0, 0.31, 0.01), 2)


def _best_thresholds(
    arrays: _Arrays, tuning: Tuning, goal: Goal
) -> tuple[float, Tuning, Figures] | None:
    """The confident/margin pair that answers most questions right within the goal."""
    ranked = arrays.ranking(tuning)
    first_right, top3 = ranked.first_right, ranked.top3
    gap = ranked.best - ranked.runner_up
    answered = ranked.as_written[None, :, None] | (
        (ranked.best[None, :, None] >= CONFIDENT_GRID[:, None, None])
        & (gap[None, :, None] >= MARGIN_GRID[None, None, :])
    )  # (confident, question, margin)
    inside = arrays.in_scope[None, :, None]
    in_scope, out_of_scope = max(1, int(arrays.in_scope.sum())), max(1, int((~inside).sum()))
    right = (answered & first_right[None, :, None] & inside).sum(axis=1) / in_scope
    wrong = (answered & ~first_right[None, :, None] & inside).sum(axis=1) / in_scope
    refused = (~answered & ~inside).sum(axis=1) / out_of_scope
    allowed = (wrong <= goal.max_wrong) & (refused >= goal.min_refused)
    if not allowed.any():
        return None
    # Among equally good pairs prefer the strictest (it holds better on unseen questions).
    value = np.where(allowed, right - 1e-6 * (wrong - refused), -1.0)
    c, m = np.unravel_index(int(np.argmax(value)), value.shape)
    chosen = dataclasses.replace(
        tuning, confident=float(CONFIDENT_GRID[c]), margin=float(MARGIN_GRID[m])
    )
    answered_chosen = answered[c, :, m]
    figures = _figures(arrays, answered_chosen, first_right, top3)
    objective = figures.share("right") + goal.top3_weight * figures.share("top3")
    return objective, chosen, figures


def _random_weights(rng: random.Random, base: Tuning, semantic: bool) -> Tuning:
    retrieval, coverage, overlap = (rng.uniform(0.0, 1.0) for _ in range(3))
    semantic_weight = rng.uniform(0.5, 3.0) if semantic else 0.0
    total = retrieval + coverage + overlap + semantic_weight or 1.0
    return dataclasses.replace(
        base,
        weight_retrieval=retrieval / total,
        weight_coverage=coverage / total,
        weight_overlap=overlap / total,
        weight_semantic=semantic_weight / total,
        intent_bonus=rng.uniform(0.0, 0.15),
        intent_penalty=rng.uniform(0.0, 0.3),
        unknown_penalty=rng.uniform(0.1, 1.5),
    )


def _nudge(rng: random.Random, tuning: Tuning, scale: float) -> Tuning:
    def moved(value: float) -> float:
        return max(0.0, value + rng.gauss(0.0, scale))

    return dataclasses.replace(
        tuning,
        weight_retrieval=moved(tuning.weight_retrieval),
        weight_coverage=moved(tuning.weight_coverage),
        weight_overlap=moved(tuning.weight_overlap),
        weight_semantic=moved(tuning.weight_semantic) if tuning.weight_semantic else 0.0,
        intent_bonus=moved(tuning.intent_bonus),
        intent_penalty=moved(tuning.intent_penalty),
        unknown_penalty=moved(tuning.unknown_penalty),
    )


def calibrate(
    fit: Sequence[Weighed],
    base: Tuning,
    goal: Goal = Goal(),
    trials: int = 1500,
    seed: int = 14,
) -> Tuning:
    """Weights by random search then local refinement; thresholds by a grid for each; the
    "did you mean" threshold keeps 97% of the right entries that are among the best three."""
    arrays = _Arrays(fit)
    semantic = bool(base.weight_semantic) or bool(arrays.features[:, :, 3].any())
    rng = random.Random(seed)
    best = _best_thresholds(arrays, base, goal)
    for trial in range(trials):
        if best is not None and trial >= trials // 2:
            candidate = _nudge(rng, best[1], 0.05 if trial < 3 * trials // 4 else 0.02)
        else:
            candidate = _random_weights(rng, base, semantic)
        found = _best_thresholds(arrays, candidate, goal)
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    if best is None:
        raise ValueError("no tuning meets the goal on the calibration data")
    return dataclasses.replace(best[1], suggest=_suggest_threshold(arrays, best[1]))


def _suggest_threshold(arrays: _Arrays, tuning: Tuning) -> float:
    scores = arrays.scores(tuning)
    top3 = arrays.ranking(tuning).top3
    right_scores = scores[arrays.correct & arrays.valid & top3[:, None]]
    if not right_scores.size:
        return tuning.confident
    return round(min(tuning.confident, float(np.quantile(right_scores, 0.03))), 2)
