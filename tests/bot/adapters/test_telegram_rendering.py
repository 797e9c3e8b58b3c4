"""Replies as Telegram messages: long texts split before they become HTML, so no piece ever
holds half a tag; staff's markup becomes <b> and <i>, anything else is escaped as typed."""

from __future__ import annotations

from telegram.constants import MessageLimit

from bot.adapters.telegram import render
from bot.messages import Choice


def test_a_long_formatted_text_splits_between_whole_spans() -> None:
    paragraph = "*Bold words* and _italic ones_ & more, " * 20
    messages = render("\n\n".join([paragraph] * 8), (Choice("Yes", "p:1"),), markup=True)
    assert len(messages) > 1
    for message in messages:
        assert len(message.text) <= MessageLimit.MAX_TEXT_LENGTH
        assert (
            message.html.count("<b>") == message.html.count("</b>") == message.text.count("*") // 2
        )
        assert message.html.count("<i>") == message.html.count("</i>")
    assert [message.keyboard is not None for message in messages] == [False] * (
        len(messages) - 1
    ) + [True]


def test_without_markup_the_marks_are_sent_as_typed() -> None:
    [message] = render("*as typed* & <b>")
    assert message.html == "*as typed* &amp; &lt;b&gt;"
    [formatted] = render("*as typed* & <b>", markup=True)
    assert formatted.html == "<b>as typed</b> &amp; &lt;b&gt;"
