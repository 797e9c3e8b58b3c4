"""Replies waiting in the inbox as JSON come back exactly as they were made, markup included;
rows stored before replies had `markup` still read (as plain text)."""

from __future__ import annotations

from bot.messages import Choice, Choices, Edit, File, Reply, Text
from bot.reply_codec import decode_replies, encode_replies


def test_every_kind_of_reply_round_trips_with_its_markup() -> None:
    options = (Choice("I'd like to attend", "bc:rsvp:1:0"),)
    replies: list[Reply] = [
        Text("*Bring* a friend", markup=True),
        Text("*as typed*"),
        Choices("*Bring* a friend", options, markup=True),
        Edit("42", "*Bring* a friend\n\nYour answer: yes.", options, markup=True),
        Edit(None, "plain"),
        File("session.ics", b"BEGIN:VCALENDAR", "text/calendar", "Your session"),
    ]
    assert decode_replies(encode_replies(replies)) == replies


def test_replies_stored_before_markup_existed_decode_as_plain_text() -> None:
    stored = [
        {"kind": "text", "text": "*as typed*"},
        {"kind": "choices", "text": "Pick", "options": [["Yes", "p:1"]]},
        {"kind": "edit", "message_id": "7", "text": "Done", "options": []},
    ]
    assert decode_replies(stored) == [
        Text("*as typed*"),
        Choices("Pick", (Choice("Yes", "p:1"),)),
        Edit("7", "Done"),
    ]
