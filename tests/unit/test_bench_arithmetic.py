"""The bench's own arithmetic: rounds cover every lifecycle once, CPU adds up over rounds, the ratio."""

from __future__ import annotations

import math

import pytest

from bench.cpu import CpuMeter
from bench.metrics import PhaseStats, ratio
from bench.run import rounds


@pytest.mark.parametrize(("n", "count"), [(1, 4), (3, 4), (4, 4), (200, 4), (500, 4), (7, 3), (10, 1)])
def test_rounds_cover_each_lifecycle_once_in_order(n: int, count: int) -> None:
    ranges = rounds(n, count)
    assert len(ranges) == min(n, count)
    covered = [i for first, last in ranges for i in range(first, last + 1)]
    assert covered == list(range(1, n + 1))
    sizes = [last - first + 1 for first, last in ranges]
    assert max(sizes) - min(sizes) <= 1


def test_cpu_meter_adds_up_over_rounds() -> None:
    meter = CpuMeter(pids={})  # only the bench driver itself (this process)
    for _ in range(3):
        meter.start()
        sum(i * i for i in range(200_000))  # some CPU inside each round
        meter.stop()
    assert meter.used["bench driver"] > 0
    first = meter.used["bench driver"]
    meter.start()
    meter.stop()
    assert meter.used["bench driver"] >= first  # a round adds, never replaces


def test_ratio_is_mean_lifecycle_over_mean_lifecycle() -> None:
    case, base = PhaseStats("cases", 2, 1), PhaseStats("baseline", 2, 1)
    case.lifecycles, base.lifecycles = [3.0, 5.0], [2.0, 2.0]
    case.busy, base.busy = 8.0, 4.0
    assert ratio(case, base) == 2.0
    assert case.per_minute == 15.0
    assert math.isnan(ratio(PhaseStats("cases", 1, 1), base))
