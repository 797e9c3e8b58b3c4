"""Writing the alternates staff added in the database back into the knowledge base's YAML, in
place: each new phrasing becomes one more `- text` line at the end of its entry's `alternates:`
list (a list is opened after `question:` when the entry has none), and every other byte of the
file, comments and layout included, stays as it was. A phrasing the entry already has is not
written again, so exporting twice changes nothing.

Each file's new text is read back with the loader's own YAML reader and must give every entry
exactly its old alternates plus the new ones before it replaces the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from knowledge.base import phrasing_key, yaml_files

_READER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # as knowledge/base.py reads entries


class ExportError(ValueError):
    """A file that cannot take its alternates; the message names it and says why."""


@dataclass
class Exported:
    """What an export wrote: phrasings per entry id, the files changed, and the alternates of
    entries that no file holds."""

    written: dict[str, list[str]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    unknown: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(texts) for texts in self.written.values())


def yaml_scalar(text: str) -> str:
    """`text` as a YAML block-list item takes it: plain when it can be, quoted when it must."""
    dumped = yaml.safe_dump(text, allow_unicode=True, width=float("inf"))
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def _field(entry: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    for key_node, value in entry.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value
    return None


def _next_line(text: str, node: Node) -> int:
    """Where the line after `node` starts (a block scalar ends there already)."""
    end = node.end_mark
    if end.column == 0:
        return end.index
    newline = text.find("\n", end.index)
    return len(text) if newline < 0 else newline + 1


def _insertion(entry: MappingNode, texts: Sequence[str], text: str, nl: str) -> tuple[int, str]:
    """Where and what to insert into the file `text` for `texts` to end this entry's list."""
    found = _field(entry, "alternates")
    if found is not None:
        _, items = found
        if not isinstance(items, SequenceNode):
            raise ExportError("its alternates are not a list")
        if items.flow_style:  # alternates: [a, b]
            quoted = ", ".join(json.dumps(text, ensure_ascii=False) for text in texts)
            closing = items.end_mark.index - 1
            return closing, (", " if items.value else "") + quoted
        if items.value:
            indent = " " * items.start_mark.column
            lines = "".join(f"{indent}- {yaml_scalar(text)}{nl}" for text in texts)
            return _next_line(text, items.value[-1]), lines
    question = _field(entry, "question")
    if question is None:
        raise ExportError("it has no question")
    key, value = question
    indent = " " * key.start_mark.column
    lines = f"{indent}alternates:{nl}" + "".join(
        f"{indent}  - {yaml_scalar(text)}{nl}" for text in texts
    )
    return _next_line(text, value), lines


def _compose(text: str) -> Node | None:
    """The node tree, by the pure-Python parser: its marks count characters, which is what
    the insertions index the text by."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ExportError(f"is not valid YAML{where}") from None


def _entries(root: Node | None) -> dict[str, MappingNode]:
    if not isinstance(root, SequenceNode):
        return {}
    found = {}
    for item in root.value:
        if isinstance(item, MappingNode):
            id_field = _field(item, "id")
            if id_field is not None and isinstance(id_field[1], ScalarNode):
                found[str(id_field[1].value).strip()] = item
    return found


def _phrasings(entry: MappingNode) -> list[str]:
    texts = []
    question = _field(entry, "question")
    if question is not None and isinstance(question[1], ScalarNode):
        texts.append(str(question[1].value))
    alternates = _field(entry, "alternates")
    if alternates is not None and isinstance(alternates[1], SequenceNode):
        texts += [str(n.value) for n in alternates[1].value if isinstance(n, ScalarNode)]
    return texts


def with_alternates(
    text: str, additions: Mapping[str, Sequence[str]]
) -> tuple[str, dict[str, list[str]]]:
    """One file's text with `additions` (entry id -> phrasings) at the end of each entry's
    alternates, and what was written per entry; entries this file lacks are left alone."""
    if text and not text.endswith("\n"):
        text += "\n"
    entries = _entries(_compose(text))
    nl = "\r\n" if "\r\n" in text else "\n"
    written: dict[str, list[str]] = {}
    inserts = []
    for entry_id, texts in additions.items():
        node = entries.get(entry_id)
        if node is None:
            continue
        seen = {phrasing_key(phrasing) for phrasing in _phrasings(node)}
        new = []
        for added in texts:
            if phrasing_key(added) not in seen:
                seen.add(phrasing_key(added))
                new.append(added)
        if new:
            try:
                inserts.append(_insertion(node, new, text, nl))
            except ExportError as error:
                raise ExportError(f"entry {entry_id}: {error}") from None
            written[entry_id] = new
    for offset, insert in sorted(inserts, key=lambda item: item[0], reverse=True):
        text = text[:offset] + insert + text[offset:]
    return text, written


def _alternates_as_read(text: str) -> dict[str, list[str]]:
    document = yaml.load(text, Loader=_READER) or []
    return {
        str(raw["id"]).strip(): list(raw.get("alternates") or [])
        for raw in document
        if isinstance(raw, dict) and "id" in raw
    }


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.export")
    temporary.write_text(text, encoding="utf-8", newline="")
    temporary.replace(path)


def export_alternates(path: Path, alternates: Iterable[tuple[str, str]]) -> Exported:
    """Write `alternates` ((entry id, text) pairs) into the YAML file or folder at `path`."""
    wanted: dict[str, list[str]] = {}
    for entry_id, text in alternates:
        wanted.setdefault(entry_id, []).append(text)
    outcome = Exported()
    placed: set[str] = set()
    changed: list[tuple[Path, str]] = []
    for file in yaml_files(path):  # every file is checked before any is written
        try:
            old = file.read_text(encoding="utf-8")
            new, written = with_alternates(old, wanted)
        except (OSError, UnicodeDecodeError) as error:
            raise ExportError(f"{file}: cannot be read ({error})") from None
        except ExportError as error:
            raise ExportError(f"{file}: {error}") from None
        placed |= _alternates_as_read(old).keys()
        if not written:
            continue
        before, after = _alternates_as_read(old), _alternates_as_read(new)
        expected = {**before, **{e: before[e] + texts for e, texts in written.items()}}
        if after != expected:
            raise ExportError(f"{file}: the alternates would not read back as written")
        changed.append((file, new))
        outcome.written.update(written)
    for file, new in changed:
        _write(file, new)
        outcome.files.append(file)
    outcome.unknown = {e: len(t) for e, t in wanted.items() if e not in placed}
    return outcome
