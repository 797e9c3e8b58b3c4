"""The platform-neutral message model: what came in and what goes out.

Adapters translate platform payloads into an `InboundEvent` and render `Reply` values back;
handlers see only these types, so a new platform never touches business rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.people import MemberRef

if TYPE_CHECKING:
    from bot.payloads import Payload


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent an event, as the platform knows them."""

    platform: str
    external_id: str
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class Conversation:
    """Where an event happened: a private chat, a channel or a group."""

    platform: str
    external_id: str
    is_private: bool = True


@dataclass(frozen=True, slots=True)
class TextMessage:
    """Free text: a question, or the answer to a conversation step."""

    text: str


@dataclass(frozen=True, slots=True)
class CommandMessage:
    """A `/command` with its whitespace-separated arguments."""

    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChoicePress:
    """A choice (button) pressed, with its payload as the platform returned it and the message
    that carried it; `value` is the typed payload once its binding to the sender is checked."""

    payload: str
    message_id: str | None = None
    value: Payload | None = None


Content = TextMessage | CommandMessage | ChoicePress


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """One thing a person did, on any platform."""

    sender: Sender
    conversation: Conversation
    content: Content
    event_id: str | None = None
    member: MemberRef | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    """One option offered to the person; `payload` comes back in a `ChoicePress`."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Text:
    """A text reply."""

    text: str
    markup: bool = False  # the text is staff-written light markup (a broadcast): bot/markup.py


@dataclass(frozen=True, slots=True)
class Choices:
    """A prompt with options: inline keyboard, Block Kit buttons or a numbered list."""

    text: str
    options: tuple[Choice, ...]
    markup: bool = False  # the text is staff-written light markup (a broadcast): bot/markup.py


@dataclass(frozen=True, slots=True)
class File:
    """A document to send, such as a calendar invite."""

    filename: str
    content: bytes
    media_type: str
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace an earlier message (the one whose choice was pressed) as a flow moves on."""

    message_id: str | None
    text: str
    options: tuple[Choice, ...] = field(default=())
    markup: bool = False  # the text is staff-written light markup (a broadcast): bot/markup.py


Reply = Text | Choices | File | Edit


def in_place(event: InboundEvent, text: str, options: Sequence[Choice] = ()) -> Reply:
    """The next screen of a flow: in place of the message whose choice was pressed, else (the
    person typed) a new message."""
    if isinstance(event.content, ChoicePress):
        return Edit(event.content.message_id, text, tuple(options))
    return Choices(text, tuple(options)) if options else Text(text)


_COMMAND = re.compile(r"^/([A-Za-z][A-Za-z0-9_]{0,31})(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)
_KEEP_CONTROLS = {"\n", "\t"}


def clean_text(raw: str) -> str:
    """Normalise Unicode, drop control characters, trim: all adapters' text comes through here."""
    normal = unicodedata.normalize("NFC", raw)
    kept = "".join(
        ch
        for ch in normal
        if ch in _KEEP_CONTROLS or unicodedata.category(ch) not in {"Cc", "Cs", "Co", "Cn"}
    )
    return kept.strip()


def parse_text(raw: str) -> TextMessage | CommandMessage:
    """Turn what a person typed into a command (`/join ABC`) or free text."""
    text = clean_text(raw)
    match = _COMMAND.match(text)
    if match is None:
        return TextMessage(text)
    name, rest = match.groups()
    return CommandMessage(name.lower(), tuple((rest or "").split()))
