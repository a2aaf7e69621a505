"""``python -m bench.records_report``: how long ``casefac report`` takes over N synthetic case records.

For each backend (SQLite in a temp dir and a throwaway PostgreSQL server by default, or the ``--url``
given, which must be an empty database), it generates N cases with :mod:`records.reports.synthetic`,
then builds the report (``--network``: the Defender network report) ``--repeat`` times: the queries and
the tables (``build``), then each export (``html`` with its charts, ``xlsx``, ``csv``, ``terminal``). It
prints the best and the median of each, the slowest section of the build, and the target (build under 2 s
over 10,000 cases) as PASS/FAIL. The figures are for people to read and report; no test asserts them.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

TARGET_S = 2.0
TARGET_CASES = 10_000
out = Console(highlight=False, width=150)


@dataclass
class Timings:
    backend: str
    cases: int
    generate_s: float = 0.0
    phases: dict[str, list[float]] = field(default_factory=dict)
    sections: dict[str, list[float]] = field(default_factory=dict)

    def add(self, phase: str, seconds: float) -> None:
        self.phases.setdefault(phase, []).append(seconds)


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_backend(backend: str, url: str, cases: int, repeat: int, work: Path, *, network: bool = False) -> Timings:
    from casefac.keyring import KeyRing
    from records.database import create_records_engine, migrate
    from records.reports import export_csv, export_html, export_xlsx, terminal
    from records.reports.build import build_report
    from records.reports.network import build_network_report
    from records.reports.synthetic import generate
    from records.sealing import Sealer

    engine = create_records_engine(url)
    try:
        migrate(engine)
        timings = Timings(backend, cases)
        start = time.perf_counter()
        totals = generate(engine, cases, Sealer(KeyRing.generate("bench")))
        timings.generate_s = time.perf_counter() - start
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:  # what autovacuum does soon after a bulk load anyway
                conn.exec_driver_sql("ANALYZE")
        for _ in range(repeat):
            marks: list[tuple[str, float]] = []
            start = time.perf_counter()
            report = (build_network_report if network else build_report)(
                engine, totals.period,
                on_section=lambda s, m=marks: m.append((s, time.perf_counter())))
            end = time.perf_counter()
            timings.add("build", end - start)
            for (name, at), (_next, then) in zip(marks, [*marks[1:], ("", end)], strict=True):
                timings.sections.setdefault(name, []).append(then - at)
            timings.add("html", _timed(lambda r=report: export_html.write(r, work / f"{backend}.html")))
            timings.add("xlsx", _timed(lambda r=report: export_xlsx.write(r, work / f"{backend}.xlsx")))
            timings.add("csv", _timed(lambda r=report: export_csv.write(r, work / f"{backend}.zip")))
            sink = Console(file=io.StringIO(), width=160)
            timings.add("terminal", _timed(lambda r=report, c=sink: terminal.render(r, c)))
        return timings
    finally:
        engine.dispose()


@contextmanager
def backends(urls: list[str], work: Path) -> Iterator[list[tuple[str, str]]]:
    """The given URLs, or SQLite in ``work`` and a throwaway PostgreSQL server (stopped afterwards)."""
    if urls:
        yield [(url.split(":", 1)[0].split("+", 1)[0], url) for url in urls]
        return
    from tests.records.pg import PostgresMissing, start_postgres

    chosen = [("sqlite", f"sqlite:///{work / 'records.sqlite3'}")]
    try:
        server = start_postgres()
    except PostgresMissing as exc:
        out.print(f"[yellow]PostgreSQL skipped: {exc}[/]")
        yield chosen
        return
    try:
        yield [*chosen, ("postgresql", server.create_database())]
    finally:
        server.stop()


def show(results: list[Timings], *, network: bool = False) -> bool:
    what = "casefac report --network" if network else "casefac report"
    table = Table(title=f"{what}: seconds (best / median)", title_justify="left")
    for column in ("backend", "cases", "generate", "build", "html", "xlsx", "csv", "terminal", "slowest section"):
        table.add_column(column, justify="left" if column in ("backend", "slowest section") else "right")
    passed = True
    for t in results:
        cells = [f"{min(v):.3f} / {statistics.median(v):.3f}" for v in (t.phases[p] for p in
                                                                         ("build", "html", "xlsx", "csv", "terminal"))]
        slowest = max(t.sections.items(), key=lambda kv: statistics.median(kv[1]))
        table.add_row(t.backend, f"{t.cases:,}", f"{t.generate_s:.1f}", *cells,
                      f"{slowest[0]} {statistics.median(slowest[1]):.3f}")
        passed &= t.cases < TARGET_CASES or statistics.median(t.phases["build"]) < TARGET_S
    out.print(table)
    sections = Table(title="build, per section: median seconds", title_justify="left")
    sections.add_column("section")
    for t in results:
        sections.add_column(t.backend, justify="right")
    for name in results[0].sections:
        sections.add_row(name, *(f"{statistics.median(t.sections[name]):.3f}" for t in results))
    out.print(sections)
    for t in results:
        build = statistics.median(t.phases["build"])
        if t.cases >= TARGET_CASES:
            verdict = "[green]PASS[/]" if build < TARGET_S else "[red]FAIL[/]"
            out.print(f"{verdict} {t.backend}: report build over {t.cases:,} cases {build:.3f} s "
                      f"(target < {TARGET_S:.0f} s)")
    return passed


def main(
    cases: Annotated[int, typer.Option(min=1, help="Synthetic cases to generate.")] = TARGET_CASES,
    url: Annotated[list[str] | None, typer.Option(help="An EMPTY database to use (repeatable); default: SQLite "
                                                  "in a temp dir and a throwaway PostgreSQL.")] = None,
    repeat: Annotated[int, typer.Option(min=1, help="Report builds per backend (best and median shown).")] = 5,
    network: Annotated[bool, typer.Option("--network", help="Time the Defender network report instead.")] = False,
) -> None:
    """Time the report over synthetic case records on each backend."""
    with tempfile.TemporaryDirectory(prefix="casefac-report-bench-") as tmp:
        work = Path(tmp)
        with backends(url or [], work) as chosen:
            results = []
            for backend, address in chosen:
                out.print(f"{backend}: generating {cases:,} cases, then {repeat} report builds…")
                results.append(run_backend(backend, address, cases, repeat, work, network=network))
        if not show(results, network=network):
            raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
