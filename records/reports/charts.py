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


def _legend(ax: Any, count: int, *, per_row: int | None = None) -> None:
    """Above the plot, in one row (or ``per_row`` a row for long names, which would squeeze the plot):
    never over a bar, and the section's heading already names the chart."""
    if count > 1:
        ax.legend(fontsize=11, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0),
                  ncol=min(count, per_row or count), borderaxespad=0.2, handlelength=1.2)


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


# -- the network report ----------------------------------------------------------------------------------------

TOP_DEFENDERS = 15


def offers_by_country(report: Report) -> Chart | None:
    t = report.table("network_countries")
    if t.empty:
        return None
    rows = t.records()
    series = {"Assigned": [_f(r["assigned"]) for r in rows], "Declined": [_f(r["declined"]) for r in rows],
              "Lapsed": [_f(r["lapsed"]) for r in rows]}
    return Chart(t.key, "Offers assigned, declined and lapsed per country",
                 _hbar_groups([str(r["country_name"]) for r in rows], series, xlabel="offers", integer=True))


def _months(t: ReportTable) -> list[str]:
    return [c.key for c in t.columns if len(c.key) == 7 and c.key[4] == "-"]


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _month_ticks(ax: Any, months: list[str]) -> None:
    """Every month when they fit, else every few (labels never overlap); the year under the first and January."""
    step = max(1, -(-len(months) // 12))
    shown = list(range(0, len(months), step))
    labels = []
    for i in shown:
        year, number = months[i].split("-")
        name = MONTH_NAMES[int(number) - 1]
        labels.append(f"{name}\n{year}" if i == 0 or number == "01" else name)
    ax.set_xticks(shown, labels)


def load_heatmap(report: Report) -> Chart | None:
    """The busiest Defenders' open cases month by month: a heat map reads at a glance where a line per Defender
    would tangle, and the count in each cell keeps it exact."""
    t = report.table("load_by_defender")
    if t.empty:
        return None
    months = _months(t)
    rows = sorted(t.records(), key=lambda r: (-sum(_f(r[m]) for m in months), str(r["defender_id"])))
    top = rows[:TOP_DEFENDERS]
    grid = [[_f(r[m]) for m in months] for r in top]
    figure = _figure(len(top) * 0.34 + 1.3)
    ax = figure.add_subplot()
    image = ax.imshow(grid, aspect="auto", cmap="Blues", vmin=0, vmax=max(1.0, max(max(g) for g in grid)))
    labels = [str(r["defender_id"]) for r in top]
    ax.set_yticks(range(len(top)), labels, fontsize=10)
    _month_ticks(ax, months)
    ax.tick_params(axis="x", labelsize=10, length=0)
    ax.tick_params(axis="y", length=0)
    if len(months) <= 18:
        limit = max(max(g) for g in grid) * 0.6
        for y, values in enumerate(grid):
            for x, value in enumerate(values):
                if value:
                    ax.text(x, y, f"{value:.0f}", ha="center", va="center", fontsize=9,
                            color="white" if value > limit else "#1d2733")
    for side in ax.spines.values():
        side.set_visible(False)
    figure.colorbar(image, ax=ax, shrink=0.8, pad=0.02).ax.tick_params(labelsize=9)
    more = f"the {len(top)} busiest of {len(rows)} Defenders" if len(rows) > len(top) else f"all {len(rows)} Defenders"
    ax.set_title(f"Open cases, {more}", fontsize=11, loc="left")
    return Chart(t.key, f"Heat map of open cases per month for {more} (by open case-months)", _png(figure))


def load_by_country_lines(report: Report) -> Chart | None:
    t = report.table("load_by_country")
    if t.empty:
        return None
    months = _months(t)
    figure = _figure(3.4)
    ax = figure.add_subplot()
    rows = t.records()
    for i, r in enumerate(rows):
        ax.plot(range(len(months)), [_f(r[m]) for m in months], marker="o", markersize=3.5, linewidth=2,
                label=str(r["country_name"]), color=PALETTE[i % len(PALETTE)])
    _month_ticks(ax, months)
    ax.set_ylabel("open cases", fontsize=12)
    ax.set_ylim(0, max(1.0, max(_f(r[m]) for r in rows for m in months) * 1.1))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=2))
    ax.yaxis.set_major_formatter(FuncFormatter(_number))
    _style(ax)
    ax.grid(axis="x", visible=False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    _legend(ax, len(rows), per_row=3)
    return Chart(t.key, "Open cases with a Defender per month, by country", _png(figure))


NETWORK_CHARTS: tuple[Callable[[Report], Chart | None], ...] = (offers_by_country, fees_by_country, load_heatmap,
                                                                load_by_country_lines)


def draw(report: Report) -> dict[str, Chart]:
    """Every chart the report's figures allow, by the key of the table each illustrates."""
    drawn = (chart(report) for chart in (NETWORK_CHARTS if report.kind == "network" else CHARTS))
    return {c.table_key: c for c in drawn if c is not None}
