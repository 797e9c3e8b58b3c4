"""Group commit: concurrent writes share transactions, and each writer gets its own result only
once it is committed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from storage.database import Database
from storage.group_commit import GroupCommit
from storage.repositories import Repositories
from tests.conftest import unit

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class Queue:
    """A write that queues texts in the outbox and counts its transactions."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    async def __call__(self, repos: Repositories, texts: list[str]) -> list[str]:
        self.batches.append(texts)
        for text in texts:
            if text == "poison":
                raise ValueError("cannot write that")
            await repos.outbox.enqueue("test", "p", text, NOW)
        return [text.upper() for text in texts]


async def _queued(database: Database) -> list[str]:
    taken = await unit(database, lambda repos: repos.outbox.take("test", "p", NOW))
    return sorted(message.text for message in taken)


async def test_concurrent_writes_share_transactions_and_each_gets_its_own_result(
    workers,
) -> None:
    database, _ = workers
    write = Queue()
    commit = GroupCommit(database, write)
    texts = [f"m{n:02d}" for n in range(20)]

    results = await asyncio.gather(*(commit.submit(text) for text in texts))

    assert results == [text.upper() for text in texts]
    assert len(write.batches) < len(texts)  # the first commits alone, the rest together
    assert sorted(text for batch in write.batches for text in batch) == texts
    assert await _queued(database) == texts


async def test_a_lone_write_commits_at_once(workers) -> None:
    database, _ = workers
    commit = GroupCommit(database, Queue())
    assert await commit.submit("alone") == "ALONE"
    assert await _queued(database) == ["alone"]


async def test_a_failed_commit_fails_every_write_in_it_and_the_next_ones_go_through(
    workers,
) -> None:
    database, _ = workers
    write = Queue()
    commit = GroupCommit(database, write)
    first = asyncio.ensure_future(commit.submit("first"))
    await asyncio.sleep(0)  # "first" is being committed; the next two wait together
    together = [asyncio.ensure_future(commit.submit(text)) for text in ("ok", "poison")]

    assert await first == "FIRST"
    for waiting in together:
        with pytest.raises(ValueError, match="cannot write that"):
            await waiting
    assert await commit.submit("later") == "LATER"
    assert await _queued(database) == ["first", "later"]  # the failed batch left nothing
