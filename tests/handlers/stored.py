"""Everything stored, to compare before and after what must change nothing (a refused button,
a refused role)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from storage.database import Database
from storage.models import Base

Rows = dict[str, list[tuple[Any, ...]]]

# Rows every event writes whoever sends it: delivery ids and rate-limit windows.
BOOKKEEPING = frozenset({"processed_events", "rate_limit_windows"})


async def stored_rows(database: Database, *, besides: frozenset[str] = frozenset()) -> Rows:
    """Every table's rows, sorted, but the bookkeeping and the tables named in `besides`."""
    skipped = BOOKKEEPING | besides
    async with database.transaction() as session:
        return {
            table.name: sorted(map(tuple, (await session.execute(select(table))).all()), key=repr)
            for table in Base.metadata.sorted_tables
            if table.name not in skipped
        }


def stored_rows_at(database_url: str) -> Rows:
    """`stored_rows` of the database the command line uses, for tests that hold no bot."""

    async def read() -> Rows:
        database = Database(database_url)
        try:
            return await stored_rows(database)
        finally:
            await database.dispose()

    return asyncio.run(read())
