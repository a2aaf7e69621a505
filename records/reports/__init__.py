"""``casefac report``: the figures JiM and its funders ask for, aggregated in SQL from the case record.

The SQL lives in :mod:`~records.reports.queries`, the tables are assembled in :mod:`~records.reports.build`
into the neutral :class:`~records.reports.tables.Report`, and each medium has its own module: Rich
(:mod:`~records.reports.terminal`), CSV (:mod:`~records.reports.export_csv`), Excel
(:mod:`~records.reports.export_xlsx`) and one self-contained HTML file with charts
(:mod:`~records.reports.export_html`, :mod:`~records.reports.charts`). :mod:`~records.reports.synthetic`
generates records to benchmark and test it against.

A report holds no personal data unless it is built with a sealer (staff's ``--with-names``), and then only
Defender and Advocate names (:mod:`~records.reports.names`); client data is never read.
"""

from __future__ import annotations

from records.reports.build import build_report
from records.reports.period import Period, PeriodError, parse_period
from records.reports.tables import Column, Kind, Report, ReportTable

__all__ = ["Column", "Kind", "Period", "PeriodError", "Report", "ReportTable", "build_report", "parse_period"]
