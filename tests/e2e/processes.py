"""Real `cedp-bot serve` processes beside the loopback platforms, for tests that kill one or
run two: what a deployment does, which an in-process server cannot show."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO

import aiohttp

from tests.e2e.conftest import SLACK_SIGNING_SECRET, TELEGRAM_SECRET
from tests.e2e.loopback import LoopbackPlatforms

ROOT = Path(__file__).resolve().parents[2]


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
    environment: dict[str, str], port: int, *, log: IO[bytes] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A `cedp-bot serve` process, healthy, its log to `log` (None: this process' stderr);
    killed with SIGKILL if still running at the end."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "bot.cli", "serve", "--port", str(port)),
        env=environment,
        cwd=ROOT,
        stderr=log,
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
