"""A check-in definition as staff write it in YAML: the format of issue 13, which scripts and
tests rely on, shown by `EXAMPLE` (the issue's own). An optional `breakdown: [TAG, ...]` names
the tags whose groups results may compare. Every problem names the file and its line. Times
without an offset are read as UK time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.parsing import parse_tags, parse_time
from domain.errors import Refusal
from domain.notices import DEFAULT_TIMEZONE
from domain.pulse import Definition, Question, QuestionKind
from services.yaml_nodes import (
    NULL,
    BadYaml,
    bounded,
    choice_of,
    compose,
    distinct,
    line_of,
    one,
)

TITLE_MAX = 200
QUESTION_MAX = 300  # fits a button message comfortably on every platform
OPTION_MAX = 40  # one button's label
MAX_QUESTIONS = 12
MAX_OPTIONS = 8
QUESTION_ID = re.compile(r"[a-z][a-z0-9_-]{0,39}")
UK = ZoneInfo(DEFAULT_TIMEZONE)


EXAMPLE = """\
title: December check-in
segment: [new-ceo]            # member tags; empty or absent = every member
opens: 2026-12-07T09:00+00:00
closes: 2026-12-14T17:00+00:00
questions:
  - id: wellbeing
    text: How are you finding the role this month?
    kind: scale               # 1 to 5
    labels: [Very hard, Hard, Manageable, Good, Very good]
  - id: isolated
    text: Have you felt isolated in the last month?
    kind: yesno
  - id: need
    text: What would help you most right now?
    kind: choice
    options: [Coaching, Peer support, Skills courses, Nothing right now]
  - id: comment
    text: Anything else you would like the programme to know?
    kind: text                # optional free text
"""


class DefinitionRefused(Refusal):
    """The definition has problems; each is `FILE:LINE: what is wrong` (from a file) or just
    what is wrong (from `definition_of`)."""

    def __init__(self, problems: Sequence[str]) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__("\n".join([f"no check-in was created; {count}:", *problems]))
        self.problems = list(problems)


def _tag(text: str) -> str:
    tags = parse_tags(text)
    if len(tags) != 1:
        raise ValueError(f"{text!r} is not one tag")
    return tags[0]


def _question_id(text: str) -> str:
    if not QUESTION_ID.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a question id: lower-case letters, digits, - and _, "
            "starting with a letter, at most 40"
        )
    return text


def _anonymous(text: str) -> bool:
    if text.lower() not in {"true", "yes", "on"}:
        raise ValueError(
            "check-ins are always anonymous: answers are kept with no link to who gave them, "
            "and that cannot be switched off"
        )
    return True


_TOP: dict[str, Callable[[Node], Any]] = {
    "title": one(bounded(TITLE_MAX, "the title")),
    "segment": distinct(_tag),
    "breakdown": distinct(_tag),
    "opens": one(lambda text: parse_time(text, UK)),
    "closes": one(lambda text: parse_time(text, UK)),
    "anonymous": one(_anonymous),
}
_QUESTION: dict[str, Callable[[Node], Any]] = {
    "id": one(_question_id),
    "text": one(bounded(QUESTION_MAX, "the question")),
    "kind": one(choice_of(QuestionKind)),
    "labels": distinct(bounded(OPTION_MAX, "a label")),
    "options": distinct(bounded(OPTION_MAX, "an option")),
}
_REQUIRED_TOP = ("title", "opens", "closes", "questions")


class _Problems:
    """Problems found so far, each at `source` and its line; with no source, the message
    alone (a document built in memory has no lines anyone could look at)."""

    def __init__(self, source: str | None) -> None:
        self.source = source
        self.found: list[str] = []

    def where(self, line: int) -> str:
        return "" if self.source is None else f"{self.source}:{line}: "

    def at(self, node: Node, message: str) -> None:
        self.found.append(f"{self.where(line_of(node))}{message}")


def _read_mapping(
    node: MappingNode,
    fields: dict[str, Callable[[Node], Any]],
    problems: _Problems,
    label: str,
    extra: Sequence[str] = (),
) -> tuple[dict[str, Any], dict[str, Node]]:
    """The values of a mapping's keys, checked; the nodes of `extra` keys left to the caller."""
    values: dict[str, Any] = {}
    nodes: dict[str, Node] = {}
    for key_node, value in node.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key in values or key in nodes:
            problems.at(key_node, f"{label}{key} is given twice")
        elif key in extra:
            nodes[str(key)] = value
        elif key not in fields:
            known = ", ".join([*fields, *extra])
            problems.at(key_node, f"{label}unknown key {key!r}; the keys are {known}")
        elif value.tag != NULL:
            try:
                values[str(key)] = fields[str(key)](value)
            except ValueError as error:
                problems.at(getattr(error, "node", value), f"{label}{key}: {error}")
        if key in nodes or key in fields:
            nodes.setdefault(str(key), value)
    return values, nodes


