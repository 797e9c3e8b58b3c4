"""One busy chat must not stall the others: the others' reply latency while one person floods.

    python -m benchmarks.busy_chat [--rounds 5] [--others 50] [--burst 20] [--postgres URL]
                                   [--overall-per-second N]

A real `cedp-bot serve` answers Telegram webhooks from a loopback Bot API in this process. In
each round one person sends `--burst` FAQ questions at once (within the per-person rate limit)
while `--others` people send one question each, all at the same moment; latency runs from a
person's POST to their reply arriving. The busy person's replies are paced to about one a second
in their chat, as Telegram asks, so their last reply comes many seconds later: that wait must
not reach anyone else. Each round uses new people. A round with nobody busy gives the baseline.

Telegram's overall limit (30 messages a second) would make 50 simultaneous replies take over a
second by itself, whatever the bot does; it is lifted by default, so the figure shows what the
bot's own waiting costs. `--overall-per-second 30` runs with Telegram's real limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from benchmarks.webhook import (
    FIRST_USER,
    SECRET,
    free_port,
    questions,
    server_environment,
    wait_healthy,
)
from bot.adapters.telegram import SECRET_HEADER, WEBHOOK_PATH
from tests.e2e.loopback import LoopbackPlatforms
from tests.e2e.payloads import telegram_message

HEADERS = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}


async def one_round(
    url: str, fake: LoopbackPlatforms, first_user: int, others: int, burst: int
) -> tuple[list[float], float | None]:
    """(the others' latencies, seconds until the busy person's last reply or None)."""
    pool = questions()
    busy = first_user
    posts = [(busy, pool[n % len(pool)]) for n in range(burst)]
    posts += [(first_user + 1 + n, pool[(n * 7) % len(pool)]) for n in range(others)]
    posted: dict[int, float] = {}
    before = len(fake.calls)
    async with aiohttp.ClientSession() as http:

        async def post(number: int, user: int, text: str) -> None:
            update = telegram_message(first_user * 100 + number, user, text)
            posted.setdefault(user, time.monotonic())
            async with http.post(url + WEBHOOK_PATH, data=json.dumps(update), headers=HEADERS):
                pass

        await asyncio.gather(*(post(n, user, text) for n, (user, text) in enumerate(posts)))
    replies: dict[int, list[float]] = {}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        replies = {}
        for call in fake.calls[before:]:
            if call.method == "sendMessage":
                replies.setdefault(call.params.get("chat_id"), []).append(call.at)
        done_others = sum(1 for user in range(busy + 1, busy + 1 + others) if user in replies)
        if done_others == others and (burst == 0 or len(replies.get(busy, [])) >= burst):
            break
        await asyncio.sleep(0.05)
    else:
        raise RuntimeError("not every message was answered within 120 s")
    latencies = [replies[user][0] - posted[user] for user in range(busy + 1, busy + 1 + others)]
    busy_done = max(replies[busy]) - posted[busy] if burst else None
    return latencies, busy_done


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)]


async def main(
    rounds: int, others: int, burst: int, postgres: str | None, overall: float | None
) -> None:
    async with LoopbackPlatforms() as fake:
        env = server_environment(fake, messages_per_second=overall or 1_000_000)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as folder:
            env["CEDP_DATABASE_URL"] = postgres or f"sqlite+aiosqlite:///{Path(folder) / 'b.db'}"
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "serve", "--port", str(port), env=env
            )
            try:
                await wait_healthy(url, process)
                user = FIRST_USER
                await one_round(url, fake, user, others, 0)  # warm-up
                calm: list[float] = []
                busy: list[float] = []
                busy_done: list[float] = []
                for _ in range(rounds):
                    user += others + 1
                    calm += (await one_round(url, fake, user, others, 0))[0]
                    user += others + 1
                    latencies, done = await one_round(url, fake, user, others, burst)
                    busy += latencies
                    assert done is not None
                    busy_done.append(done)
            finally:
                process.terminate()
                await asyncio.wait_for(process.wait(), timeout=30)
    database = "PostgreSQL" if postgres else "SQLite file"
    limit = f"{overall:g} messages/s overall" if overall else "overall limit lifted"
    print(f"{rounds} rounds, {others} others, one person sending {burst}; {database}; {limit}")
    for name, values in (("nobody busy", calm), (f"one person sending {burst}", busy)):
        print(
            f"  others' replies, {name:24} p50 {statistics.median(values) * 1000:6.0f} ms   "
            f"p99 {p99(values) * 1000:6.0f} ms"
        )
    print(f"  the busy person's last reply after {statistics.median(busy_done):.1f} s (median)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--others", type=int, default=50)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--postgres", metavar="URL", help="a scratch PostgreSQL database URL")
    parser.add_argument("--overall-per-second", type=float, help="Telegram's overall limit")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.others, args.burst, args.postgres, args.overall_per_second))
