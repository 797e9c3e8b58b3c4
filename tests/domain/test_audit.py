"""The audit chain holds while nothing is touched, and breaks at the first entry that was."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from domain.audit import GENESIS, Record, Stored, chain_hash, first_break

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _chain(count: int) -> list[Stored]:
    entries, previous = [], GENESIS
    for number in range(1, count + 1):
        record = Record(
            START + timedelta(minutes=number), "member:7", "broadcast.send", f"#{number}"
        )
        entries.append(Stored(number, record, previous, chain_hash(previous, record)))
        previous = entries[-1].hash
    return entries


def test_an_untouched_chain_holds() -> None:
    assert first_break(_chain(5)) is None
    assert first_break([]) is None


def test_a_changed_entry_breaks_the_chain_there() -> None:
    entries = _chain(5)
    changed = dataclasses.replace(entries[2].record, subject="#99")
    entries[2] = dataclasses.replace(entries[2], record=changed)
    assert first_break(entries) == 3


def test_a_removed_entry_breaks_the_chain_at_the_next() -> None:
    entries = _chain(5)
    del entries[1]
    assert first_break(entries) == 3


def test_a_rewritten_entry_with_a_fresh_hash_still_breaks_the_one_after() -> None:
    entries = _chain(4)
    forged = dataclasses.replace(entries[1].record, actor="member:8")
    entries[1] = dataclasses.replace(entries[1], record=forged, hash=chain_hash(GENESIS, forged))
    assert first_break(entries) == 2


def test_every_field_counts() -> None:
    record = Record(START, "cli", "members.erase", "member 12", {"reason": "asked"})
    variants = [
        dataclasses.replace(record, at=START + timedelta(microseconds=1)),
        dataclasses.replace(record, actor="cli2"),
        dataclasses.replace(record, action="members.export"),
        dataclasses.replace(record, subject="member 13"),
        dataclasses.replace(record, details={"reason": "asked!"}),
    ]
    hashes = {chain_hash(GENESIS, r) for r in [record, *variants]}
    assert len(hashes) == 6
