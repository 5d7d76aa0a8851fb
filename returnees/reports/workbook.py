"""The monthly report of one country as a workbook ready to send: the month's cohort by each
group (small cells hidden), and twelve months of trends with a chart for each figure drawn."""

from __future__ import annotations

from datetime import date, timedelta
from typing import IO

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.reports.cohorts import DIMENSIONS
from returnees.reports.files import cell
from returnees.reports.labels import TREND_FIGURES
from returnees.reports.periods import add_months
from returnees.reports.services import OutcomeCriteria, OutcomeTable, outcome_table, outcome_trend

SHEET_TITLE = 31  # characters a sheet's name may have


def write_monthly_workbook(
    session: Session, actor: Actor, country: str, month: date, target: IO[bytes]
) -> int:
    """Write the month's report of `country` to `target`; the number of sheets."""
    first = month.replace(day=1)
    last = add_months(first, 1) - timedelta(days=1)
    book = Workbook()
    book.remove(book.active)
    whole = OutcomeCriteria(first, last, country=country)
    _table_sheet(book, "All", outcome_table(session, actor, whole))
    for name in DIMENSIONS:
        grouped = OutcomeCriteria(first, last, by=(name,), country=country)
        _table_sheet(book, f"By {name}"[:SHEET_TITLE], outcome_table(session, actor, grouped))
    _trend_sheet(book, outcome_trend(session, actor, whole))
    book.save(target)
    record_event(
        session,
        actor,
        AuditAction.EXPORT,
        "export",
        "monthly_report",
        country=country,
        month=first.strftime("%Y-%m"),
        sheets=len(book.worksheets),
    )
    return len(book.worksheets)


def _table_sheet(book: Workbook, title: str, table: OutcomeTable) -> None:
    """Figures down, groups across: the page's layout."""
    sheet = book.create_sheet(title)
    groups = [" · ".join(row.group.values()) for row in table.rows]
    sheet.append(["figure", *groups, "all"])
    for figure in table.figures:
        values = [row.values[figure] for row in table.rows]
        sheet.append([figure, *(cell(v) for v in values), cell(table.total[figure])])
    if table.surveys:
        for figure in table.surveys.figures:
            values = [values[figure] for values in table.surveys.rows]
            total = table.surveys.total[figure]
            sheet.append([figure, *(cell(v) for v in values), cell(total)])
    sheet.column_dimensions["A"].width = 30


def _trend_sheet(book: Workbook, trend: OutcomeTable) -> None:
    sheet = book.create_sheet("Trend")
    sheet.append(["month", *TREND_FIGURES])
    for row in trend.rows:
        numbers = [row.values[f] if isinstance(row.values[f], int) else None for f in TREND_FIGURES]
        sheet.append([row.group["month"], *numbers])
    sheet.append(["hidden (<5) or pending cells are left empty"])
    months = len(trend.rows)
    for index, figure in enumerate(TREND_FIGURES):
        chart = BarChart()
        chart.title = figure.replace("_", " ")
        chart.x_axis.title, chart.y_axis.title = "month of arrival", "people"
        column = index + 2
        data = Reference(sheet, min_col=column, min_row=1, max_row=months + 1)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=months + 1))
        chart.legend = None
        sheet.add_chart(chart, f"{chr(ord('I') + (index % 2) * 9)}{2 + (index // 2) * 16}")
