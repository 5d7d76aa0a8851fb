"""The rules and weights of the risk score, shown to all staff and changed by admins; a person's
flag on their record, where social workers set a level."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from returnees.audit.targets import Target, names_in_audit, number_ids
from returnees.auth.access import CASEWORK_ROLES, EVERY_ROLE, Actor, current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session
from returnees.core.errors import DomainError
from returnees.core.forms import show_errors
from returnees.people.models import Returnee
from returnees.people.services import require_returnee
from returnees.people.targets import people_in_audit
from returnees.risk.forms import LEVEL_LABELS, RulesForm, SetLevelForm
from returnees.risk.rules import DESCRIPTIONS, NAMES, RULES
from returnees.risk.services import (
    RulesEntry,
    change_rules,
    describe,
    rules_history,
    rules_in_force,
    set_level,
    view_risk,
)

bp = Blueprint("risk", __name__)


@bp.get("/risk/rules")
@requires_role(*EVERY_ROLE)
def rules() -> str:
    """The rules in force, their weights and thresholds, and every earlier version."""
    return _render_rules(_filled_form())


@bp.post("/risk/rules")
@requires_role(Role.ADMIN)
def change() -> tuple[str, int] | Response:
    """Put new weights or thresholds in force as a new version."""
    form = RulesForm()
    if not form.validate_on_submit():
        return _render_rules(form), 400
    entry = RulesEntry(
        weights={key: form[key].data or "" for key in RULES},
        medium_from=form.medium_from.data or "",
        high_from=form.high_from.data or "",
        note=form.note.data or "",
    )
    session = get_session()
    try:
        before = rules_in_force(session).version
        changed = change_rules(session, current_actor(), entry)
    except DomainError as error:
        session.rollback()
        show_errors(form, error, {f"weights.{key}": key for key in RULES})
        return _render_rules(form), error.status
    if changed.version == before:
        flash(_("Nothing changed: these are the rules in force."), "info")
    else:
        flash(_("Version %(n)s of the rules is in force.", n=changed.version), "success")
    return redirect(url_for("risk.rules"))


def _filled_form() -> RulesForm:
    rules = rules_in_force(get_session())
    values = {key: str(rules.weights.get(key, 0)) for key in RULES}
    return RulesForm(
        formdata=None,
        data=values | {"medium_from": str(rules.medium_from), "high_from": str(rules.high_from)},
    )


def _render_rules(form: RulesForm) -> str:
    session = get_session()
    return render_template(
        "risk/rules.html",
        rules=rules_in_force(session),
        history=rules_history(session, current_actor()),
        keys=list(RULES),
        names=NAMES,
        descriptions=DESCRIPTIONS,
        form=form if current_actor().role is Role.ADMIN else None,
    )


@bp.post("/returnees/<int:returnee_id>/risk/level")
@requires_role(*CASEWORK_ROLES)
def level(returnee_id: int) -> tuple[str, int] | Response:
    """Set a person's level, saying why."""
    session, actor = get_session(), current_actor()
    returnee = require_returnee(session, actor, returnee_id)
    form = SetLevelForm()
    try:
        if not form.validate_on_submit():
            return _render_level(returnee, form), 400
        set_level(session, actor, returnee_id, form.level.data or "", form.reason.data or "")
    except DomainError as error:
        session.rollback()
        show_errors(form, error)
        return _render_level(returnee, form), error.status
    flash(_("Risk level saved."), "success")
    return redirect(url_for("people.record", returnee_id=returnee_id))


def _render_level(returnee: Returnee, form: SetLevelForm) -> str:
    return render_template(
        "risk/set_level.html", returnee=returnee, form=form, level_labels=LEVEL_LABELS
    )


def record_panel(session: Session, actor: Actor, returnee: Returnee) -> dict | None:
    """The flag on a person's record, for the roles that work cases (the record's view is
    already in the audit trail)."""
    if not actor.has_role(*CASEWORK_ROLES) or actor.is_system:
        return None
    risk = view_risk(session, actor, returnee.id, audit=False)
    return {
        "risk": risk,
        "changes": [(change, describe(change.reasons)) for change in risk.changes],
        "form": SetLevelForm(formdata=None, level=risk.flag.level.value),
        "level_labels": LEVEL_LABELS,
        "returnee_id": returnee.id,
    }


@names_in_audit(bp, "risk_flag")
def _risk_flags_in_audit(session: Session, reader: Actor, ids: set[str]) -> dict[str, Target]:
    """A risk flag is written under its person's number."""
    return people_in_audit(session, reader, number_ids(ids))
