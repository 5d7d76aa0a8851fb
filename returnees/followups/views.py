"""Admins' follow-up plans: the steps of each profile."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from returnees.audit.targets import Target, link_for, names_in_audit, number_ids
from returnees.auth.access import Actor, current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.clock import utcnow
from returnees.core.db import get_session
from returnees.core.errors import DomainError
from returnees.core.forms import options, show_errors
from returnees.followups.forms import (
    ANSWER_LABELS,
    ANSWER_TYPE_LABELS,
    ASKED_LABELS,
    INDICATOR_LABELS,
    NEW_ROWS,
    PROFILE_LABELS,
    STATE_LABELS,
    VOICE_RULE_LABELS,
    PlanForm,
)
from returnees.followups.models import PENDING, CheckInState, FollowUpPlan
from returnees.followups.plans import StepEntry, change_plan, list_plans, require_plan
from returnees.followups.services import follow_up_of
from returnees.messaging.models import MessageTemplate
from returnees.messaging.window import sending_time
from returnees.people.identity import format_phone
from returnees.people.models import Returnee
from returnees.tasks.alerts import STAFF_TEMPLATES

bp = Blueprint("followups", __name__)


def record_panel(session: Session, actor: Actor, returnee: Returnee) -> dict | None:
    """The follow-up panel of a person's record: every check-in, what became of it and which
    number answered it, the steps missed (registered too late, or waiting too long for a
    number shared with others), and when each still to ask goes out (after hours: the next
    morning, as dispatch sends it)."""
    check_ins = follow_up_of(session, returnee.id)
    if not check_ins:
        return None
    now = utcnow()
    return {
        "check_ins": check_ins,
        "sends_at": {
            row.CheckIn.id: sending_time(row.CheckIn.due_at, now, returnee.nationality)
            for row in check_ins
            if row.CheckIn.state in PENDING
        },
        "missed": sum(row.CheckIn.state is CheckInState.MISSED for row in check_ins),
        "state_labels": STATE_LABELS,
        "answer_labels": ANSWER_LABELS,
        "indicator_labels": INDICATOR_LABELS,
        "answer_type_labels": ANSWER_TYPE_LABELS,
        "format_phone": format_phone,
    }


@bp.get("/plans/")
@requires_role(Role.ADMIN)
def plans() -> str:
    """Every follow-up plan and its steps."""
    return render_template(
        "followups/plans.html",
        plans=list_plans(get_session(), current_actor()),
        profile_labels=PROFILE_LABELS,
        answer_type_labels=ANSWER_TYPE_LABELS,
        asked_labels=ASKED_LABELS,
        indicator_labels=INDICATOR_LABELS,
        voice_rule_labels=VOICE_RULE_LABELS,
    )


@bp.route("/plans/<profile>", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def edit_plan(profile: str) -> str | tuple[str, int] | Response:
    """Change a plan's steps; what has been sent already keeps what it asked."""
    session = get_session()
    plan = require_plan(session, current_actor(), profile)
    form = PlanForm() if request.method == "POST" else _filled(plan)
    _offer_templates(form)
    if request.method == "POST" and form.validate_on_submit():
        try:
            change_plan(session, current_actor(), profile, _entries(form), form.voice_rule.data)
        except DomainError as error:
            session.rollback()
            show_errors(form, error, _row_aliases(form))
            return _render(plan, form), error.status
        flash(_("Plan saved. Check-ins not yet sent follow it now."), "success")
        return redirect(url_for("followups.plans"))
    return _render(plan, form)


def _render(plan: FollowUpPlan, form: PlanForm) -> str:
    return render_template(
        "followups/plan_edit.html", plan=plan, form=form, profile_labels=PROFILE_LABELS
    )


def _filled(plan: FollowUpPlan) -> PlanForm:
    form = PlanForm(formdata=None, voice_rule=plan.voice_rule.value)
    for step in plan.steps:
        form.steps.append_entry(
            {
                "step_id": step.id,
                "day_offset": step.day_offset,
                "template": step.template,
                "answer_type": step.answer_type.value,
                "asked": step.asked.value,
                "indicator": step.indicator.value if step.indicator else "",
            }
        )
    for _row in range(NEW_ROWS):
        form.steps.append_entry()
    return form


def _offer_templates(form: PlanForm) -> None:
    keys = get_session().scalars(
        select(MessageTemplate.key).distinct().order_by(MessageTemplate.key)
    )
    held = {entry.form.template.data for entry in form.steps}
    # A step that holds a staff message shows it, to be refused by name when saved.
    choices = options((key, key) for key in keys if key not in STAFF_TEMPLATES or key in held)
    for entry in form.steps:
        entry.form.template.choices = choices


def _kept_rows(form: PlanForm) -> list:
    """The rows that become steps: not removed, and not a blank row for a new step."""
    return [
        entry.form
        for entry in form.steps
        if not entry.form.remove.data
        and (entry.form.step_id.data or (entry.form.day_offset.data or "").strip())
    ]


def _entries(form: PlanForm) -> list[StepEntry]:
    return [
        StepEntry(
            day_offset=(row.day_offset.data or "").strip(),
            template=row.template.data or "",
            answer_type=row.answer_type.data or "",
            asked=row.asked.data or "",
            indicator=row.indicator.data or "",
            step_id=int(row.step_id.data) if (row.step_id.data or "").isdigit() else None,
        )
        for row in _kept_rows(form)
    ]


def _row_aliases(form: PlanForm) -> dict[str, str]:
    """The service numbers the steps it was given; the form also has removed and blank rows."""
    index = {id(row): n for n, row in enumerate(entry.form for entry in form.steps)}
    aliases = {}
    for n, row in enumerate(_kept_rows(form)):
        for name in ("day_offset", "template", "answer_type", "asked", "indicator", "step_id"):
            aliases[f"steps.{n}.{name}"] = f"steps.{index[id(row)]}.{name}"
    return aliases


@names_in_audit(bp, "follow_up_plan")
def _plans_in_audit(session: Session, reader: Actor, ids: set[str]) -> dict[str, Target]:
    query = select(FollowUpPlan.id, FollowUpPlan.profile).where(
        FollowUpPlan.id.in_(number_ids(ids).values())
    )
    return {
        str(found): Target(
            str(PROFILE_LABELS[profile.value]),
            link_for(reader, "followups.edit_plan", profile=profile.value),
        )
        for found, profile in session.execute(query)
    }
