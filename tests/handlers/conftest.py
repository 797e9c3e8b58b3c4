"""Running `cedp-bot` in this process, as staff and scripts do, for the command-line tests; and a
bot with no rate limit for tests that press many buttons in a row."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import pytest

from bot.cli import main
from bot.core import Bot
from bot.settings import Settings
from storage.database import Database
from storage.migrate import upgrade_database
from storage.repositories import Repositories
from tests.conftest import FakeClock, unit

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Ran:
    code: int
    out: str
    err: str


Cli = Callable[..., Ran]


@pytest.fixture
async def unthrottled_bot(settings: Settings, clock: FakeClock) -> AsyncIterator[Bot]:
    """No per-person rate limit in the way: a wizard or a replay is many presses in a row."""
    started = await Bot.start(
        settings.model_copy(update={"rate_limit_per_minute": 100_000}), clock=clock
    )
    yield started
    await started.close()


@pytest.fixture
def cedp_bot(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys) -> Cli:
    """Run `cedp-bot ARGS...` in this process with `input` on stdin."""
    monkeypatch.setenv("CEDP_DATABASE_URL", database_url)
    monkeypatch.setenv("CEDP_SEMANTIC", "off")
    monkeypatch.setenv("CEDP_QUIET_HOURS", "")  # these run at any hour of the real clock

    def run(*args: str, input: str = "") -> Ran:
        monkeypatch.setattr("sys.stdin", io.StringIO(input))
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse refusing the arguments
            code = int(exit.code or 0)
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err, captured.err
        return Ran(code, captured.out, captured.err)

    return run


def succeeded(cedp_bot: Cli, *args: str) -> str:
    """What `cedp-bot ARGS...` printed, once it exited 0."""
    ran = cedp_bot(*args)
    assert ran.code == 0, ran.err
    return ran.out


def refused(cedp_bot: Cli, *args: str) -> str:
    """Why `cedp-bot ARGS...` refused: a non-zero exit, nothing on stdout, this on stderr."""
    ran = cedp_bot(*args)
    assert ran.code != 0 and ran.out == ""
    return ran.err.strip()


def in_database(database_url: str, work: Callable[[Repositories], Awaitable[T]]) -> T:
    """Run `work` in one transaction on the database the command line uses (set-up, checks)."""

    async def run() -> T:
        database = Database(database_url)
        try:
            await upgrade_database(database.engine)
            return await unit(database, work)
        finally:
            await database.dispose()

    return asyncio.run(run())
