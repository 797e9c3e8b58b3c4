"""Real `cedp-bot serve` processes beside the loopback platforms, for tests that kill one or
run two: what a deployment does, which an in-process server cannot show."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import BinaryIO

import aiohttp

from tests.e2e.conftest import SLACK_SIGNING_SECRET, TELEGRAM_SECRET, Endpoint
from tests.e2e.loopback import LoopbackPlatforms

ROOT = Path(__file__).resolve().parents[2]
WORKERS = ("one", "two")  # the loopback's `sender` of each worker's Telegram calls


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(
    database_url: str, platforms: LoopbackPlatforms, **overrides: str
) -> dict[str, str]:
    """Both adapters at the loopback platforms, no platform limit, quiet logs; `overrides` win."""
    return {
        **os.environ,
        "CEDP_DATABASE_URL": database_url,
        "CEDP_SEMANTIC": "off",
        "CEDP_LOG_LEVEL": "WARNING",
        "CEDP_KNOWLEDGE_RELOAD_SECONDS": "0",
        "CEDP_RATE_LIMIT_PER_MINUTE": "1000",
        "TELEGRAM_BOT_TOKEN": platforms.TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": platforms.telegram_base_url,
        "TELEGRAM_MESSAGES_PER_SECOND": "100000",
        "SLACK_BOT_TOKEN": platforms.SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "SLACK_API_BASE_URL": platforms.slack_base_url,
        "PYTHONPATH": str(ROOT),
        **overrides,
    }


@asynccontextmanager
async def serving(
    environment: dict[str, str], port: int, *, stderr: BinaryIO | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A `cedp-bot serve` process, healthy; killed with SIGKILL if still running at the end.
    Its log goes to `stderr` when given, else to the test's own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "bot.cli", "serve", "--port", str(port)),
        env=environment,
        cwd=ROOT,
        stderr=stderr,
    )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                if process.returncode is not None:
                    raise AssertionError(f"cedp-bot serve exited with {process.returncode}")
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("cedp-bot serve did not become healthy")
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@asynccontextmanager
async def workers(
    database_url: str, platforms: LoopbackPlatforms, **overrides: str
) -> AsyncIterator[list[Endpoint]]:
    """Two `cedp-bot serve` processes on one database, started together, as a deployment with
    two workers runs; each marks its Telegram calls with its name in `WORKERS`."""
    ports = [free_port() for _ in WORKERS]
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(aiohttp.ClientSession())

        async def start(name: str, port: int) -> None:
            base = platforms.telegram_base_url_of(name)
            env = environment(database_url, platforms, TELEGRAM_API_BASE_URL=base, **overrides)
            await stack.enter_async_context(serving(env, port))

        await asyncio.gather(*map(start, WORKERS, ports))
        yield [Endpoint(f"http://127.0.0.1:{port}", http) for port in ports]
