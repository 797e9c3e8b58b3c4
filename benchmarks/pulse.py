"""Pulse check-ins at the programme's size: opening one, answering it, and its results.

    python -m benchmarks.pulse [--members 500] [--postgres URL]

Each figure is taken on a fresh database with `--members` members (a third new in post, a
quarter in London): a SQLite file, and, when a PostgreSQL server is given (`--postgres`, default
$CEDP_TEST_POSTGRES_URL), a scratch database `bench_pulse` on it, created here and dropped after.
Printed per database:
(open)    seconds to open a check-in for everyone: participation rows and each member's send job;
(answer)  p50 and p99 of one answer (its own transaction, as a button press is), over all of
          them, and per question over its last tenth, when its rows number close to `--members`
          (every answer rewrites its question's rows in a fresh order; a comment also reads the
          names to take out);
(results) seconds for staff's results of the closed check-in, with a breakdown by two tags.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from benchmarks.busy_chat import p99
from benchmarks.intros import on_each_database
from bot.settings import Settings
from domain.people import OPERATOR, MemberRef, Role
from domain.pulse import Definition, Question, QuestionKind
from services import pulse
from services.pulse_file import EXAMPLE, read_definition
from storage.database import Database
from storage.members import to_ref
from storage.migrate import upgrade_database
from storage.repositories import Repositories

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
SCRATCH = "bench_pulse"
BREAKDOWN = ("new-ceo", "london")
QUESTIONS = read_definition(EXAMPLE, "the example", datetime(2026, 12, 1, tzinfo=UTC)).questions
T = TypeVar("T")


class Bench:
    """One migrated database, its members, and a check-in open to them all."""

    def __init__(self, database: Database, settings: Settings, pick: random.Random) -> None:
        self.database = database
        self.settings = settings
        self.pick = pick
        self.members: list[MemberRef] = []
        self.staff: MemberRef | None = None

    async def unit(self, work: Callable[[Repositories], Awaitable[T]]) -> T:
        async with self.database.transaction() as session:
            return await work(Repositories.bound_to(session))

    async def populate(self, count: int) -> None:
        async def add(repos: Repositories) -> list[MemberRef]:
            made = []
            for n in range(count):
                tags = [tag for tag, share in zip(BREAKDOWN, (3, 4), strict=True) if n % share == 0]
                member = await repos.members.create(
                    display_name=f"Member {n:03}", role=Role.MEMBER, tags=tags, now=NOW
                )
                made.append(to_ref(member))
            staff = await repos.members.create(
                display_name="Programme Staff", role=Role.STAFF, tags=(), now=NOW
            )
            made.append(to_ref(staff))
            return made

        *self.members, self.staff = await self.unit(add)

    async def open(self) -> tuple[int, float]:
        """A new check-in and the seconds its opening took."""
        definition = Definition(
            "December check-in", NOW, NOW + timedelta(days=7), QUESTIONS, breakdown=BREAKDOWN
        )
        checkin = await self.unit(lambda repos: pulse.create(repos, definition, NOW, OPERATOR))
        began = time.perf_counter()
        await self.unit(lambda repos: pulse.open_checkin(repos, checkin.id, NOW, self.settings))
        return checkin.id, time.perf_counter() - began

    def _value(self, question: Question) -> int | None:
        if question.kind is QuestionKind.TEXT:
            return None
        return self.pick.choice(question.values()) if self.pick.random() > 0.1 else None

    async def answer_all(self, checkin_id: int) -> list[list[float]]:
        """Every member answers every question in turn (a tenth skipped); per question, the
        seconds of each answer."""
        per_question = []
        for position, question in enumerate(QUESTIONS):
            latencies = []
            for member in self.members:
                value, said = self._value(question), f"note from {member.display_name}"
                began = time.perf_counter()
                await self.unit(
                    lambda r, m=member, p=position, v=value, c=said: pulse.answer(
                        r, m, checkin_id, p, v, NOW, comment=c
                    )
                )
                latencies.append(time.perf_counter() - began)
            per_question.append(latencies)
        return per_question

    async def results(self, checkin_id: int) -> tuple[float, bool]:
        """Seconds for staff's results of the closed check-in; whether the breakdown showed."""
        await self.unit(lambda repos: pulse.close(repos, checkin_id, NOW, OPERATOR))
        began = time.perf_counter()
        shown = await self.unit(
            lambda repos: pulse.results(repos, self.staff, checkin_id, self.settings, NOW)
        )
        seconds = time.perf_counter() - began
        return seconds, any(question.breakdown for question in shown.release.questions)


def _latency(latencies: list[float]) -> str:
    return f"p50 {statistics.median(latencies) * 1000:6.1f} ms  p99 {p99(latencies) * 1000:6.1f} ms"


async def measure(name: str, url: str, members: int) -> None:
    settings = Settings(database_url=url, semantic="off", checkin_hours="always")
    database = Database(url)
    try:
        await upgrade_database(database.engine)
        bench = Bench(database, settings, random.Random(13))
        await bench.populate(members)
        checkin_id, seconds = await bench.open()
        print(f"{name:10} open    members={members} {seconds:6.2f} s")
        per_question = await bench.answer_all(checkin_id)
        every = [seconds for latencies in per_question for seconds in latencies]
        print(f"{name:10} answer  all {len(every)}: {_latency(every)}")
        for question, latencies in zip(QUESTIONS, per_question, strict=True):
            last = latencies[-(members // 10) :]
            print(f"{name:10} answer  {question.kind:6} last {len(last)}: {_latency(last)}")
        seconds, broken_down = await bench.results(checkin_id)
        print(
            f"{name:10} results respondents={members} breakdown shown={broken_down} "
            f"{seconds * 1000:6.1f} ms",
            flush=True,
        )
    finally:
        await database.dispose()


async def main(members: int, postgres: str | None) -> None:
    await on_each_database(lambda name, url: measure(name, url, members), postgres, SCRATCH)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CEDP_TEST_POSTGRES_URL"),
        help="a PostgreSQL server to create the scratch database bench_pulse on",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.postgres))
