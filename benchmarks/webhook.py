"""Telegram webhook throughput and latency: `cedp-bot serve` against a bare echo bot.

    python -m benchmarks.webhook [--updates 2000] [--concurrency 32] [--rounds 3] [--postgres URL]

Each server runs as its own process, one after the other, with the same load: N genuine
Telegram updates carrying FAQ questions, each from a different person, POSTed to
/telegram/webhook at the given concurrency. Replies are counted where they arrive, at a loopback
Bot API in this process; latency runs from the POST to the first reply for that person.
Throughput is updates answered per second, first POST to last reply. The floor is
benchmarks/echo_bot.py: python-telegram-bot echoing the text, behind a webhook with the same
secret check that queues updates in memory (cedp-bot stores each in its inbox first).
The servers take turns for several rounds, and the median of each is reported, because this
machine's speed drifts by about 10% from one minute to the next.

cedp-bot sends through aiohttp (bot/adapters/telegram_http.py) where the bare echo bot uses
python-telegram-bot's default httpx transport. A third server, the echo bot on cedp-bot's
transport, shows how much of the difference the transport makes.

The fake Bot API is not Telegram, so cedp-bot's overall limit of 30 messages a second would
make the benchmark measure that limit: it runs with TELEGRAM_MESSAGES_PER_SECOND lifted (the
pacing code still runs; each person's chat gets one message in this load).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import yaml

from bot.adapters.telegram import SECRET_HEADER, WEBHOOK_PATH
from bot.settings import SHIPPED_KNOWLEDGE
from tests.e2e.loopback import LoopbackPlatforms
from tests.e2e.payloads import telegram_message

SECRET = "benchmark-secret"
FLOOR = "echo bot (floor)"
CEDP = "cedp-bot serve"
FIRST_USER = 10_000_000


@dataclass(frozen=True)
class Figures:
    name: str
    updates_per_second: float
    p50_ms: float
    p99_ms: float
    server_cpu_ms: float  # CPU time of the server process per update
    load_cpu_ms: float  # CPU time of this process (load and fake Bot API) per update


def questions() -> list[str]:
    """Every phrasing in the shipped knowledge base: real questions, not echo-friendly text."""
    found: list[str] = []
    for path in sorted(SHIPPED_KNOWLEDGE.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            found.append(entry["question"])
            found.extend(entry.get("alternates", []))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_environment(
    fake: LoopbackPlatforms, *, semantic: str = "off", messages_per_second: float = 1_000_000
) -> dict[str, str]:
    """A server's settings: Telegram only, at the loopback Bot API, quiet, no reloads."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": fake.telegram_base_url,
        "TELEGRAM_MESSAGES_PER_SECOND": f"{messages_per_second:g}",
        "CEDP_SEMANTIC": semantic,
        "CEDP_LOG_LEVEL": "WARNING",
        "CEDP_KNOWLEDGE_RELOAD_SECONDS": "0",
    }
    env.pop("SLACK_BOT_TOKEN", None)
    return env


