"""The one helper for periodic background work (the scheduler, the outbox pumps, the knowledge
watcher), so no module writes its own `while True: sleep` poller and no task goes untracked."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Loop:
    """Runs `work` every `every_seconds` until stopped; an exception is logged and the loop goes on.

    The first run is at `start`, so work that piled up while the process was down is done at once.
    The interval counts from the end of one run to the start of the next.
    """

    def __init__(
        self, name: str, every_seconds: float, work: Callable[[], Awaitable[object]]
    ) -> None:
        self.name = name
        self._every = every_seconds
        self._work = work
        self._woken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the background task; a no-op when it is already running."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    def wake(self) -> None:
        """Run again now instead of waiting out the interval (after the current run, if any)."""
        self._woken.set()

    async def stop(self) -> None:
        """Cancel the task, a run in progress included, and wait until it has ended."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            self._woken.clear()  # a wake during the run asks for one more run
            try:
                await self._work()
            except Exception:
                log.exception("%s failed; will try again in %g s", self.name, self._every)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._every):
                    await self._woken.wait()
