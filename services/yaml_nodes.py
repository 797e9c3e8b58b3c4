"""Reading a YAML file staff wrote, from its node tree, so each problem can name its line.

Every value is read as the text it is written as (a bio of `yes` stays "yes"). The coaches file
(services/coaching_import.py) and check-in definitions (services/pulse_file.py) share these.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
NULL = "tag:yaml.org,2002:null"


class BadYaml(ValueError):
    """The text is not YAML at all; `line` is where reading stopped (1-based)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"is not valid YAML: {reason}")
        self.line = line


def compose(text: str) -> Node | None:
    """The node tree of `text` (None when it is empty), or `BadYaml`."""
    try:
        return yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise BadYaml(line, getattr(error, "problem", None) or "cannot be read") from None


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


def text_of(node: Node) -> str:
    if not isinstance(node, ScalarNode):
        raise ValueError("must be one value, not a list or a mapping")
    return str(node.value).strip()


class BadItem(ValueError):
    """A list item is wrong: the problem is reported at its own line."""

    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node


def bounded(limit: int, what: str, *, may_be_empty: bool = False) -> Callable[[str], str]:
    def check(text: str) -> str:
        if not text and not may_be_empty:
            raise ValueError(f"{what} is empty")
        if len(text) > limit:
            raise ValueError(f"{what} is longer than {limit} characters")
        return text

    return check


def choice_of(kind: type[StrEnum]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return kind(" ".join(text.lower().split()))
        except ValueError:
            raise ValueError(
                f"{text!r} is not one of {' | '.join(member.value for member in kind)}"
            ) from None

    return parse


def distinct(parse: Callable[[str], Any]) -> Callable[[Node], tuple[str, ...]]:
    """A list whose items each `parse` checks (and normalises), none listed twice."""

    def read(node: Node) -> tuple[str, ...]:
        if not isinstance(node, SequenceNode):
            raise ValueError('must be a list, e.g. ["a", "b"]')
        items: list[str] = []
        for item in node.value:
            try:
                text = str(parse(text_of(item)))
            except ValueError as error:
                raise BadItem(item, str(error)) from None
            if text in items:
                raise BadItem(item, f"{text!r} is listed twice")
            items.append(text)
        return tuple(items)

    return read


def one(parse: Callable[[str], Any]) -> Callable[[Node], Any]:
    return lambda node: parse(text_of(node))
