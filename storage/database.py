"""Engine and session set-up for SQLite (embedded default) and PostgreSQL.

SQLite gets WAL, a busy timeout and foreign keys on every connection, and every transaction
starts with BEGIN IMMEDIATE: a transaction that reads and then writes would otherwise fail with
"database is locked" when another coroutine's connection wrote in between. Within one process,
SQLite transactions also queue on an asyncio lock: SQLite lets one writer in at a time anyway, and
waiting on the lock is fair and immediate where SQLite's busy handler polls with growing sleeps.
SQLite's calls run on the event loop itself, not on aiosqlite's thread (storage.sqlite_inline).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.sqlite_inline import inline_dbapi

SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(url: str) -> bool:
    """Whether a database URL points at SQLite."""
    return url.startswith("sqlite")


def _configure_sqlite(engine: AsyncEngine, *, in_memory: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An async engine for `url`, with the SQLite safety settings applied when it is SQLite.

    Its errors name the statement but hide its parameters: a failed write would otherwise put
    the values it carried (a contact detail, a check-in comment) into the traceback that the
    error-to-reply middleware, the inbox or the scheduler logs.
    """
    options = {"hide_parameters": True, **options}
    if is_sqlite(url):
        if make_url(url).get_driver_name() == "aiosqlite":
            options = {"module": inline_dbapi(), **options}
        engine = create_async_engine(url, **options)
        _configure_sqlite(engine, in_memory=":memory:" in url or url.endswith("://"))
        return engine
    # No pre-ping: it costs a round trip on every checkout (a tenth of an event's CPU time).
    # A connection the server dropped fails its first statement instead, which invalidates the
    # pool, and the event is run again on a fresh connection (see `connection_was_lost`).
    return create_async_engine(url, **options)


def connection_was_lost(error: BaseException) -> bool:
    """Whether `error` means the database connection was dead (server restarted, idle cut):
    nothing of the transaction was committed, so running it again is safe."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


class DatabaseUnavailable(Exception):
    """The database could not be reached or opened; the message names it (never its password)
    and says why, in one line for the operator."""


def _reason(error: BaseException) -> str:
    """The driver's own words, without SQLAlchemy's wrapping and background link."""
    cause = error.orig if isinstance(error, DBAPIError) else error
    return str(cause).strip() or type(cause).__name__


class Database:
    """The engine and a session factory; one session per inbound event or CLI command."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.engine = create_engine(url, **engine_options)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._sqlite_writer: AbstractAsyncContextManager[object] = (
            asyncio.Lock() if is_sqlite(url) else nullcontext()
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on any exception."""
        async with self._sqlite_writer, self._sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        """Raise unless the database answers a trivial query."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def reach(self) -> None:
        """Ping once at start, so a wrong address or a server that is down is one clear error
        (`DatabaseUnavailable`) instead of a driver traceback from the first real query."""
        try:
            await self.ping()
        except (OSError, SQLAlchemyError) as error:  # TimeoutError is an OSError
            where = self.engine.url.render_as_string(hide_password=True)
            raise DatabaseUnavailable(
                f"cannot reach the database at {where}: {_reason(error)}"
            ) from error

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
