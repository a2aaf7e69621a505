"""``casefac bench``: N case lifecycles and N baseline lifecycles on one private stack, then the figures.

Order of a run, and why:
1. start the stack (:class:`bench.stack.BenchStack`): what ``casefac demo`` starts, plus the baseline worker;
2. one warm-up case, not measured: it pays the first-use costs (imports, templates, the DocuSign token) and
   its history gives the lifecycle's shape, from which the baseline plan is derived; one warm-up baseline;
3. the two phases, each N lifecycles with at most C in flight, in alternating rounds: N/R baseline
   lifecycles, then N/R case lifecycles, R times. One long baseline phase then one long case phase made
   the ratio swing by a tenth between identical runs: whatever drifts during a run (the disk's commit
   latency on a shared host, the database growing) fell on one phase only. Alternating spreads it over
   both; within each round the baseline still goes first, so the order never flatters casefac;
4. history lengths (visibility listing), one replay, peak RSS, CPU per process; then the stack stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Replayer

from bench.baseline import WORKFLOW_NAME, BaselinePlan
from bench.baseline_driver import BASELINE_ID_PREFIX, BaselineRun
from bench.case_driver import CaseRun
from bench.cpu import CpuMeter
from bench.metrics import Failure, HistoryStats, PhaseStats, peak_rss_bytes
from bench.report import BenchResult, Replay, print_header, print_result
from bench.shape import Shape, shape_of
from bench.sources import changed, fingerprint
from bench.stack import BenchStack
from bench.waits import Waits, webhook_latencies
from bench.world import CASE_NUMBER_BASE, BenchWorld, enroll_staff, load_roster
from casefac.codec import converter_from_settings
from casefac.ids import advocate_workflow_id, case_workflow_id
from casefac.settings import Settings
from casefac.temporal_client import connect_client
from starters.stack.plan import settings_with
from starters.stack.spec import load_spec
from starters.stack.up import AlreadyRunning, StartError
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow
from workflows.guard import CasefacGuard


@dataclass(frozen=True)
class BenchConfig:
    cases: int
    concurrency: int
    parties: str = "updates"
    step_timeout: float = 60.0
    case_timeout: float = 300.0
    max_minutes: float = 60.0
    sandbox_file: bool = False
    sendgrid_events: bool = False
    json_out: Path | None = None
    rounds: int = 4


#: Histories read (per phase) to say where lifecycles wait.
WAIT_SAMPLE = 30


class Lifecycle(Protocol):
    """A case run or a baseline run: ``step`` names where it is, so a failure says where it failed."""

    step: str

    async def run(self) -> object: ...


class BenchAborted(RuntimeError):
    """The warm-up failed: without one good lifecycle there is nothing to measure against."""


def rounds(n: int, count: int) -> list[tuple[int, int]]:
    """``count`` consecutive ranges ``(first, last)`` covering lifecycles 1..n, as even as they come."""
    count = max(1, min(count, n))
    edges = [round(n * r / count) for r in range(count + 1)]
    return [(edges[r] + 1, edges[r + 1]) for r in range(count)]


async def run_phase(stats: PhaseStats, make: Callable[[int], Lifecycle], label: Callable[[int], str], *,
                    first: int, last: int, case_timeout: float, deadline: float, progress: Progress,
                    task: TaskID) -> None:
    """Lifecycles ``first..last`` on ``stats.concurrency`` lanes; none starts after ``deadline`` (monotonic)."""
    indices = iter(range(first, last + 1))

    async def lane() -> None:
        for index in indices:  # one iterator shared by the lanes: each index runs once
            if time.monotonic() > deadline:
                stats.not_run += 1
                continue
            run = make(index)
            began = time.perf_counter()
            try:
                async with asyncio.timeout(case_timeout):
                    await run.run()
            except Exception as exc:  # a failed lifecycle is a result, not a crash of the bench
                stats.failures.append(Failure(label(index), run.step, f"{type(exc).__name__}: {exc}"[:600]))
            else:
                stats.lifecycles.append(time.perf_counter() - began)
            progress.update(task, advance=1, description=_describe(stats))

    began = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(min(stats.concurrency, last - first + 1))))
    stats.busy += time.perf_counter() - began
    progress.update(task, description=_describe(stats))


def _describe(stats: PhaseStats) -> str:
    """The progress bar's label: the phase, and its failures as soon as there are any."""
    failed = f" [red]{stats.failed} failed[/]" if stats.failed else ""
    return f"{stats.name:<8}{failed}"


def _measured(workflow_id: str, measured: int) -> bool:
    """A measured lifecycle's case or Advocate id (the warm-up, number 0, is left out of every figure)."""
    number = workflow_id.rsplit("-", 1)[-1]
    return number.isdigit() and CASE_NUMBER_BASE < int(number) <= CASE_NUMBER_BASE + measured


