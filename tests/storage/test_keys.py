"""Generated keys: the first one stored is the one every worker gets, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from storage.database import Database
from storage.keys import SecretKeyRepository
from storage.migrate import upgrade_database

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def _get_or_create(database: Database, candidate: str) -> str:
    async with database.transaction() as session:
        return await SecretKeyRepository(session).get_or_create("binding", candidate, NOW)


async def test_the_first_key_stored_is_kept(database_url: str) -> None:
    database = Database(database_url)
    try:
        await upgrade_database(database.engine)
        assert await _get_or_create(database, "first") == "first"
        assert await _get_or_create(database, "second") == "first"
    finally:
        await database.dispose()


async def test_workers_starting_at_once_agree_on_one_key(database_url: str) -> None:
    workers = [Database(database_url) for _ in range(4)]
    try:
        await upgrade_database(workers[0].engine)
        keys = await asyncio.gather(
            *(_get_or_create(worker, f"key-{n}") for n, worker in enumerate(workers))
        )
        assert len(set(keys)) == 1 and keys[0].startswith("key-")
    finally:
        for worker in workers:
            await worker.dispose()