async def wait_healthy(url: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if process.returncode is not None:
                raise RuntimeError(f"{url} exited with {process.returncode}")
            try:
                async with http.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy")


async def load(
    url: str, fake: LoopbackPlatforms, texts: list[str], first_update: int, concurrency: int
) -> tuple[float, list[float]]:
    """POST one update per person; wait for every person's reply. Returns (seconds, latencies)."""
    posted: dict[int, float] = {}
    pending = list(range(len(texts)))
    pending.reverse()
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

        async def worker() -> None:
            while pending:
                number = pending.pop()
                user = FIRST_USER + first_update + number
                body = json.dumps(telegram_message(first_update + number, user, texts[number]))
                posted[user] = time.monotonic()
                async with http.post(url + WEBHOOK_PATH, data=body, headers=headers) as response:
                    assert response.status == 200, response.status

        before = len(fake.calls)
        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        deadline = time.monotonic() + 120
        first_reply: dict[int, float] = {}
        while len(first_reply) < len(texts) and time.monotonic() < deadline:
            arrived, before = fake.calls[before:], len(fake.calls)
            for call in arrived:
                chat = call.params.get("chat_id")
                if call.method == "sendMessage" and chat in posted and chat not in first_reply:
                    first_reply[chat] = call.at
            await asyncio.sleep(0.05)
    if len(first_reply) < len(texts):
        raise RuntimeError(f"only {len(first_reply)} of {len(texts)} updates were answered")
    finished = max(first_reply.values())
    return finished - started, [first_reply[user] - posted[user] for user in first_reply]


async def measure(
    name: str,
    command: list[str],
    env: dict[str, str],
    fake: LoopbackPlatforms,
    texts: list[str],
    concurrency: int,
    warmup: int,
    first_update: int,
) -> Figures:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = await asyncio.create_subprocess_exec(*command, "--port", str(port), env=env)
    try:
        await wait_healthy(url, process)
        await load(url, fake, texts[:warmup], first_update, concurrency)
        fake.reset()
        server_before, load_before = cpu_seconds(process.pid), time.process_time()
        seconds, latencies = await load(url, fake, texts, first_update + warmup, concurrency)
        server_cpu = cpu_seconds(process.pid) - server_before
        load_cpu = time.process_time() - load_before
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)
    latencies.sort()
    return Figures(
        name,
        len(texts) / seconds,
        statistics.median(latencies) * 1000,
        latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        server_cpu / len(texts) * 1000,
        load_cpu / len(texts) * 1000,
    )


async def main(
    updates: int, concurrency: int, rounds: int, postgres: str | None, semantic: str
) -> None:
    pool = questions()
    texts = [pool[number % len(pool)] for number in range(updates)]
    async with LoopbackPlatforms() as fake:
        env = server_environment(fake, semantic=semantic)
        python = sys.executable
        echo = [python, "-m", "benchmarks.echo_bot"]
        servers = {
            FLOOR: echo,
            "echo bot, aiohttp transport": [*echo, "--aiohttp-transport"],
            CEDP: [python, "-m", "bot.cli", "serve"],
        }
        warmup = min(200, updates // 5)
        results: dict[str, list[Figures]] = {name: [] for name in servers}
        with tempfile.TemporaryDirectory() as folder:
            env["CEDP_DATABASE_URL"] = postgres or f"sqlite+aiosqlite:///{Path(folder) / 'b.db'}"
            for round_number in range(rounds):
                first_update = round_number * (updates + warmup)  # new people, new update ids
                for name, command in servers.items():
                    results[name].append(
                        await measure(
                            name, command, env, fake, texts, concurrency, warmup, first_update
                        )
                    )
    database = "PostgreSQL" if postgres else "SQLite file"
    print(f"{updates} updates, concurrency {concurrency}, {database}, semantic {semantic}")
    print(f"median of {rounds} rounds, servers taking turns")
    medians = {name: _median(figures) for name, figures in results.items()}
    for figures in medians.values():
        print(
            f"  {figures.name:28} {figures.updates_per_second:7.1f} updates/s   "
            f"p50 {figures.p50_ms:6.1f} ms   p99 {figures.p99_ms:7.1f} ms   "
            f"CPU/update: server {figures.server_cpu_ms:.2f} ms, load {figures.load_cpu_ms:.2f} ms"
        )
    ratios = [
        cedp.updates_per_second / floor.updates_per_second
        for cedp, floor in zip(results[CEDP], results[FLOOR], strict=True)
    ]
    print(
        f"  cedp-bot reaches {statistics.median(ratios):.0%} of the echo bot's throughput "
        f"(rounds: {', '.join(f'{ratio:.0%}' for ratio in ratios)}; target: at least 80%)"
    )


def _median(rounds: list[Figures]) -> Figures:
    """Each figure's median over the rounds."""
    return Figures(
        rounds[0].name,
        *(
            statistics.median(getattr(figures, field) for figures in rounds)
            for field in ("updates_per_second", "p50_ms", "p99_ms", "server_cpu_ms", "load_cpu_ms")
        ),
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="a scratch PostgreSQL database URL")
    parser.add_argument("--semantic", choices=["off", "on", "auto"], default="off")
    args = parser.parse_args()
    asyncio.run(main(args.updates, args.concurrency, args.rounds, args.postgres, args.semantic))
