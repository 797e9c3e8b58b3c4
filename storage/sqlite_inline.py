"""SQLite through SQLAlchemy's aiosqlite dialect, with each call run at once on the event loop.

aiosqlite hands every call (open a cursor, execute, fetch, close, commit) to a worker thread and
waits for the answer: about 25 thread hops per inbound event, which cost more CPU than the rest
of the core together (benchmarks/core.py on SQLite: 1.6 ms per event with hops, 0.7 ms without).
A call into SQLite on a local file takes microseconds, so running it in place is cheaper than
any hop. What could block the loop is waiting for SQLite's write lock; within this process it
never happens, because transactions queue on an asyncio lock before their BEGIN IMMEDIATE
(storage.database). Another process writing to the same file, a `cedp-bot` command say, holds
the loop for as long as its short transaction lasts, at most the busy timeout.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from types import SimpleNamespace
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

_STOP_WAIT_TICKS = 1000  # at most about a second, spent only when a connection fails


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection, minus the hop: calls run on the caller's thread. Opening and
    closing still go through aiosqlite's worker thread, as does nothing else."""

    async def _connect(self) -> InlineConnection:
        try:
            return await super()._connect()  # type: ignore[return-value]
        except BaseException:
            # aiosqlite queues its worker thread's stop without waiting for it; left alone, the
            # thread may answer a loop that has closed and print a traceback at exit.
            for _ in range(_STOP_WAIT_TICKS):
                if not self._thread.is_alive():
                    break
                await asyncio.sleep(0.001)
            raise

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def _connect(database: str, *, iter_chunk_size: int = 64, **kwargs: Any) -> InlineConnection:
    return InlineConnection(functools.partial(sqlite3.connect, database, **kwargs), iter_chunk_size)


def inline_dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DBAPI for `create_async_engine(..., module=...)`: aiosqlite's, on `InlineConnection`."""
    names = {name: getattr(aiosqlite, name) for name in aiosqlite.__all__}
    module = SimpleNamespace(**{**names, "Connection": InlineConnection, "connect": _connect})
    return AsyncAdapt_aiosqlite_dbapi(module, sqlite3)  # type: ignore[arg-type]
