"""The soak's figures, from what the run measured, as plain lines."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.soak_chat import Mailboxes, recipient
from benchmarks.soak_members import Latency, Tally
from benchmarks.soak_seed import BROADCAST_TEXT, Account


@dataclass(frozen=True)
class Sample:
    """The server process and the machine, every few seconds."""

    minute: float  # since the run started
    rss_mb: float
    cpu_seconds: float  # the server's user + system time so far
    load: float  # the machine's one-minute load average


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


def report(
    tally: Tally,
    mailboxes: Mailboxes,
    samples: Sequence[Sample],
    people: Sequence[Account],
    began: float,
    seconds: float,
) -> list[str]:
    """Every figure of the run, a line each."""
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
    delivered = [s for s in mailboxes.all_shown if BROADCAST_TEXT in s.text and not s.edit]
    if delivered:
        first, last = delivered[0].call.at, delivered[-1].call.at
        draining = [latency for latency in tally.latencies if first <= latency.posted <= last]
        lines.append(_latency_line("while the broadcast drained", draining))
    by_minute = ", ".join(f"{value * 1000:.0f}" for value in p99_by_minute(tally.latencies, began))
    lines.append(f"reply p99 by minute, ms: {by_minute}")
    outcomes = ", ".join(f"{kind} {count}" for kind, count in sorted(tally.outcomes.items()))
    lines.append(f"conversations: {outcomes}")
    recipients = {recipient(shown.call) for shown in delivered}
    spread = delivered[-1].call.at - delivered[0].call.at if delivered else 0.0
    lines.append(f"broadcast delivered to {len(recipients)} of {len(people)} in {spread:.0f} s")
    mb = [sample.rss_mb for sample in samples]
    lines.append(
        f"server RSS MB, {len(samples)} samples: "
        f"first {mb[0]:.1f}  min {min(mb):.1f}  max {max(mb):.1f}  last {mb[-1]:.1f}  "
        f"slope over the second half {second_half_slope(samples):+.2f} MB/min"
    )
    busy = (samples[-1].cpu_seconds - samples[0].cpu_seconds) / (
        (samples[-1].minute - samples[0].minute) * 60
    )
    loads = [sample.load for sample in samples]
    lines.append(
        f"server CPU {busy:.0%} of one core on average; machine load average "
        f"{statistics.mean(loads):.1f} (max {max(loads):.1f})"
    )
    detail = ", ".join(f"{kind} {count}" for kind, count in sorted(tally.errors.items()))
    lines.append(f"errors {sum(tally.errors.values())}" + (f" ({detail})" if detail else ""))
    return lines
