"""Broadcast sending: throughput, keeping to Telegram's limit, and replies while one drains.

    python -m benchmarks.broadcast [--recipients 10000] [--limited 500] [--chatters 20]
                                   [--postgres URL]

A real `cedp-bot serve` (Telegram only) sends to a loopback Bot API in this process; members are
written straight into a fresh database (tests/e2e/roster.py) and the broadcast is scheduled
before the server starts. Three figures:
(a) messages a second sustained, first message to last, with no platform limit
    (TELEGRAM_MESSAGES_PER_SECOND and TELEGRAM_BROADCAST_MESSAGES_PER_SECOND lifted);
(b) with the loopback answering 429 above 30 messages in any second and the server's
    default limits (30 overall, 25 for broadcasts): the rate achieved and the 429s received;
(c) as (b), while the broadcast drains, `--chatters` people each ask five FAQ questions, one
    at a time a second apart: the latency from their POST to their reply reaching the Bot API.

With --postgres the database at URL is dropped and created again for each figure (give it a
scratch name such as bench_bc); without, each figure gets a new SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.busy_chat import HEADERS, p99
from benchmarks.webhook import (
    FIRST_USER,
    cpu_seconds,
    free_port,
    questions,
    server_environment,
    wait_healthy,
)
from bot.adapters.telegram import WEBHOOK_PATH
from tests.e2e.loopback import LoopbackPlatforms, RecordedCall
from tests.e2e.payloads import telegram_message
from tests.e2e.roster import Roster

TEXT = "Benchmark broadcast: the spring residential is confirmed."
FIRST_RECIPIENT = 1_000_000
TELEGRAM_LIMIT = 30  # what the loopback allows in any second, as Telegram does
QUESTIONS_EACH = 5
UNLIMITED = 1_000_000.0


class FreshDatabases:
    """A new, empty database for each figure: a SQLite file, or the PostgreSQL one recreated."""

    def __init__(self, folder: Path, postgres: str | None) -> None:
        self._folder = folder
        self._postgres = postgres
        self._made = 0

    async def new(self) -> str:
        self._made += 1
        if self._postgres is None:
            return f"sqlite+aiosqlite:///{self._folder / f'broadcast{self._made}.db'}"
        url = make_url(self._postgres)
        admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
                await connection.execute(text(f'CREATE DATABASE "{url.database}"'))
        finally:
            await admin.dispose()
        return self._postgres


async def schedule_broadcast(database_url: str, recipients: int) -> None:
    async with Roster.open(database_url) as roster:
        await roster.add_telegram_members(range(FIRST_RECIPIENT, FIRST_RECIPIENT + recipients))
        await roster.broadcast(TEXT)


@asynccontextmanager
async def serving(
    fake: LoopbackPlatforms, database_url: str, *, overall: float, bulk: float
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    env = server_environment(fake, messages_per_second=overall)
    env |= {
        "CEDP_DATABASE_URL": database_url,
        "CEDP_QUIET_HOURS": "",
        "TELEGRAM_BROADCAST_MESSAGES_PER_SECOND": f"{bulk:g}",
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--port", str(port), env=env
    )
    try:
        await wait_healthy(url, process)
        yield url, process
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)


def broadcast_sends(fake: LoopbackPlatforms) -> list[RecordedCall]:
    return [call for call in fake.calls_to("sendMessage") if TEXT in call.params["text"]]


async def until_sent(fake: LoopbackPlatforms, count: int, seconds: float) -> list[RecordedCall]:
    """The broadcast's accepted sends, once there are `count` of them."""
    deadline = time.monotonic() + seconds
    while len(sends := broadcast_sends(fake)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(sends)} of {count} sent within {seconds:.0f} s")
        await asyncio.sleep(0.05)
    return sends


def rate(sends: list[RecordedCall]) -> float:
    """Messages a second from the first send to the last."""
    return (len(sends) - 1) / (sends[-1].at - sends[0].at)


async def unlimited(databases: FreshDatabases, recipients: int) -> str:
    database_url = await databases.new()
    await schedule_broadcast(database_url, recipients)
    async with (
        LoopbackPlatforms() as fake,
        serving(fake, database_url, overall=UNLIMITED, bulk=UNLIMITED) as (_, server),
    ):
        await until_sent(fake, 1, 60)
        cpu_before = cpu_seconds(server.pid)
        sends = await until_sent(fake, recipients, 600)
        cpu = cpu_seconds(server.pid) - cpu_before
    return (
        f"(a) {recipients} recipients, no platform limit: {rate(sends):.0f} messages/s "
        f"sustained (goal >= 1,000/s); server CPU {cpu / len(sends) * 1000:.2f} ms/message"
    )


