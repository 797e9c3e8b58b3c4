"""Periodic background work: the one helper every poller runs on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Loop:
    """Runs `work` every `every_seconds` until stopped; an exception is logged and the loop
    goes on."""

    def __init__(
        self, name: str, every_seconds: float, work: Callable[[], Awaitable[object]]
    ) -> None:
        self.name = name
        self._every = every_seconds
        self._work = work
        self._task: asyncio.Task[None] | None = None
        self._woken = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    def wake(self) -> None:
        self._woken.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._work()
            except Exception:
                log.exception("%s failed; will try again", self.name)
            self._woken.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self._every)
