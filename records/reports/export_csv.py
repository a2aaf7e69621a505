"""The report as CSV: one file per table (column keys as the header, figures without separators), zipped
into one file to attach, or written into a directory.

Totals follow the data rows with "Total" (or "All") in the first column; ``README.txt`` says what the
period was and carries every table's notes, so the files themselves stay plain tables.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from records.reports.formatting import plain
from records.reports.tables import Report, ReportTable


def file_name(index: int, t: ReportTable) -> str:
    return f"{index:02d}-{t.key}.csv"


def table_csv(t: ReportTable) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(t.keys)
    for row in (*t.rows, *t.totals):
        writer.writerow([plain(cell, c.kind) for cell, c in zip(row, t.columns, strict=True)])
    return out.getvalue()


def readme(report: Report) -> str:
    lines = [report.title, f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC.", ""]
    if report.with_names:
        lines += ["Contains Defender and Advocate names: staff only, do not forward.", ""]
    lines += [*report.notes, "Money: major units (two decimals) in the row's currency; *_usd columns at the rate "
              "staff approved. Hours and days: one decimal. would_work_again: a fraction (0-1).", ""]
    for i, t in enumerate(report.tables, 1):
        lines.append(f"{file_name(i, t)}: {t.title}")
        lines += [f"  {note}" for note in t.notes]
    return "\r\n".join(lines) + "\r\n"


def files(report: Report) -> dict[str, bytes]:
    """Every file by name, UTF-8 with a byte-order mark so Excel opens accents and dashes right."""
    out = {"README.txt": readme(report).encode("utf-8")}
    for i, t in enumerate(report.tables, 1):
        out[file_name(i, t)] = table_csv(t).encode("utf-8-sig")
    return out


def write_zip(report: Report, path: Path) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files(report).items():
            archive.writestr(f"casefac-report-{report.period.slug}/{name}", data)
    return path


def write_directory(report: Report, path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, data in files(report).items():
        (path / name).write_bytes(data)
    return path


def write(report: Report, path: Path) -> Path:
    """A ``.zip`` file, or a directory when ``path`` is one or names no file type."""
    if path.is_dir() or not path.suffix:
        return write_directory(report, path)
    if path.suffix.lower() != ".zip":
        raise ValueError(f"{path}: CSV goes into a .zip file or a directory")
    return write_zip(report, path)
