"""What a person types becomes a clean command or text, whatever the platform sent."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.messages import CommandMessage, TextMessage, clean_text, parse_text


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
