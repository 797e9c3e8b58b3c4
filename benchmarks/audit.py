"""The audit trail at a long programme's size: appending a staff action's entry, and checking
the whole chain.

    python -m benchmarks.audit [--entries 20000] [--postgres URL]

On a fresh database (a SQLite file, and, when a PostgreSQL server is given (`--postgres`,
default $CEDP_TEST_POSTGRES_URL), a scratch database `bench_audit` created here and dropped
after), `--entries` entries are appended, each in its own transaction as a staff action's is.
Printed per database:
(append)  p50 and p99 of one append with its transaction, over the last tenth (the chain is
          longest there), and appends a second;
(verify)  seconds for `cedp-bot audit verify`'s work: reading every entry and checking its hash.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

from benchmarks.busy_chat import p99
from benchmarks.intros import on_each_database
from domain.audit import first_break
from storage.database import Database
from storage.migrate import upgrade_database
from storage.repositories import Repositories

START = datetime(2026, 12, 1, 9, tzinfo=UTC)
SCRATCH = "bench_audit"


async def measure(name: str, url: str, entries: int) -> None:
    database = Database(url)
    try:
        await upgrade_database(database.engine)
        latencies = []
        began = time.perf_counter()
        for number in range(entries):
            at = START + timedelta(seconds=number)
            started = time.perf_counter()
            async with database.transaction() as session:
                await Repositories.bound_to(session).audit.append(
                    f"m-{number % 40:012x}",
                    "broadcast.send",
                    f"broadcast:{number}",
                    at,
                    {"recipients": "412"},
                )
            latencies.append(time.perf_counter() - started)
        rate = entries / (time.perf_counter() - began)
        last = latencies[-(entries // 10) :]
        print(
            f"{name:10} append  entries={entries} last tenth: p50 "
            f"{statistics.median(last) * 1000:5.2f} ms  p99 {p99(last) * 1000:5.2f} ms  "
            f"{rate:6.0f}/s",
            flush=True,
        )
        started = time.perf_counter()
        async with database.transaction() as session:
            broken = first_break(await Repositories.bound_to(session).audit.entries())
        assert broken is None
        print(f"{name:10} verify  entries={entries} {time.perf_counter() - started:6.2f} s")
    finally:
        await database.dispose()


async def main(entries: int, postgres: str | None) -> None:
    await on_each_database(lambda name, url: measure(name, url, entries), postgres, SCRATCH)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CEDP_TEST_POSTGRES_URL"),
        help="a PostgreSQL server to create the scratch database bench_audit on",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.entries, arguments.postgres))
