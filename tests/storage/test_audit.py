"""The audit trail on both databases: entries chain as appended, read back as written, and a
row changed behind the application's back is found by verification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alembic import command
from sqlalchemy import text, update

from domain.audit import first_break
from storage.database import Database
from storage.migrate import _config
from storage.models import AuditEntry
from tests.conftest import unit

NOW = datetime(2026, 12, 2, 9, 0, 0, 123456, tzinfo=UTC)


async def _append(database: Database, number: int) -> None:
    await unit(
        database,
        lambda r: r.audit.append(
            f"member:{number % 2}",
            "pulse.results",
            f"check-in {number}",
            NOW + timedelta(minutes=number),
            {"released": "yes"},
        ),
    )


async def test_entries_chain_and_read_back_as_written(database: Database) -> None:
    for number in range(4):
        await _append(database, number)
    entries = await unit(database, lambda r: r.audit.entries())
    assert [e.record.subject for e in entries] == [f"check-in {n}" for n in range(4)]
    assert entries[0].record.at == NOW and entries[0].record.details == {"released": "yes"}
    assert first_break(entries) is None


async def test_listing_filters_by_time_and_actor(database: Database) -> None:
    for number in range(4):
        await _append(database, number)
    since = await unit(database, lambda r: r.audit.entries(since=NOW + timedelta(minutes=2)))
    assert [e.record.subject for e in since] == ["check-in 2", "check-in 3"]
    mine = await unit(database, lambda r: r.audit.entries(actor="member:1"))
    assert [e.record.subject for e in mine] == ["check-in 1", "check-in 3"]


async def test_a_row_changed_outside_the_application_is_found(database: Database) -> None:
    for number in range(3):
        await _append(database, number)
    async with database.transaction() as session:
        await session.execute(
            update(AuditEntry).where(AuditEntry.id == 2).values(subject="check-in 9")
        )
    entries = await unit(database, lambda r: r.audit.entries())
    assert first_break(entries) == 2


async def test_a_local_time_is_kept_as_the_same_instant(database: Database) -> None:
    local = NOW.astimezone(ZoneInfo("Europe/London")) + timedelta(days=200)  # summer time
    await unit(database, lambda r: r.audit.append("cli", "members.export", "member 1", local))
    [entry] = await unit(database, lambda r: r.audit.entries())
    assert entry.record.at == local and first_break([entry]) is None


async def test_members_who_joined_before_the_trail_get_distinct_pseudonyms(
    database_url: str,
) -> None:
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(_config(c), "0012_learning"))
            for name in ("Ann", "Bo"):
                await connection.execute(
                    text(
                        "INSERT INTO members (display_name, role, created_at) "
                        "VALUES (:name, 'member', CURRENT_TIMESTAMP)"
                    ),
                    {"name": name},
                )
            await connection.run_sync(lambda c: command.upgrade(_config(c), "head"))
        async with database.engine.connect() as connection:
            pseudonyms = (await connection.execute(text("SELECT pseudonym FROM members"))).all()
    finally:
        await database.dispose()
    assert len({row[0] for row in pseudonyms}) == 2
    assert all(row[0].startswith("m-") for row in pseudonyms)
