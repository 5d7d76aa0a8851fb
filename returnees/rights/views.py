"""A person's export (a printable page and a JSON download) and the erasure requests."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.audit.targets import Target, names_in_audit, number_ids
from returnees.auth.access import Actor, current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session, statement_timeout
from returnees.core.errors import DomainError
from returnees.core.web import safe_next
from returnees.people.models import Returnee
from returnees.people.targets import people_in_audit
from returnees.rights.export import as_json, export_person
from returnees.rights.labels import FIELD_LABELS, SECTION_LABELS
from returnees.rights.models import Erasure, ErasureStatus
from returnees.rights.services import (
    approve_erasure,
    erasures_of,
    refuse_erasure,
    request_erasure,
)

bp = Blueprint("rights", __name__)


@bp.get("/returnees/<int:returnee_id>/export")
@requires_role(Role.SUPERVISOR)
@statement_timeout("EXPORT_STATEMENT_TIMEOUT_SECONDS")
def export(returnee_id: int) -> str:
    """Everything held about one person, as a page to read or print."""
    held = export_person(get_session(), current_actor(), returnee_id)
    return render_template(
        "rights/export.html",
        held=held,
        returnee_id=returnee_id,
        sections=SECTION_LABELS,
        field_labels=FIELD_LABELS,
        kind_of=kind_of,
        as_time=as_time,
    )


ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT")


def as_time(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def kind_of(value: Any) -> str:
    """How the export page shows a value: a time, a date, yes or no, a record, a list..."""
    if value is None or value == "" or value == [] or value == {}:
        return "empty"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, datetime) or (isinstance(value, str) and ISO_TIME.match(value)):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, list):
        return "records" if all(isinstance(item, dict) for item in value) else "list"
    return "text"


@bp.get("/returnees/<int:returnee_id>/export.json")
@requires_role(Role.SUPERVISOR)
@statement_timeout("EXPORT_STATEMENT_TIMEOUT_SECONDS")
def export_json(returnee_id: int) -> Response:
    """Everything held about one person, as a JSON file to download."""
    held = export_person(get_session(), current_actor(), returnee_id)
    body = json.dumps(as_json(held), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="persona-{returnee_id}.json"'},
    )


@bp.post("/returnees/<int:returnee_id>/erasure")
@requires_role(Role.SUPERVISOR)
def ask_erasure(returnee_id: int) -> Response:
    """Ask for a person to be erased, saying why; another supervisor must approve."""
    return _decide(
        lambda session, actor: request_erasure(
            session, actor, returnee_id, request.form.get("reason", "")
        ),
        _("Erasure requested: another supervisor of the country must approve it."),
        url_for("people.record", returnee_id=returnee_id),
    )


@bp.post("/erasures/<int:erasure_id>/approve")
@requires_role(Role.SUPERVISOR)
def approve(erasure_id: int) -> Response:
    """Approve another supervisor's request: the person is erased."""
    return _decide(
        lambda session, actor: approve_erasure(session, actor, erasure_id),
        _("The person's record is erased."),
    )


@bp.post("/erasures/<int:erasure_id>/refuse")
@requires_role(Role.SUPERVISOR)
def refuse(erasure_id: int) -> Response:
    """Refuse (or withdraw) an erasure request: nothing is erased."""
    return _decide(
        lambda session, actor: refuse_erasure(session, actor, erasure_id),
        _("Erasure refused; nothing was erased."),
    )


def _decide(act, done: str, back: str | None = None) -> Response:
    """Run one erasure service; its refusal is flashed and nothing changes."""
    session = get_session()
    try:
        act(session, current_actor())
    except DomainError as error:
        session.rollback()
        flash(error.in_words(), "error")
    else:
        flash(str(done), "success")
    return redirect(safe_next(request.form.get("next") or back or url_for("home.index")))


def record_panel(session: Session, actor: Actor, returnee: Returnee) -> dict | None:
    """On a person's record: that it is erased, for everyone; for supervisors, the export and
    the erasure requests."""
    erasures = erasures_of(session, returnee.id)
    done = next((e for e in erasures if e.status is ErasureStatus.DONE), None)
    if actor.role is not Role.SUPERVISOR:
        return {"erased": done, "erasures": [], "may_act": False} if done else None
    return {
        "erased": done,
        "erasures": erasures,
        "pending": next((e for e in erasures if e.status is ErasureStatus.PENDING), None),
        "may_act": True,
        "returnee_id": returnee.id,
    }


@names_in_audit(bp, "erasure")
def _erasures_in_audit(session: Session, reader: Actor, ids: set[str]) -> dict[str, Target]:
    """An erasure request is named as its person (once erased, a dash)."""
    numbers = number_ids(ids)
    query = select(Erasure.id, Erasure.returnee_id).where(Erasure.id.in_(numbers.values()))
    person_of = {str(erasure_id): person for erasure_id, person in session.execute(query)}
    return people_in_audit(session, reader, person_of)
