"""Slack rendering: core replies to Block Kit, and what people type back to core content."""

from __future__ import annotations

from types import SimpleNamespace

from slack_sdk.errors import SlackApiError

from bot.adapters.slack import (
    LABEL_LIMIT,
    SECTION_LIMIT,
    address_of,
    blocks_for,
    from_slack,
    home_view,
    parse_address,
    render,
    retry_after,
    slash_content,
    without_mention,
)
from bot.messages import Choice, Choices, CommandMessage, File, Text, TextMessage

COMMANDS = frozenset({"start", "help", "join", "me"})


def action_ids(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_text_is_escaped_so_slack_shows_it_literally() -> None:
    (message,) = render("Fees < £5 & > £1 <@U123>")

    assert message.text == "Fees &lt; £5 &amp; &gt; £1 &lt;@U123&gt;"
    assert message.blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": message.text}}]


def test_long_text_becomes_several_sections_with_nothing_lost() -> None:
    paragraphs = [f"Paragraph {n}: " + "word " * 150 for n in range(20)]
    text = "\n\n".join(p.strip() for p in paragraphs)

    (message,) = render(text)

    sections = [block["text"]["text"] for block in message.blocks]
    assert len(sections) > 1
    assert all(len(section) <= SECTION_LIMIT for section in sections)
    assert "\n\n".join(sections) == text


def test_choices_are_buttons_after_the_text_with_unique_ids_and_payload_values() -> None:
    options = tuple(Choice(f"Option {n}", f"pick:{n}") for n in range(30))

    (message,) = render("Pick one", options)

    section, *actions = message.blocks
    assert section["type"] == "section"
    assert [len(block["elements"]) for block in actions] == [25, 5]  # 25 per actions block
    assert len(set(action_ids(message.blocks))) == 30
    values = [element["value"] for block in actions for element in block["elements"]]
    assert values == [option.payload for option in options]


def test_a_long_label_is_shortened_to_what_a_button_holds() -> None:
    (message,) = render("Pick", (Choice("x" * 100, "p"),))

    label = message.blocks[1]["elements"][0]["text"]["text"]
    assert len(label) == LABEL_LIMIT
    assert label.endswith("…")


def test_very_long_text_spreads_over_messages_of_at_most_fifty_blocks() -> None:
    text = "\n\n".join("y" * 2900 for _ in range(60))

    messages = render(text, (Choice("OK", "ok"),))

    assert [len(message.blocks) for message in messages] == [50, 11]
    assert messages[-1].blocks[-1]["type"] == "actions"


def test_home_view_numbers_buttons_across_replies_and_skips_files() -> None:
    replies = [
        Choices("Menu", (Choice("Help", "menu:help"), Choice("Join", "menu:join"))),
        Text("Or ask a question."),
        File("a.ics", b"x", "text/calendar"),
        Choices("More", (Choice("Me", "menu:me"),)),
    ]

    view = home_view(replies)

    assert view["type"] == "home"
    assert action_ids(view["blocks"]) == ["choice-0", "choice-1", "choice-2"]
    assert blocks_for("Or ask a question.")[0] in view["blocks"]


def test_typed_text_is_plain_again() -> None:
    assert from_slack("Is it &lt;5 &amp; &gt;1?") == "Is it <5 & >1?"
    assert from_slack("see <https://nhs.uk|the NHS site> or <https://x.org>") == (
        "see the NHS site or https://x.org"
    )
    assert without_mention("<@UBOT> /me") == "/me"
    assert without_mention("<@UBOT|cedp>: what is it?") == "what is it?"
    assert without_mention("ask <@UBOT> later") == "ask <@UBOT> later"


def test_slash_command_text_means_a_command_or_a_question() -> None:
    assert slash_content("", COMMANDS) == CommandMessage("start")
    assert slash_content("help", COMMANDS) == CommandMessage("help")
    assert slash_content("join ABCD-EFGH", COMMANDS) == CommandMessage("join", ("ABCD-EFGH",))
    assert slash_content("/me", COMMANDS) == CommandMessage("me")
    assert slash_content("what is the programme?", COMMANDS) == TextMessage(
        "what is the programme?"
    )


def test_an_address_carries_the_thread_of_a_channel_conversation() -> None:
    assert parse_address(address_of("C1", "1700.0001")) == ("C1", "1700.0001")
    assert parse_address(address_of("D1")) == ("D1", None)


def slack_error(status: int, headers: dict[str, str], error: str) -> SlackApiError:
    response = SimpleNamespace(status_code=status, headers=headers, get={"error": error}.get)
    return SlackApiError("failed", response)


def test_only_a_429_is_retried_after_the_wait_slack_asks_for() -> None:
    assert retry_after(slack_error(429, {"Retry-After": "3"}, "ratelimited")) == 3.0
    assert retry_after(slack_error(200, {}, "channel_not_found")) is None
    assert retry_after(ValueError("boom")) is None
