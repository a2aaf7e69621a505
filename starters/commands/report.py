"""``casefac report``: the figures JiM and its funders ask for, from the case record (not from Temporal).

Cases opened, closed and open; time per stage; Defender hours and fees; invoiced, paid and outstanding per
Advocate organisation; outcomes and LSC closing codes; evaluations. ``--network`` makes it the Defender
network report instead (:mod:`records.reports.network`). On the terminal by default, or as a
zip of CSVs, an Excel workbook, or one self-contained HTML file with charts. No personal data unless
``--with-names`` (staff only: Defender and Advocate names); client data never.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from starters.cli_runtime import console, err, fail, load_settings

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID
    from sqlalchemy import Engine

    from casefac.settings import Settings
    from records.reports.tables import Report
    from records.sealing import Sealer

FORMATS = ("terminal", "csv", "xlsx", "html")
SUFFIX = {"csv": ".zip", "xlsx": ".xlsx", "html": ".html"}
EXPORTERS = {kind: f"records.reports.export_{kind}" for kind in SUFFIX}
#: A report that takes less than this shows no progress bar at all (no flicker on a quick one).
PROGRESS_AFTER_S = 0.5


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    from_: Annotated[str | None, typer.Option("--from", metavar="YYYY-MM-DD",
                                              help="First day (default: 1 January of --to's year, or this year's).",
                                              show_default=False)] = None,
    to: Annotated[str | None, typer.Option("--to", metavar="YYYY-MM-DD",
                                           help="Last day, included (default: 31 December of --from's year).",
                                           show_default=False)] = None,
    format_: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT",
                                         help="terminal, csv (a .zip of CSVs, or a directory), xlsx or html.")]
    = "terminal",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write (default: "
                                                "casefac-report-<from>_<to>.zip/.xlsx/.html here).",
                                                show_default=False)] = None,
    with_names: Annotated[bool, typer.Option("--with-names", help="Staff only: show Defender and Advocate names "
                                             "beside their ids (needs the key ring). Client data never appears.")]
    = False,
    network: Annotated[bool, typer.Option("--network", help="The Defender network report instead: offers, "
                                          "response times, hours, fees, evaluations and open cases per month, "
                                          "per Defender and per country.")] = False,
) -> None:
    """The report for funders and JiM: cases, time per stage, hours, fees, invoices, outcomes, evaluations."""
    from sqlalchemy.exc import SQLAlchemyError

    from records.reports.build import SECTIONS, build_report
    from records.reports.network import NETWORK_SECTIONS, build_network_report
    from records.reports.period import PeriodError, parse_period

    kind = format_.strip().lower()
    if kind not in FORMATS:
        fail(f"unknown format {format_!r}: use one of {', '.join(FORMATS)}", 2)
    if kind == "terminal" and output is not None:
        fail("-o/--output is for --format csv, xlsx or html; the terminal report prints here", 2)
    try:
        period = parse_period(from_, to)
    except PeriodError as exc:
        fail(str(exc), 2)
    stem = "casefac-network" if network else "casefac-report"
    path = output or Path(f"{stem}-{period.slug}{SUFFIX.get(kind, '')}")
    if kind == "csv" and path.suffix and path.suffix.lower() != ".zip" and not path.is_dir():
        fail(f"{path}: CSV goes into a .zip file or a directory", 2)
    settings = load_settings()
    sealer = _sealer(settings) if with_names else None
    engine = _engine(settings)
    try:
        builder, sections = (build_network_report, NETWORK_SECTIONS) if network else (build_report, SECTIONS)
        with _Progress(len(sections) + (kind != "terminal")) as step:
            built = builder(engine, period, sealer=sealer, on_section=step)
            if kind != "terminal":
                step(f"writing {kind}")
                written = _write(built, kind, path)
    except SQLAlchemyError as exc:
        fail(f"the case record could not be read: {_first_line(exc)}")
    finally:
        engine.dispose()
    if kind == "terminal":
        from records.reports.terminal import render

        render(built, console)
        return
    names = " [bold red](with names: staff only)[/]" if with_names else ""
    what = "network report" if network else "report"
    console.print(f"[green]✓[/] {what} {period.label} written to {written} ({len(built.tables)} tables){names}")


def _sealer(settings: Settings) -> Sealer:
    from casefac.keyring import KeyRing, KeyRingError
    from records.sealing import Sealer

    try:
        return Sealer(KeyRing.load(settings.keyring_path))
    except KeyRingError as exc:
        fail(f"--with-names needs the key ring: {exc}")


def _engine(settings: Settings) -> Engine:
    """The record's engine, or one line saying why there is no report to make from it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from records.database import create_records_engine, schema_problem

    url = settings.records_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:" \
            and not Path(parsed.database).exists():
        fail(f"there is no case record at {parsed.database} yet: the worker creates it as cases run "
             "(or set CASEFAC_RECORDS__URL)")
    engine = create_records_engine(url)
    try:
        problem = schema_problem(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        fail(f"cannot read the case record at {parsed.render_as_string(hide_password=True)}: {_first_line(exc)}")
    if problem is not None:
        engine.dispose()
        fail(problem)
    return engine


def _first_line(exc: Exception) -> str:
    """The driver's own message, without SQLAlchemy's statement dump and background link."""
    return (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]


def _write(built: Report, kind: str, path: Path) -> Path:
    exporter = importlib.import_module(EXPORTERS[kind])
    try:
        written: Path = exporter.write(built, path)
    except ValueError as exc:
        fail(str(exc), 2)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    return written


class _Progress:
    """A transient progress bar on stderr, shown only on a terminal and once the report takes a moment.

    Called before each step. A timer shows the bar :data:`PROGRESS_AFTER_S` after the start, so a quick
    report shows none, and a slow step (the HTML's charts) still gets one while it runs.
    """

    def __init__(self, total: int) -> None:
        self.total, self.done, self.label = total, 0, "starting"
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(PROGRESS_AFTER_S, self._show)
        self._timer.daemon = True

    def __enter__(self) -> _Progress:
        if err.is_terminal:
            self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            if self.progress is not None:
                self.progress.stop()
            self.total = -1  # finished: a timer firing now shows nothing

    def _show(self) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with self._lock:
            if self.total < 0:
                return
            self.progress = Progress(TextColumn("report: {task.description}"), BarColumn(), TimeElapsedColumn(),
                                     console=err, transient=True)
            self.task = self.progress.add_task(self.label, total=self.total, completed=max(0, self.done - 1))
            self.progress.start()

    def __call__(self, label: str) -> None:
        with self._lock:
            self.done += 1
            self.label = label
            if self.progress is not None and self.task is not None:
                self.progress.update(self.task, description=label, completed=self.done - 1)
