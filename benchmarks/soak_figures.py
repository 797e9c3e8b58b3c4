"""The soak's figures, from what the run measured, as plain lines."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.soak_chat import INVITATION, Mailboxes, Shown, recipient
from benchmarks.soak_members import Latency, Tally, apologies
from benchmarks.soak_seed import BROADCAST_TEXT, Account


@dataclass(frozen=True)
class Sample:
    """The server process and the machine, every few seconds."""

    minute: float  # since the run started
    rss_mb: float
    cpu_seconds: float  # the server's user + system time so far
    own_cpu_seconds: float  # this process' (the members and the loopback APIs)
    load: float  # the machine's one-minute load average


@dataclass(frozen=True)
class Measured:
    """Everything one run measured."""

    people: Sequence[Account]
    tally: Tally
    mailboxes: Mailboxes
    samples: Sequence[Sample]
    began: float  # time.monotonic() when the members started
    seconds: float  # until the last conversation ended
    log_lines: Sequence[str]  # the server's


def percentiles(values: Sequence[float]) -> dict[int, float]:
    """p50, p95 and p99, interpolated between the nearest ranks (at least two values)."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {p: cuts[p - 1] for p in (50, 95, 99)}


def second_half_slope(samples: Sequence[Sample]) -> float:
    """MB a minute, from a least-squares line through the second half of the samples: the
    start (caches filling, the first pool connections) is not growth."""
    half = samples[len(samples) // 2 :]
    if len(half) < 2:
        return math.nan
    fit = statistics.linear_regression([s.minute for s in half], [s.rss_mb for s in half])
    return fit.slope


def p99_by_minute(latencies: Sequence[Latency], began: float) -> list[float]:
    """The p99 of the replies to steps posted in each whole minute of the run."""
    minutes: dict[int, list[float]] = {}
    for latency in latencies:
        minutes.setdefault(int((latency.posted - began) // 60), []).append(latency.seconds)
    return [percentiles(found)[99] for _, found in sorted(minutes.items()) if len(found) > 1]


def _latency_line(name: str, latencies: Sequence[Latency]) -> str:
    seconds = [latency.seconds for latency in latencies]
    if len(seconds) < 2:
        return f"reply latency, {name}: too few replies ({len(seconds)})"
    shown = "  ".join(f"p{p} {value * 1000:.0f} ms" for p, value in percentiles(seconds).items())
    return f"reply latency, {name}: {shown}  max {max(seconds) * 1000:.0f} ms  (n={len(seconds)})"


def _notices(mailboxes: Mailboxes, marker: str) -> list[Shown]:
    return [shown for shown in mailboxes.all_shown if marker in shown.text and not shown.edit]


def _delivery_line(name: str, delivered: Sequence[Shown], people: int) -> str:
    """How many people a notice reached, and how long it took from the first to the last."""
    reached = len({recipient(shown.call) for shown in delivered})
    spread = delivered[-1].call.at - delivered[0].call.at if delivered else 0.0
    return f"{name} delivered to {reached} of {people} in {spread:.0f} s"


def _cpu_line(samples: Sequence[Sample]) -> str:
    start, end = samples[0], samples[-1]
    wall = (end.minute - start.minute) * 60
    server = (end.cpu_seconds - start.cpu_seconds) / wall
    own = (end.own_cpu_seconds - start.own_cpu_seconds) / wall
    loads = [sample.load for sample in samples]
    return (
        f"CPU, share of one core: server {server:.0%}, simulated members and loopback APIs "
        f"{own:.0%}; machine load average {statistics.mean(loads):.1f} (max {max(loads):.1f})"
    )


def log_errors(log_lines: Sequence[str]) -> list[str]:
    """The ERROR and CRITICAL lines of the server's log (its format puts the level second)."""
    return [line for line in log_lines if " ERROR [" in line or " CRITICAL [" in line]


def errors(run: Measured) -> Counter[str]:
    """Every failure by kind: the members' (see soak_members.Tally), the bot's apologies, and
    the server's logged errors."""
    found = run.tally.errors + apologies(run.mailboxes.all_shown)
    if logged := log_errors(run.log_lines):
        found["ERROR lines in the server's log"] = len(logged)
    return found


def report(run: Measured) -> list[str]:
    """Every figure of the run, a line each."""
    tally, mailboxes, samples, people = run.tally, run.mailboxes, run.samples, run.people
    began, seconds = run.began, run.seconds
    slack = sum(1 for person in people if person.platform == "slack")
    lines = [
        f"members {len(people)} ({len(people) - slack} Telegram, {slack} Slack), "
        f"{seconds / 60:.1f} min",
        f"messages sent {tally.sent} ({tally.sent / seconds:.1f}/s)",
        _latency_line("all", tally.latencies),
    ]
    for platform in ("telegram", "slack"):
        mine = [latency for latency in tally.latencies if latency.platform == platform]
        lines.append(_latency_line(platform, mine))
    by_minute = ", ".join(f"{value * 1000:.0f}" for value in p99_by_minute(tally.latencies, began))
    lines.append(f"reply p99 by minute, ms: {by_minute}")
    outcomes = ", ".join(f"{kind} {count}" for kind, count in sorted(tally.outcomes.items()))
    lines.append(f"conversations: {outcomes}")
    for name, marker in (("broadcast", BROADCAST_TEXT), ("check-in invitations", INVITATION)):
        delivered = _notices(mailboxes, marker)
        lines.append(_delivery_line(name, delivered, len(people)))
        if delivered:
            first, last = delivered[0].call.at, delivered[-1].call.at
            meanwhile = [latency for latency in tally.latencies if first <= latency.posted <= last]
            lines.append(_latency_line(f"while the {name} went out", meanwhile))
    mb = [sample.rss_mb for sample in samples]
    lines.append(
        f"server RSS MB, {len(samples)} samples: "
        f"first {mb[0]:.1f}  min {min(mb):.1f}  max {max(mb):.1f}  last {mb[-1]:.1f}  "
        f"slope over the second half {second_half_slope(samples):+.2f} MB/min"
    )
    lines.append(_cpu_line(samples))
    warnings = sum(1 for line in run.log_lines if " WARNING [" in line)
    lines.append(f"server log: {warnings} WARNING lines")
    failures = errors(run)
    detail = ", ".join(f"{kind} {count}" for kind, count in sorted(failures.items()))
    lines.append(f"errors {failures.total()}" + (f" ({detail})" if detail else ""))
    return lines + [f"  log: {line}" for line in log_errors(run.log_lines)[:5]]
