"""Everything stored, to compare before and after what must change nothing (a refused button,
a refused role)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from handlers import all_job_kinds
from storage.database import Database
from storage.models import Base

Rows = dict[str, list[tuple[Any, ...]]]

# Rows every event writes whoever sends it: delivery ids and rate-limit windows.
BOOKKEEPING = frozenset({"processed_events", "rate_limit_windows"})
# Work a running bot plans for itself (the retention sweep), whoever is talking to it.
UPKEEP = frozenset(kind for kinds in all_job_kinds() for kind in kinds.intervals)


async def stored_rows(database: Database, *, besides: frozenset[str] = frozenset()) -> Rows:
    """Every table's rows, sorted, but the bookkeeping, the bot's own recurring jobs and the
    tables named in `besides`."""
    skipped = BOOKKEEPING | besides
    async with database.transaction() as session:
        rows = {
            table.name: sorted(map(tuple, (await session.execute(select(table))).all()), key=repr)
            for table in Base.metadata.sorted_tables
            if table.name not in skipped
        }
    if "jobs" in rows:
        kind = [column.name for column in Base.metadata.tables["jobs"].columns].index("kind")
        rows["jobs"] = [row for row in rows["jobs"] if row[kind] not in UPKEEP]
    return rows


def stored_rows_at(database_url: str) -> Rows:
    """`stored_rows` of the database the command line uses, for tests that hold no bot."""

    async def read() -> Rows:
        database = Database(database_url)
        try:
            return await stored_rows(database)
        finally:
            await database.dispose()

    return asyncio.run(read())
