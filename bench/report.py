"""What the bench prints: how it measured (first), the figures, and the issue's targets as PASS/FAIL lines.

The labels of the figure lines are fixed strings (the smoke test and scripts find them by label); the
details below them are for whoever has to make the numbers better.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.metrics import HistoryStats, PhaseStats, percentile, ratio
from bench.shape import Shape
from bench.waits import Waits

if TYPE_CHECKING:
    from bench.run import BenchConfig

#: The issue's targets (issue 7, "Benchmark").
TARGET_RATIO = 1.5
TARGET_FAILED_AT = 500
TARGET_EVENTS = 250
MIB = 1024 * 1024
CORES = os.cpu_count() or 1


@dataclass(frozen=True)
class Replay:
    """One full case history replayed with ``Replayer``: twice (first includes building the sandbox), or why not."""

    workflow_id: str
    events: int
    first: float = math.nan
    second: float = math.nan
    error: str | None = None


@dataclass
class BenchResult:
    config: dict[str, Any]
    shape: Shape
    baseline: PhaseStats
    cases: PhaseStats
    histories: HistoryStats
    rss: dict[str, int | None]
    cpu: dict[str, dict[str, float]]
    others: dict[str, float | None]  # per phase: CPU seconds other programs on the machine used meanwhile
    replay: Replay | None
    waits: tuple[Waits, Waits] | None = None  # cases, baseline
    webhooks: dict[str, list[float]] = field(default_factory=dict)
    wall_seconds: float = 0.0
    changed_sources: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return ratio(self.cases, self.baseline)

    def as_json(self) -> dict[str, Any]:
        def phase(p: PhaseStats) -> dict[str, Any]:
            return {"planned": p.planned, "completed": p.completed, "failed": p.failed, "not_run": p.not_run,
                    "elapsed_s": p.elapsed, "per_minute": p.per_minute, "mean_lifecycle_s": p.mean_lifecycle,
                    "update_p50_ms": p.update_pct(50) * 1000, "update_p95_ms": p.update_pct(95) * 1000,
                    "updates": len(p.update_latencies), "queries": p.queries,
                    "step_mean_s": {k: sum(v) / len(v) for k, v in p.step_times.items()},
                    "failures": [f.__dict__ for f in p.failures]}
        return {"config": self.config, "shape": self.shape.describe(), "cases": phase(self.cases),
                "baseline": phase(self.baseline), "ratio": self.ratio,
                "history_events": {"mean": self.histories.mean, "max": self.histories.max,
                                   "advocate_mean": self.histories.advocate_mean,
                                   "baseline_mean": self.histories.baseline_mean},
                "peak_rss_bytes": self.rss, "cpu_seconds": self.cpu, "other_programs_cpu_seconds": self.others,
                "replay": None if self.replay is None else self.replay.__dict__,
                "wall_seconds": self.wall_seconds,
                "changed_sources": self.changed_sources}


def print_header(config: BenchConfig, console: Console) -> None:
    parties = ("[bold]updates[/]: the Advocate and the Defender send the updates their portal forms send (same "
               "names, payloads, actors; portal pages not rendered)" if config.parties == "updates" else
               "[bold]portal[/]: the Advocate and the Defender follow their emails' links and post the portal "
               "forms, as in `casefac demo`")
    console.print(f"[bold]casefac bench[/] · {config.cases} cases · concurrency {config.concurrency} · "
                  f"parties: {config.parties}")
    lines = [
        "each case: Review → Closed with the real worker and activities (DocuSign, SendGrid, Stripe SDKs against the "
        "sandbox) on a private stack like `casefac demo`'s; loopback only",
        "staff: updates through starters.staff_actions, as the CLI sends them",
        f"parties: {parties}",
        "signatures on the sandbox DocuSign signing page, payment with Pay on the Stripe hosted invoice page: "
        "signed webhooks → gateway → signals",
        "sandbox state " + ("mirrored to its JSON file (--sandbox-file)" if config.sandbox_file else
                            "in memory: its JSON mirror rewrites the whole state on every change (O(N) per request, "
                            "quadratic over a run); --sandbox-file keeps it"),
        "SendGrid processed/delivered events " + (
            "posted to the gateway (--sendgrid-events)" if config.sendgrid_events or config.sandbox_file else
            "not posted: production subscribes only to the events the gateway acts on (bounce, dropped, spam "
            "report); --sendgrid-events posts them"),
        "baseline: a bare workflow on its own task queue and worker process, same server, converter and codec, with "
        "the measured case's numbers of activities, signals and updates (no-op bodies)",
        f"order: warm-up case + baseline (not measured), then {config.rounds} round(s) of "
        f"{config.cases // config.rounds}+ baseline lifecycles followed by as many case lifecycles "
        "(drift during the run falls on both phases alike)",
    ]
    for line in lines:
        console.print(f"  [dim]·[/] {line}", soft_wrap=True)


def _ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.0f} ms"


def _mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MIB:.1f} MiB"


def _line(console: Console, label: str, text: str) -> None:
    console.print(f"  {label:<27} {text}", soft_wrap=True, highlight=False)


def _verdict(console: Console, ok: bool, text: str) -> None:
    console.print(f"  {'[green]PASS[/]' if ok else '[red]FAIL[/]'}  {text}", soft_wrap=True)


def print_result(result: BenchResult, console: Console) -> None:
    cases, base, hist = result.cases, result.baseline, result.histories
    n, c = cases.planned, cases.concurrency
    console.print()
    console.print(f"[bold]Results[/] · {n} lifecycles per phase · concurrency {c} · lifecycle shape: "
                  f"{escape(result.shape.describe())}", soft_wrap=True)
    _line(console, "cases per minute", f"case {cases.per_minute:.1f} · baseline {base.per_minute:.1f} "
          f"(phases took {cases.elapsed:.1f} s and {base.elapsed:.1f} s)")
    _line(console, "wall time per lifecycle", f"case {cases.mean_lifecycle:.2f} s · baseline "
          f"{base.mean_lifecycle:.2f} s (mean, start → workflow result)")
    _line(console, "update latency (case)", f"p50 {_ms(cases.update_pct(50))} · p95 {_ms(cases.update_pct(95))} "
          f"({len(cases.update_latencies)} execute_update round trips)")
    _line(console, "update latency (baseline)", f"p50 {_ms(base.update_pct(50))} · p95 {_ms(base.update_pct(95))} "
          f"({len(base.update_latencies)} execute_update round trips)")
    _line(console, "history events per case", f"mean {hist.mean:.1f} · max {hist.max} (case workflow, "
          f"{len(hist.case_events)} cases) · Advocate entity mean {hist.advocate_mean:.1f} · baseline workflow mean "
          f"{hist.baseline_mean:.1f}")
    workers = [name for name in result.rss if name.startswith("worker")]
    peaks = " + ".join(f"{_mib(result.rss.get(name))} ({name.removeprefix('worker-') or name})"
                       for name in workers) if len(workers) > 1 else _mib(result.rss.get(workers[0] if workers else ""))
    _line(console, "worker peak RSS", f"{peaks} (casefac worker, VmHWM) · baseline worker "
          f"{_mib(result.rss.get('baseline-worker'))}")
    replay = result.replay
    if replay is not None and replay.error is None:
        _line(console, "replay of one history", f"{replay.second * 1000:.0f} ms ({replay.workflow_id}, "
              f"{replay.events} events, the longest; first replay in the process {replay.first * 1000:.0f} ms)")
    elif replay is not None:
        _line(console, "replay of one history", f"[red]failed[/] ({replay.workflow_id}, {replay.events} events): "
              f"{escape(replay.error or '')}")
    else:
        _line(console, "replay of one history", "n/a (no measured case closed)")
    not_run = f", {cases.not_run} not run in the time limit" if cases.not_run else ""
    _line(console, "failed cases", f"{cases.failed} of {n}{not_run} (baseline {base.failed} of {n})")
    _line(console, "ratio case/baseline", f"{result.ratio:.2f} (mean wall time per lifecycle at concurrency {c})")
    _line(console, "bench wall time", f"{result.wall_seconds:.1f} s (stack start to stop)")
    loads = [f"{name} phase {other / max(stats.elapsed, 1e-9):.2f} cores" for name, stats in
             (("case", cases), ("baseline", base)) if (other := result.others.get(
                 "cases" if name == "case" else "baseline")) is not None]
    if loads:
        _line(console, "other programs' CPU", f"{' · '.join(loads)} (of {CORES}; the figures are only comparable "
              "when this is near 0)")

    if result.changed_sources:
        shown = ", ".join(result.changed_sources[:6]) + (" …" if len(result.changed_sources) > 6 else "")
        console.print(f"  [bold red]source files changed during the run[/] ({escape(shown)}): the worker mixed old "
                      "and new code; failures and figures of this run are not about load. Run it again.",
                      soft_wrap=True)
    console.print("[bold]Targets[/] (issue 7)")
    r = result.ratio
    _verdict(console, not math.isnan(r) and r <= TARGET_RATIO, f"ratio case/baseline ≤ {TARGET_RATIO}: {r:.2f}")
    scope = "" if n == TARGET_FAILED_AT else f" (the issue sets it at N = {TARGET_FAILED_AT}; this run N = {n})"
    _verdict(console, cases.failed == 0, f"zero failed cases: {cases.failed} failed{scope}")
    _verdict(console, bool(hist.case_events) and hist.max <= TARGET_EVENTS,
             f"history events per case ≤ {TARGET_EVENTS}: max {hist.max}, mean {hist.mean:.1f}")
    _details(result, console)


def _details(result: BenchResult, console: Console) -> None:
    cases, base = result.cases, result.baseline
    console.print("[bold]Details[/]")
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="dim")
    for column in ("update", "n", "p50", "p95", "max"):
        table.add_column(column, justify="left" if column == "update" else "right")
    for phase, stats in (("", cases), ("baseline ", base)):
        for name, values in sorted(stats.update_by_name.items()):
            table.add_row(f"{phase}{name}", str(len(values)), _ms(percentile(values, 50)),
                          _ms(percentile(values, 95)), _ms(max(values)))
    console.print(table)
    steps = Table(box=None, pad_edge=False, show_edge=False, header_style="dim")
    for column in ("case step (wall time, incl. waiting for the case)", "mean", "p95"):
        steps.add_column(column, justify="left" if column.startswith("case") else "right")
    for name, values in cases.step_times.items():
        steps.add_row(name, f"{sum(values) / len(values) * 1000:.0f} ms", _ms(percentile(values, 95)))
    console.print(steps)
    if cases.party_steps:
        _line(console, "portal steps (HTTP)", f"p50 {_ms(percentile(cases.party_steps, 50))} · p95 "
              f"{_ms(percentile(cases.party_steps, 95))} ({len(cases.party_steps)} steps)")
    if result.waits is not None:
        waits = Table(box=None, pad_edge=False, show_edge=False, header_style="dim")
        for column in ("where lifecycles wait (sampled histories)", "per lifecycle", "queued mean", "queued p95",
                       "runs mean"):
            waits.add_column(column, justify="left" if column.startswith("where") else "right")
        for phase, found in zip(("", "baseline "), result.waits, strict=True):
            for kind, per, queued, queued_p95, running in found.rows():
                waits.add_row(f"{phase}{kind}", f"{per:.1f}", _ms(queued), _ms(queued_p95), _ms(running))
        console.print(waits)
        case_waits, base_waits = result.waits
        _line(console, "history size", f"case {case_waits.mean_bytes / 1024:.0f} KiB · baseline "
              f"{base_waits.mean_bytes / 1024:.0f} KiB (mean serialized history, payloads encrypted; what the "
              "server writes and a replay reads)")
    for provider, values in sorted(result.webhooks.items()):
        _line(console, f"webhooks ({provider})", f"created → delivered to the gateway: p50 "
              f"{_ms(percentile(values, 50))} · p95 {_ms(percentile(values, 95))} ({len(values)} deliveries)")
    for name, stats in (("cases", cases), ("baseline", base)):
        used = result.cpu.get(name, {})
        done = max(stats.completed, 1)
        parts = " · ".join(f"{proc} {seconds / done * 1000:.0f} ms" for proc, seconds in
                           sorted(used.items(), key=lambda kv: -kv[1]) if seconds > 0)
        total = sum(used.values()) / max(stats.elapsed, 1e-9)
        other = result.others.get(name)
        noise = "" if other is None else f"; other programs on this machine {other / max(stats.elapsed, 1e-9):.2f}"
        _line(console, f"CPU per lifecycle ({name})", f"{parts} (the stack and driver busy {total:.2f} cores on "
              f"average{noise}; {CORES} cores)")
        _line(console, f"status polls ({name})", f"{stats.queries / done:.1f} queries per lifecycle")
    failures = cases.failures + base.failures
    if failures:
        console.print("[bold red]Failures[/] (first 10)")
        for failure in failures[:10]:
            console.print(f"  {escape(failure.label)} at '{escape(failure.step)}': {escape(failure.error)}",
                          soft_wrap=True)
