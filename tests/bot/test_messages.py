"""What a person types becomes a clean command or text, whatever the platform sent."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.messages import (
    Choice,
    ChoicePress,
    Choices,
    CommandMessage,
    Conversation,
    Edit,
    InboundEvent,
    Sender,
    Text,
    TextMessage,
    clean_text,
    in_place,
    parse_text,
)


def test_a_command_with_arguments() -> None:
    assert parse_text("/join  ABCD-EFGH ") == CommandMessage("join", ("ABCD-EFGH",))


def test_command_names_ignore_case_and_a_bot_mention() -> None:
    assert parse_text("/START@cedp_bot") == CommandMessage("start")


def test_a_slash_without_a_name_is_text() -> None:
    assert parse_text("/ what?") == TextMessage("/ what?")
    assert parse_text("/123") == TextMessage("/123")


def test_control_characters_are_dropped_but_lines_kept() -> None:
    assert clean_text("\x00hello\x07\r\nthere\t!\x1b") == "hello\nthere\t!"


def test_unicode_is_normalised_so_lookalikes_compare_equal() -> None:
    assert clean_text("cafe\u0301") == "café"


@given(st.text(max_size=500))
def test_parsing_never_fails_and_never_keeps_control_characters(raw: str) -> None:
    parsed = parse_text(raw)
    text = parsed.text if isinstance(parsed, TextMessage) else " ".join(parsed.args)
    assert all(ch in "\n\t" or ord(ch) >= 32 for ch in text)
    assert not any(0x7F <= ord(ch) < 0xA0 for ch in text)


def test_the_next_screen_replaces_the_pressed_message_or_is_a_new_one() -> None:
    sender, where = Sender("test", "u1", "U"), Conversation("test", "u1")
    pressed = InboundEvent(sender, where, ChoicePress("x", message_id="m7"))
    typed = InboundEvent(sender, where, TextMessage("hello"))
    option = Choice("OK", "ok")

    assert in_place(pressed, "next", [option]) == Edit("m7", "next", (option,))
    assert in_place(typed, "next", [option]) == Choices("next", (option,))
    assert in_place(typed, "done") == Text("done")