async def limited(databases: FreshDatabases, recipients: int) -> str:
    database_url = await databases.new()
    await schedule_broadcast(database_url, recipients)
    async with LoopbackPlatforms() as fake:
        fake.limit_rate("sendMessage", TELEGRAM_LIMIT)
        async with serving(fake, database_url, overall=TELEGRAM_LIMIT, bulk=25):
            sends = await until_sent(fake, recipients, recipients / 10 + 60)
    return (
        f"(b) {recipients} recipients, loopback 429 above {TELEGRAM_LIMIT}/s: "
        f"{rate(sends):.2f} messages/s (goal 25/s, within 5%); "
        f"{fake.rate_limited} 429s (goal 0)"
    )


class Replies:
    """Resolves a waiter when the Bot API receives a message for the waiter's chat."""

    def __init__(self, fake: LoopbackPlatforms) -> None:
        self._fake = fake
        self._seen = 0
        self._waiting: dict[int, asyncio.Future[float]] = {}

    def expect(self, chat: int) -> asyncio.Future[float]:
        self._waiting[chat] = asyncio.get_running_loop().create_future()
        return self._waiting[chat]

    async def watch(self) -> None:
        while True:
            arrived, self._seen = self._fake.calls[self._seen :], len(self._fake.calls)
            for call in arrived:
                waiter = self._waiting.get(call.params.get("chat_id", 0))
                if call.method == "sendMessage" and waiter is not None and not waiter.done():
                    waiter.set_result(call.at)
            await asyncio.sleep(0.005)


async def chatting_while_draining(databases: FreshDatabases, recipients: int, people: int) -> str:
    database_url = await databases.new()
    await schedule_broadcast(database_url, recipients)
    pool = questions()
    async with LoopbackPlatforms() as fake:
        fake.limit_rate("sendMessage", TELEGRAM_LIMIT)
        async with serving(fake, database_url, overall=TELEGRAM_LIMIT, bulk=25) as (url, _):
            await until_sent(fake, 50, 60)  # draining at its steady rate
            replies = Replies(fake)
            watcher = asyncio.create_task(replies.watch())
            latencies: list[float] = []
            started, sent_before = time.monotonic(), len(broadcast_sends(fake))

            async def chat(http: aiohttp.ClientSession, person: int) -> None:
                user = FIRST_USER + person
                for number in range(QUESTIONS_EACH):
                    question = pool[(person * QUESTIONS_EACH + number) % len(pool)]
                    update = telegram_message(person * 100 + number + 1, user, question)
                    reply = replies.expect(user)
                    posted = time.monotonic()
                    async with http.post(
                        url + WEBHOOK_PATH, data=json.dumps(update), headers=HEADERS
                    ) as response:
                        assert response.status == 200, response.status
                    latencies.append(await asyncio.wait_for(reply, 30) - posted)
                    await asyncio.sleep(1)

            try:
                async with aiohttp.ClientSession() as http:
                    await asyncio.gather(*(chat(http, person) for person in range(people)))
            finally:
                watcher.cancel()
            during = (len(broadcast_sends(fake)) - sent_before) / (time.monotonic() - started)
    return (
        f"(c) {people} people chatting ({len(latencies)} questions) while {recipients} "
        f"recipients drain: reply p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {p99(latencies) * 1000:.0f} ms (goal < 1,000 ms); broadcast meanwhile "
        f"{during:.1f} messages/s; {fake.rate_limited} 429s"
    )


async def main(recipients: int, limited_to: int, people: int, postgres: str | None) -> None:
    database = "PostgreSQL" if postgres else "SQLite file"
    print(f"broadcast benchmark, {database}, a fresh database for each figure", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        databases = FreshDatabases(Path(folder), postgres)
        print(await unlimited(databases, recipients), flush=True)
        print(await limited(databases, limited_to), flush=True)
        print(await chatting_while_draining(databases, 2 * limited_to, people), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000, help="for figure (a)")
    parser.add_argument("--limited", type=int, default=500, help="recipients for figure (b)")
    parser.add_argument("--chatters", type=int, default=20, help="people chatting in (c)")
    parser.add_argument("--postgres", metavar="URL", help="a scratch PostgreSQL database URL")
    args = parser.parse_args()
    asyncio.run(main(args.recipients, args.limited, args.chatters, args.postgres))
