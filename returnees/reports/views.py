"""The outcome report page: a cohort's figures by group, and twelve months of trends."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import lazy_gettext as _

from returnees.auth.access import current_actor, requires_role
from returnees.core.db import get_session, statement_timeout
from returnees.core.errors import InvalidInput
from returnees.core.forms import options
from returnees.reports.charts import trend_charts
from returnees.reports.downloads import export_response
from returnees.reports.exports import (
    PSEUDONYMISED_ROLES,
    ExportRequest,
    prepare_export,
    recipient_keys,
)
from returnees.reports.forms import ExportForm, ReportFilterForm
from returnees.reports.labels import (
    DIMENSION_LABELS,
    EXPORT_LABELS,
    FIGURE_LABELS,
    VALUE_LABELS,
    survey_figure_labels,
    trend_families,
)
from returnees.reports.services import (
    REPORT_ROLES,
    OutcomeCriteria,
    default_period,
    monthly_outcome_table,
    outcome_table,
    parse_by,
)

bp = Blueprint("reports", __name__, url_prefix="/reports")
MIN_PASSPHRASE = 12


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
        "survey_labels": survey_figure_labels(),
    }
    return render_template("reports/index.html", **context, **labels), status


def _report(criteria: OutcomeCriteria) -> dict[str, object]:
    session, actor = get_session(), current_actor()
    table = outcome_table(session, actor, criteria)
    trend = monthly_outcome_table(session, actor, criteria)
    charts = trend_charts(trend, trend_families())
    return {"table": table, "trend": trend, "charts": charts, "criteria": criteria}


def criteria_from(form: ReportFilterForm) -> OutcomeCriteria:
    return OutcomeCriteria(
        first_day=form.from_.data,
        last_day=form.to.data,
        by=tuple(form.by.data or ()),
        centre=form.centre.data or "",
        office=form.office.data or "",
        department=form.department.data or "",
        country=form.country.data or "",
    )


def _show_errors(form: ReportFilterForm | ExportForm, error: InvalidInput) -> None:
    names = {"from": "from_"}
    for name, messages in error.fields.items():
        target = getattr(form, names.get(name, name), None)
        if target is not None:
            target.errors = [*target.errors, *messages]


# Exports of counts, small cells hidden: no person in them, so no passphrase.
NAMING_NO_ONE = frozenset({"outcomes"})


@bp.route("/export", methods=["GET", "POST"])
@statement_timeout("BULK_EXPORT_STATEMENT_TIMEOUT_SECONDS")
@requires_role(*PSEUDONYMISED_ROLES)
def export() -> Response | tuple[str, int]:
    """Choose an export (the list or report's filters come along) and download it; an
    identifying file comes inside a zip encrypted with the passphrase typed."""
    form = _export_form()
    if request.method == "GET" or not form.validate():
        return _export_page(form, 200 if request.method == "GET" else 422)
    names_people = not form.pseudonymised.data and form.what.data not in NAMING_NO_ONE
    passphrase = (form.passphrase.data or "") if names_people else ""
    if names_people and len(passphrase) < MIN_PASSPHRASE:
        form.passphrase.errors = [_("Type a passphrase of at least 12 characters.")]
        return _export_page(form, 422)
    try:
        chosen = prepare_export(get_session(), current_actor(), _export_request(form))
    except InvalidInput as error:
        _show_errors(form, error)
        return _export_page(form, 422)
    return export_response(chosen, form.file_format.data, passphrase)


def _export_form() -> ExportForm:
    form = ExportForm(request.form if request.method == "POST" else request.args)
    form.what.choices = options(EXPORT_LABELS.items())
    recipients = sorted(recipient_keys())
    form.recipient.choices = options([("", "—"), *((name, name) for name in recipients)])
    return form


def _export_page(form: ExportForm, status: int) -> tuple[str, int]:
    return render_template("reports/export.html", form=form), status


def _export_request(form: ExportForm) -> ExportRequest:
    return ExportRequest(
        what=form.what.data,
        pseudonymised=bool(form.pseudonymised.data),
        recipient=form.recipient.data or "",
        first_day=form.from_.data,
        last_day=form.to.data,
        by=parse_by(form.by.data or ""),
        centre=form.centre.data or "",
        office=form.office.data or "",
        department=form.department.data or "",
        country=form.country.data or "",
    )
