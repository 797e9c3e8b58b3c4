"""The soak's figures: memory growth is read from the second half of the run, and latency
percentiles and the per-minute series come from the replies as posted."""

from __future__ import annotations

import math

import pytest

from benchmarks.soak_figures import Sample, p99_by_minute, percentiles, second_half_slope
from benchmarks.soak_members import Latency


def samples(rss: list[float]) -> list[Sample]:
    """One sample every 10 s with these RSS figures."""
    return [Sample(n / 6, mb, 0.0, 0.0, 0.0) for n, mb in enumerate(rss)]


def test_memory_that_fills_up_at_the_start_then_holds_has_no_slope() -> None:
    assert second_half_slope(samples([100, 110, 120, 125, 125, 125, 125, 125])) == 0


def test_a_steady_leak_is_measured_in_mb_a_minute() -> None:
    leaking = samples([100 + n * 0.5 / 6 for n in range(60)])  # half a MB a minute
    assert second_half_slope(leaking) == pytest.approx(0.5)


def test_too_few_samples_give_no_slope() -> None:
    assert math.isnan(second_half_slope(samples([100])))


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentiles([float(n) for n in range(1, 102)]) == {50: 51, 95: 96, 99: 100}
    assert percentiles([0.1, 0.2]) == pytest.approx({50: 0.15, 95: 0.195, 99: 0.199})


def test_p99_by_minute_groups_replies_by_when_they_were_posted() -> None:
    began = 1000.0
    fast = [Latency("telegram", began + second, 0.1) for second in range(0, 60, 2)]
    slow = [Latency("slack", began + 60 + second, 2.0) for second in range(0, 60, 2)]
    assert p99_by_minute(fast + slow, began) == pytest.approx([0.1, 2.0])
