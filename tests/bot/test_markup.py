"""Staff's light markup in a broadcast: *bold*, _italic_ and "- " bullets, read once and shown
by each platform in its own way; anything that is not clearly a marker stays as typed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.markup import html, plain, slack_mrkdwn, telegram_html


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("*Bring* a friend", "<b>Bring</b> a friend"),
        ("an _open_ space", "an <i>open</i> space"),
        ("*two words*, then _more_.", "<b>two words</b>, then <i>more</i>."),
        ("(*in brackets*) «_quoted_»", "(<b>in brackets</b>) «<i>quoted</i>»"),
        ('"*quoted*"', '"<b>quoted</b>"'),
        ("- one\n* two", "• one\n• two"),
        ("- *bold* item", "• <b>bold</b> item"),
        ("*not nested _here_*", "<b>not nested _here_</b>"),
        ("_snake_case_ name", "<i>snake_case</i> name"),
    ],
)
def test_markers_at_word_edges_become_bold_italic_and_bullets(typed: str, sent: str) -> None:
    assert telegram_html(typed) == sent


@pytest.mark.parametrize(
    "typed",
    [
        "2*3*4",
        "snake_case_name",
        "a * b * c",
        "*unclosed",
        "closed*",
        "**",
        "*spaced *",
        "a * spaced*",
        "*across\nlines*",
        "-not a bullet",
        " - indented",
    ],
)
def test_anything_unmatched_stays_as_typed(typed: str) -> None:
    assert telegram_html(typed) == typed
    assert slack_mrkdwn(typed) == typed
    assert plain(typed) == typed


def test_telegram_gets_everything_escaped_and_only_its_own_tags() -> None:
    assert telegram_html("Fish & chips <b>at 6</b>") == "Fish &amp; chips &lt;b&gt;at 6&lt;/b&gt;"
    assert telegram_html("*<i>*") == "<b>&lt;i&gt;</b>"


def test_slack_gets_its_own_marks_with_its_three_characters_escaped() -> None:
    assert slack_mrkdwn("*Bring* _a_ friend & <@U123>") == "*Bring* _a_ friend &amp; &lt;@U123&gt;"
    assert slack_mrkdwn("- one\n- two") == "• one\n• two"


def test_plain_drops_the_marks_and_keeps_the_bullets() -> None:
    assert plain("*Bring* a _friend_ <b>\n- one") == "Bring a friend <b>\n• one"


def test_the_console_preview_shows_what_telegram_is_sent() -> None:
    typed = "*Bring* a friend & <b>\n- one"
    assert html(typed) == telegram_html(typed)


class Reading(HTMLParser):
    """Telegram's view of the HTML: the tags opened and closed, and the text shown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.tags: set[str] = set()
        self.text = ""
        self.balanced = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.balanced = self.balanced and not self.open  # never nested either
        self.open.append(tag)
        self.tags.add(tag)

    def handle_endtag(self, tag: str) -> None:
        self.balanced = self.balanced and bool(self.open) and self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text += data


texts = st.text(alphabet=st.sampled_from(list("ab *_-\n<>&\"'(.,é")) | st.characters(), max_size=80)


@given(texts)
def test_telegram_html_is_balanced_b_and_i_showing_the_plain_text(typed: str) -> None:
    reading = Reading()
    reading.feed(telegram_html(typed))
    reading.close()
    assert reading.balanced and not reading.open
    assert reading.tags <= {"b", "i"}
    assert reading.text == plain(typed)


@given(st.text().filter(lambda text: not re.search(r"[*_]|^- |\n- ", text)))
def test_text_without_markers_is_unchanged_by_plain(typed: str) -> None:
    assert plain(typed) == typed


@given(texts)
def test_slack_mrkdwn_never_holds_an_unescaped_special_character(typed: str) -> None:
    shown = slack_mrkdwn(typed)
    assert "<" not in shown and ">" not in shown
    assert re.search(r"&(?!amp;|lt;|gt;)", shown) is None
