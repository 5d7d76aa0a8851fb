"""Turn plans into check-in rows: one bulk insert for a whole flight."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from returnees.core.clock import utcnow
from returnees.core.db import bulk_insert
from returnees.followups.models import CheckIn, CheckInState, FollowUpPlan, PlanProfile, PlanStep
from returnees.people.models import Channel, Phone, Returnee
from returnees.reception.intake import ADULT_AGE
from returnees.reception.models import Arrival


def profile_for(arrival: Arrival, returnee: Returnee) -> PlanProfile:
    if arrival.is_unaccompanied:
        return PlanProfile.UNACCOMPANIED_CHILD
    age = returnee.age_on(arrival.arrived_at.date())
    return (
        PlanProfile.CHILD_WITH_FAMILY if age is not None and age < ADULT_AGE else PlanProfile.ADULT
    )


def contact_phone(returnee: Returnee) -> Phone | None:
    """The number to ask on: one the person agreed to, that works, on a channel they chose."""
    usable = [
        p
        for p in returnee.phones
        if p.has_consent and p.is_usable and p.channel is not Channel.NONE
    ]
    return usable[0] if usable else None


def schedule_follow_ups(session: Session, arrival_ids: list[int]) -> int:
    """Create the check-ins of these arrivals in one insert; returns how many.

    An arrival without a consenting, usable phone gets none. A step already past (a late
    registration) is due at once within the grace period, and otherwise marked missed, so that
    staff see it instead of losing it.
    """
    now = utcnow()
    grace = timedelta(hours=current_app.config["FOLLOW_UP_GRACE_HOURS"])
    plans = {plan.profile: plan for plan in session.scalars(select(FollowUpPlan))}
    arrivals = session.scalars(
        select(Arrival)
        .where(Arrival.id.in_(arrival_ids))
        .options(selectinload(Arrival.returnee).selectinload(Returnee.phones))
    )
    rows = []
    for arrival in arrivals:
        phone = contact_phone(arrival.returnee)
        plan = plans.get(profile_for(arrival, arrival.returnee))
        if phone is None or plan is None:
            continue
        rows += [check_in_row(arrival, phone, plan, step, now, grace) for step in plan.steps]
    insert_check_ins(session, rows)
    return len(rows)


def insert_check_ins(session: Session, rows: list[dict]) -> None:
    """A whole flight's check-ins in one bulk operation (COPY on PostgreSQL)."""
    bulk_insert(session, CheckIn, [_complete(row) for row in rows])


def _complete(row: dict) -> dict:
    """The columns a bulk insert must give itself (no ORM defaults there)."""
    return {
        "referral_id": None,
        "message_id": None,
        "queued_at": None,
        "sent_at": None,
        "reminded_at": None,
        "answered_at": None,
        "answer": "",
    } | row


def due_and_state(due: datetime, now: datetime, grace: timedelta) -> tuple[datetime, CheckInState]:
    """A step already past is due at once within the grace period, else missed (visibly)."""
    if due < now - grace:
        return due, CheckInState.MISSED
    return max(due, now), CheckInState.SCHEDULED


def check_in_row(
    arrival: Arrival,
    phone: Phone,
    plan: FollowUpPlan,
    step: PlanStep,
    now: datetime,
    grace: timedelta,
) -> dict:
    due, state = due_and_state(arrival.arrived_at + timedelta(days=step.day_offset), now, grace)
    return {
        "returnee_id": arrival.returnee_id,
        "arrival_id": arrival.id,
        "step_id": step.id,
        "plan_version": plan.version,
        "due_at": due,
        "phone": phone.number,
        "channel": phone.channel,
        "template": step.template,
        "answer_type": step.answer_type,
        "indicator": step.indicator,
        "state": state,
        "created_at": now,
    }


def cancel_pending_for_number(session: Session, number: str) -> int:
    """Consent withdrawn or opted out: nothing still pending on that number is sent."""
    result = session.execute(
        update(CheckIn)
        .where(CheckIn.phone == number, CheckIn.state == CheckInState.SCHEDULED)
        .values(state=CheckInState.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
