"""The retention sweep on a large database: how long one sweep takes, and one with nothing to do.

    python -m benchmarks.retention [--rows 100000] [--postgres URL]

A fresh database (with --postgres the database at URL is dropped and created again: give it a
scratch name such as bench_rt; without, a new SQLite file) gets `rows` processed deliveries in
the inbox, `rows` logged questions, and a tenth as many answered team questions and expired
conversation states, half of each past its default period. Printed: the rows purged and the
seconds of the sweep that purges them (one transaction, as the job runs it), then the seconds of
the next sweep, which finds nothing: what every worker pays each CEDP_RETENTION_SWEEP_MINUTES.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from benchmarks.broadcast import FreshDatabases
from bot.settings import Settings
from services import retention
from storage.database import Database
from storage.migrate import upgrade_database
from storage.models import AskedQuestion, ConversationState, Delivery, TeamQuestion
from storage.repositories import Repositories

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
BATCH = 5000


def _ages(count: int, old: timedelta, recent: timedelta) -> list[datetime]:
    """Half the times past the period, half within it."""
    return [NOW - (old if number % 2 else recent) for number in range(count)]


def _tables(rows: int) -> list[tuple[Any, list[dict[str, Any]]]]:
    deliveries = [
        {"platform": "telegram", "event_id": str(n), "received_at": at, "handled_at": at}
        for n, at in enumerate(_ages(rows, timedelta(hours=49), timedelta(hours=1)))
    ]
    asked = [
        {"question": f"question {n}", "outcome": "answered", "asked_at": at}
        for n, at in enumerate(_ages(rows, timedelta(days=400), timedelta(days=1)))
    ]
    answered = [
        {
            "question": f"question {n}",
            "platform": "telegram",
            "asker_name": "someone",
            "answer": "an answer",
            "created_at": at,
            "answered_at": at,
        }
        for n, at in enumerate(_ages(rows // 10, timedelta(days=91), timedelta(days=1)))
    ]
    states = [
        {
            "platform": "telegram",
            "conversation_id": str(n),
            "person_id": str(n),
            "flow": "book",
            "step": "slot",
            "data": {},
            "expires_at": at,
        }
        for n, at in enumerate(_ages(rows // 10, timedelta(hours=25), timedelta(minutes=-5)))
    ]
    return [
        (Delivery, deliveries),
        (AskedQuestion, asked),
        (TeamQuestion, answered),
        (ConversationState, states),
    ]


async def _fill(database: Database, rows: int) -> int:
    total = 0
    for model, values in _tables(rows):
        for start in range(0, len(values), BATCH):
            async with database.transaction() as session:
                await session.execute(insert(model), values[start : start + BATCH])
        total += len(values)
    return total


async def _sweep(database: Database) -> tuple[int, float]:
    started = time.perf_counter()
    async with database.transaction() as session:
        purged = await retention.purge(Repositories.bound_to(session), Settings(), NOW)
    return sum(purged.values()), time.perf_counter() - started


async def measure(database_url: str, rows: int) -> str:
    database = Database(database_url)
    try:
        await upgrade_database(database.engine)
        stored = await _fill(database, rows)
        purged, seconds = await _sweep(database)
        _, idle = await _sweep(database)
    finally:
        await database.dispose()
    return (
        f"{database_url.split(':', 1)[0]:20} stored={stored} purged={purged} "
        f"sweep={seconds:.2f} s  nothing-to-do sweep={idle * 1000:.1f} ms"
    )


async def main(rows: int, postgres: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = await FreshDatabases(Path(folder), postgres).new()
        print(await measure(url, rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="deliveries and questions")
    parser.add_argument("--postgres", metavar="URL", help="a scratch PostgreSQL database")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.postgres))
