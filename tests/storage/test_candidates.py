"""Candidate phrasings: kept, listed while waiting, settled once, and tied to nobody."""

from __future__ import annotations

from datetime import date

from sqlalchemy import inspect

from storage.candidates import CandidateState
from storage.database import Database
from tests.conftest import unit

DAY = date(2026, 11, 24)


async def test_candidates_wait_until_settled_once(database: Database) -> None:
    first = await unit(database, lambda r: r.candidates.add("join-how", "how to join", "d1", DAY))
    second = await unit(database, lambda r: r.candidates.add("join-how", "join?", "d2", DAY))
    other = await unit(database, lambda r: r.candidates.add("cost", "is it free", "d3", DAY))

    waiting = await unit(database, lambda r: r.candidates.waiting("join-how"))
    assert [row.id for row in waiting] == [first, second]
    assert [row.id for row in await unit(database, lambda r: r.candidates.waiting())] == [
        first,
        second,
        other,
    ]
    settled = await unit(
        database, lambda r: r.candidates.settle([first, second], CandidateState.ACCEPTED)
    )
    assert settled == 2
    again = await unit(database, lambda r: r.candidates.settle([first], CandidateState.DISMISSED))
    assert again == 0  # a second worker settling the same group finds nothing left
    assert [row.id for row in await unit(database, lambda r: r.candidates.waiting())] == [other]
    [row] = await unit(database, lambda r: r.candidates.waiting("cost"))
    assert row.created_on == DAY  # the day only, never the time of a message


async def test_the_table_has_no_column_that_could_name_a_person(database: Database) -> None:
    async with database.engine.connect() as connection:
        columns = await connection.run_sync(
            lambda sync: [c["name"] for c in inspect(sync).get_columns("knowledge_candidates")]
        )
    assert sorted(columns) == ["asker_digest", "created_on", "entry_id", "id", "question", "state"]
