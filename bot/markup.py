"""The light markup staff write in a broadcast: `*bold*`, `_italic_`, and "- " bullets.

One parser reads a text into lines of spans; each platform's rendering is a function of those
spans, so Telegram, Slack, the terminal and the console's preview always agree on what is bold.
A marker counts only at a word's edge and within one line, spans never nest, and anything
unmatched stays as typed: "2*3*4" and "snake_case_name" are plain text.
"""

from __future__ import annotations

import html as html_escaping
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

BULLET = "• "
BULLET_MARKS = ("- ", "* ")
OPENING_QUOTES = "\"'"  # ASCII quotes are not Unicode "initial" punctuation, yet open a phrase


class Style(StrEnum):
    """What a marker means; its value is the marker staff type."""

    BOLD = "*"
    ITALIC = "_"


MARKERS = frozenset(style.value for style in Style)


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text, bold, italic or (style None) as it is."""

    text: str
    style: Style | None = None


@dataclass(frozen=True, slots=True)
class Line:
    spans: tuple[Span, ...]
    bullet: bool = False


def parse(text: str) -> list[Line]:
    """The text as lines of spans: the one reading every rendering below shares."""
    lines = []
    for line in text.split("\n"):
        bullet = line.startswith(BULLET_MARKS)
        body = line[len(BULLET_MARKS[0]) :] if bullet else line
        lines.append(Line(tuple(_spans(body)), bullet))
    return lines


def _spans(line: str) -> list[Span]:
    """Left to right: a marker that can open, closed by the first of its kind that can close;
    an opener with no closer is text."""
    spans: list[Span] = []
    plain_from = index = 0
    while index < len(line):
        closing = _closing(line, index) if _opens(line, index) else None
        if closing is None:
            index += 1
            continue
        if plain_from < index:
            spans.append(Span(line[plain_from:index]))
        spans.append(Span(line[index + 1 : closing], Style(line[index])))
        plain_from = index = closing + 1
    if plain_from < len(line):
        spans.append(Span(line[plain_from:]))
    return spans


def _opens(line: str, index: int) -> bool:
    """A marker after the start, a space or opening punctuation, and before a non-space."""
    if line[index] not in MARKERS:
        return False
    before = line[index - 1] if index else " "
    after = line[index + 1] if index + 1 < len(line) else " "
    opening = before.isspace() or unicodedata.category(before) in {"Ps", "Pi"}
    return (opening or before in OPENING_QUOTES) and not after.isspace()


def _closing(line: str, start: int) -> int | None:
    """Where the span opened at `start` closes: the same marker after a non-space and before
    the end, a space or punctuation, with something in between; None when nothing closes it."""
    marker = line[start]
    index = line.find(marker, start + 2)
    while index != -1:
        after = line[index + 1] if index + 1 < len(line) else " "
        closes = after.isspace() or unicodedata.category(after).startswith("P")
        if closes and not line[index - 1].isspace():
            return index
        index = line.find(marker, index + 1)
    return None


def _render(text: str, escape: Callable[[str], str], styled: dict[Style, tuple[str, str]]) -> str:
    """Each line's bullet and spans, with the text escaped and each style wrapped as given."""
    rendered = []
    for line in parse(text):
        parts = [BULLET] if line.bullet else []
        for span in line.spans:
            before, after = styled[span.style] if span.style else ("", "")
            parts.append(f"{before}{escape(span.text)}{after}")
        rendered.append("".join(parts))
    return "\n".join(rendered)


def _html_escape(text: str) -> str:
    return html_escaping.escape(text, quote=False)


def slack_escape(text: str) -> str:
    """Text as Slack mrkdwn shows it literally: only &, < and > are special."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_HTML = {Style.BOLD: ("<b>", "</b>"), Style.ITALIC: ("<i>", "</i>")}
_SLACK = {Style.BOLD: ("*", "*"), Style.ITALIC: ("_", "_")}
_PLAIN = {Style.BOLD: ("", ""), Style.ITALIC: ("", "")}


def telegram_html(text: str) -> str:
    """For Telegram's parse_mode HTML: everything escaped, then <b> and <i> only."""
    return _render(text, _html_escape, _HTML)


def slack_mrkdwn(text: str) -> str:
    """Slack's own *bold* and _italic_, with &, < and > escaped as Slack requires."""
    return _render(text, slack_escape, _SLACK)


def plain(text: str) -> str:
    """The markers removed, bullets kept: the terminal, and anywhere without formatting."""
    return _render(text, str, _PLAIN)


def html(text: str) -> str:
    """For a web page (the console's preview): the same escaped HTML Telegram is sent."""
    return telegram_html(text)
