"""What the bench measures and how it sums it up: per-lifecycle wall times, update round trips, failures.

Kept free of Temporal and Rich so the arithmetic (percentiles, rates, the ratio) is plain and testable.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: every reported latency is one that really happened)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Failure:
    label: str
    step: str
    error: str


@dataclass
class PhaseStats:
    """One phase (the cases, or the baseline): N lifecycles at concurrency C."""

    name: str
    planned: int
    concurrency: int
    busy: float = 0.0  # wall seconds the phase ran, summed over its rounds
    lifecycles: list[float] = field(default_factory=list)  # wall seconds, start → workflow result
    update_latencies: list[float] = field(default_factory=list)  # seconds per execute_update round trip
    update_by_name: dict[str, list[float]] = field(default_factory=dict)
    party_steps: list[float] = field(default_factory=list)  # portal mode: a party's HTTP step
    step_times: dict[str, list[float]] = field(default_factory=dict)  # wall seconds per step of the script
    queries: int = 0
    failures: list[Failure] = field(default_factory=list)
    not_run: int = 0

    @contextmanager
    def update(self, name: str) -> Iterator[None]:
        """Time one ``execute_update`` round trip (only successful ones count: a failure fails the case)."""
        began = time.perf_counter()
        yield
        took = time.perf_counter() - began
        self.update_latencies.append(took)
        self.update_by_name.setdefault(name, []).append(took)

    def step_done(self, step: str, seconds: float) -> None:
        self.step_times.setdefault(step, []).append(seconds)

    @property
    def completed(self) -> int:
        return len(self.lifecycles)

    @property
    def failed(self) -> int:
        return len(self.failures) + self.not_run

    @property
    def elapsed(self) -> float:
        return max(self.busy, 1e-9)

    @property
    def per_minute(self) -> float:
        return self.completed / self.elapsed * 60

    @property
    def mean_lifecycle(self) -> float:
        return sum(self.lifecycles) / len(self.lifecycles) if self.lifecycles else math.nan

    def update_pct(self, pct: float) -> float:
        return percentile(self.update_latencies, pct)


@dataclass
class HistoryStats:
    """History events of the case workflows (and of their Advocate entities) after the phase."""

    case_events: list[int] = field(default_factory=list)
    advocate_events: list[int] = field(default_factory=list)
    baseline_events: list[int] = field(default_factory=list)

    @staticmethod
    def _mean(values: list[int]) -> float:
        return sum(values) / len(values) if values else math.nan

    @property
    def mean(self) -> float:
        return self._mean(self.case_events)

    @property
    def max(self) -> int:
        return max(self.case_events, default=0)

    @property
    def advocate_mean(self) -> float:
        return self._mean(self.advocate_events)

    @property
    def baseline_mean(self) -> float:
        return self._mean(self.baseline_events)


def peak_rss_bytes(pid: int) -> int | None:
    """``VmHWM`` of a live process (its peak resident set), from ``/proc/<pid>/status``; None if unreadable."""
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            parts = line.split()
            return int(parts[1]) * 1024 if len(parts) >= 2 and parts[1].isdigit() else None
    return None


def ratio(case: PhaseStats, baseline: PhaseStats) -> float:
    """Mean wall time per case lifecycle over mean wall time per baseline lifecycle, at the same concurrency."""
    if not case.lifecycles or not baseline.lifecycles:
        return math.nan
    return case.mean_lifecycle / baseline.mean_lifecycle
