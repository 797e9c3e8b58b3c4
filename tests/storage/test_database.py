"""The database layer: safe SQLite settings, migrations on both engines, no lost writes."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from storage.database import Database, DatabaseUnavailable
from storage.migrate import database_revision, upgrade_database


async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with database.engine.connect() as connection:
            pragma = {
                name: (await connection.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        await database.dispose()
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}


async def test_migrations_reach_head_and_running_them_again_changes_nothing(
    database_url: str,
) -> None:
    database = Database(database_url)
    try:
        assert (await database_revision(database.engine))[0] is None
        await upgrade_database(database.engine)
        current, head = await database_revision(database.engine)
        assert current == head is not None
        await upgrade_database(database.engine)
        assert (await database_revision(database.engine))[0] == head
    finally:
        await database.dispose()


async def test_two_workers_migrating_at_once_both_succeed(database_url: str) -> None:
    first, second = Database(database_url), Database(database_url)
    try:
        await asyncio.gather(upgrade_database(first.engine), upgrade_database(second.engine))
        assert (await database_revision(first.engine))[0] is not None
    finally:
        await first.dispose()
        await second.dispose()


async def test_concurrent_read_then_write_transactions_never_fail_or_lose_updates(
    tmp_path: Path,
) -> None:
    """The SQLite trap: two deferred transactions that read, then write, fail with 'locked'."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", pool_size=8)
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE counter (n INTEGER)"))
            await session.execute(text("INSERT INTO counter VALUES (0)"))

        async def increment() -> None:
            async with database.transaction() as session:
                current = (await session.execute(text("SELECT n FROM counter"))).scalar_one()
                await asyncio.sleep(0)  # let the other coroutines interleave
                await session.execute(text("UPDATE counter SET n = :n"), {"n": current + 1})

        await asyncio.gather(*(increment() for _ in range(40)))
        async with database.transaction() as session:
            assert (await session.execute(text("SELECT n FROM counter"))).scalar_one() == 40
    finally:
        await database.dispose()


async def test_a_failed_transaction_leaves_no_trace(database_url: str) -> None:
    database = Database(database_url)
    try:
        await upgrade_database(database.engine)
        try:
            async with database.transaction() as session:
                await session.execute(
                    text(
                        "INSERT INTO members (display_name, role, created_at, pseudonym) "
                        "VALUES ('x', 'member', CURRENT_TIMESTAMP, 'm-x')"
                    )
                )
                raise RuntimeError("handler failed")
        except RuntimeError:
            pass
        async with database.transaction() as session:
            count = (await session.execute(text("SELECT count(*) FROM members"))).scalar_one()
        assert count == 0
    finally:
        await database.dispose()


async def test_ping_fails_when_the_server_is_unreachable() -> None:
    database = Database("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    try:
        try:
            await database.ping()
        except OSError:
            return
        raise AssertionError("ping should fail against a closed port")
    finally:
        await database.dispose()


async def test_sqlite_calls_run_on_the_event_loop_thread_not_a_worker(tmp_path: Path) -> None:
    """aiosqlite's thread hop per call costs more than the call (storage.sqlite_inline)."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")

    @event.listens_for(database.engine.sync_engine, "connect")
    def add_thread_function(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("thread_id", 0, threading.get_ident)

    try:
        async with database.transaction() as session:
            ran_on = (await session.execute(text("SELECT thread_id()"))).scalar_one()
    finally:
        await database.dispose()
    assert ran_on == threading.get_ident()


async def test_a_sqlite_write_waits_for_another_process_holding_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER)"))
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")  # as a `cedp-bot` command mid-transaction would
        threading.Timer(0.3, lambda: other.execute("COMMIT")).start()

        async with database.transaction() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))

        async with database.transaction() as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1
        other.close()
    finally:
        await database.dispose()


async def test_reaching_an_unreachable_database_names_it_without_its_password() -> None:
    database = Database("postgresql+asyncpg://postgres:s3cret@127.0.0.1:1/none")
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            await database.reach()
    finally:
        await database.dispose()

    message = str(caught.value)
    assert message.startswith("cannot reach the database at postgresql+asyncpg://postgres:***@")
    assert "127.0.0.1:1/none: " in message and "s3cret" not in message


async def test_a_failed_statement_names_itself_but_not_the_values_it_carried(
    database_url: str,
) -> None:
    database = Database(database_url)
    insert = text("INSERT INTO t (id, note) VALUES (1, :note)")
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)"))
            await session.execute(insert, {"note": "first"})
        with pytest.raises(IntegrityError) as caught:
            async with database.transaction() as session:
                await session.execute(insert, {"note": "quillon.vexmoor@example.nhs.uk"})
    finally:
        await database.dispose()

    assert "INSERT INTO t" in str(caught.value)
    assert "quillon.vexmoor" not in str(caught.value)
