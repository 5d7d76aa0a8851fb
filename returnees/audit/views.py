"""Browse the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, render_template, request

from returnees.audit.forms import AuditFilterForm
from returnees.audit.queries import PAGE_SIZE, AuditFilter, search_audit
from returnees.audit.services import record_list_shown
from returnees.audit.targets import audit_names, people_shown
from returnees.auth.access import current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@requires_role(Role.SUPERVISOR, Role.ADMIN)
def index() -> tuple[str, int]:
    """The audit trail, filtered by user, record and date."""
    form = AuditFilterForm(request.args)
    entries = []
    if form.validate():
        entries = search_audit(get_session(), current_actor(), audit_filter_from(form))
    status = 200 if not form.errors else 422
    names = audit_names(get_session(), current_actor(), entries)
    shown = people_shown(entries, names["audit_targets"])
    record_list_shown(get_session(), current_actor(), "audit_trail", shown)
    return render_template(
        "audit/index.html", form=form, entries=entries, page_size=PAGE_SIZE, **names
    ), status


def audit_filter_from(form: AuditFilterForm) -> AuditFilter:
    """Dates are whole days in UTC; 'to' includes its day."""
    since = datetime.combine(form.since.data, time(), UTC) if form.since.data else None
    until = form.until.data and datetime.combine(form.until.data, time(), UTC) + timedelta(days=1)
    return AuditFilter(
        actor=form.actor.data or "",
        record_type=form.record_type.data or "",
        record_id=form.record_id.data or "",
        since=since,
        until=until or None,
        page=form.page.data or 1,
    )
