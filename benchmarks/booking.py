"""Coaching bookings under contention: bookings a second and latency of each attempt.

    python -m benchmarks.booking [--members 200] [--coaches 5] [--concurrency 16 32]
                                 [--postgres URL]

Each attempt is one transaction through services.coaching.book, as a /book confirmation is.
Two workloads, each on a fresh database (with --postgres the database at URL is dropped and
created again: give it a scratch name such as bench_bk; without, a new SQLite file each):
(spread) every member books up to the cap (2) among all coaches' slots, picking a slot from a
         list read moments before, as a member reads the offered choices; a slot taken
         meanwhile is retried with one of the alternatives offered;
(hot)    every member wants one of the same three slots of one coach at once; the losers take
         one of the alternatives they are offered, until booked (at most 20 attempts).
Printed per run: bookings, attempts, wall seconds, bookings and attempts a second, and p50 and
p99 of attempts (each a whole transaction, waiting for the coach's row included).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from benchmarks.broadcast import FreshDatabases
from benchmarks.busy_chat import p99
from bot.settings import Settings
from services import coaching
from services.coaching import CoachingError, SlotTaken
from storage.coaching import Coach
from storage.database import Database
from storage.migrate import upgrade_database
from storage.repositories import Repositories
from tests.coaching_people import add_coach, add_member

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
HOT_SLOTS = 3
MAX_ATTEMPTS = 20
T = TypeVar("T")


@dataclass
class Run:
    bookings: int = 0
    attempts: int = 0
    seconds: float = 0.0
    latencies: list[float] | None = None

    def line(self, name: str, database: str, concurrency: int) -> str:
        latencies = self.latencies or [0.0]
        return (
            f"{database:10} {name:6} c={concurrency:<3} bookings={self.bookings:<4} "
            f"attempts={self.attempts:<5} {self.seconds:6.2f} s  "
            f"{self.bookings / self.seconds:6.1f} bookings/s "
            f"{self.attempts / self.seconds:6.1f} attempts/s  "
            f"p50 {statistics.median(latencies) * 1000:6.1f} ms  "
            f"p99 {p99(latencies) * 1000:6.1f} ms"
        )


class Bench:
    """One fresh database with coaches and members, and timed booking attempts on it."""

    def __init__(self, url: str) -> None:
        self.pick = random.Random(11)
        self.database = Database(url)
        self.settings = Settings(database_url=url)
        self.run = Run(latencies=[])

    async def unit(self, work: Callable[[Repositories], Awaitable[T]]) -> T:
        async with self.database.transaction() as session:
            return await work(Repositories.bound_to(session))

    async def populate(self, coaches: int, members: int) -> tuple[list[Coach], list[int]]:
        await upgrade_database(self.database.engine)

        async def add(repos: Repositories) -> tuple[list[Coach], list[int]]:
            made = [await add_coach(repos, f"Coach {n}", NOW) for n in range(coaches)]
            people = [await add_member(repos, f"Member {n}", NOW) for n in range(members)]
            return made, people

        return await self.unit(add)

    async def attempt(self, member: int, coach: Coach, start: datetime) -> list[datetime] | None:
        """Book; None when booked, else the alternatives offered (empty: give up)."""
        began = time.perf_counter()
        try:
            await self.unit(lambda r: coaching.book(r, member, coach.id, start, NOW, self.settings))
            outcome = None
        except SlotTaken as taken:
            outcome = taken.alternatives
        except CoachingError:
            outcome = []
        assert self.run.latencies is not None
        self.run.latencies.append(time.perf_counter() - began)
        self.run.attempts += 1
        self.run.bookings += outcome is None
        return outcome

    async def until_booked(self, member: int, coach: Coach, start: datetime) -> None:
        for _ in range(MAX_ATTEMPTS):
            offered = await self.attempt(member, coach, start)
            if not offered:
                return
            start = self.pick.choice(offered)

    async def free(self, coach: Coach) -> list[datetime]:
        return await self.unit(lambda r: coaching.free_slots(r, coach, NOW))

    async def timed(self, jobs: list[Callable[[], Awaitable[None]]], concurrency: int) -> Run:
        queue: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)

        async def worker() -> None:
            while not queue.empty():
                await (queue.get_nowait())()

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        self.run.seconds = time.perf_counter() - began
        return self.run


async def spread(url: str, coaches: int, members: int, concurrency: int) -> Run:
    bench = Bench(url)
    try:
        made, people = await bench.populate(coaches, members)
        pick = bench.pick

        async def member_books(member: int) -> None:
            for _ in range(bench.settings.max_upcoming_sessions):
                coach = pick.choice(made)
                slots = await bench.free(coach)
                await bench.until_booked(member, coach, pick.choice(slots[:40]))

        return await bench.timed([lambda m=m: member_books(m) for m in people], concurrency)
    finally:
        await bench.database.dispose()


async def hot(url: str, coaches: int, members: int, concurrency: int) -> Run:
    bench = Bench(url)
    try:
        made, people = await bench.populate(coaches, members)
        wanted = (await bench.free(made[0]))[:HOT_SLOTS]
        jobs = [lambda m=m: bench.until_booked(m, made[0], wanted[m % HOT_SLOTS]) for m in people]
        return await bench.timed(jobs, concurrency)
    finally:
        await bench.database.dispose()


async def main(members: int, coaches: int, concurrencies: list[int], postgres: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        fresh = FreshDatabases(Path(folder), postgres)
        name = "postgresql" if postgres else "sqlite"
        for concurrency in concurrencies:
            for label, workload in (("spread", spread), ("hot", hot)):
                run = await workload(await fresh.new(), coaches, members, concurrency)
                print(run.line(label, name, concurrency), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--coaches", type=int, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--postgres", help="a scratch PostgreSQL database, e.g. .../bench_bk")
    arguments = parser.parse_args()
    asyncio.run(
        main(arguments.members, arguments.coaches, arguments.concurrency, arguments.postgres)
    )
