"""The staff console's pages at the programme's size, fetched over HTTP as a browser would.

    python -m benchmarks.console [--members 500] [--requests 20] [--postgres URL]

On a fresh database (a SQLite file, and, when a PostgreSQL server is given (`--postgres`,
default $CEDP_TEST_POSTGRES_URL), a scratch database `bench_console` created here and dropped
after): `--members` members who all answered a check-in that has closed (benchmarks/pulse.py's
five questions, a breakdown by two tags), 20 coaches, and a broadcast to everyone still
pending. The real web application serves the console on loopback; a staff member signs in with
a link, then every page a browser can open (every GET route of every section, record numbers 1)
is fetched `--requests` times in turn. Printed per database and page: the status, p50 and p95
of the whole request, and the size of the answer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import time
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from benchmarks.intros import on_each_database
from benchmarks.pulse import Bench
from bot.core import Bot
from bot.settings import Settings
from bot.web import create_web_app
from console.app import sections
from services import console
from storage.database import Database
from storage.migrate import upgrade_database
from storage.repositories import Repositories
from tests.coaching_people import add_coach
from tests.e2e.roster import Roster

SCRATCH = "bench_console"
COACHES = 20


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _populate(url: str, members: int) -> Bench:
    settings = Settings(database_url=url, semantic="off", checkin_hours="always")
    database = Database(url)
    try:
        await upgrade_database(database.engine)
        bench = Bench(database, settings, random.Random(16))
        await bench.populate(members)
        checkin_id, _ = await bench.open()
        await bench.answer_all(checkin_id)
        await bench.results(checkin_id)  # closes it
        now = datetime.now(UTC)

        async def coaches(repos: Repositories) -> None:
            for number in range(COACHES):
                await add_coach(repos, f"Coach {number:02}", now)

        await bench.unit(coaches)
    finally:
        await database.dispose()
    async with Roster.open(url) as roster:
        await roster.broadcast("The spring residential is confirmed.", choices=("Yes", "No"))
    return bench


def _pages() -> list[str]:
    return [
        re.sub(r"\{[^}]+\}", "1", route.path)
        for pages in sections()
        for route in pages.routes
        if route.method == "GET"
    ]


async def measure(name: str, url: str, members: int, requests: int) -> None:
    bench = await _populate(url, members)
    settings = Settings(database_url=url, semantic="off", knowledge_reload_seconds=0)
    bot = await Bot.start(settings)
    runner = web.AppRunner(create_web_app(bot))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    origin = f"http://127.0.0.1:{runner.addresses[0][1]}"
    bot.services.settings.public_url = origin
    try:
        assert bench.staff is not None
        staff = bench.staff
        link = await bench.unit(
            lambda repos: console.issue_link(
                repos, staff, bot.services.clock(), bot.services.settings
            )
        )
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            async with http.post(link, headers={"Origin": origin}) as signed:
                assert signed.status == 200, signed.status
            for path in _pages():
                seconds, status, size = [], 0, 0
                for _ in range(requests):
                    began = time.perf_counter()
                    async with http.get(origin + path) as response:
                        body = await response.read()
                    seconds.append(time.perf_counter() - began)
                    status, size = response.status, len(body)
                print(
                    f"{name:10} {path:42} {status}  p50 {statistics.median(seconds) * 1000:6.1f} ms"
                    f"  p95 {_percentile(seconds, 0.95) * 1000:6.1f} ms  {size / 1024:6.1f} KB",
                    flush=True,
                )
    finally:
        await runner.cleanup()


async def main(members: int, requests: int, postgres: str | None) -> None:
    await on_each_database(
        lambda name, url: measure(name, url, members, requests), postgres, SCRATCH
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CEDP_TEST_POSTGRES_URL"),
        help="a PostgreSQL server to create the scratch database bench_console on",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.requests, arguments.postgres))
