"""The report on the terminal: one Rich table per section, totals under a rule, notes dimmed below."""

from __future__ import annotations

from rich.box import Box
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from records.reports.formatting import display
from records.reports.tables import Report, ReportTable

#: Rich's SIMPLE_HEAD with a rule between sections, so the totals stand apart from the rows above them.
RULED: Box = Box("    \n    \n ── \n    \n ── \n    \n    \n    \n")


def table_view(t: ReportTable) -> RenderableType:
    view = Table(title=escape(t.title), title_justify="left", title_style="bold", box=RULED,
                 show_edge=False, pad_edge=False)
    for column in t.columns:
        view.add_column(escape(column.label), justify="right" if column.kind.numeric else "left",
                        no_wrap=column.kind.numeric)
    for row in t.rows:
        view.add_row(*(escape(display(cell, c.kind)) for cell, c in zip(row, t.columns, strict=True)))
    if t.totals:
        view.add_section()
        for row in t.totals:
            view.add_row(*(escape(display(cell, c.kind)) for cell, c in zip(row, t.columns, strict=True)),
                         style="bold")
    notes = [Text(note, style="dim") for note in t.notes]
    return Group(view, *notes, Text(""))


def render(report: Report, console: Console) -> None:
    console.print(Text(report.title, style="bold underline"))
    console.print(Text(f"generated {report.generated_at:%Y-%m-%d %H:%M} UTC", style="dim"))
    if report.with_names:
        console.print(Text("Contains Defender and Advocate names: staff only, do not forward.", style="bold red"))
    for note in report.notes:
        console.print(Text(note, style="yellow"))
    console.print()
    for t in report.tables:
        console.print(table_view(t), soft_wrap=False)
