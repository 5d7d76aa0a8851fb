"""The monthly report of one country as a workbook ready to send: the month's cohort by each
group (small cells hidden), and twelve months of every figure and survey score with a line
chart for each family of them, drawn as the page draws them (reports.labels.trend_families)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import IO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.reports.cohorts import DIMENSIONS
from returnees.reports.files import cell
from returnees.reports.labels import TrendFamily, TrendPanel, trend_families
from returnees.reports.periods import add_months
from returnees.reports.services import (
    OutcomeCriteria,
    OutcomeTable,
    monthly_outcome_table,
    outcome_table,
)

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
    _trend_sheets(book, monthly_outcome_table(session, actor, whole), trend_families())
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


def _trend_sheets(book: Workbook, trend: OutcomeTable, families: tuple[TrendFamily, ...]) -> None:
    """The months down and every figure across (a hidden or pending month left empty, so that
    a chart leaves a gap rather than a zero), then a sheet of charts, one per panel."""
    sheet = book.create_sheet("Trend")
    figures = [name for family in families for name in family.figures]
    sheet.append(["month", *figures])
    surveys = trend.surveys.rows if trend.surveys else [{} for _row in trend.rows]
    for row, scores in zip(trend.rows, surveys, strict=True):
        values = row.values | scores
        shown = [values[f] if isinstance(values[f], int | float) else None for f in figures]
        sheet.append([row.group["month"], *shown])
    sheet.append(["hidden (<5) or pending cells are left empty"])
    charts = book.create_sheet("Trend charts")
    panels = [(family, panel) for family in families for panel in family.panels]
    for index, (family, panel) in enumerate(panels):
        chart = _line_chart(sheet, len(trend.rows), family, panel, figures)
        charts.add_chart(chart, f"{'AJ'[index % 2]}{1 + (index // 2) * 20}")


# The page's markers and dashes (reports.charts.STYLES), as a spreadsheet names them.
SERIES_STYLES = (
    ("0072B2", "solid", "circle", False),
    ("D55E00", "dash", "square", True),
    ("009E73", "sysDot", "triangle", False),
    ("7A3E9D", "dashDot", "diamond", True),
)


def _line_chart(
    sheet: Worksheet, months: int, family: TrendFamily, panel: TrendPanel, figures: list[str]
) -> LineChart:
    chart = LineChart()
    chart.title = f"{family.title}: {panel.title}" if panel.title else str(family.title)
    chart.x_axis.title, chart.y_axis.title = str(_("Month of arrival")), str(family.unit)
    chart.height, chart.width = 9, 16
    for name in panel.figures:
        column = figures.index(name) + 2
        chart.add_data(Reference(sheet, min_col=column, min_row=1, max_row=months + 1), True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=months + 1))
    for series, label, (colour, dash, symbol, hollow) in zip(
        chart.series, panel.legend, SERIES_STYLES, strict=False
    ):
        series.tx = SeriesLabel(v=str(label))
        series.smooth = False
        series.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.dashStyle = dash
        series.marker.symbol, series.marker.size = symbol, 7
        series.marker.graphicalProperties = GraphicalProperties(
            solidFill="FFFFFF" if hollow else colour
        )
        series.marker.graphicalProperties.line.solidFill = colour
    return chart
