"""Two workers on one database, for the storage tests that race them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.database import Database
from storage.migrate import upgrade_database


@pytest.fixture
async def workers(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two engines on one database, as two `cedp-bot serve` processes would have."""
    first, second = Database(database_url), Database(database_url)
    await upgrade_database(first.engine)
    yield first, second
    await first.dispose()
    await second.dispose()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """One migrated database, as one `cedp-bot serve` process would have."""
    opened = Database(database_url)
    await upgrade_database(opened.engine)
    yield opened
    await opened.dispose()
