"""What the semantic matcher costs: install size, load time, and latency, in each mode.

    python -m benchmarks.semantic [--sample PATH] [--queries PATH] [--rounds 5]

1. Install size: the packages the core install brings (cedp-bot's dependencies and theirs), and
   the packages the `semantic` extra adds on top, each the size on disk of the files its
   installed RECORD lists (what `du` of those files gives). Measured in the running environment,
   so run it from a venv made by `make` (dev tools are not counted).
2. Load time: a cold Python process per run (--rounds runs), timed from before
   `import knowledge.semantic` to the first question vector; median and worst.
3. Latency per question, one thread, after 20 warm-up questions: `encode_question` alone, and a
   whole `KnowledgeBase.match` on the sample knowledge base of ../shared/faq-eval in each mode,
   for every development query, --rounds times over. p50 and p99.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from benchmarks.faq import FAQ_EVAL, best_of, percentile, timed
from knowledge.base import load_knowledge
from knowledge.evaluation import read_queries
from knowledge.semantic import SentenceEncoder, load_encoder, semantic_available

PROJECT = "cedp-bot"
EXTRA = "semantic"
WARM_UP = 20
COLD_LOAD = """
import time
started = time.perf_counter()
from knowledge.semantic import load_encoder
load_encoder().encode_question("How do I book a coaching session?")
print(time.perf_counter() - started)
"""


def requirements(name: str, extra: str = "") -> set[str]:
    """Installed names a distribution requires: its plain dependencies, or one extra's only;
    a requirement's own extras (`SQLAlchemy[asyncio]`) count as its dependencies."""
    found = set()
    for text in metadata.requires(name) or ():
        requirement = Requirement(text)
        marker = requirement.marker
        plain = marker is None or marker.evaluate({"extra": ""})
        wanted = not plain and marker is not None and marker.evaluate({"extra": extra})
        if (wanted if extra else plain) and _installed(requirement.name):
            dependency = canonicalize_name(requirement.name)
            found.add(dependency)
            for own in requirement.extras:
                found |= requirements(dependency, own)
    return found


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def closure(roots: Iterable[str]) -> set[str]:
    """The roots and everything they require, transitively."""
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(requirements(name) - seen)
    return seen


def size_on_disk(name: str) -> int:
    """Bytes of the files a distribution's RECORD lists, as they are on disk now."""
    total = 0
    for file in metadata.distribution(name).files or ():
        path = Path(str(file.locate()))
        if path.is_file():
            total += path.stat().st_size
    return total


def megabytes(names: Iterable[str]) -> float:
    return sum(size_on_disk(name) for name in names) / 1e6


def install_sizes() -> None:
    core = closure(requirements(PROJECT))
    added = closure(requirements(PROJECT, EXTRA)) - core
    print("1. Install size (site-packages, files the packages' RECORDs list)")
    print(f"   core install: {len(core)} packages, {megabytes(core):.0f} MB")
    if not added:
        print("   the semantic extra is not installed: pip install 'cedp-bot[semantic]'")
        return
    print(f"   the semantic extra adds {len(added)} packages, {megabytes(added):.0f} MB:")
    for name in sorted(added, key=size_on_disk, reverse=True):
        print(f"     {name:28} {size_on_disk(name) / 1e6:6.1f} MB")


def load_times(rounds: int) -> None:
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", COLD_LOAD], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(rounds)
    ]
    print(f"2. Load, cold process, import to first vector ({rounds} runs)")
    print(f"   median {statistics.median(runs):.2f} s, worst {max(runs):.2f} s")


def latencies(work: Callable[[str], object], questions: list[str], rounds: int) -> str:
    for question in questions[:WARM_UP]:
        work(question)
    ordered = sorted(timed(work, question) for _ in range(rounds) for question in questions)
    return (
        f"p50 {percentile(ordered, 50):.2f} ms, p99 {percentile(ordered, 99):.2f} ms "
        f"({len(ordered)} calls)"
    )


def per_question(sample: Path, queries_path: Path, rounds: int) -> None:
    questions = [query.text for query in read_queries(queries_path)]
    modes: list[tuple[str, SentenceEncoder | None]] = [("core (lexical)", None)]
    if semantic_available():
        encoder = load_encoder()
        modes.append(("with the semantic extra", encoder))
    print(f"3. Latency per question, one thread ({len(questions)} development queries)")
    if semantic_available():
        print(f"   encode_question alone: {latencies(encoder.encode_question, questions, rounds)}")
    for mode, encoder_or_none in modes:
        knowledge = load_knowledge(sample, encoder_or_none)
        print(f"   knowledge.match, {mode}: {latencies(knowledge.match, questions, rounds)}")
    if semantic_available():
        fresh = load_encoder.__wrapped__()  # an empty phrasing cache: every phrasing encoded
        seconds = best_of(1, lambda: load_knowledge(sample, fresh))
        print(f"   loading the sample base, every phrasing encoded once: {seconds:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", type=Path, default=FAQ_EVAL / "knowledge.yaml")
    parser.add_argument("--queries", type=Path, default=FAQ_EVAL / "dev_queries.jsonl")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    install_sizes()
    print()
    if semantic_available():
        load_times(args.rounds)
        print()
    per_question(args.sample, args.queries, args.rounds)


if __name__ == "__main__":
    main()
