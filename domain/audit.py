"""The audit trail's rule: each entry's hash covers its content and the hash before it, so an
entry changed, removed or put in another order breaks the chain from there on, and
`cedp-bot audit verify` names the first entry that does not fit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

GENESIS = "0" * 64  # what the first entry's "previous hash" is


@dataclass(frozen=True, slots=True)
class Record:
    """Who did what, to what, when. `actor` is a pseudonym or a role ("cli"), never contact
    details; `details` are short facts ("recipients": "412")."""

    at: datetime
    actor: str
    action: str
    subject: str
    details: Mapping[str, str] = field(default_factory=dict)


def chain_hash(previous: str, record: Record) -> str:
    content = json.dumps(
        [
            previous,
            record.at.isoformat(),
            record.actor,
            record.action,
            record.subject,
            sorted(record.details.items()),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Stored:
    """An entry as the database holds it."""

    number: int
    record: Record
    previous_hash: str
    hash: str


def first_break(entries: Iterable[Stored]) -> int | None:
    """The number of the first entry that does not follow from the one before it (in number
    order), or None when the whole chain holds."""
    expected = GENESIS
    for entry in entries:
        if entry.previous_hash != expected or entry.hash != chain_hash(expected, entry.record):
            return entry.number
        expected = entry.hash
    return None
