"""Cutting long replies into messages a platform accepts, at the most readable places."""

from __future__ import annotations

SEPARATORS = ("\n\n", "\n", " ")  # paragraphs first, then lines, then words


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, split at paragraphs, else lines, else words.

    Only a single word longer than `limit` is ever cut mid-word; pieces that would hold nothing
    but whitespace are left out, since platforms refuse empty messages.
    """
    if len(text) <= limit:
        return [text]
    separator = next((found for found in SEPARATORS if found in text), None)
    pieces = (
        _pack(text.split(separator), separator, limit)
        if separator is not None
        else [text[start : start + limit] for start in range(0, len(text), limit)]
    )
    return [piece for piece in pieces if piece.strip()]


def _pack(parts: list[str], separator: str, limit: int) -> list[str]:
    """Join consecutive parts while they fit; a part too long on its own is split further."""
    pieces: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}{separator}{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        *whole, current = split_text(part, limit) or [""]
        pieces.extend(whole)
    if current:
        pieces.append(current)
    return pieces
