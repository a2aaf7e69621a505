"""``python -m bench.suggest_bench``: how long ``casefac suggest`` takes over a large network.

Generates N synthetic case records (:mod:`records.reports.synthetic`, 20,000 by default) in a fresh SQLite
file and a throwaway PostgreSQL (or the ``--url`` given, an empty database), makes a roster of D Defenders
(500 by default: the synthetic ones, who have a history, and newcomers), and times what the command does
for one case: count open cases, read every Defender's history from the record, and rank. It prints the
best and the median of ``--repeat`` runs against the target (under 300 ms). Figures for people; no test
asserts them.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine, select

from casefac.eligibility import CaseNeeds
from casefac.keyring import KeyRing
from casefac.money import Money
from casefac.parties import Defender, Service
from casefac.ranking import Weights, rank
from records import models as m
from records.database import create_records_engine, migrate
from records.reports import synthetic
from records.roster_store import open_case_counts
from records.sealing import Sealer
from records.suggest import histories

TARGET_MS = 300
out = Console(highlight=False)
COUNTRIES = ("MX", "GT", "SV", "HN", "NI")


def roster(engine: Engine, size: int) -> list[Defender]:
    with engine.connect() as c:
        known = [(d, country) for d, country in c.execute(select(m.DefenderRow.defender_id, m.DefenderRow.country))]
    services = list(Service)
    made = [(f"DEF-{COUNTRIES[i % 5]}-N{i:04d}", COUNTRIES[i % 5]) for i in range(max(0, size - len(known)))]
    return [Defender(id=d, name="N", email="n@d.example.org", country=country,  # type: ignore[arg-type]
                     services=services[: 2 + i % 4], hourly_rate=Money(amount=4000, currency="USD"),
                     capacity=3 + i % 4, languages=["es", "en"] if i % 3 else ["es"])
            for i, (d, country) in enumerate([*known, *made][:size])]


def measure(engine: Engine, defenders: list[Defender], repeat: int) -> list[float]:
    needs = CaseNeeds(country="GT", region=None, services=[Service.LOCATE_CLIENT, Service.DOCUMENT_COLLECTION])
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        counts = open_case_counts(engine)
        found = histories(engine)
        counted = [d.model_copy(update={"open_cases": counts.get(d.id, 0)}) for d in defenders]
        ranking = rank(counted, needs, found, Weights(), date.today())
        runs.append((time.perf_counter() - began) * 1000)
        assert ranking.suggestions, "the bench ranks someone"
    return runs


def one(url: str, label: str, cases: int, size: int, repeat: int) -> None:
    engine = create_records_engine(url)
    migrate(engine)
    began = time.perf_counter()
    synthetic.generate(engine, cases, Sealer(KeyRing.generate()))
    generated = time.perf_counter() - began
    defenders = roster(engine, size)
    runs = measure(engine, defenders, repeat)
    engine.dispose()
    best, median = min(runs), statistics.median(runs)
    verdict = "PASS" if median < TARGET_MS else "FAIL"
    out.print(f"{label:<11} {cases:,} cases (generated in {generated:.1f} s) · {len(defenders)} Defenders · "
              f"suggest best {best:.0f} ms · median {median:.0f} ms · {verdict} (target < {TARGET_MS} ms)")


def main(
    cases: Annotated[int, typer.Option(min=1)] = 20_000,
    defenders: Annotated[int, typer.Option(min=1)] = 500,
    repeat: Annotated[int, typer.Option(min=1)] = 5,
    url: Annotated[str | None, typer.Option(help="An empty database instead of SQLite + PostgreSQL.")] = None,
) -> None:
    if url:
        one(url, "given", cases, defenders, repeat)
        return
    with tempfile.TemporaryDirectory(prefix="casefac-suggest-") as tmp:
        one(f"sqlite:///{Path(tmp) / 'records.sqlite3'}", "SQLite", cases, defenders, repeat)
    try:
        from tests.records.pg import PostgresMissing, start_postgres
    except ImportError:  # an installed package without the tests: SQLite only
        return
    try:
        server = start_postgres()
    except PostgresMissing as exc:
        out.print(f"PostgreSQL   skipped: {exc}")
        return
    try:
        one(server.create_database(), "PostgreSQL", cases, defenders, repeat)
    finally:
        server.stop()


if __name__ == "__main__":
    typer.run(main)
