"""`kb export-alternates` writes database alternates into the YAML in place: comments and layout
stay, nothing is written twice, and the result loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.settings import SHIPPED_KNOWLEDGE
from knowledge.base import check_knowledge
from services.alternates_file import ExportError, export_alternates, with_alternates, yaml_scalar

FILE = """\
# The programme, in brief.

- id: one
  question: First?  # asked most
  answer: The first answer.
  tags: [a]

- id: two
  question: Second?
  alternates:
    - Another way to ask
    # people type this one too
    - 2nd?
  answer: |
    The second answer,
    on two lines.

- id: three
  question: Third?
  alternates: [Short form]
  answer: Three.
"""


def test_new_phrasings_end_the_list_and_every_other_line_stays() -> None:
    new, written = with_alternates(
        FILE, {"two": ["second: which?", "2ND?"], "one": ["yes"], "three": ["a, b"]}
    )
    assert written == {"two": ["second: which?"], "one": ["yes"], "three": ["a, b"]}
    assert new == FILE.replace(
        "  question: First?  # asked most\n",
        "  question: First?  # asked most\n  alternates:\n    - 'yes'\n",
    ).replace("    - 2nd?\n", "    - 2nd?\n    - 'second: which?'\n").replace(
        "[Short form]", '[Short form, "a, b"]'
    )


def test_exporting_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kb.yaml"
    path.write_text(FILE, encoding="utf-8")
    alternates = [("two", "second one please"), ("one", "the first"), ("gone", "orphan")]
    first = export_alternates(path, alternates)
    assert first.written == {"two": ["second one please"], "one": ["the first"]}
    assert first.files == [path] and first.unknown == {"gone": 1}
    text = path.read_text(encoding="utf-8")
    second = export_alternates(path, alternates)
    assert second.count == 0 and second.files == [] and path.read_text(encoding="utf-8") == text
    entries, problems = check_knowledge(path)
    assert problems == []
    assert {e.id: e.alternates for e in entries}["two"][-1] == "second one please"


@pytest.mark.parametrize(
    "text", ["yes", "no: really", "- a dash", "#hashtag", "it's «quoted»", "100%", "[x]", "@me"]
)
def test_any_text_is_written_so_that_it_reads_back_as_itself(text: str) -> None:
    assert yaml.load(f"- {yaml_scalar(text)}", Loader=yaml.BaseLoader) == [text]


def test_the_shipped_base_takes_an_export_and_still_passes_kb_check(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, folder)
    before, _ = check_knowledge(folder)
    ids = [entry.id for entry in before[:5]]
    exported = export_alternates(
        folder, [(entry_id, f"{entry_id}: asked «my way»") for entry_id in ids]
    )
    assert exported.count == 5
    after, problems = check_knowledge(folder)
    assert problems == []
    by_id = {entry.id: entry for entry in after}
    for entry in before:
        added = (f"{entry.id}: asked «my way»",) if entry.id in ids else ()
        assert by_id[entry.id].alternates == entry.alternates + added
        assert by_id[entry.id].answer == entry.answer


def test_a_file_that_cannot_take_them_changes_no_file(tmp_path: Path) -> None:
    good, bad = tmp_path / "a.yaml", tmp_path / "b.yaml"
    good.write_text(FILE, encoding="utf-8")
    bad.write_text("- id: four\n  question: Four?\n  alternates: none\n  answer: x\n", "utf-8")
    with pytest.raises(ExportError, match=r"b\.yaml: entry four: its alternates are not a list"):
        export_alternates(tmp_path, [("one", "first one"), ("four", "fourth")])
    assert good.read_text(encoding="utf-8") == FILE
