"""The HTML report's charts, drawn from the report's tables (never from SQL) and rendered to PNG bytes.

Figures are built with ``matplotlib.figure.Figure`` on the Agg canvas, not through ``pyplot``: no global
state, no GUI backend, nothing left open between reports. Sizes and fonts are chosen to stay legible when a
phone scales a 560-pixel image down to its width.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from records.reports.tables import Report, ReportTable

PALETTE = ("#1b6ca8", "#f0a202", "#5aa469", "#d1495b", "#8e7dbe", "#3d9bb5", "#a5673f")
WIDTH_IN = 5.6
DPI = 100
TOP_ORGANIZATIONS = 12


@dataclass(frozen=True)
class Chart:
    table_key: str  # the section it illustrates
    alt: str
    png: bytes


def _figure(height: float) -> Figure:
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.set_facecolor("white")
    return figure


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=12)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _number(value: float, _pos: int | None = None) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:.0f}k"
    if value != int(value) and abs(value) < 100:
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def _value_axis(ax: Any, largest: float, *, integer: bool) -> None:
    """From zero, never a degenerate range (all zeros), whole numbers for counts: no "0 0 1 1" ticks."""
    ax.set_xlim(0, max(largest * 1.05, 1.0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=integer, min_n_ticks=2))
    ax.xaxis.set_major_formatter(FuncFormatter(_number))


BAR_IN = 0.17  # one bar's thickness, inches
GAP_IN = 0.16  # between groups
MARGIN_IN = 0.9  # axis labels and legend


def _legend(ax: Any, count: int) -> None:
    """Above the plot, in one row: never over a bar, and the section's heading already names the chart."""
    if count > 1:
        ax.legend(fontsize=11, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=count,
                  borderaxespad=0.2, handlelength=1.2)


def _hbar_groups(labels: list[str], series: dict[str, list[float]], *, xlabel: str, integer: bool = False) -> bytes:
    """Horizontal grouped bars (one group per label): reads on a narrow screen, long labels fit."""
    count = len(series)
    figure = _figure(len(labels) * (count * BAR_IN + GAP_IN) + MARGIN_IN)
    ax = figure.add_subplot()
    bar = 0.8 / count
    for i, (name, values) in enumerate(series.items()):
        positions = [y + (i - (count - 1) / 2) * bar for y in range(len(labels))]
        ax.barh(positions, values, height=bar, label=name, color=PALETTE[i % len(PALETTE)])
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel, fontsize=12)
    _value_axis(ax, max((v for values in series.values() for v in values), default=0.0), integer=integer)
    _style(ax)
    _legend(ax, count)
    return _png(figure)


def _f(value: object) -> float:
    return float(value) if isinstance(value, int | Decimal) else 0.0


def cases_by_country(report: Report) -> Chart | None:
    t = report.table("cases_by_country")
    if t.empty:
        return None
    rows = t.records()
    labels = [str(r["country_name"]) for r in rows]
    series = {"Opened": [_f(r["opened"]) for r in rows], "Closed": [_f(r["closed"]) for r in rows],
              "Open at end": [_f(r["open"]) for r in rows]}
    return Chart(t.key, "Cases opened, closed and open at the end of the period, by country",
                 _hbar_groups(labels, series, xlabel="cases", integer=True))


def days_per_stage(report: Report) -> Chart | None:
    t = report.table("stage_days")
    if t.empty:
        return None
    rows = [*t.records(), *t.records(totals=True)]
    labels = [str(r["stage"]).capitalize() if r["stage"] != "Request to close" else "Request → close" for r in rows]
    series = {"Median": [_f(r["median_days"]) for r in rows], "p90": [_f(r["p90_days"]) for r in rows]}
    return Chart(t.key, "Median and 90th-percentile days per stage, and from request to close",
                 _hbar_groups(labels, series, xlabel="days"))


def _stacked(labels: list[str], stacks: dict[str, list[float]], *, xlabel: str) -> bytes:
    figure = _figure(len(labels) * (2 * BAR_IN + GAP_IN) + MARGIN_IN)
    ax = figure.add_subplot()
    left = [0.0] * len(labels)
    for i, (name, values) in enumerate(stacks.items()):
        ax.barh(range(len(labels)), values, left=left, label=name, color=PALETTE[i % len(PALETTE)], height=0.65)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel, fontsize=12)
    _value_axis(ax, max(left, default=0.0), integer=False)
    _style(ax)
    _legend(ax, len(stacks))
    return _png(figure)


def fees_by_country(report: Report) -> Chart | None:
    t = report.table("fees_by_country")
    if t.empty:
        return None
    countries: dict[str, str] = {}
    by_currency: dict[str, dict[str, float]] = defaultdict(dict)
    for r in t.records():
        countries.setdefault(str(r["country"]), str(r["country_name"]))
        by_currency[str(r["currency"])][str(r["country"])] = _f(r["amount_usd"])
    codes = list(countries)
    stacks = {currency: [values.get(c, 0.0) for c in codes] for currency, values in sorted(by_currency.items())}
    return Chart(t.key, "Fees paid to Defenders per country in USD, by the currency they were paid in",
                 _stacked([countries[c] for c in codes], stacks, xlabel="USD (stacked by the currency paid in)"))


def _usd_by(t: ReportTable, key: str, *columns: str) -> dict[str, list[float]]:
    """USD figures summed over currencies per ``key`` (each currency row already converted by the database)."""
    out: dict[str, list[float]] = {}
    for r in t.records():
        sums = out.setdefault(str(r[key]), [0.0] * len(columns))
        for i, column in enumerate(columns):
            sums[i] += _f(r[column])
    return out


def invoiced_vs_paid(report: Report) -> Chart | None:
    t = report.table("invoices_by_organization")
    if t.empty:
        return None
    sums = _usd_by(t, "organization", "invoiced_usd", "paid_usd")
    top = sorted(sums.items(), key=lambda kv: -kv[1][0])[:TOP_ORGANIZATIONS]
    labels = [name if len(name) <= 30 else name[:29] + "…" for name, _ in top]
    series = {"Invoiced": [v[0] for _, v in top], "Paid": [v[1] for _, v in top]}
    more = f" (top {TOP_ORGANIZATIONS} of {len(sums)})" if len(sums) > TOP_ORGANIZATIONS else ""
    return Chart(t.key, f"Invoiced and paid in USD by Advocate organisation{more}",
                 _hbar_groups(labels, series, xlabel=f"USD{more}"))


def outcomes(report: Report) -> Chart | None:
    t = report.table("outcomes")
    if t.empty:
        return None
    rows = sorted(t.records(), key=lambda r: -_f(r["cases"]))
    labels = [str(r["outcome"]) if r["ended_as"] == "CLOSED" else str(r["ended_as"]).lower() for r in rows]
    return Chart(t.key, "How the cases closed in the period ended",
                 _hbar_groups(labels, {"Cases": [_f(r["cases"]) for r in rows]}, xlabel="cases", integer=True))


CHARTS: tuple[Callable[[Report], Chart | None], ...] = (cases_by_country, days_per_stage, fees_by_country,
                                                        invoiced_vs_paid, outcomes)


def draw(report: Report) -> dict[str, Chart]:
    """Every chart the report's figures allow, by the key of the table each illustrates."""
    drawn = (chart(report) for chart in CHARTS)
    return {c.table_key: c for c in drawn if c is not None}
