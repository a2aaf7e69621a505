"""``casefac up``: the dev server, the sandbox, the gateway and the workers as child processes.

Start order follows dependencies: Temporal first (everything talks to it), then the sandbox, the gateway
and the worker together; each is polled until it is really usable. Stop order is the reverse. Cases live
in the dev server's SQLite file, so a second ``casefac up`` resumes them: the worker picks their
workflow tasks up where the last run left off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from temporalio.client import Client

from casefac.keyring import KeyRingError
from casefac.settings import Settings
from starters.stack import running
from starters.stack.binaries import MissingBinary, temporal_binary
from starters.stack.children import Child
from starters.stack.plan import PlanError, StackPlan, make_plan, settings_with
from starters.stack.ports import first_busy
from starters.stack.probes import (
    NotReady,
    Probe,
    connect_plain,
    gateway_ready,
    http_ok,
    role_queues,
    temporal_ready,
    wait_ready,
    worker_polling,
)
from starters.stack.provision import ensure_retention, ensure_search_attributes, provision
from starters.stack.spec import SpecError, StackSpec
from workers.roles import WorkerRole

#: Problems a person fixes (a port, a file, a setting): one line each, never a traceback.
StartError = (PlanError, SpecError, NotReady, MissingBinary, KeyRingError, OSError)

OPEN_CASES = "WorkflowType = 'CaseFacilitationWorkflow' AND ExecutionStatus = 'Running'"

#: Child name → worker role: one process per side (``services.worker.split``), or one for both.
SPLIT_WORKERS = {"worker-workflows": WorkerRole.WORKFLOWS, "worker-activities": WorkerRole.ACTIVITIES}
SINGLE_WORKER = {"worker": WorkerRole.ALL}


def worker_children(split: bool) -> dict[str, WorkerRole]:
    return dict(SPLIT_WORKERS if split else SINGLE_WORKER)


class AlreadyRunning(RuntimeError):
    pass


class LocalStack:
    """One local stack; ``async with LocalStack(...) as stack`` starts it and always stops it."""

    def __init__(self, settings: Settings, spec: StackSpec, *, console: Console, free_ports: bool = False,
                 record: bool = True) -> None:
        self.plan: StackPlan = make_plan(settings, spec, free_ports=free_ports)
        self.console = console
        self.record = record
        self.children: list[Child] = []
        self.settings: Settings = settings
        self.open_cases = 0
        self.keyring_created = False

    # -- lifecycle --------------------------------------------------------------------------------
    async def __aenter__(self) -> LocalStack:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        env = await self._preflight()
        client = await self._start_temporal(env)
        await self._start_services(env, client)
        if self.record:  # the stack people keep running; a demo's or a test's private stack sends no digests
            await self._apply_schedules()
        if self.record:
            running.write(self.plan.data_dir, running.RunningStack(pid=os.getpid(), env=env, urls=self.urls()))

    async def _preflight(self) -> dict[str, str]:
        """Refuse a second stack or a taken port before starting anything; prepare the data dir."""
        plan = self.plan
        other = await running.find_running(settings_with(plan.env))  # a stale stack.json does not count
        if other is not None:
            raise AlreadyRunning(f"`casefac up` is already running for {plan.data_dir} (pid {other.pid}); "
                                 "use it, or stop it with Ctrl-C in its terminal")
        busy = first_busy(plan.ports())
        if busy is not None:
            raise PlanError(busy.busy_message())
        env = dict(plan.env)
        provisioned = provision(plan, settings_with(env))
        env |= provisioned.env
        self.settings = settings_with(env)
        self.keyring_created = provisioned.keyring_created
        if provisioned.keyring_created:
            self._say(f"created the development key ring {provisioned.keyring_path}")
        if provisioned.records_migrated:
            self._say(f"case record schema {provisioned.records_migrated}")
        return env

    async def _start_temporal(self, env: dict[str, str]) -> Client:
        """The dev server; then the search attributes an older database lacks, and the cases it holds."""
        plan = self.plan
        server = self._child("temporal", self._temporal_argv(temporal_binary()), env)
        took = await wait_ready("Temporal dev server", self._temporal_probe(), child=server, timeout=30)
        client = await connect_plain(plan.temporal_address, plan.namespace)
        added = await ensure_search_attributes(client, plan.search_attributes)
        await ensure_retention(client, plan.retention)
        self.open_cases = (await client.count_workflows(OPEN_CASES)).count
        resumed = f" · resuming {self.open_cases} open case(s)" if self.open_cases else ""
        self._ok("Temporal dev server", f"{plan.temporal_address} · UI {plan.ui_url} · {plan.db_file.name}"
                 f"{resumed}" + (f" · registered {', '.join(added)}" if added else ""), took)
        return client

    async def _start_services(self, env: dict[str, str], client: Client) -> None:
        """Sandbox, gateway, codec service and worker at once (none needs another); each polled until usable."""
        plan = self.plan
        waits: list[tuple[str, Child, Probe, str]] = []
        if plan.with_sandbox:
            sandbox = self._child("sandbox", self._python("sandbox", "--state-file", str(plan.sandbox_state_file),
                                                          "--certfile", str(plan.tls_cert),
                                                          "--keyfile", str(plan.tls_key)), env)
            waits.append(("sandbox", sandbox, self._sandbox_probe,
                          f"{plan.sandbox_url} · OAuth {plan.sandbox_oauth_url}"))
        gateway = self._child("gateway", self._python("gateway"), env)
        waits.append(("gateway", gateway, lambda: gateway_ready(plan.gateway_url), plan.gateway_url))
        codec = self._child("codec", self._python("codec"), env)
        waits.append(("codec service", codec, lambda: http_ok(f"{plan.codec_url}/healthz"),
                      f"{plan.codec_url} · loopback, for the UI's origin only"))
        for name, role in worker_children(plan.worker_split).items():
            worker = self._child(name, self._python("worker", "--role", role.value), env)
            waits.append((name, worker, self._worker_probe(client, worker, role), _polls(role)))

        async def ready(name: str, child: Child, probe: Probe, detail: str) -> None:
            took = await wait_ready(name, probe, child=child, timeout=90)
            self._ok(name, detail, took)

        with self.console.status(f"starting {', '.join(w[0] for w in waits)}…", spinner="dots"):
            await asyncio.gather(*(ready(*w) for w in waits))

    async def _apply_schedules(self) -> None:
        """The digests' schedules (``starters.schedules``): readers from ``<data dir>/digests.yaml`` if there
        is one, else the shared addresses in settings. Applying again updates them; nothing doubles. Through
        the encrypting converter: the readers' addresses are in the schedule's workflow input."""
        from casefac.temporal_client import connect_client
        from starters.schedules import apply, default_recipients, read_recipients

        client = await connect_client(self.settings, identity="casefac-up")

        readers_file = self.plan.data_dir / "digests.yaml"
        readers = read_recipients(readers_file) if readers_file.exists() else default_recipients(self.settings)
        for schedule_id, what in await apply(client, readers):
            self._say(f"schedule {schedule_id}: {what}")

    async def stop(self) -> None:
        """Worker first, Temporal last; each gets SIGINT, then SIGTERM, then SIGKILL."""
        if self.record:
            current = running.read(self.plan.data_dir)
            if current is not None and current.pid == os.getpid():
                running.remove(self.plan.data_dir)
        for child in reversed(self.children):
            if child.proc is None:
                continue
            was_alive = child.alive
            code = await child.stop()
            if was_alive:
                clean = code in (0, None, -signal.SIGINT, 128 + signal.SIGINT)  # SIGINT handled or re-raised
                self._say(f"stopped {child.name}" + ("" if clean else f" (exit {code})"))
        self.children.clear()

    async def watch(self, stop: asyncio.Event) -> Child | None:
        """Wait for ``stop``; return the first child that died meanwhile (then the stack stops)."""
        while not stop.is_set():
            dead = next((c for c in self.children if not c.alive), None)
            if dead is not None:
                return dead
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.5)
        return None

    # -- what to print ---------------------------------------------------------------------------
    def urls(self) -> dict[str, str]:
        plan = self.plan
        urls = {
            "Temporal UI": f"{plan.ui_url}/namespaces/{plan.namespace}/workflows",
            "Temporal gRPC": plan.temporal_address,
            "Gateway (portal, webhooks)": plan.gateway_url,
            "Codec service (the UI decrypts here)": f"{plan.codec_endpoint} · audit "
                                                    f"{plan.data_dir / 'codec-audit.jsonl'}",
        }
        if plan.with_sandbox:
            urls |= {
                "Sandbox outbox (emails, portal links)": f"{plan.sandbox_url}/outbox",
                "Sandbox DocuSign envelopes": f"{plan.sandbox_url}/_sandbox/envelopes",
                "Sandbox Stripe invoices / transfers": f"{plan.sandbox_url}/_sandbox/invoices · /_sandbox/transfers",
                "Sandbox home": f"{plan.sandbox_url}/",
            }
        urls["Logs"] = str(plan.logs_dir)
        return urls

    def print_urls(self) -> None:
        width = max(len(name) for name in self.urls())
        for name, url in self.urls().items():
            self.console.print(f"  [bold]{name:<{width}}[/]  {url}", soft_wrap=True)
        self.print_finance_views()

    def print_finance_views(self) -> None:
        """Finance's saved views as ready links (README "For finance"): open one, then "Save as view"."""
        from starters.finance_views import link, views

        self.console.print("  [bold]For finance[/] (Temporal UI views; open, then save as a view):")
        found = views(datetime.now(UTC).date())
        width = max(len(name) for name in found)
        for name, query in found.items():
            self.console.print(f"    {name:<{width}}  {link(self.plan.ui_url, self.plan.namespace, query)}",
                               soft_wrap=True)

    # -- internals --------------------------------------------------------------------------------
    def _temporal_argv(self, binary: str) -> list[str]:
        plan = self.plan
        argv = [binary, "server", "start-dev", "--ip", plan.temporal_ip, "--port", str(plan.temporal_port),
                "--ui-port", str(plan.ui_port), "--db-filename", str(plan.db_file), "--log-level", plan.log_level,
                "--ui-codec-endpoint", plan.codec_endpoint, "--ui-disable-news-fetch"]
        if plan.namespace != "default":
            argv += ["--namespace", plan.namespace]
        for name, kind in plan.search_attributes.items():
            argv += ["--search-attribute", f"{name}={kind}"]
        for key, value in plan.dynamic_config.items():
            argv += ["--dynamic-config-value", f"{key}={json.dumps(value)}"]
        return argv

    def _python(self, command: str, *args: str) -> list[str]:
        return [sys.executable, "-m", "starters.cli", command, *args]

    def _child(self, name: str, argv: list[str], env: dict[str, str]) -> Child:
        child = Child(name=name, argv=argv, env=env, log_path=self.plan.logs_dir / f"{name}.log")
        self.children.append(child)
        child.start()
        return child

    @staticmethod
    def _worker_probe(client: Client, worker: Child, role: WorkerRole) -> Probe:
        return lambda: worker_polling(client, worker.pid or -1, role_queues(role))

    def _temporal_probe(self) -> Probe:
        plan = self.plan

        async def probe() -> bool:
            return (await temporal_ready(plan.temporal_address, plan.namespace)
                    and await http_ok(f"{plan.ui_url}/"))
        return probe

    async def _sandbox_probe(self) -> bool:
        plan = self.plan
        return (await http_ok(f"{plan.sandbox_url}/healthz")
                and await http_ok(f"{plan.sandbox_oauth_url}/healthz", ca_file=plan.tls_cert))

    def _ok(self, name: str, detail: str, seconds: float) -> None:
        self.console.print(f"  [green]✓[/] [bold]{name:<20}[/] {detail} [dim]({seconds:.1f} s)[/]", soft_wrap=True)

    def _say(self, text: str) -> None:
        self.console.print(f"  [dim]{text}[/]", soft_wrap=True)


