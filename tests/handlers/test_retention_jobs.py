"""The retention sweep as the real scheduler runs it on a fake clock: once every
CEDP_RETENTION_SWEEP_MINUTES on whichever worker claims it, purging what has passed its period
and logging counts only; and `cedp-bot db purge`, the same sweep run now."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.core import Bot
from bot.settings import Settings
from services import retention
from storage.repositories import Repositories
from tests.conftest import FakeClock, unit
from tests.handlers.conftest import Cli, in_database, refused, succeeded

QUESTION = "Can I bring my deputy, Dr Rivers, to the March residential?"
ASKER = "Alice Jones"


async def _answered(repos: Repositories, days_ago: float, now: datetime) -> int:
    """A team question answered `days_ago` days before `now`."""
    row = await repos.team_questions.create(
        question=QUESTION, platform="test", recipient_id="alice", asker_name=ASKER, now=now
    )
    await repos.team_questions.answer(
        row.id, "Yes, tell us their name.", now - timedelta(days=days_ago)
    )
    return row.id


def _sweeps(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "handlers.retention_jobs" and record.levelno == logging.INFO
    ]


async def test_the_sweep_runs_every_interval_and_purges_once_the_period_is_over(
    bot: Bot, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    database = bot.services.database
    almost = timedelta(days=90) - timedelta(minutes=30)
    question = await unit(
        database, lambda repos: _answered(repos, almost / timedelta(days=1), clock.now)
    )
    caplog.set_level(logging.INFO, logger="handlers.retention_jobs")

    await bot.scheduler.plan_recurring()
    assert await bot.scheduler.run_due() == 1  # the sweep of this hour, due at start
    assert await unit(database, lambda repos: repos.team_questions.get(question)) is not None
    clock.advance(minutes=59)
    assert await bot.scheduler.run_due() == 0  # the next sweep is at the top of the hour
    clock.advance(minutes=1)
    assert await bot.scheduler.run_due() == 1

    assert await unit(database, lambda repos: repos.team_questions.get(question)) is None
    first, second = _sweeps(caplog)
    assert first.startswith("retention sweep purged 0 answered team questions, ")
    assert second.startswith("retention sweep purged 1 answered team questions, ")
    assert QUESTION not in caplog.text and ASKER not in caplog.text


async def test_two_workers_sweep_once_an_interval_between_them(
    settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    first = await Bot.start(settings, clock=clock)
    second = await Bot.start(settings, clock=clock, migrate=False)
    caplog.set_level(logging.INFO, logger="handlers.retention_jobs")
    try:
        await unit(first.services.database, lambda repos: _answered(repos, 91, clock.now))
        await asyncio.gather(first.scheduler.plan_recurring(), second.scheduler.plan_recurring())
        ran = await asyncio.gather(first.scheduler.run_due(), second.scheduler.run_due())
        clock.advance(minutes=settings.retention_sweep_minutes)
        ran += await asyncio.gather(second.scheduler.run_due(), first.scheduler.run_due())
    finally:
        await first.close()
        await second.close()
    assert sum(ran) == 2
    assert [line.split(", ")[0] for line in _sweeps(caplog)] == [
        "retention sweep purged 1 answered team questions",
        "retention sweep purged 0 answered team questions",
    ]


async def test_the_sweep_follows_the_interval_in_the_settings(
    settings: Settings, clock: FakeClock
) -> None:
    every_quarter = settings.model_copy(update={"retention_sweep_minutes": 15})
    bot = await Bot.start(every_quarter, clock=clock)
    try:
        await bot.scheduler.plan_recurring()
        async with bot.services.database.transaction() as session:
            due = [
                job.due_at
                for job in await Repositories.bound_to(session).jobs.list()
                if job.kind == retention.SWEEP
            ]
    finally:
        await bot.close()
    assert due == [clock.now, clock.now + timedelta(minutes=15)]


def test_db_purge_runs_the_sweep_now_and_prints_what_each_rule_purged(
    cedp_bot: Cli, database_url: str
) -> None:
    now = datetime.now(UTC)
    in_database(database_url, lambda repos: _answered(repos, 91, now))

    lines = succeeded(cedp_bot, "db", "purge").splitlines()

    assert lines[0] == "1\tanswered team questions"
    assert [line.split("\t")[1] for line in lines] == [rule.what for rule in retention.RULES]
    assert succeeded(cedp_bot, "db", "purge").splitlines()[0] == "0\tanswered team questions"


def test_a_zero_retention_period_is_refused_before_anything_runs(
    cedp_bot: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CEDP_RETENTION_TEAM_QUESTION_DAYS", "0")

    assert refused(cedp_bot, "db", "purge") == (
        "cedp-bot: setting CEDP_RETENTION_TEAM_QUESTION_DAYS: Input should be greater than 0"
    )
