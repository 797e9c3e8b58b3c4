"""Peer introductions at the programme's size: one matching round, and directory searches.

    python -m benchmarks.intros [--members 500] [--searches 500] [--postgres URL]

Each figure is taken on a fresh database with `--members` people in the directory (random
interests, regions, start dates, a fifth of them buddies, some blocks and "never pair me with"
lines): a SQLite file, and, when a PostgreSQL server is given (`--postgres`, default
$CEDP_TEST_POSTGRES_URL), a scratch database `bench_intros` on it, created here and dropped after.
Printed per database:
(round)  seconds for the scheduler to run one round's job for everyone: pairing, the
         introductions, their follow-up jobs and every proposal queued in the outbox;
(search) p50 and p99 of one search (its own transaction, as a /directory search is) by interest,
         region, "also new in post" or name, chosen at random.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.busy_chat import p99
from bot.core import Bot
from bot.settings import Settings
from domain.intros import REGIONS, SUGGESTED_INTERESTS
from domain.people import OPERATOR
from services import intros
from services.intros import RoundPlan, Search
from storage.repositories import Repositories
from tests.directory_entries import listed_member

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
SCRATCH = "bench_intros"
T = TypeVar("T")


@asynccontextmanager
async def scratch_postgres(server: str, name: str = SCRATCH) -> AsyncIterator[str]:
    """A new database `name` on the server at `server`, dropped afterwards."""
    url = make_url(server)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    async def run(statement: str) -> None:
        async with admin.connect() as connection:
            await connection.execute(text(statement))

    try:
        await run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await run(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        await run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()


async def on_each_database(
    measure: Callable[[str, str], Awaitable[None]], postgres: str | None, scratch: str = SCRATCH
) -> None:
    """`measure(name, url)` on a fresh SQLite file, then, when a server is given, on a scratch
    PostgreSQL database `scratch` created there and dropped after."""
    with tempfile.TemporaryDirectory() as folder:
        await measure("sqlite", f"sqlite+aiosqlite:///{Path(folder) / scratch}.db")
    if postgres:
        async with scratch_postgres(postgres, scratch) as url:
            await measure("postgresql", url)


class Bench:
    """A bot on one database, its clock stopped at NOW, and the people in its directory."""

    def __init__(self, bot: Bot, pick: random.Random) -> None:
        self.bot = bot
        self.pick = pick
        self.members: list[int] = []

    async def unit(self, work: Callable[[Repositories], Awaitable[T]]) -> T:
        async with self.bot.services.database.transaction() as session:
            return await work(Repositories.bound_to(session))

    async def populate(self, count: int) -> None:
        pick = self.pick

        async def add(repos: Repositories) -> list[int]:
            made = []
            for n in range(count):
                made.append(
                    await listed_member(
                        repos,
                        f"Member {n:03} {pick.choice(('Jones', 'Shah', 'Okafor', 'Brown'))}",
                        NOW,
                        account=f"m{n}",
                        interests=pick.sample(SUGGESTED_INTERESTS, pick.randint(1, 5)),
                        region=pick.choice(REGIONS),
                        in_post_since=date(pick.randint(2015, 2026), pick.randint(1, 10), 1),
                        buddy=pick.random() < 0.2,
                        email=f"member{n}@nhs.example",
                    )
                )
            for _ in range(count // 10):
                a, b = pick.sample(made, 2)
                await repos.intros.block(a, b, NOW)
                await intros.never_pair_with(repos, pick.choice(made), other_id=pick.choice(made))
            return made

        self.members = await self.unit(add)

    async def one_round(self) -> tuple[float, int]:
        """Seconds for the scheduler to run a round for everyone; how many introductions."""
        await self.unit(lambda repos: intros.start_round(repos, RoundPlan(), NOW, OPERATOR))
        began = time.perf_counter()
        await self.bot.scheduler.run_due()
        seconds = time.perf_counter() - began
        made = await self.unit(lambda repos: intros.stats(repos, NOW))
        return seconds, made.round_introductions

    def wanted(self) -> Search:
        kind = self.pick.randrange(4)
        if kind == 0:
            return Search(interest=self.pick.choice(SUGGESTED_INTERESTS))
        if kind == 1:
            return Search(region=self.pick.choice(REGIONS))
        if kind == 2:
            return Search(new_in_post=True)
        return Search(name=self.pick.choice(("jones", "shah", "member 1", "okafor trust")))

    async def searches(self, count: int) -> list[float]:
        latencies = []
        for _ in range(count):
            viewer, wanted = self.pick.choice(self.members), self.wanted()
            began = time.perf_counter()
            await self.unit(lambda r, v=viewer, w=wanted: intros.search(r, v, w, NOW.date()))
            latencies.append(time.perf_counter() - began)
        return latencies


async def measure(name: str, url: str, members: int, searches: int) -> None:
    settings = Settings(database_url=url, semantic="off")
    bot = await Bot.start(settings, clock=lambda: NOW)
    try:
        bench = Bench(bot, random.Random(12))
        await bench.populate(members)
        seconds, made = await bench.one_round()
        print(f"{name:10} round  members={members} introductions={made:<4} {seconds:6.2f} s")
        latencies = await bench.searches(searches)
        print(
            f"{name:10} search n={searches} p50 {statistics.median(latencies) * 1000:6.1f} ms  "
            f"p99 {p99(latencies) * 1000:6.1f} ms",
            flush=True,
        )
    finally:
        await bot.close()


async def main(members: int, searches: int, postgres: str | None) -> None:
    await on_each_database(lambda name, url: measure(name, url, members, searches), postgres)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CEDP_TEST_POSTGRES_URL"),
        help="a PostgreSQL server to create the scratch database bench_intros on",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.searches, arguments.postgres))
