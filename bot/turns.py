"""One person's deliveries are handled one at a time, in arrival order (bot/adapters/inbox.py).

Platforms deliver quickly and the inbox handles many people at once, so "/join CODE" followed at
once by "/me" could otherwise be answered in the wrong order, or the second before the first
has committed. Waiting for a turn holds nothing anybody else needs. These turns are one
process's; across workers on PostgreSQL the inbox adds the rest (`Inbox._after_earlier`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class Turns:
    """A FIFO lock per key, forgotten as soon as nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, list[int]]] = {}

    @asynccontextmanager
    async def turn(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)