async def run_up(settings: Settings, spec: StackSpec, console: Console) -> int:
    """The ``casefac up`` command: start, print the URLs, wait for Ctrl-C (or a child's death), stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        stack = LocalStack(settings, spec, console=console)
    except StartError as exc:
        console.print(f"[red]✗[/] {exc}")
        return 1
    console.print(f"[bold]casefac up[/] · data dir {stack.plan.data_dir} · {settings.mode} mode")
    started_at = time.monotonic()
    start = asyncio.create_task(stack.start())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([start, stopper], return_when=asyncio.FIRST_COMPLETED)
    if not start.done():
        start.cancel()
        with contextlib.suppress(asyncio.CancelledError, *StartError, AlreadyRunning):
            await start
        console.print("interrupted while starting; stopping")
        await stack.stop()
        return 130
    stopper.cancel()
    try:
        start.result()
    except (*StartError, AlreadyRunning) as exc:
        console.print(f"[red]✗[/] {exc}")
        await stack.stop()
        return 1
    console.print(f"[green bold]ready[/] in {time.monotonic() - started_at:.1f} s "
                  f"({datetime.now(UTC):%H:%M:%S} UTC). Cases are kept in {_rel(stack.plan.db_file)}.")
    console.print(f"Closed cases are kept {describe_duration(stack.plan.retention)} in Temporal; "
                  "the case record keeps them for good.")
    stack.print_urls()
    console.print("[dim]Try `casefac demo` in another terminal. Ctrl-C stops everything.[/]")
    dead = await stack.watch(stop)
    if dead is not None:
        console.print(f"[red]✗[/] {dead.name} exited with code {dead.returncode}; stopping the stack. "
                      f"Its log ({dead.log_path}) ends with:\n{dead.tail()}")
    else:
        console.print("stopping…")
    await stack.stop()
    return 1 if dead is not None else 0


def _rel(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def describe_duration(duration: timedelta) -> str:
    """``30 days``, ``12 hours``, ``90 minutes``: the largest unit that divides it evenly."""
    seconds = int(duration.total_seconds())
    unit, size = next((u, s) for u, s in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
                      if seconds % s == 0)
    return f"{seconds // size} {unit}" + ("" if seconds == size else "s")


def _polls(role: WorkerRole) -> str:
    """What a worker of ``role`` polls, as the start-up line shows it."""
    if role is WorkerRole.WORKFLOWS:
        return "workflows on casefac"
    if role is WorkerRole.ACTIVITIES:
        return "activities on casefac, casefac-esign, casefac-mail, casefac-billing, casefac-records"
    return "workflows and activities on casefac, casefac-esign, casefac-mail, casefac-billing, casefac-records"
