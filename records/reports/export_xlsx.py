"""The report as an Excel workbook: one sheet per table, figures as numbers with number formats.

The header is row 1 (bold, frozen, with a filter) so each sheet is a plain table a funder can sort and
sum; totals follow in bold, and the notes sit two rows under the table, where a filter or a formula over
the columns does not pick them up. The workbook's properties carry the period; there is no cover sheet.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from records.reports.formatting import display
from records.reports.tables import Cell, Kind, Report, ReportTable

NUMBER_FORMATS = {
    Kind.COUNT: "#,##0",
    Kind.MONEY: "#,##0.00",
    Kind.HOURS: "#,##0.0",
    Kind.DAYS: "#,##0.0",
    Kind.SCORE: "0.00",
    Kind.SHARE: "0.0%",
}
MAX_WIDTH = 48
BOLD = Font(bold=True)


def _value(cell: Cell, kind: Kind) -> str | int | Decimal | None:
    """Numbers stay numbers (a Decimal is written as one); text as text; nothing as an empty cell."""
    if cell is None or cell == "":
        return None
    if kind is Kind.TEXT or isinstance(cell, str):
        return cell
    return int(cell) if kind is Kind.COUNT else Decimal(cell)


def _sheet_names(report: Report) -> list[str]:
    """Tab names: the short titles, made unique (Excel refuses two equal ones and some characters)."""
    names: list[str] = []
    for t in report.tables:
        base = "".join("-" if ch in "[]:*?/\\" else ch for ch in t.short)[:31]
        name, n = base, 2
        while name.lower() in (x.lower() for x in names):
            name = f"{base[:28]} {n}"
            n += 1
        names.append(name)
    return names


def fill_sheet(sheet: Worksheet, t: ReportTable) -> None:
    widths = [len(c.label) for c in t.columns]
    sheet.append([c.label for c in t.columns])
    for cell in sheet[1]:
        cell.font = BOLD
        cell.alignment = Alignment(vertical="top", wrap_text=False)
    body = [*t.rows, *t.totals]
    for row in body:
        sheet.append([_value(cell, c.kind) for cell, c in zip(row, t.columns, strict=True)])
        for i, (cell, c) in enumerate(zip(row, t.columns, strict=True)):
            widths[i] = max(widths[i], len(display(cell, c.kind)))
    for index, column in enumerate(t.columns, 1):
        if column.kind in NUMBER_FORMATS:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=len(body) + 1, min_col=index, max_col=index):
                cell.number_format = NUMBER_FORMATS[column.kind]
        sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, widths[index - 1] + 2)
    for row_number in range(len(t.rows) + 2, len(body) + 2):
        for cell in sheet[row_number]:
            cell.font = BOLD
    sheet.freeze_panes = "A2"
    if t.rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(t.columns))}{len(t.rows) + 1}"
    first_note = len(body) + 3
    for offset, note in enumerate(t.notes):
        sheet.cell(row=first_note + offset, column=1, value=note).font = Font(italic=True, color="666666")


def workbook(report: Report) -> Workbook:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name, t in zip(_sheet_names(report), report.tables, strict=True):
        fill_sheet(book.create_sheet(name), t)
    book.properties.title = report.title
    book.properties.subject = (f"{report.period.label}; generated {report.generated_at:%Y-%m-%d %H:%M} UTC"
                               + ("; contains names: staff only" if report.with_names else ""))
    book.properties.creator = "casefac report"
    return book


def write(report: Report, path: Path) -> Path:
    workbook(report).save(path)
    return path
