"""The live knowledge source: alternates staff added are merged; a broken edit never goes live."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.base import Entry, KnowledgeError
from knowledge.source import KnowledgeSource, merge_alternates

GOOD = "- id: one\n  question: First?\n  answer: The first answer.\n"


def test_alternates_join_their_entry_and_orphans_are_ignored() -> None:
    entries = [Entry("one", "First?", "A."), Entry("two", "Second?", "B.", alternates=("2nd?",))]
    merged = merge_alternates(entries, [("two", "number two?"), ("gone", "whatever")])
    assert merged[0] is entries[0]
    assert merged[1].alternates == ("2nd?", "number two?")


def test_an_alternate_the_entry_already_has_is_not_added_twice() -> None:
    """Kept in the database after `kb export-alternates` wrote it into the YAML, or added twice
    in other case or spacing: one phrasing either way."""
    entries = [Entry("two", "Second?", "B.", alternates=("Number two?",))]
    merged = merge_alternates(
        entries,
        [("two", "number  two?"), ("two", "the 2nd"), ("two", "The 2nd "), ("two", "SECOND?")],
    )
    assert merged[0].alternates == ("Number two?", "the 2nd")
    assert merge_alternates(entries, [("two", "number two?")])[0] is entries[0]


def test_a_first_load_with_problems_raises(tmp_path: Path) -> None:
    (tmp_path / "kb.yaml").write_text("- id: x\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="missing question"):
        KnowledgeSource(tmp_path).load([], (0, 0))


def test_staleness_follows_files_and_alternates(tmp_path: Path) -> None:
    file = tmp_path / "kb.yaml"
    file.write_text(GOOD, encoding="utf-8")
    source = KnowledgeSource(tmp_path)
    outcome = source.load([], (0, 0))
    assert outcome.reloaded and outcome.entries == 1
    assert not source.is_stale((0, 0))
    assert source.is_stale((1, 7))  # staff added an alternate
    file.write_text(GOOD + "- id: two\n  question: Second?\n  answer: Yes.\n", encoding="utf-8")
    assert source.is_stale((0, 0))


def test_a_broken_edit_keeps_the_previous_version(tmp_path: Path) -> None:
    file = tmp_path / "kb.yaml"
    file.write_text(GOOD, encoding="utf-8")
    source = KnowledgeSource(tmp_path)
    source.load([], (0, 0))
    file.write_text("- id: one\n  question: [broken\n", encoding="utf-8")
    outcome = source.load([], (0, 0))
    assert not outcome.reloaded and outcome.problems
    assert list(source.current.entries) == ["one"]
    assert not source.is_stale((0, 0))  # the broken version was seen: no repeated alarms
