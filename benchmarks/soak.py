"""A soak: a thousand members in mixed conversations with one real server on PostgreSQL.

    python -m benchmarks.soak [--members 1000] [--minutes 10] [--database-url URL]
                              [--rate 10] [--lanes 40] [--log PATH]

One `cedp-bot serve` process (both adapters, at the loopback Telegram and Slack APIs in this
process) runs on a fresh PostgreSQL database, `bench_soak`, created on the server at
--database-url and dropped after. Before it starts, the database is given the members (one in
five on Slack), a directory entry for each, 20 coaches with weekday hours, a check-in opening
now and a broadcast to everyone with RSVP buttons, due halfway through the run.

For the whole run, `--lanes` members at a time hold conversations (benchmarks/soak_members.py):
FAQ questions from the shipped labelled set, /book down to a booked session, a directory search
ending in an introduction request, accepting the requests they receive, answering the check-in,
and RSVPs to the broadcast. Every message passes one pacer, `--rate` a second overall; each
member reads a reply for 1.5-3 s before the next step. The server keeps its production limits
(30 Telegram messages a second, 25 of them for broadcasts; 20 messages a minute a person); quiet
hours and check-in hours are off, so the run does not depend on the time of day; FAQ matching
is lexical (CEDP_SEMANTIC=off, as the end-to-end environment sets it).

Printed: reply latency (the webhook POST to the reply reaching the loopback API) p50, p95, p99
and max, for all, per platform, while the broadcast and the check-in invitations go out, and p99
minute by minute; conversations by outcome; how many the broadcast and the invitations reached;
the server's RSS, sampled every 10 s, as first, min, max, last and the slope of a linear fit over
the second half; CPU of the server and of this process, and the machine's load; the errors (a
webhook answer other than 2xx, a reply not within 30 s, the bot's apology for a failure or for
sending too fast, an ERROR line in the server's log). The exit code is 1 when there were errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.intros import scratch_postgres
from benchmarks.soak_chat import Mailboxes
from benchmarks.soak_figures import Measured, Sample, errors, report
from benchmarks.soak_members import Crowd, Pacer, Tally
from benchmarks.soak_seed import Account, accounts, populate
from benchmarks.webhook import cpu_seconds
from tests.e2e.loopback import LoopbackPlatforms
from tests.e2e.processes import environment, free_port, serving

SCRATCH = "bench_soak"
DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SAMPLE_SECONDS = 10.0
STARTUP_SECONDS = 10.0  # about how long the server takes to become healthy
# The test environment lifts these; the soak runs with the server's own defaults.
PRODUCTION_LIMITS = ("CEDP_RATE_LIMIT_PER_MINUTE", "TELEGRAM_MESSAGES_PER_SECOND")
ANY_TIME = {"CEDP_QUIET_HOURS": "", "CEDP_CHECKIN_HOURS": "always"}


def sample(pid: int, began: float) -> Sample:
    """The server's resident memory (from /proc, Linux) and CPU time, and the machine's load."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    [rss_kb] = [int(line.split()[1]) for line in status if line.startswith("VmRSS:")]
    minute = (time.monotonic() - began) / 60
    return Sample(minute, rss_kb / 1024, cpu_seconds(pid), time.process_time(), os.getloadavg()[0])


async def sample_every(pid: int, began: float, samples: list[Sample]) -> None:
    while True:
        samples.append(sample(pid, began))
        await asyncio.sleep(SAMPLE_SECONDS)


async def soak(
    server: str, people: list[Account], seconds: float, rate: float, lanes: int, log: Path
) -> Measured:
    """Seed a fresh database, start the server on it, and run the members for `seconds`."""
    broadcast_at = datetime.now(UTC) + timedelta(seconds=STARTUP_SECONDS + seconds / 2)
    async with scratch_postgres(server, SCRATCH) as database_url:
        seeding = time.monotonic()
        await populate(database_url, people, broadcast_at)
        print(f"seeded {len(people)} members in {time.monotonic() - seeding:.0f} s", flush=True)
        async with LoopbackPlatforms() as fake:
            env = environment(database_url, fake, **ANY_TIME)
            for limit in PRODUCTION_LIMITS:
                del env[limit]
            port = free_port()
            with log.open("wb") as log_file:
                async with serving(env, port, stderr=log_file) as process:
                    mailboxes, tally, samples = Mailboxes(fake, people), Tally(), []
                    began = time.monotonic()
                    background = [
                        asyncio.create_task(mailboxes.watch()),
                        asyncio.create_task(sample_every(process.pid, began, samples)),
                    ]
                    crowd = Crowd(people, mailboxes, tally, Pacer(rate), random.Random(15))
                    try:
                        await crowd.run(f"http://127.0.0.1:{port}", lanes, seconds)
                        samples.append(sample(process.pid, began))
                    finally:
                        for task in background:
                            task.cancel()
    logged = await asyncio.to_thread(log.read_text, encoding="utf-8", errors="replace")
    elapsed = (samples[-1].minute - samples[0].minute) * 60
    return Measured(people, tally, mailboxes, samples, began, elapsed, logged.splitlines())


async def main(
    server: str, members: int, minutes: float, rate: float, lanes: int, log: Path | None
) -> int:
    print(
        f"soak: one cedp-bot serve on PostgreSQL, {rate:g} messages/s overall from {lanes} "
        f"conversations at a time; {os.cpu_count()} CPU cores",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as folder:
        log = log or Path(folder) / "server.log"
        run = await soak(server, accounts(members), minutes * 60, rate, lanes, log)
    print("\n".join(report(run)))
    return 1 if errors(run) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CEDP_TEST_POSTGRES_URL", DEFAULT_SERVER),
        help="a PostgreSQL server; the scratch database bench_soak is created on it",
    )
    parser.add_argument("--rate", type=float, default=10, help="messages a second, overall")
    parser.add_argument("--lanes", type=int, default=40, help="conversations at a time")
    parser.add_argument("--log", type=Path, help="keep the server's log in this file")
    arguments = parser.parse_args()
    sys.exit(
        asyncio.run(
            main(
                arguments.database_url,
                arguments.members,
                arguments.minutes,
                arguments.rate,
                arguments.lanes,
                arguments.log,
            )
        )
    )
