"""Shared fixtures: every storage-touching test runs on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
import inspect
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import delete, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.settings import Settings
from domain.people import Role
from storage.database import Database
from storage.invites import format_code
from storage.models import Base
from storage.repositories import Repositories

POSTGRES_URL = os.environ.get("CEDP_TEST_POSTGRES_URL")
T = TypeVar("T")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _postgres_unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


async def _fresh_postgres_database() -> str:
    """CREATE DATABASE for one test: full isolation, configured by the URL alone."""
    assert POSTGRES_URL is not None
    name = f"cedp_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # connection refused, auth, missing driver: all mean "no server"
        _postgres_unavailable(f"{type(error).__name__}: {error}")
    finally:
        await admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(url: str) -> None:
    assert POSTGRES_URL is not None
    name = make_url(url).database
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'cedp.db'}"
        return
    if not POSTGRES_URL:
        _postgres_unavailable("CEDP_TEST_POSTGRES_URL is not set")
    url = await _fresh_postgres_database()
    yield url
    await _drop_postgres_database(url)


@dataclass
class FakeClock:
    """A clock tests move by hand, to reach expiries without sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 24, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, semantic="off")  # see tests/knowledge/test_semantic


@pytest.fixture
async def bot(settings: Settings, clock: FakeClock) -> AsyncIterator[Bot]:
    started = await Bot.start(settings, clock=clock)
    yield started
    await started.close()


@pytest.fixture
def chat(bot: Bot) -> TestChat:
    return TestChat(bot, user_id="alice", display_name="Alice Jones")


async def unit(database: Database, work: Callable[[Repositories], Awaitable[T]]) -> T:
    """Run `work` on the repositories of one transaction, as one unit of work would."""
    async with database.transaction() as session:
        return await work(Repositories.bound_to(session))


async def create_invite(
    bot: Bot,
    role: Role = Role.MEMBER,
    *,
    tags: tuple[str, ...] = (),
    uses: int = 1,
    expires_in: timedelta | None = timedelta(days=14),
) -> str:
    """A fresh invite code, as staff would create one."""
    now = bot.services.clock()
    async with bot.services.database.transaction() as session:
        invite = await Repositories.bound_to(session).invites.create(
            role=role,
            tags=tags,
            max_uses=uses,
            expires_at=now + expires_in if expires_in else None,
            now=now,
        )
    return format_code(invite.code)


async def join_as(bot: Bot, chat: TestChat, role: Role = Role.MEMBER, **invite: object) -> None:
    """Make the person behind `chat` a member with `role`."""
    code = await create_invite(bot, role, **invite)  # type: ignore[arg-type]
    replies = await chat.send(f"/join {code}")
    assert "Welcome" in chat.text, replies


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], seconds: float, what: str
) -> None:
    """Wait until `condition` (plain or async) holds; AssertionError naming `what` if it never
    does within `seconds`."""
    for _ in range(int(seconds / 0.02)):
        met = condition()
        if await met if inspect.isawaitable(met) else met:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not within {seconds} s: {what}")


async def wipe_all_but_keys(bot: Bot) -> None:
    """Property-test examples share one test's database: each starts with nothing in it but
    the bot's own keys (`secret_keys`), so bound buttons and signed cookies keep opening."""
    async with bot.services.database.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "secret_keys":
                await session.execute(delete(table))
