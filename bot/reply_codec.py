"""Replies as JSON, so the replies to a delivery can wait in the inbox until they are sent."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from bot.messages import Choice, Choices, Edit, File, Reply, Text


def _options(options: Sequence[Choice]) -> list[list[str]]:
    return [[option.label, option.payload] for option in options]


def _choices(encoded: list[list[str]]) -> tuple[Choice, ...]:
    return tuple(Choice(label, payload) for label, payload in encoded)


def encode_replies(replies: Sequence[Reply]) -> list[dict[str, Any]]:
    encoded: list[dict[str, Any]] = []
    for reply in replies:
        if isinstance(reply, Text):
            encoded.append({"kind": "text", "text": reply.text, "markup": reply.markup})
        elif isinstance(reply, Choices):
            encoded.append(
                {
                    "kind": "choices",
                    "text": reply.text,
                    "options": _options(reply.options),
                    "markup": reply.markup,
                }
            )
        elif isinstance(reply, Edit):
            encoded.append(
                {
                    "kind": "edit",
                    "message_id": reply.message_id,
                    "text": reply.text,
                    "options": _options(reply.options),
                    "markup": reply.markup,
                }
            )
        else:
            encoded.append(
                {
                    "kind": "file",
                    "filename": reply.filename,
                    "media_type": reply.media_type,
                    "caption": reply.caption,
                    "content": base64.b64encode(reply.content).decode("ascii"),
                }
            )
    return encoded


def decode_replies(encoded: Sequence[dict[str, Any]]) -> list[Reply]:
    """The replies `encode_replies` stored; those stored before `markup` existed have none."""
    replies: list[Reply] = []
    for item in encoded:
        kind, markup = item["kind"], bool(item.get("markup", False))
        if kind == "text":
            replies.append(Text(item["text"], markup))
        elif kind == "choices":
            replies.append(Choices(item["text"], _choices(item["options"]), markup))
        elif kind == "edit":
            options = _choices(item["options"])
            replies.append(Edit(item["message_id"], item["text"], options, markup))
        else:
            content = base64.b64decode(item["content"])
            replies.append(File(item["filename"], content, item["media_type"], item["caption"]))
    return replies
