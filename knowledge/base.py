"""Loading and validating a knowledge base: a YAML file, or a folder of them.

Every problem is reported with its file, entry and a plain description, so staff can fix a
broken edit without reading a stack trace.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from knowledge.engine import FaqEngine, MatchResult, Tuning

if TYPE_CHECKING:
    from knowledge.semantic import SentenceEncoder

_REQUIRED_TEXT = ("id", "question", "answer")
_LIST_KEYS = ("alternates", "tags", "follow_ups", "audience")
_KNOWN_KEYS = {*_REQUIRED_TEXT, *_LIST_KEYS}
# Every scalar stays text (an answer of "yes" must not become True), parsed by libyaml when
# PyYAML was built with it (several times faster), else by the pure-Python parser.
_YAML_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
# An entry id travels in button payloads, which must fit Telegram's 64 bytes with their binding
# tag (see bot.payloads and tests/bot/test_payloads.py).
ENTRY_ID_MAX = 32
ENTRY_ID = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{ENTRY_ID_MAX - 1}}}")
_LIST_ITEM = re.compile(r"^([-*•]|\d+[.)])\s")


def phrasing_key(text: str) -> str:
    """What two ways of writing one phrasing share: the words, spacing and case aside."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    question: str
    answer: str
    alternates: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()
    audience: frozenset[str] = frozenset()

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.alternates)

    def has_phrasing(self, text: str) -> bool:
        """Whether `text` is already one of the ways of asking this entry (see `phrasing_key`)."""
        key = phrasing_key(text)
        return any(phrasing_key(phrasing) == key for phrasing in self.phrasings)

    def visible_to(self, member_tags: frozenset[str]) -> bool:
        """Entries with an audience are offered only to members carrying one of its tags."""
        return not self.audience or bool(self.audience & member_tags)


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    entry: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: entry {self.entry}" if self.entry else self.file
        return f"{where}: {self.message}"


class KnowledgeError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


class KnowledgeBase:
    """Validated entries plus the matcher built over them."""

    def __init__(
        self,
        entries: Iterable[Entry],
        encoder: SentenceEncoder | None = None,
        tuning: Tuning | None = None,
    ) -> None:
        self.entries = {entry.id: entry for entry in entries}
        self._engine = FaqEngine(list(self.entries.values()), tuning, encoder)

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, question: str, member_tags: frozenset[str] = frozenset()) -> MatchResult:
        return self._engine.match(question, lambda entry: entry.visible_to(member_tags))

    def terms(self, question: str) -> frozenset[str]:
        """What matching makes of `question` (see `FaqEngine.terms`)."""
        return self._engine.terms(question)


def yaml_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"})
    return [path]


def reflow(text: str) -> str:
    """Join the hard-wrapped lines of YAML prose; keep paragraphs and list items apart."""
    paragraphs = []
    for paragraph in text.strip().split("\n\n"):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        merged: list[str] = []
        for line in lines:
            if merged and not _LIST_ITEM.match(line):
                merged[-1] = f"{merged[-1]} {line}"
            else:
                merged.append(line)
        paragraphs.append("\n".join(merged))
    return "\n\n".join(paragraphs)


@dataclass(frozen=True, slots=True)
class _Located:
    """An entry as written in its file, and the Entry it makes when it has no problems of its
    own; ids and follow-ups are cross-checked either way, so one pass reports everything."""

    file: str
    label: str  # the id as written, or the entry's position when it has none
    id: str | None
    follow_ups: tuple[str, ...]
    entry: Entry | None


def _text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _parse_entry(raw: dict[str, Any], file: str, label: str, problems: list[Problem]) -> _Located:
    found = len(problems)
    for key in _REQUIRED_TEXT:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            problems.append(Problem(file, label, f"missing {key}"))
    for key in _LIST_KEYS:
        if not _text_list(raw.get(key, [])):
            problems.append(Problem(file, label, f"{key} must be a list of text"))
    entry_id = raw["id"].strip() if isinstance(raw.get("id"), str) else None
    if entry_id is not None and not ENTRY_ID.fullmatch(entry_id):
        problems.append(
            Problem(
                file,
                label,
                f"id must be lower-case letters, digits and dashes (at most {ENTRY_ID_MAX})",
            )
        )
    for key in sorted(raw.keys() - _KNOWN_KEYS):
        problems.append(Problem(file, label, f"unknown key {key!r}"))
    follow_ups = tuple(raw["follow_ups"]) if _text_list(raw.get("follow_ups")) else ()
    if len(problems) > found:
        return _Located(file, label, entry_id or None, follow_ups, None)
    entry = Entry(
        id=raw["id"].strip(),
        question=raw["question"].strip(),
        answer=reflow(raw["answer"]),
        alternates=tuple(raw.get("alternates", [])),
        tags=tuple(raw.get("tags", [])),
        follow_ups=follow_ups,
        audience=frozenset(raw.get("audience", [])),
    )
    return _Located(file, label, entry.id, follow_ups, entry)


def _read_file(file: Path, problems: list[Problem]) -> list[_Located]:
    name = str(file)
    try:
        document = yaml.load(file.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except OSError as error:
        problems.append(Problem(name, None, f"cannot be read ({error.strerror})"))
        return []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problems.append(Problem(name, None, f"is not valid YAML{where}"))
        return []
    if document is None:
        return []
    if not isinstance(document, list):
        problems.append(Problem(name, None, "must be a list of entries"))
        return []
    located = []
    for index, raw in enumerate(document):
        label = f"#{index + 1}"
        if not isinstance(raw, dict):
            problems.append(Problem(name, label, "is not a mapping of keys to values"))
            continue
        located.append(_parse_entry(raw, name, str(raw.get("id") or label), problems))
    return located


def check_lines(path: Path, problems: Sequence[Problem]) -> list[str]:
    """The problems as `cedp-bot kb check` prints them: one a line, then how many and where."""
    return [*(str(problem) for problem in problems), f"{len(problems)} problem(s) in {path}"]


def check_knowledge(path: Path) -> tuple[list[Entry], list[Problem]]:
    """Every entry that parsed, and every problem found across the files, all in one pass."""
    problems: list[Problem] = []
    if not path.exists():
        return [], [Problem(str(path), None, "does not exist")]
    located = [item for file in yaml_files(path) for item in _read_file(file, problems)]
    seen: dict[str, str] = {}
    for item in located:
        if item.id is None:
            continue
        if item.id in seen:
            problems.append(
                Problem(item.file, item.label, f"duplicate id (also in {seen[item.id]})")
            )
        seen.setdefault(item.id, item.file)
    for item in located:
        for follow_up in item.follow_ups:
            if follow_up not in seen:
                problems.append(
                    Problem(item.file, item.label, f"unknown follow-up id {follow_up!r}")
                )
    if not located and not problems:
        problems.append(Problem(str(path), None, "holds no entries"))
    return [item.entry for item in located if item.entry is not None], problems


@contextmanager
def bulk_build() -> Iterator[None]:
    """Build a large, long-lived index without the garbage collector rescanning it.

    Creating about a million objects would otherwise trigger many full collections; afterwards
    the survivors are frozen into the permanent generation, so later collections (pauses in the
    middle of answering a question) do not walk them either.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect()
        gc.freeze()


def load_knowledge(path: Path, encoder: SentenceEncoder | None = None) -> KnowledgeBase:
    """A knowledge base, or KnowledgeError listing everything that is wrong."""
    with bulk_build():
        entries, problems = check_knowledge(path)
        if problems:
            raise KnowledgeError(problems)
        return KnowledgeBase(entries, encoder)
