"""Knowledge bases load from a file or a folder, and every problem is reported plainly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.router import RouteTable
from bot.settings import SHIPPED_KNOWLEDGE
from handlers import all_routers
from knowledge.base import KnowledgeError, check_knowledge, load_knowledge, reflow

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "faq-eval" / "knowledge.yaml"
COMMAND = re.compile(r"(?<![\w/])/([a-z]+)")  # a chat command named in an answer

GOOD = """
- id: one
  question: First?
  answer: The first answer.
  tags: [a]
  follow_ups: [two]
- id: two
  question: Second?
  alternates: [Another way to ask]
  answer: The second answer.
  tags: []
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_knowledge_base_is_valid_and_substantial() -> None:
    knowledge = load_knowledge(SHIPPED_KNOWLEDGE)
    assert len(knowledge) >= 25
    topics = {tag for entry in knowledge.entries.values() for tag in entry.tags}
    assert {"coaching", "mentoring", "privacy"} <= topics


def test_every_shipped_entry_is_asked_at_least_eight_other_ways() -> None:
    """People ask in fragments, typos and long messages: each entry carries that many phrasings
    besides its question, what moved matching most (issue 14)."""
    knowledge = load_knowledge(SHIPPED_KNOWLEDGE)
    short = {e.id: len(e.alternates) for e in knowledge.entries.values() if len(e.alternates) < 8}
    assert not short


def test_the_shipped_answers_are_true_to_what_the_bot_does_today() -> None:
    knowledge = load_knowledge(SHIPPED_KNOWLEDGE)
    answers = {entry.id: entry.answer for entry in knowledge.entries.values()}

    platforms = knowledge.match("Can I use the information line on Telegram or Slack?").answer
    assert platforms is not None and platforms.entry.answer.startswith("Yes, on both.")
    assert "/link" in platforms.entry.answer
    assert [i for i, answer in answers.items() if "being connected" in answer] == []
    assert answers["broadcasts-what"].startswith("Yes.")  # broadcasts work
    # Every capability is built now (data rights came last): no answer says one is coming.
    coming = ("not available yet", "not in the information line yet", "being built")
    assert [i for i, answer in answers.items() if any(words in answer for words in coming)] == []
    commands = {name for answer in answers.values() for name in COMMAND.findall(answer)}
    assert commands <= RouteTable(all_routers()).command_names() | {"cedp"}


@pytest.mark.skipif(not SAMPLE.exists(), reason="the shared sample sits beside the repository")
def test_the_shared_sample_loads() -> None:
    assert len(load_knowledge(SAMPLE)) == 79


def test_a_single_file_or_a_folder_of_files(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", GOOD)
    _write(tmp_path, "b.yml", "- id: three\n  question: Third?\n  answer: Yes.\n")
    assert len(load_knowledge(tmp_path / "a.yaml")) == 2
    assert sorted(load_knowledge(tmp_path).entries) == ["one", "three", "two"]


def test_problems_name_the_file_the_entry_and_what_is_wrong(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", GOOD)
    _write(
        tmp_path,
        "b.yaml",
        """
- id: one
  question: Duplicate?
  answer: Again.
- id: empty
  question: No answer?
  answer: "  "
- id: dangling
  question: Points nowhere?
  answer: Yes.
  follow_ups: [missing-entry]
- id: typo
  question: Misspelt key?
  answer: Yes.
  tagz: [x]
- id: Not A Slug
  question: Bad id?
  answer: Yes.
- just a string
""",
    )
    _, problems = check_knowledge(tmp_path)
    messages = {str(problem).replace(str(tmp_path) + "/", "") for problem in problems}
    assert messages == {
        "b.yaml: entry one: duplicate id (also in a.yaml)",
        "b.yaml: entry empty: missing answer",
        "b.yaml: entry dangling: unknown follow-up id 'missing-entry'",
        "b.yaml: entry typo: unknown key 'tagz'",
        "b.yaml: entry Not A Slug: id must be lower-case letters, digits and dashes (at most 32)",
        "b.yaml: entry #6: is not a mapping of keys to values",
    }


def test_one_pass_lists_every_problem_even_in_an_entry_with_several(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "a.yaml",
        """
- id: tangled
  question: Several things wrong?
  tagz: [x]
  follow_ups: [missing-entry]
- id: pointer
  question: Points at a broken entry?
  answer: Yes.
  follow_ups: [tangled, also-missing]
- id: tangled
  question: And a duplicate?
  answer: Yes.
""",
    )

    _, problems = check_knowledge(tmp_path)

    assert {str(problem).replace(str(tmp_path) + "/", "") for problem in problems} == {
        "a.yaml: entry tangled: missing answer",
        "a.yaml: entry tangled: unknown key 'tagz'",
        "a.yaml: entry tangled: unknown follow-up id 'missing-entry'",
        "a.yaml: entry pointer: unknown follow-up id 'also-missing'",
        "a.yaml: entry tangled: duplicate id (also in a.yaml)",
    }
    assert len(problems) == 5


def test_broken_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    _write(tmp_path, "broken.yaml", "- id: a\n  question: ok\n  answer: [unclosed\n- id: b\n")
    _, problems = check_knowledge(tmp_path)
    assert len(problems) == 1
    assert "broken.yaml: is not valid YAML at line" in str(problems[0])


def test_load_refuses_a_base_with_problems(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "id: not-a-list\n")
    with pytest.raises(KnowledgeError, match="must be a list of entries"):
        load_knowledge(tmp_path)
    with pytest.raises(KnowledgeError, match="does not exist"):
        load_knowledge(tmp_path / "nowhere")
    with pytest.raises(KnowledgeError, match="holds no entries"):
        load_knowledge(_write(tmp_path, "empty.yaml", ""))


def test_reflow_joins_wrapped_lines_but_keeps_paragraphs_and_lists() -> None:
    text = "One line\nwrapped here.\n\nA list:\n- first\n- second\n1. numbered\n"
    assert reflow(text) == "One line wrapped here.\n\nA list:\n- first\n- second\n1. numbered"
