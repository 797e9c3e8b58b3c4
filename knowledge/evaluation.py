"""Measuring the FAQ engine: `cedp-bot kb eval --kb PATH QUERIES.jsonl`.

Queries are JSON lines `{"q": ..., "id": ...}` with `id` null for out-of-scope questions.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.base import KnowledgeBase


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    text: str
    expected: str | None


@dataclass
class EvalReport:
    in_scope: int = 0
    right: int = 0
    wrong: int = 0
    not_answered: int = 0
    top3: int = 0
    out_of_scope: int = 0
    refused: int = 0
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    false_answers: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        def share(part: int, whole: int) -> str:
            return f"{part:4d} / {whole:<4d} {100 * part / whole if whole else 0:5.1f}%"

        lines = [
            f"in-scope answered right   {share(self.right, self.in_scope)}",
            f"in-scope answered wrong   {share(self.wrong, self.in_scope)}",
            f"in-scope not answered     {share(self.not_answered, self.in_scope)}",
            f"in-scope right in top 3   {share(self.top3, self.in_scope)}",
            f"out-of-scope refused      {share(self.refused, self.out_of_scope)}",
        ]
        if self.confusions:
            lines.append("confusions (expected -> answered):")
            lines += [f"  {n} x {a} -> {b}" for (a, b), n in self.confusions.most_common()]
        if self.false_answers:
            lines.append("out-of-scope answered as:")
            lines += [f"  {n} x {entry}" for entry, n in self.false_answers.most_common()]
        return lines


def read_queries(path: Path) -> list[LabelledQuery]:
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            queries.append(LabelledQuery(str(record["q"]), record.get("id")))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f'{path}:{number}: not a {{"q": ..., "id": ...}} line') from error
    return queries


def evaluate(knowledge: KnowledgeBase, queries: Iterable[LabelledQuery]) -> EvalReport:
    report = EvalReport()
    for query in queries:
        result = knowledge.match(query.text)
        answered = result.answer.entry.id if result.answer else None
        if query.expected is None:
            report.out_of_scope += 1
            if answered is None:
                report.refused += 1
            else:
                report.false_answers[answered] += 1
            continue
        report.in_scope += 1
        report.top3 += query.expected in {m.entry.id for m in result.candidates}
        if answered is None:
            report.not_answered += 1
        elif answered == query.expected:
            report.right += 1
        else:
            report.wrong += 1
            report.confusions[(query.expected, answered)] += 1
    return report
