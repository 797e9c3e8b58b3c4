"""The live knowledge base: the YAML files plus alternates staff added, reloaded on change.

A reload that finds problems keeps the previous version answering and reports the problems, so a
broken edit never takes the information line down.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.semantic import SentenceEncoder

from knowledge.base import (
    Entry,
    KnowledgeBase,
    KnowledgeError,
    Problem,
    bulk_build,
    check_knowledge,
    phrasing_key,
    yaml_files,
)

# What the alternates table looked like: (row count, newest id).
AlternatesVersion = tuple[int, int]
Signature = tuple[tuple[tuple[str, int, int], ...], AlternatesVersion]


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    reloaded: bool
    entries: int
    problems: tuple[Problem, ...] = ()

    def problem_list(self) -> str:
        """The problems as a bulleted list, for staff."""
        return "\n".join(f"- {problem}" for problem in self.problems)


def merge_alternates(
    entries: Iterable[Entry], alternates: Iterable[tuple[str, str]]
) -> list[Entry]:
    """Entries with staff-added phrasings appended; alternates of vanished entries are ignored,
    and so is one the entry already has (exported to its YAML by `kb export-alternates`)."""
    extra: dict[str, dict[str, str]] = {}
    for entry_id, text in alternates:
        extra.setdefault(entry_id, {}).setdefault(phrasing_key(text), text)
    merged = []
    for entry in entries:
        new = [text for text in extra.get(entry.id, {}).values() if not entry.has_phrasing(text)]
        merged.append(
            dataclasses.replace(entry, alternates=(*entry.alternates, *new)) if new else entry
        )
    return merged


class KnowledgeSource:
    def __init__(self, path: Path, encoder: SentenceEncoder | None = None) -> None:
        self.path = path
        self._encoder = encoder
        self._current: KnowledgeBase | None = None
        self._signature: Signature | None = None

    @property
    def current(self) -> KnowledgeBase:
        """The knowledge base answering now."""
        if self._current is None:
            raise RuntimeError("the knowledge base has not been loaded")
        return self._current

    def _files_signature(self) -> tuple[tuple[str, int, int], ...]:
        signature = []
        for file in yaml_files(self.path):
            try:
                stat = file.stat()
            except OSError:
                continue
            signature.append((str(file), stat.st_mtime_ns, stat.st_size))
        return tuple(signature)

    def is_stale(self, alternates: AlternatesVersion) -> bool:
        """Whether files or alternates changed since the last load attempt (a cheap check)."""
        return (self._files_signature(), alternates) != self._signature

    def load(
        self, alternates: Iterable[tuple[str, str]], version: AlternatesVersion
    ) -> ReloadOutcome:
        """Build a new knowledge base; on problems keep the current one (raise if there is none).

        CPU-bound: callers in the event loop run it in a thread.
        """
        self._signature = (self._files_signature(), version)
        with bulk_build():
            entries, problems = check_knowledge(self.path)
            if problems:
                if self._current is None:
                    raise KnowledgeError(problems)
                return ReloadOutcome(False, len(self._current), tuple(problems))
            self._current = KnowledgeBase(merge_alternates(entries, alternates), self._encoder)
        return ReloadOutcome(True, len(self._current))
