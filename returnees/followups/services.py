"""Turn plans into check-in rows: one bulk insert for a whole flight."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import TypeVar

from flask import current_app
from sqlalchemy import Row, and_, select, update
from sqlalchemy.orm import Session, selectinload

from returnees.core.clock import utcnow
from returnees.core.db import among, bulk_insert
from returnees.core.encryption import open_rows, phone_index
from returnees.followups.models import (
    Asked,
    CheckIn,
    CheckInState,
    FollowUpPlan,
    PlanProfile,
    PlanStep,
)
from returnees.people.models import Channel, Phone, PhoneOwner, Returnee, age_on
from returnees.reception.intake import ADULT_AGE
from returnees.reception.models import Arrival

PhoneOrRow = TypeVar("PhoneOrRow", Phone, SimpleNamespace)
# A step of a plan in force: its day after arrival, who it asks, and its check-ins' columns.
PlannedStep = tuple[timedelta, Asked, dict]


def profile_for(arrival: Arrival, returnee: Returnee) -> PlanProfile:
    return profile_of(
        arrival.is_unaccompanied,
        age_on(arrival.arrived_at.date(), returnee.birth_date, returnee.estimated_age),
    )


def profile_of(is_unaccompanied: bool, age: int | None) -> PlanProfile:
    if is_unaccompanied:
        return PlanProfile.UNACCOMPANIED_CHILD
    return (
        PlanProfile.CHILD_WITH_FAMILY if age is not None and age < ADULT_AGE else PlanProfile.ADULT
    )


# Whose number a step is asked on, best first: the person's own, or a parent's or guardian's
# (a relative's number, then the family's shared one). Failing those, any number they consented
# to is used rather than none: a child followed on their own phone is not lost from sight.
OWNERS_ASKED = {
    Asked.RETURNEE: (PhoneOwner.SELF, PhoneOwner.SHARED, PhoneOwner.RELATIVE),
    Asked.GUARDIAN: (PhoneOwner.RELATIVE, PhoneOwner.SHARED, PhoneOwner.SELF),
}


def contact_phone(returnee: Returnee, asked: Asked = Asked.RETURNEE) -> Phone | None:
    """The number to ask on: one agreed to, that works, on a channel chosen, whose holder is
    the one asked (OWNERS_ASKED)."""
    usable = [
        p
        for p in returnee.phones
        if p.has_consent and p.is_usable and p.channel is not Channel.NONE
    ]
    return _preferred(usable, asked)


def _preferred(phones: list[PhoneOrRow], asked: Asked) -> PhoneOrRow | None:
    """The first of these phones (in the order given) of the best owner for `asked`."""
    owners = OWNERS_ASKED[asked]
    return min(phones, key=lambda phone: owners.index(phone.owner), default=None)


def contact_phones(session: Session, returnee_ids: set[int]) -> dict[int, dict[Asked, dict]]:
    """contact_phone of many people in one query: by person, the number and channel each of
    them is asked on, by who is asked."""
    rows = session.execute(
        select(Phone.id, Phone.returnee_id, Phone.number_sealed, Phone.channel, Phone.owner)
        .where(
            among(session, Phone.returnee_id, returnee_ids),
            Phone.has_consent.is_(True),
            Phone.is_usable.is_(True),
            Phone.channel != Channel.NONE,
        )
        .order_by(Phone.returnee_id, Phone.id)
    )
    phones: dict[int, list[SimpleNamespace]] = {}
    for row in open_rows(rows, Phone):
        phones.setdefault(row.returnee_id, []).append(row)
    return {
        returnee_id: {asked: phone_columns(_preferred(held, asked)) for asked in Asked}
        for returnee_id, held in phones.items()
    }


def phone_columns(phone: Phone | SimpleNamespace) -> dict:
    return {"phone": phone.number, "channel": phone.channel}


def ask_on(check_in: CheckIn, number: dict) -> None:
    """Move a check-in not yet sent to a number of contact_phones."""
    check_in.phone, check_in.channel = number["phone"], number["channel"]


def schedule_follow_ups(session: Session, arrival_ids: list[int]) -> int:
    """Create the check-ins of these arrivals in one insert; returns how many.

    An arrival without a consenting, usable phone gets none. Each step is asked on the number
    of whoever it asks (the person, or a child's guardian). A step already past (a late
    registration) is due at once within the grace period, and otherwise marked missed, so that
    staff see it instead of losing it. The arrivals and phones are read as plain rows, two
    queries for a whole flight.
    """
    now = utcnow()
    grace = timedelta(hours=current_app.config["FOLLOW_UP_GRACE_HOURS"])
    plans = plans_in_force(session)
    arrivals = session.execute(
        select(
            Arrival.id,
            Arrival.returnee_id,
            Arrival.arrived_at,
            Arrival.is_unaccompanied,
            Returnee.birth_date,
            Returnee.estimated_age,
        )
        .join(Returnee, Returnee.id == Arrival.returnee_id)
        .where(among(session, Arrival.id, arrival_ids))
    ).all()
    phones = contact_phones(session, {arrival.returnee_id for arrival in arrivals})
    rows = []
    for arrival in arrivals:
        asked_on = phones.get(arrival.returnee_id)
        age = age_on(arrival.arrived_at.date(), arrival.birth_date, arrival.estimated_age)
        plan = plans.get(profile_of(arrival.is_unaccompanied, age))
        if asked_on is None or plan is None:
            continue
        version, steps = plan
        person = person_columns(arrival, version, now)
        asking = {asked: person | asked_on[asked] for asked in Asked}
        rows += [
            _dated(asking[asked], columns, arrival.arrived_at + offset, now, grace)
            for offset, asked, columns in steps
        ]
    insert_check_ins(session, rows)
    return len(rows)


def follow_up_on_new_number(session: Session, arrival_id: int) -> int:
    """A number was added for an arrival (a guardian's, at a child's handover): an arrival
    followed by no one yet gets its plan, on the steps still to come or within the grace
    period; otherwise its check-ins not yet sent are asked on the best number for whoever they
    ask. Returns how many check-ins were created or moved."""
    if session.scalar(select(CheckIn.id).where(CheckIn.arrival_id == arrival_id).limit(1)) is None:
        return schedule_follow_ups(session, [arrival_id])
    returnee_id = session.scalar(select(Arrival.returnee_id).where(Arrival.id == arrival_id))
    asked_on = contact_phones(session, {returnee_id}).get(returnee_id)
    if asked_on is None:
        return 0
    waiting = session.execute(
        select(CheckIn, PlanStep.asked)
        .join(PlanStep, CheckIn.step_id == PlanStep.id)
        .where(
            CheckIn.arrival_id == arrival_id,
            CheckIn.state == CheckInState.SCHEDULED,
            CheckIn.reminded_at.is_(None),
        )
    ).all()
    for check_in, asked in waiting:
        ask_on(check_in, asked_on[asked])
    return len(waiting)


def follow_up_of(session: Session, returnee_id: int) -> list[Row]:
    """A person's check-ins, each with its step's day (None for a referral's question), the
    latest arrival first and each in the order of its plan: what their record shows, the steps
    marked missed among them."""
    return list(
        session.execute(
            select(CheckIn, PlanStep.day_offset)
            .outerjoin(PlanStep, CheckIn.step_id == PlanStep.id)
            .options(selectinload(CheckIn.reply))
            .where(CheckIn.returnee_id == returnee_id)
            .order_by(CheckIn.arrival_id.desc(), CheckIn.due_at, CheckIn.id)
        )
    )


def plans_in_force(session: Session) -> dict[PlanProfile, tuple[int, list[PlannedStep]]]:
    """Each profile's plan version and its steps in force (their day, who they ask and their
    shared columns), in one query."""
    rows = session.execute(
        select(
            FollowUpPlan.profile,
            FollowUpPlan.version,
            PlanStep.id,
            PlanStep.day_offset,
            PlanStep.template,
            PlanStep.answer_type,
            PlanStep.indicator,
            PlanStep.asked,
        )
        .join(PlanStep, and_(PlanStep.plan_id == FollowUpPlan.id, PlanStep.retired_at.is_(None)))
        .order_by(FollowUpPlan.id, PlanStep.day_offset)
    )
    plans: dict[PlanProfile, tuple[int, list]] = {}
    for row in rows:
        _version, steps = plans.setdefault(row.profile, (row.version, []))
        steps.append((timedelta(days=row.day_offset), row.asked, step_columns(row)))
    return plans


def insert_check_ins(session: Session, rows: list[dict]) -> None:
    """A whole flight's check-ins in one bulk operation (COPY on PostgreSQL); rows of
    check_in_row (a bulk insert has no ORM defaults: the rest are the database's own)."""
    bulk_insert(session, CheckIn, rows)


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
    return _dated(
        person_columns(arrival, plan.version, now) | phone_columns(phone),
        step_columns(step),
        arrival.arrived_at + timedelta(days=step.day_offset),
        now,
        grace,
    )


def person_columns(arrival: Arrival, version: int, now: datetime) -> dict:
    """The columns a person's check-ins share, but for the number. Those a new check-in leaves
    empty (its message, when it was sent, its answer) are not given: the database fills them
    in."""
    return {
        "returnee_id": arrival.returnee_id,
        "arrival_id": arrival.id,
        "plan_version": version,
        "created_at": now,
    }


def step_columns(step: PlanStep) -> dict:
    """The columns every check-in of a step shares."""
    return {
        "step_id": step.id,
        "template": step.template,
        "answer_type": step.answer_type,
        "indicator": step.indicator,
    }


def _dated(person: dict, step: dict, due: datetime, now: datetime, grace: timedelta) -> dict:
    due_at, state = due_and_state(due, now, grace)
    return {**person, **step, "due_at": due_at, "state": state}


def cancel_pending_for_number(session: Session, number: str, returnee_id: int | None = None) -> int:
    """Consent withdrawn or opted out: nothing still pending on that number is sent (to this
    person only, when consent was withdrawn on their record alone)."""
    pending = update(CheckIn).where(
        CheckIn.phone_index == phone_index(number), CheckIn.state == CheckInState.SCHEDULED
    )
    if returnee_id is not None:
        pending = pending.where(CheckIn.returnee_id == returnee_id)
    result = session.execute(
        pending.values(state=CheckInState.CANCELLED).execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def later_plans(session: Session, returnee_id: int) -> list[int]:
    """The scheduled check-ins of every plan a person follows but the earliest: two records of
    one person merged bring two plans, and the person is asked each question once, by the
    plan of their earlier arrival. Questions outside a plan (a referral's) are kept."""
    rows = session.execute(
        select(CheckIn.id, CheckIn.arrival_id, Arrival.arrived_at)
        .join(Arrival, Arrival.id == CheckIn.arrival_id)
        .where(
            CheckIn.returnee_id == returnee_id,
            CheckIn.state == CheckInState.SCHEDULED,
            CheckIn.step_id.is_not(None),
        )
    ).all()
    if not rows:
        return []
    earliest = min((row.arrived_at, row.arrival_id) for row in rows)[1]
    return [row.id for row in rows if row.arrival_id != earliest]
