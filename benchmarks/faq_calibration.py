"""Calibrate the FAQ engine's weights and thresholds, and report them on unseen questions.

    python -m benchmarks.faq_calibration [--trials 1500] [--mode lexical|semantic|both]

Chosen on (the fit):
- leave one phrasing out over the shipped knowledge base (knowledge/content) and the sample
  base (../shared/faq-eval/knowledge.yaml): each phrasing asked of its base without it;
- the sample base's development queries (../shared/faq-eval/dev_queries.jsonl);
- the even lines of calibration/neighbours.jsonl, out-of-scope questions from the programme's
  neighbours, asked of both bases.
Reported on (held out, never seen by the search):
- tests/knowledge/shipped_eval.jsonl against the shipped base;
- the odd lines of calibration/neighbours.jsonl against both bases;
- and, from a second calibration without them, the development queries.
The figures printed for the tuning in knowledge/engine.py ("in the code") are the ones the
README quotes; after a run, copy the chosen values there if they are better.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

from knowledge.base import Entry, check_knowledge
from knowledge.calibration import (
    Goal,
    Weighed,
    calibrate,
    leave_one_phrasing_out,
    measure,
    weigh_all,
)
from knowledge.engine import SEMANTIC_TUNING, Tuning
from knowledge.evaluation import read_queries
from knowledge.semantic import SentenceEncoder, load_encoder, semantic_available

REPO = Path(__file__).resolve().parents[1]
FAQ_EVAL = REPO.parent / "shared" / "faq-eval"
SHIPPED = REPO / "knowledge" / "content"
NEIGHBOURS = REPO / "calibration" / "neighbours.jsonl"
SHIPPED_EVAL = REPO / "tests" / "knowledge" / "shipped_eval.jsonl"


def entries_of(path: Path) -> list[Entry]:
    entries, problems = check_knowledge(path)
    if problems:
        raise SystemExit("\n".join(str(problem) for problem in problems))
    return entries


@dataclasses.dataclass(frozen=True, slots=True)
class Pools:
    fit: list[Weighed]
    development: list[Weighed]
    held_out: dict[str, list[Weighed]]


def gather(encoder: SentenceEncoder | None, tuning: Tuning) -> Pools:
    shipped, sample = entries_of(SHIPPED), entries_of(FAQ_EVAL / "knowledge.yaml")
    neighbours = read_queries(NEIGHBOURS)
    fit_neighbours, held_neighbours = neighbours[0::2], neighbours[1::2]
    fit = leave_one_phrasing_out(shipped, encoder, tuning)
    fit += leave_one_phrasing_out(sample, encoder, tuning)
    for entries in (shipped, sample):
        fit += weigh_all(entries, fit_neighbours, encoder, tuning)
    development = weigh_all(sample, read_queries(FAQ_EVAL / "dev_queries.jsonl"), encoder, tuning)
    held_out = {
        "shipped labelled set": weigh_all(shipped, read_queries(SHIPPED_EVAL), encoder, tuning),
        "neighbours (held-out half), shipped base": weigh_all(
            shipped, held_neighbours, encoder, tuning
        ),
        "neighbours (held-out half), sample base": weigh_all(
            sample, held_neighbours, encoder, tuning
        ),
    }
    return Pools(fit, development, held_out)


def report(title: str, tuning: Tuning, pools: dict[str, Sequence[Weighed]]) -> None:
    print(f"   {title}:")
    for name, weighed in pools.items():
        print(f"     {name:44} {measure(weighed, tuning).line()}")
    unseen = [item for name, items in pools.items() if name != "fit" for item in items]
    if unseen:
        print(f"     {'all held out':44} {measure(unseen, tuning).line()}")


def describe(tuning: Tuning) -> str:
    fields = (
        "weight_retrieval",
        "weight_coverage",
        "weight_overlap",
        "weight_semantic",
        "intent_bonus",
        "intent_penalty",
        "unknown_penalty",
        "confident",
        "margin",
        "suggest",
    )
    return ", ".join(f"{name}={round(getattr(tuning, name), 3)}" for name in fields)


def run(mode: str, encoder: SentenceEncoder | None, base: Tuning, trials: int, goal: Goal) -> None:
    started = time.perf_counter()
    pools = gather(encoder, base)
    fit = pools.fit + pools.development
    print(
        f"{mode}: {len(fit)} questions to fit on "
        f"({sum(w.expected is None for w in fit)} out of scope), gathered in "
        f"{time.perf_counter() - started:.0f} s"
    )
    everything: dict[str, Sequence[Weighed]] = {"fit": fit, **pools.held_out}
    report("in the code", base, {**everything, "development queries": pools.development})
    tuned = calibrate(fit, base, goal, trials)
    print(f"   chosen: {describe(tuned)}")
    report("chosen", tuned, everything)
    check = calibrate(pools.fit, base, goal, trials)
    report(
        "chosen without the development queries",
        check,
        {"development queries": pools.development, **pools.held_out},
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1500)
    parser.add_argument("--mode", choices=("lexical", "semantic", "both"), default="both")
    parser.add_argument("--max-wrong", type=float, default=Goal().max_wrong, metavar="SHARE")
    parser.add_argument("--min-refused", type=float, default=Goal().min_refused, metavar="SHARE")
    args = parser.parse_args(argv)
    goal = Goal(max_wrong=args.max_wrong, min_refused=args.min_refused)
    if args.mode in ("lexical", "both"):
        run("core (lexical)", None, Tuning(), args.trials, goal)
    if args.mode in ("semantic", "both"):
        if semantic_available():
            run("with the semantic extra", load_encoder(), SEMANTIC_TUNING, args.trials, goal)
        else:
            print("semantic extra not installed: skipped")


if __name__ == "__main__":
    main()
