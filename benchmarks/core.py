"""Events per second and latency through the whole core: middleware, database, FAQ matcher.

    python -m benchmarks.core [--events 2000] [--concurrency 16] [--postgres URL]

Each event is a knowledge-base question from a different person, so every event runs the
complete pipeline (transaction, identify, rate limit, conversation lookup, match, reply).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bot.core import Bot
from bot.messages import Conversation, InboundEvent, Sender, TextMessage
from bot.settings import Settings

QUESTIONS = [
    "what is the CEDP",
    "how do I join",
    "who runs the programme",
    "is there coaching",
    "what does mentoring involve",
    "how is my data used",
    "zxqv wplk",
]


async def run(database_url: str, events: int, concurrency: int) -> tuple[float, float, float]:
    bot = await Bot.start(Settings(database_url=database_url))
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(events):
        queue.put_nowait(number)

    async def worker() -> None:
        while not queue.empty():
            number = queue.get_nowait()
            sender = Sender("bench", f"person-{number}")
            event = InboundEvent(
                sender,
                Conversation("bench", sender.external_id),
                TextMessage(QUESTIONS[number % len(QUESTIONS)]),
            )
            started = time.perf_counter()
            replies = await bot.handle(event)
            latencies.append(time.perf_counter() - started)
            assert replies, "every event is answered"

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await bot.close()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return events / elapsed, statistics.median(latencies) * 1000, p99 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--postgres", help="also measure on this PostgreSQL URL (scratch database)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        targets = [("SQLite file", f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")]
        if args.postgres:
            targets.append(("PostgreSQL", args.postgres))
        print(f"{args.events} events, concurrency {args.concurrency}")
        for name, url in targets:
            rate, p50, p99 = asyncio.run(run(url, args.events, args.concurrency))
            print(f"{name:12} {rate:8.0f} events/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")


if __name__ == "__main__":
    main()
