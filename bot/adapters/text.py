"""Cutting long replies into messages a platform accepts, at the most readable places."""

from __future__ import annotations


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, split at paragraphs, else lines, else words.

    Only a single word longer than `limit` is ever cut mid-word.
    """
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for separator in ("\n\n", "\n", " "):
        if separator in text:
            current = ""
            for part in text.split(separator):
                candidate = f"{current}{separator}{part}" if current else part
                if len(candidate) <= limit:
                    current = candidate
                    continue
                if current:
                    pieces.append(current)
                *whole, current = split_text(part, limit)
                pieces.extend(whole)
            if current:
                pieces.append(current)
            return pieces
    return [text[start : start + limit] for start in range(0, len(text), limit)]
