"""Group commit: small writes from many coroutines share one transaction.

A write that arrives while a commit is in flight waits for it and joins the next one, so at low
load every write commits at once, alone, and under load the cost of a transaction (on SQLite its
lock and commit, on PostgreSQL a round trip) is shared by everything that arrived meanwhile. Each
writer still learns its own result, or the error, only once its write is committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from storage.database import Database
from storage.repositories import Repositories

Item = TypeVar("Item")
Result = TypeVar("Result")

Write = Callable[[Repositories, list[Item]], Awaitable[Sequence[Result]]]


class GroupCommit(Generic[Item, Result]):
    """`submit(item)` returns `write`'s result for that item once it is committed."""

    def __init__(self, database: Database, write: Write[Item, Result]) -> None:
        self._database = database
        self._write = write
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._committing: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._committing is None:
            self._committing = asyncio.create_task(self._commit_all())
        return await future

    async def _commit_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._commit(batch)
        finally:
            self._committing = None

    async def _commit(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            async with self._database.transaction() as session:
                results = await self._write(
                    Repositories.bound_to(session), [item for item, _ in batch]
                )
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # its writer may have given up waiting (cancelled)
                future.set_result(result)
