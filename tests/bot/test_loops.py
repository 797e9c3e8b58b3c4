"""The periodic-work helper: runs at start and then on its interval, wakes on demand, survives a
failing run, and stops cleanly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from bot.loops import Loop

SOON = 2.0  # seconds: far longer than any of these runs take, far shorter than "never"
NEVER = 3600.0  # an interval no test waits out


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(int(SOON / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"not reached within {SOON} s")


class Counter:
    """Work that counts its runs, and fails on the runs listed in `failing`."""

    def __init__(self, *failing: int) -> None:
        self.runs = 0
        self._failing = set(failing)

    async def __call__(self) -> None:
        self.runs += 1
        if self.runs in self._failing:
            raise RuntimeError(f"run {self.runs} failed")


async def test_the_first_run_is_at_start_and_the_next_ones_come_every_interval() -> None:
    work = Counter()
    loop = Loop("ticker", 0.01, work)

    loop.start()
    try:
        await _until(lambda: work.runs >= 3)
    finally:
        await loop.stop()


async def test_wake_runs_the_work_again_without_waiting_out_the_interval() -> None:
    work = Counter()
    loop = Loop("sleepy", NEVER, work)
    loop.start()
    try:
        await _until(lambda: work.runs == 1)

        loop.wake()
        await _until(lambda: work.runs == 2)
    finally:
        await loop.stop()
    assert work.runs == 2


async def test_a_wake_during_a_run_asks_for_one_more_run_after_it() -> None:
    release = asyncio.Event()
    runs: list[str] = []

    async def slow() -> None:
        runs.append("started")
        await release.wait()
        release.clear()

    loop = Loop("slow", NEVER, slow)
    loop.start()
    try:
        await _until(lambda: len(runs) == 1)
        loop.wake()  # while the first run is still going
        release.set()
        await _until(lambda: len(runs) == 2)
    finally:
        release.set()
        await loop.stop()


async def test_a_failing_run_is_logged_with_the_loops_name_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    work = Counter(1, 2)
    loop = Loop("flaky-pump", 0.01, work)

    with caplog.at_level(logging.ERROR, logger="bot.loops"):
        loop.start()
        try:
            await _until(lambda: work.runs >= 3)
        finally:
            await loop.stop()

    failures = [record for record in caplog.records if record.name == "bot.loops"]
    assert [record.getMessage() for record in failures] == [
        "flaky-pump failed; will try again in 0.01 s"
    ] * 2
    assert all(record.exc_info is not None for record in failures)


async def test_stop_cancels_a_run_in_progress_and_nothing_runs_after_it() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def forever() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    loop = Loop("stuck", 0.01, forever)
    loop.start()
    await asyncio.wait_for(started.wait(), SOON)

    await loop.stop()

    assert cancelled.is_set()
    started.clear()
    await asyncio.sleep(0.05)  # five intervals: a loop still alive would have run again
    assert not started.is_set()


async def test_stop_is_safe_before_start_and_twice() -> None:
    work = Counter()
    loop = Loop("idle", 0.01, work)

    await loop.stop()
    loop.start()
    await _until(lambda: work.runs >= 1)
    await loop.stop()
    await loop.stop()


async def test_a_stopped_loop_can_be_started_again() -> None:
    work = Counter()
    loop = Loop("again", NEVER, work)
    loop.start()
    await _until(lambda: work.runs == 1)
    await loop.stop()

    loop.start()
    try:
        await _until(lambda: work.runs == 2)
    finally:
        await loop.stop()


async def test_starting_twice_runs_one_task() -> None:
    work = Counter()
    loop = Loop("once", NEVER, work)
    loop.start()
    loop.start()
    try:
        await _until(lambda: work.runs == 1)
        await asyncio.sleep(0.05)
    finally:
        await loop.stop()
    assert work.runs == 1
