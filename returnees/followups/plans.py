"""Follow-up plans, edited by admins; a change reaches only the check-ins not yet sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.core.clock import utcnow
from returnees.core.errors import InvalidInput, NotFound
from returnees.followups.models import (
    AnswerType,
    Asked,
    CheckIn,
    CheckInState,
    FollowUpPlan,
    Indicator,
    PlanProfile,
    PlanStep,
    VoiceRule,
)
from returnees.followups.services import (
    ask_on,
    check_in_row,
    contact_phone,
    contact_phones,
    due_and_state,
    insert_check_ins,
)
from returnees.messaging.models import MessageTemplate
from returnees.people.models import Returnee
from returnees.reception.models import Arrival
from returnees.tasks.alerts import STAFF_TEMPLATES

MAX_DAY = 3 * 365
# Whom a plan's steps may ask: an adult has no guardian to ask; a child's plan asks a parent or
# guardian, or the child.
MAY_ASK = {
    PlanProfile.ADULT: {Asked.RETURNEE},
    PlanProfile.CHILD_WITH_FAMILY: {Asked.RETURNEE, Asked.GUARDIAN},
    PlanProfile.UNACCOMPANIED_CHILD: {Asked.RETURNEE, Asked.GUARDIAN},
}


@dataclass(frozen=True)
class StepEntry:
    """One step as an admin writes it; `step_id` names the step it changes, None a new one."""

    day_offset: int | str
    template: str
    answer_type: str
    asked: str = Asked.RETURNEE.value
    indicator: str = ""
    step_id: int | None = None


def list_plans(session: Session, actor: Actor) -> list[FollowUpPlan]:
    actor.require_role(Role.ADMIN)
    return list(session.scalars(select(FollowUpPlan).order_by(FollowUpPlan.id)))


def require_plan(session: Session, actor: Actor, profile: str) -> FollowUpPlan:
    actor.require_role(Role.ADMIN)
    plan = None
    if profile in PlanProfile._value2member_map_:
        plan = session.scalar(select(FollowUpPlan).where(FollowUpPlan.profile == profile))
    if plan is None:
        known = ", ".join(p.value for p in PlanProfile)
        raise NotFound(
            _("No follow-up plan is called “%(name)s”: use %(known)s.", name=profile, known=known)
        )
    return plan


def change_plan(
    session: Session,
    actor: Actor,
    profile: str,
    entries: list[StepEntry],
    voice_rule: str | None = None,
) -> FollowUpPlan:
    """Replace a plan's steps (and, given, whom it asks by phone call: VoiceRule) and raise its
    version. Check-ins already sent keep what they asked; those still scheduled follow the new
    steps, a removed step's are cancelled, and a new step is added for everyone still being
    followed on this plan. Whom it calls counts from the next question asked."""
    plan = require_plan(session, actor, profile)
    rule = _check_voice_rule(voice_rule)
    steps = _check_steps(session, plan, entries)
    now = utcnow()
    plan.voice_rule = rule or plan.voice_rule
    plan.version += 1
    plan.updated_at = now
    kept = {entry.step_id for entry in steps if entry.step_id is not None}
    for old in plan.steps:
        if old.id not in kept:
            old.retired_at = now
            _cancel_scheduled(session, old.id)
    current = {step.id: step for step in plan.steps}
    added = []
    position = max(
        (s.position for s in session.scalars(select(PlanStep).where(PlanStep.plan_id == plan.id))),
        default=0,
    )
    for entry in steps:
        if entry.step_id is None:
            position += 1
            step = PlanStep(plan_id=plan.id, position=position)
            session.add(step)
            added.append(step)
        else:
            step = current[entry.step_id]
        _apply(step, entry)
    session.flush()
    for step in current.values():
        if step.id in kept:
            _follow_step(session, plan, step, now)
    _add_to_those_followed(session, plan, added, now)
    session.expire(plan, ["steps"])
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "follow_up_plan",
        plan.id,
        profile=plan.profile.value,
        version=plan.version,
        steps=len(steps),
        voice_rule=plan.voice_rule.value,
    )
    return plan


def _check_voice_rule(value: str | None) -> VoiceRule | None:
    if value is None or value == "":
        return None
    if value not in VoiceRule._value2member_map_:
        known = ", ".join(rule.value for rule in VoiceRule)
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"voice_rule": [_("Unknown rule “%(rule)s”: use %(known)s.", rule=value, known=known)]},
        )
    return VoiceRule(value)


@dataclass(frozen=True)
class _CheckedStep:
    step_id: int | None
    day_offset: int
    template: str
    answer_type: AnswerType
    asked: Asked
    indicator: Indicator | None


def _check_steps(
    session: Session, plan: FollowUpPlan, entries: list[StepEntry]
) -> list[_CheckedStep]:
    """Every problem of every step at once, by field; nothing is changed when there is one."""
    errors: dict[str, list[object]] = {}
    templates = set(session.scalars(select(MessageTemplate.key).distinct()))
    own = {step.id for step in plan.steps}
    checked, days = [], {}
    if not entries:
        errors["steps"] = [_("A plan needs at least one step.")]
    for n, entry in enumerate(entries):
        field = f"steps.{n}."
        day = _whole_number(entry.day_offset)
        if day is None or not 0 <= day <= MAX_DAY:
            errors[field + "day_offset"] = [
                _("A day from 0 to %(max)s after arrival.", max=MAX_DAY)
            ]
        elif day in days:
            errors[field + "day_offset"] = [
                _("Step %(n)s is on that day already: one message a day at most.", n=days[day] + 1)
            ]
        else:
            days[day] = n
        if entry.template in STAFF_TEMPLATES:
            errors[field + "template"] = [
                _(
                    "“%(key)s” is a message to staff on call, not a question for a returnee: "
                    "choose another template.",
                    key=entry.template,
                )
            ]
        elif entry.template not in templates:
            errors[field + "template"] = [
                _("No message template has the key “%(key)s”.", key=entry.template)
            ]
        if entry.answer_type not in AnswerType._value2member_map_:
            errors[field + "answer_type"] = [
                _(
                    "Unknown answer type “%(type)s”: use %(known)s.",
                    type=entry.answer_type,
                    known=", ".join(a.value for a in AnswerType),
                )
            ]
        if entry.asked not in Asked._value2member_map_:
            errors[field + "asked"] = [_("Ask the returnee or the guardian.")]
        elif Asked(entry.asked) not in MAY_ASK[plan.profile]:
            errors[field + "asked"] = [
                _("An adult has no guardian to ask: this plan's steps ask the returnee.")
            ]
        if entry.indicator and entry.indicator not in Indicator._value2member_map_:
            errors[field + "indicator"] = [_("Unknown indicator “%(name)s”.", name=entry.indicator)]
        if entry.step_id is not None and entry.step_id not in own:
            errors[field + "step_id"] = [_("That step is not one of this plan's.")]
        if not any(key.startswith(field) for key in errors):
            checked.append(
                _CheckedStep(
                    entry.step_id,
                    day,
                    entry.template,
                    AnswerType(entry.answer_type),
                    Asked(entry.asked),
                    Indicator(entry.indicator) if entry.indicator else None,
                )
            )
    if errors:
        raise InvalidInput(_("Nothing was saved: correct the steps marked."), errors)
    return checked


def _whole_number(value: int | str) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() else None


def _apply(step: PlanStep, entry: _CheckedStep) -> None:
    step.day_offset, step.template, step.answer_type = (
        entry.day_offset,
        entry.template,
        entry.answer_type,
    )
    step.asked, step.indicator = entry.asked, entry.indicator


def _cancel_scheduled(session: Session, step_id: int) -> None:
    """A removed step is asked of no one more; a question already asked (its reminder
    waiting) stays open to its answer."""
    session.execute(
        update(CheckIn)
        .where(
            CheckIn.step_id == step_id,
            CheckIn.state == CheckInState.SCHEDULED,
            CheckIn.reminded_at.is_(None),
        )
        .values(state=CheckInState.CANCELLED)
        .execution_options(synchronize_session=False)
    )


def _follow_step(session: Session, plan: FollowUpPlan, step: PlanStep, now) -> None:
    """The scheduled check-ins of a step take its new question, answer type and day."""
    grace = timedelta(hours=current_app.config["FOLLOW_UP_GRACE_HOURS"])
    waiting = session.execute(
        select(CheckIn, Arrival.arrived_at)
        .join(Arrival, CheckIn.arrival_id == Arrival.id)
        .where(
            CheckIn.step_id == step.id,
            CheckIn.state == CheckInState.SCHEDULED,
            CheckIn.reminded_at.is_(None),  # a reminder repeats what was asked
        )
    ).all()
    phones = contact_phones(session, {check_in.returnee_id for check_in, _at in waiting})
    for check_in, arrived_at in waiting:
        check_in.due_at, check_in.state = due_and_state(
            arrived_at + timedelta(days=step.day_offset), now, grace
        )
        check_in.template, check_in.answer_type = step.template, step.answer_type
        check_in.indicator, check_in.plan_version = step.indicator, plan.version
        if asked_on := phones.get(check_in.returnee_id):  # who the step asks may have changed
            ask_on(check_in, asked_on[step.asked])


def _add_to_those_followed(
    session: Session, plan: FollowUpPlan, added: list[PlanStep], now
) -> None:
    """A new step reaches the people still followed on this plan (a check-in still scheduled),
    unless its day is already past the grace period for them."""
    if not added:
        return
    grace = timedelta(hours=current_app.config["FOLLOW_UP_GRACE_HOURS"])
    followed = (
        select(CheckIn.arrival_id)
        .join(PlanStep, CheckIn.step_id == PlanStep.id)
        .where(PlanStep.plan_id == plan.id, CheckIn.state == CheckInState.SCHEDULED)
        .distinct()
    )
    arrivals = session.scalars(
        select(Arrival)
        .where(Arrival.id.in_(followed))
        .options(selectinload(Arrival.returnee).selectinload(Returnee.phones))
    )
    rows = []
    for arrival in arrivals:
        for step in added:
            phone = contact_phone(arrival.returnee, step.asked)
            if phone is None:
                continue
            row = check_in_row(arrival, phone, plan, step, now, grace)
            if row["state"] is CheckInState.SCHEDULED:
                rows.append(row)
    insert_check_ins(session, rows)
