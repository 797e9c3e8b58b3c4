"""What every chat-like adapter without its own buttons shares: message ids and choices on screen.

The console and the test adapter both show choices as numbered options and need to turn "3"
(or a label) back into the payload and the message that carried it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from bot.markup import plain
from bot.messages import Choice, Choices, Edit, File, Reply, Text

CHOICE_DIGITS = 3  # longer numbers (an invite code of digits typed without its dash) are text


@dataclass(frozen=True, slots=True)
class Shown:
    """A choice on screen, with the message it belongs to."""

    choice: Choice
    message_id: str


class NoSuchChoice(LookupError):
    """A typed number that is no choice on screen; its text tells the person what is."""

    def __init__(self, typed: str, on_screen: int) -> None:
        if on_screen == 0:
            hint = "type your question, or send /start for the menu"
        else:
            hint = f"pick 1{f' to {on_screen}' if on_screen > 1 else ''}, or type your question"
        super().__init__(f"There's no choice {typed} on screen: {hint}.")


class ChatSession:
    """Numbers messages and remembers the choices of the latest replies."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.shown: list[Shown] = []

    def receive(self, replies: list[Reply]) -> list[tuple[str, Reply]]:
        """Give each new message an id; choices of this batch replace the ones shown before."""
        numbered: list[tuple[str, Reply]] = []
        shown: list[Shown] = []
        for reply in replies:
            is_edit = isinstance(reply, Edit)
            message_id = (reply.message_id or "") if is_edit else str(next(self._ids))
            numbered.append((message_id, reply))
            options = reply.options if isinstance(reply, Choices | Edit) else ()
            shown.extend(Shown(option, message_id) for option in options)
        if replies:
            self.shown = shown
        return numbered

    def by_number(self, typed: str) -> Shown | None:
        """The choice numbered `typed` (1-based); None when `typed` is not a number.

        Raises NoSuchChoice for a number that is not on screen ("9" of three, "0", or one from
        an older menu): a bare number is never meant as a question.
        """
        if not (typed.isascii() and typed.isdigit()) or len(typed) > CHOICE_DIGITS:
            return None
        number = int(typed)
        if not 1 <= number <= len(self.shown):
            raise NoSuchChoice(typed, len(self.shown))
        return self.shown[number - 1]

    def by_label(self, label: str) -> Shown:
        for shown in self.shown:
            if shown.choice.label == label:
                return shown
        labels = [shown.choice.label for shown in self.shown]
        raise LookupError(f"no choice labelled {label!r} on screen; shown: {labels}")


def render_plain(replies: list[Reply]) -> str:
    """Replies as terminal text: choices numbered across the whole batch."""
    blocks: list[str] = []
    number = itertools.count(1)
    for reply in replies:
        if isinstance(reply, Text):
            blocks.append(_plain(reply))
        elif isinstance(reply, Choices | Edit):
            options = [f"  {next(number)}. {option.label}" for option in reply.options]
            blocks.append("\n".join([_plain(reply), *options]))
        elif isinstance(reply, File):
            caption = f" ({reply.caption})" if reply.caption else ""
            blocks.append(f"[file {reply.filename}, {len(reply.content):,} bytes]{caption}")
    return "\n\n".join(blocks)


def _plain(reply: Text | Choices | Edit) -> str:
    """A reply's text without staff's markup marks: a terminal shows no bold."""
    return plain(reply.text) if reply.markup else reply.text