def filesystem(path: Path) -> str:
    """The type of the filesystem ``path`` is on (``ext4``, ``tmpfs``…): a disk or memory changes the server's pace."""
    best, kind = "", "unknown filesystem"
    try:
        with open("/proc/mounts", encoding="utf-8") as fh:
            mounts = [line.split()[1:3] for line in fh if len(line.split()) > 2]
    except OSError:
        return kind
    target = str(path.resolve())
    for point, fstype in mounts:
        if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) > len(best):
            best, kind = point, fstype
    return kind


async def _history_stats(client: Client, measured: int, closed: int,
                         concurrency: int) -> tuple[HistoryStats, str | None]:
    """History lengths of the measured cases and their Advocate entities (visibility listings), and the id of
    the longest case history: replaying the worst case is the honest figure.

    Visibility is written just after a workflow closes, so the listing is retried briefly until it shows
    every case the phase saw close.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        stats = HistoryStats()
        longest: tuple[int, str] | None = None
        async for wf in client.list_workflows("WorkflowType = 'CaseFacilitationWorkflow'"):
            if _measured(wf.id, measured):
                stats.case_events.append(wf.history_length)
                if longest is None or wf.history_length > longest[0]:
                    longest = (wf.history_length, wf.id)
        if len(stats.case_events) >= closed or loop.time() > deadline:
            break
        await asyncio.sleep(0.5)  # visibility catching up (poll interval)
    # The entities keep running (an Advocate outlives a case), and visibility records a running workflow's
    # history length only when it closes: ask each one (describe reads its live mutable state).
    entities = [wf.id async for wf in client.list_workflows("WorkflowType = 'AdvocateWorkflow'")
                if _measured(wf.id, measured)]
    gate = asyncio.Semaphore(concurrency)

    async def length(workflow_id: str) -> int:
        async with gate:
            return (await client.get_workflow_handle(workflow_id).describe()).history_length

    stats.advocate_events = list(await asyncio.gather(*(length(wid) for wid in entities)))
    warm_up = f"{BASELINE_ID_PREFIX}{0:06d}"
    stats.baseline_events = [wf.history_length async for wf in client.list_workflows(
        f"WorkflowType = '{WORKFLOW_NAME}' AND ExecutionStatus = 'Completed'") if wf.id != warm_up]
    return stats, longest[1] if longest else None


async def _replay(client: Client, settings: Settings, workflow_id: str) -> Replay:
    """Replay one full case history twice, timing each (a failed replay is reported, not raised).

    The first replay in a process also builds the workflow sandbox (imports); the second is the steady cost
    a worker pays when it rebuilds an evicted case from history.
    """
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    replayer = Replayer(workflows=[CaseFacilitationWorkflow, AdvocateWorkflow],
                        data_converter=converter_from_settings(settings), workflow_runner=workflow_runner(),
                        interceptors=[CasefacGuard()])  # as the worker runs them (workers/main.py)
    times: list[float] = []
    try:
        for _ in range(2):
            began = time.perf_counter()
            await replayer.replay_workflow(history)
            times.append(time.perf_counter() - began)
    except Exception as exc:  # nondeterminism (e.g. the code changed under the run) is a finding, not a crash
        return Replay(workflow_id, len(history.events), error=f"{type(exc).__name__}: {str(exc)[:300]}")
    return Replay(workflow_id, len(history.events), first=times[0], second=times[1])


async def _warm_up(world: BenchWorld, console: Console) -> Shape:
    """One unmeasured case (and its shape), then one unmeasured baseline."""
    stats = PhaseStats("warm-up", 1, 1)
    run = CaseRun(world, 0, stats)
    began = time.perf_counter()
    with console.status("warm-up case (not measured)…", spinner="dots"):
        try:
            async with asyncio.timeout(world.step_timeout * 4):
                final = await run.run()
        except Exception as exc:
            raise BenchAborted(f"the warm-up case {run.case_id} failed at '{run.step}': "
                               f"{type(exc).__name__}: {exc}") from exc
        case_history = await run.handle.fetch_history()
        advocate_history = await world.client.get_workflow_handle(
            advocate_workflow_id(run.request.advocate.id)).fetch_history()
    shape = shape_of(case_history, advocate_history)
    console.print(f"  [green]✓[/] warm-up case {run.case_id} closed in {time.perf_counter() - began:.1f} s "
                  f"({len(case_history.events)} history events; its status query answers "
                  f"{len(final.model_dump_json()) / 1024:.1f} KiB of JSON): {shape.describe()}")
    baseline = BaselineRun(world.client, shape.plan, 0, PhaseStats("warm-up", 1, 1), world.step_timeout)
    try:
        async with asyncio.timeout(world.step_timeout * 4):
            await baseline.run()
    except Exception as exc:
        raise BenchAborted(f"the warm-up baseline failed at '{baseline.step}': {type(exc).__name__}: {exc}") from exc
    return shape


async def measure(stack: BenchStack, config: BenchConfig, console: Console, began: float) -> BenchResult:
    settings = stack.settings
    enroll_staff(settings)  # the cases require signed staff updates, as on `casefac up`'s stack
    client = await connect_client(settings, identity="casefac-bench")
    limits = httpx.Limits(max_connections=max(20, config.concurrency * 2), max_keepalive_connections=config.concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        world = BenchWorld(client=client, http=http, settings=settings, roster=load_roster(settings),
                           parties=config.parties, step_timeout=config.step_timeout)
        shape = await _warm_up(world, console)
        plan: BaselinePlan = shape.plan
        pids = {child.name: child.pid for child in stack.children if child.pid is not None}
        console.print(f"  [dim]data dir {stack.plan.data_dir} ({filesystem(stack.plan.data_dir)}; the dev server's "
                      "SQLite file is there: set TMPDIR to move it)[/]", soft_wrap=True)
        console.print(f"  [dim]pids (to profile: py-spy record -p <pid>): "
                      f"{' · '.join(f'{name} {pid}' for name, pid in pids.items())}[/]", soft_wrap=True)
        deadline = began + config.max_minutes * 60
        baseline = PhaseStats("baseline", config.cases, config.concurrency)
        cases = PhaseStats("cases", config.cases, config.concurrency)
        meters = {"baseline": CpuMeter(pids), "cases": CpuMeter(pids)}
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as progress:
            t_base = progress.add_task(_describe(baseline), total=config.cases)
            t_case = progress.add_task(_describe(cases), total=config.cases)
            for first, last in rounds(config.cases, config.rounds):
                meters["baseline"].start()
                await run_phase(baseline, lambda i: BaselineRun(client, plan, i, baseline, config.step_timeout),
                                lambda i: f"{BASELINE_ID_PREFIX}{i:06d}", first=first, last=last,
                                case_timeout=config.case_timeout, deadline=deadline, progress=progress, task=t_base)
                meters["baseline"].stop()
                meters["cases"].start()
                await run_phase(cases, lambda i: CaseRun(world, i, cases), lambda i: f"case {CASE_NUMBER_BASE + i}",
                                first=first, last=last, case_timeout=config.case_timeout, deadline=deadline,
                                progress=progress, task=t_case)
                meters["cases"].stop()
        rss = {name: peak_rss_bytes(pid) for name, pid in pids.items()}
        with console.status("history lengths, waits and one replay…", spinner="dots"):
            histories, longest = await _history_stats(client, config.cases, cases.completed, config.concurrency)
            waits = await _waits(world, config.cases)
            replay = await _replay(client, settings, longest) if longest else None
    return BenchResult(config=asdict(config), shape=shape, baseline=baseline, cases=cases, histories=histories,
                       rss=rss, cpu={name: meter.used for name, meter in meters.items()},
                       others={name: meter.others for name, meter in meters.items()}, replay=replay,
                       waits=waits[:2], webhooks=waits[2])


async def _waits(world: BenchWorld, measured: int) -> tuple[Waits, Waits, dict[str, list[float]]]:
    """Queue waits and run times from a sample of histories (both phases), and the sandbox's webhook latencies."""
    picks = sorted({1 + i * measured // WAIT_SAMPLE for i in range(min(WAIT_SAMPLE, measured))})
    today = datetime.now(UTC).year
    case_waits, base_waits = Waits(), Waits()
    for index in picks:
        for waits, wid in ((case_waits, case_workflow_id(f"JIM-{today}-{CASE_NUMBER_BASE + index}")),
                           (base_waits, f"{BASELINE_ID_PREFIX}{index:06d}")):
            with contextlib.suppress(RPCError):  # a failed lifecycle may have left no workflow
                waits.add(await world.client.get_workflow_handle(wid).fetch_history())
    response = await world.http.get(f"{world.sandbox_url}/_sandbox/webhooks", params={"pending": "false"})
    webhooks = webhook_latencies(response.json()) if response.status_code == 200 else {}
    return case_waits, base_waits, webhooks


async def run_bench(config: BenchConfig, console: Console) -> int:
    """The whole bench; exit code 0 when every lifecycle closed (missed performance targets do not fail it)."""
    began = time.monotonic()
    sources = fingerprint()
    print_header(config, console)
    with tempfile.TemporaryDirectory(prefix="casefac-bench-") as tmp:
        settings = settings_with({"CASEFAC_DATA_DIR": tmp})
        try:
            stack = BenchStack(settings, load_spec(), console=console, keep_sandbox_file=config.sandbox_file,
                               sendgrid_events=config.sendgrid_events)
            async with stack:
                result = await measure(stack, config, console, began)
        except (*StartError, AlreadyRunning) as exc:
            console.print(f"[red]✗ could not start the bench's private stack:[/] {escape(str(exc))}")
            return 1
        except BenchAborted as exc:
            console.print(f"[red]✗ {escape(str(exc))}[/]")
            return 1
    result.wall_seconds = time.monotonic() - began
    result.changed_sources = changed(sources, fingerprint())
    print_result(result, console)
    if config.json_out is not None:
        config.json_out.write_text(json.dumps(result.as_json(), indent=2, default=str), encoding="utf-8")
        console.print(f"[dim]figures written to {config.json_out}[/]")
    return 0 if result.cases.failed == 0 and result.baseline.failed == 0 else 1

