"""The outcome report page: a cohort's figures by group, and twelve months of trends."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from returnees.auth.access import current_actor, requires_role
from returnees.core.db import get_session
from returnees.core.errors import InvalidInput
from returnees.reports.charts import month_chart
from returnees.reports.forms import ReportFilterForm
from returnees.reports.labels import DIMENSION_LABELS, FIGURE_LABELS, TREND_FIGURES, VALUE_LABELS
from returnees.reports.services import (
    REPORT_ROLES,
    OutcomeCriteria,
    default_period,
    outcome_table,
    outcome_trend,
)

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.get("/")
@requires_role(*REPORT_ROLES)
def index() -> tuple[str, int]:
    """The outcomes of the arrivals of a period, by the groups chosen, and their trends."""
    form = ReportFilterForm(request.args if request.args else None, data=default_period())
    context: dict[str, object] = {"form": form, "table": None, "trend": None}
    status = 422 if request.args and not form.validate() else 200
    if status == 200:
        try:
            context |= _report(criteria_from(form))
        except InvalidInput as error:
            _show_errors(form, error)
            status = 422
    labels = {
        "figure_labels": FIGURE_LABELS,
        "dimension_labels": DIMENSION_LABELS,
        "value_labels": VALUE_LABELS,
    }
    return render_template("reports/index.html", **context, **labels), status


def _report(criteria: OutcomeCriteria) -> dict[str, object]:
    session, actor = get_session(), current_actor()
    table = outcome_table(session, actor, criteria)
    trend = outcome_trend(session, actor, criteria)
    charts = [month_chart(trend, figure) for figure in TREND_FIGURES]
    return {"table": table, "trend": trend, "charts": charts, "criteria": criteria}


def criteria_from(form: ReportFilterForm) -> OutcomeCriteria:
    return OutcomeCriteria(
        first_day=form.from_.data,
        last_day=form.to.data,
        by=tuple(form.by.data or ()),
        centre=form.centre.data or "",
        office=form.office.data or "",
        department=form.department.data or "",
    )


def _show_errors(form: ReportFilterForm, error: InvalidInput) -> None:
    names = {"from": "from_"}
    for name, messages in error.fields.items():
        target = getattr(form, names.get(name, name), None)
        if target is not None:
            target.errors = [*target.errors, *messages]
