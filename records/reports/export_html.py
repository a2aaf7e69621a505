"""The report as ONE self-contained HTML file: to attach to an email, open on a phone, print.

Everything is inside the file: the CSS in a ``<style>`` element, the charts as ``data:image/png`` URIs.
No script, no web font, no link to anything outside (a mail client blocks those, and a funder opening
the attachment offline sees the same page). Wide tables scroll sideways in their own box on a narrow
screen instead of shrinking the page, and tables of more than :data:`LONG_TABLE` rows fold away; the
summary at the top reads without scrolling at all.
"""

from __future__ import annotations

import base64
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from pathlib import Path

from records.reports.charts import Chart, draw
from records.reports.formatting import display
from records.reports.tables import Cell, Kind, Report, ReportTable

#: Longer tables fold away (``<details>``, no script needed), so a phone scrolls past them to the next section.
LONG_TABLE = 25
CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 0 12px 32px; font: 15px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
       sans-serif; color: #1d2733; background: #fff; }
main { max-width: 980px; margin: 0 auto; }
header { border-bottom: 3px solid #1b6ca8; padding: 16px 0 10px; margin-bottom: 12px; }
h1 { font-size: 1.45em; margin: 0 0 4px; }
h2 { font-size: 1.15em; margin: 28px 0 8px; padding-top: 8px; border-top: 1px solid #e3e7ec; }
.meta { color: #5b6875; font-size: .9em; margin: 0; }
.staff { background: #fdecea; color: #8a1c12; border: 1px solid #f5c2bd; padding: 8px 10px; border-radius: 4px;
         font-weight: 600; margin: 10px 0; }
.warn { background: #fff7e0; border: 1px solid #f0d48a; padding: 6px 10px; border-radius: 4px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 8px; margin: 12px 0; }
.card { border: 1px solid #e3e7ec; border-radius: 6px; padding: 8px 10px; }
.card b { display: block; font-size: 1.35em; font-variant-numeric: tabular-nums; }
.card span { color: #5b6875; font-size: .85em; }
nav ol { columns: 2 220px; margin: 8px 0; padding-left: 1.3em; font-size: .92em; }
nav a, nav a:visited { color: #1b6ca8; }
figure { margin: 8px 0 12px; }
figure img { display: block; max-width: 100%; height: auto; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; border: 1px solid #e3e7ec; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; font-size: .9em; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 8px; border-bottom: 1px solid #eef1f4; text-align: left; white-space: nowrap; }
th { background: #f4f6f8; font-weight: 600; position: sticky; top: 0; }
td.n, th.n { text-align: right; }
tr.total td { font-weight: 700; background: #fafbfc; border-top: 2px solid #c9d1d9; }
details summary { cursor: pointer; color: #1b6ca8; margin: 4px 0 8px; font-weight: 600; }
p.note { color: #5b6875; font-size: .85em; margin: 4px 0; }
p.empty { font-style: italic; }
footer { margin-top: 32px; color: #8593a0; font-size: .8em; }
@media print { .scroll { overflow: visible; border: 0; }
               h2 { break-after: avoid; } figure { break-inside: avoid; } }
"""


def _cell(cell: Cell, kind: Kind, tag: str = "td") -> str:
    """A cell (or a header, ``th``), right-aligned when the column holds figures."""
    numeric = ' class="n"' if kind.numeric else ""
    return f"<{tag}{numeric}>{escape(display(cell, kind))}</{tag}>"


def _table(t: ReportTable, *, rows: bool = True) -> str:
    """The table in its scroll box; without ``rows``, the header and the totals only."""
    parts = ['<div class="scroll"><table><thead><tr>', *(_cell(c.label, c.kind, "th") for c in t.columns),
             "</tr></thead><tbody>"]
    for row in t.rows if rows else ():
        parts.append("<tr>" + "".join(_cell(v, c.kind) for v, c in zip(row, t.columns, strict=True)) + "</tr>")
    for row in t.totals:
        parts.append('<tr class="total">' + "".join(_cell(v, c.kind) for v, c in zip(row, t.columns, strict=True))
                     + "</tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)


def table_html(t: ReportTable, chart: Chart | None) -> str:
    parts = [f'<section id="{escape(t.key)}"><h2>{escape(t.title)}</h2>']
    if chart is not None:
        data = base64.b64encode(chart.png).decode("ascii")
        parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{escape(chart.alt)}"></figure>')
    notes = list(t.notes)
    if t.empty:
        parts.append(f'<p class="note empty">{escape(notes.pop(0))}</p>')
    if len(t.rows) > LONG_TABLE:  # the totals stay in view, the rows fold away
        if t.totals:
            parts.append(_table(t, rows=False))
        parts.append(f"<details><summary>All {len(t.rows):,} rows</summary>{_table(t)}</details>")
    else:
        parts.append(_table(t))
    parts += [f'<p class="note">{escape(note)}</p>' for note in notes]
    parts.append("</section>")
    return "".join(parts)


def _total(report: Report, key: str, column: str, *, last: bool = False) -> Cell:
    """A figure from a table's totals (the last totals row for the all-currency USD line)."""
    totals = report.table(key).records(totals=True)
    if not totals:
        return 0
    return (totals[-1] if last else totals[0])[column]


def _card_figure(value: Cell, kind: Kind) -> str:
    """Whole dollars on a card: cents belong in the tables, a headline figure reads better without them."""
    if kind is Kind.MONEY and value is not None:
        return f"{Decimal(value).quantize(Decimal(1), ROUND_HALF_UP):,}"
    return display(value or 0, kind)


def summary_cards(report: Report) -> str:
    cards = [
        ("Cases opened", _total(report, "cases_by_country", "opened"), Kind.COUNT),
        ("Cases closed", _total(report, "cases_by_country", "closed"), Kind.COUNT),
        ("Open at end", _total(report, "cases_by_country", "open"), Kind.COUNT),
        ("Defender hours", _total(report, "defender_hours", "hours"), Kind.HOURS),
        ("Fees paid (USD)", _total(report, "fees_by_country", "amount_usd", last=True), Kind.MONEY),
        ("Invoiced (USD)", _total(report, "invoices_by_organization", "invoiced_usd", last=True), Kind.MONEY),
        ("Paid (USD)", _total(report, "invoices_by_organization", "paid_usd", last=True), Kind.MONEY),
        ("Outstanding (USD)", _total(report, "invoices_by_organization", "outstanding_usd", last=True), Kind.MONEY),
    ]
    return _cards(cards)


def network_cards(report: Report) -> str:
    """The network report's headline: the whole network over the period, from the tables' totals."""
    cards = [
        ("Defenders", _total(report, "network_countries", "defenders"), Kind.COUNT),
        ("Cases assigned", _total(report, "network_countries", "assigned"), Kind.COUNT),
        ("Offers declined", _total(report, "network_countries", "declined"), Kind.COUNT),
        ("Offers lapsed", _total(report, "network_countries", "lapsed"), Kind.COUNT),
        ("Median response (h)", _total(report, "network_countries", "median_response_hours"), Kind.HOURS),
        ("Defender hours", _total(report, "network_countries", "hours"), Kind.HOURS),
        ("Fees paid (USD)", _total(report, "network_countries", "fees_usd"), Kind.MONEY),
        ("Peak open cases", _total(report, "load_by_country", "peak"), Kind.COUNT),
    ]
    return _cards(cards)


def _cards(cards: list[tuple[str, Cell, Kind]]) -> str:
    body = "".join(f"<div class=\"card\"><b>{escape(_card_figure(value, kind))}</b><span>{escape(label)}</span>"
                   "</div>" for label, value, kind in cards)
    return f'<div class="cards">{body}</div>'


def render(report: Report, charts: dict[str, Chart] | None = None) -> str:
    """The whole page; ``charts`` default to every chart the figures allow."""
    charts = draw(report) if charts is None else charts
    head = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(report.title)}</title><style>{CSS}</style></head><body><main>")
    header = [f"<header><h1>{escape(report.title)}</h1>",
              f"<p class=\"meta\">Justice in Motion · Case Facilitations · generated "
              f"{report.generated_at:%Y-%m-%d %H:%M} UTC</p></header>"]
    if report.with_names:
        who = "Defender" if report.kind == "network" else "Defender and Advocate"
        header.append(f'<p class="staff">Contains {who} names: staff only, do not forward.</p>')
    header += [f'<p class="warn">{escape(note)}</p>' for note in report.notes]
    nav = "".join(f'<li><a href="#{escape(t.key)}">{escape(t.short)}</a></li>' for t in report.tables)
    sections = "".join(table_html(t, charts.get(t.key)) for t in report.tables)
    footer = ("<footer>Figures from the case record. Money in the currency it was invoiced or paid in; USD at "
              "the rates staff approved. LSC codes after the LSC CSR Handbook.</footer>")
    cards = network_cards(report) if report.kind == "network" else summary_cards(report)
    return (head + "".join(header) + cards + f"<nav><ol>{nav}</ol></nav>" + sections + footer
            + "</main></body></html>")


def write(report: Report, path: Path, charts: dict[str, Chart] | None = None) -> Path:
    path.write_text(render(report, charts), encoding="utf-8")
    return path