def _question(node: Node, index: int, problems: _Problems) -> Question | None:
    if not isinstance(node, MappingNode):
        problems.at(node, f"question #{index} is not a mapping of keys to values")
        return None
    before = len(problems.found)
    values, nodes = _read_mapping(node, _QUESTION, problems, f"question #{index}: ")
    label = f"question {values.get('id', f'#{index}')!r}: "
    for key in ("id", "text", "kind"):
        if key not in values and key not in nodes:
            problems.at(node, f"{label}{key} is required")
    if len(problems.found) > before:
        return None
    kind: QuestionKind = values["kind"]
    labels: tuple[str, ...] = values.get("labels", ())
    options: tuple[str, ...] = values.get("options", ())
    wrong = {"labels": kind is not QuestionKind.SCALE, "options": kind is not QuestionKind.CHOICE}
    for key, is_wrong in wrong.items():
        if is_wrong and key in values:
            problems.at(
                nodes[key],
                f"{label}{key} are only for a {'scale' if key == 'labels' else 'choice'} question",
            )
    if kind is QuestionKind.SCALE and labels and len(labels) != 5:
        problems.at(nodes["labels"], f"{label}a scale has 5 labels, one for each of 1 to 5")
    if kind is QuestionKind.CHOICE and not 2 <= len(options) <= MAX_OPTIONS:
        problems.at(nodes.get("options", node), f"{label}a choice needs 2 to {MAX_OPTIONS} options")
    if len(problems.found) > before:
        return None
    shown = labels if kind is QuestionKind.SCALE else options
    return Question(values["id"], values["text"], kind, shown)


def _questions(node: Node, problems: _Problems) -> list[Question]:
    if not isinstance(node, SequenceNode) or not node.value:
        problems.at(node, "questions must be a list of at least one question (- id: ...)")
        return []
    if len(node.value) > MAX_QUESTIONS:
        problems.at(node, f"at most {MAX_QUESTIONS} questions: a check-in should take a minute")
    questions = []
    seen: dict[str, int] = {}
    for index, item in enumerate(node.value, start=1):
        question = _question(item, index, problems)
        if question is None:
            continue
        if question.id in seen:
            problems.at(
                item, f"question id {question.id!r} is also used at line {seen[question.id]}"
            )
        seen.setdefault(question.id, line_of(item))
        questions.append(question)
    return questions


def read_definition(text: str, source: str, now: datetime) -> Definition:
    """The check-in a file defines, every part checked; `DefinitionRefused` lists every problem
    with `source` and its line."""
    return _read(text, _Problems(source), now)


def definition_of(document: Mapping[str, Any], now: datetime) -> Definition:
    """The check-in `document` defines: the structure the file holds (as the console's form
    builds it), written out as YAML and read by the very checks a file goes through, so a form
    cannot accept what a file may not. Problems name no line: there is no file to look in."""
    text = yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True)
    return _read(text, _Problems(None), now)


def _read(text: str, problems: _Problems, now: datetime) -> Definition:
    try:
        document = compose(text)
    except BadYaml as error:
        raise DefinitionRefused([f"{problems.where(error.line)}{error}"]) from None
    if not isinstance(document, MappingNode):
        line = line_of(document) if document is not None else 1
        raise DefinitionRefused(
            [f"{problems.where(line)}must be a check-in (title: ..., questions: ...)"]
        )
    values, nodes = _read_mapping(document, _TOP, problems, "", extra=("questions",))
    for key in _REQUIRED_TOP:
        if key not in values and key not in nodes:
            problems.at(document, f"{key} is required")
    questions = _questions(nodes["questions"], problems) if "questions" in nodes else []
    opens: datetime | None = values.get("opens")
    closes: datetime | None = values.get("closes")
    if opens is not None and closes is not None:
        if closes <= opens:
            problems.at(nodes["closes"], "closes must be after opens")
        elif closes <= now:
            problems.at(nodes["closes"], "closes is in the past: nobody could answer")
    if problems.found:
        raise DefinitionRefused(problems.found)
    assert opens is not None and closes is not None
    return Definition(
        title=values["title"],
        opens=opens,
        closes=closes,
        questions=tuple(questions),
        segment=values.get("segment", ()),
        breakdown=values.get("breakdown", ()),
    )
