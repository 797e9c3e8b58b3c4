"""Services run on repositories bound to one unit of work, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from storage.database import Database
from storage.migrate import upgrade_database
from storage.repositories import Repositories

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
Result = TypeVar("Result")
Unit = Callable[[Callable[[Repositories], Awaitable[Result]]], Awaitable[Result]]


@pytest.fixture
async def unit(database_url: str) -> AsyncIterator[Unit]:
    """Run `work(repos)` in a transaction of its own, as a command or an event would."""
    database = Database(database_url)
    await upgrade_database(database.engine)

    async def run(work: Callable[[Repositories], Awaitable[Result]]) -> Result:
        async with database.transaction() as session:
            return await work(Repositories.bound_to(session))

    yield run
    await database.dispose()
