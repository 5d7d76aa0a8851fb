"""The numbers a supervisor reads at a glance, for their scope: each one a grouped count."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Integer, and_, func, select
from sqlalchemy.orm import Session

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.centres.models import Centre
from returnees.core.clock import utcnow
from returnees.followups.models import CheckIn, CheckInState
from returnees.people.models import Returnee
from returnees.reception.models import Arrival, Custody, HandoverStatus
from returnees.referrals.models import Referral
from returnees.risk.models import RiskFlag
from returnees.tasks.models import Task, TaskKind, TaskStatus
from returnees.tasks.services import sees_unknown_senders


@dataclass
class ProgrammeNumbers:
    week_start: datetime
    # centre code -> (this week, last week)
    arrivals: dict[str, tuple[int, int]] = field(default_factory=dict)
    children_waiting: int = 0
    check_ins: dict[str, int] = field(default_factory=dict)
    urgent_open: int = 0
    # age band ("< 1 h", "1-24 h", "> 24 h") -> open urgent tasks
    urgent_ages: dict[str, int] = field(default_factory=dict)
    oldest_urgent: datetime | None = None
    referrals: dict[str, int] = field(default_factory=dict)
    risk_levels: dict[str, int] = field(default_factory=dict)
    registered_more_than_once: int = 0


def week_start(now: datetime) -> datetime:
    """The start of the last seven days: a supervisor reading on a Monday morning sees the
    past week's work, not a week that has just begun and is empty."""
    return now - timedelta(days=7)


def programme_numbers(session: Session, actor: Actor) -> ProgrammeNumbers:
    actor.require_role(Role.SUPERVISOR)
    now = utcnow()
    start = week_start(now)
    numbers = ProgrammeNumbers(week_start=start)
    numbers.arrivals = _arrivals(session, actor, start)
    numbers.children_waiting = session.scalar(
        select(func.count())
        .select_from(Custody)
        .join(Arrival, Custody.arrival_id == Arrival.id)
        .join(Centre, Arrival.centre_id == Centre.id)
        .where(Custody.status != HandoverStatus.HANDED_OVER, actor.centre_clause())
    )
    numbers.check_ins = _check_ins(session, actor, start)
    _urgent(session, actor, now, numbers)
    numbers.referrals = _grouped(session, actor, Referral.status, Referral.returnee_id)
    numbers.risk_levels = _grouped(session, actor, RiskFlag.level, RiskFlag.returnee_id)
    numbers.registered_more_than_once = session.scalar(
        select(func.count())
        .select_from(Returnee)
        .join(Centre, Returnee.centre_id == Centre.id)
        .where(Returnee.arrivals_count > 1, actor.centre_clause())
    )
    return numbers


def _arrivals(session: Session, actor: Actor, start: datetime) -> dict[str, tuple[int, int]]:
    last = start - timedelta(days=7)
    this_week = func.sum((Arrival.arrived_at >= start).cast(Integer))
    rows = session.execute(
        select(Centre.code, this_week, func.count())
        .join(Arrival, Arrival.centre_id == Centre.id)
        .where(Arrival.arrived_at >= last, actor.centre_clause())
        .group_by(Centre.code)
        .order_by(Centre.code)
    ).all()
    return {code: (int(now or 0), int(total) - int(now or 0)) for code, now, total in rows}


def _check_ins(session: Session, actor: Actor, start: datetime) -> dict[str, int]:
    scoped = (
        select(func.count())
        .select_from(CheckIn)
        .join(Returnee, CheckIn.returnee_id == Returnee.id)
        .join(Centre, Returnee.centre_id == Centre.id)
        .where(actor.centre_clause())
    )
    return {
        "sent": session.scalar(scoped.where(CheckIn.sent_at >= start)),
        "answered": session.scalar(scoped.where(CheckIn.answered_at >= start)),
        "unanswered": session.scalar(
            scoped.where(CheckIn.sent_at >= start, CheckIn.state == CheckInState.UNANSWERED)
        ),
    }


def _urgent(session: Session, actor: Actor, now: datetime, numbers: ProgrammeNumbers) -> None:
    created = session.scalars(
        select(Task.created_at)
        .join(Returnee, Task.returnee_id == Returnee.id)
        .join(Centre, Returnee.centre_id == Centre.id)
        .where(
            and_(Task.kind == TaskKind.URGENT_SAFETY, Task.status == TaskStatus.OPEN),
            actor.centre_clause(),
        )
    ).all()
    created += session.scalars(  # danger signals from numbers nobody holds
        select(Task.created_at).where(
            Task.returnee_id.is_(None),
            Task.kind == TaskKind.URGENT_SAFETY,
            Task.status == TaskStatus.OPEN,
            sees_unknown_senders(actor),
        )
    ).all()
    bands = {"< 1 h": 0, "1-24 h": 0, "> 24 h": 0}
    for at in created:
        age = now - at
        band = (
            "< 1 h"
            if age < timedelta(hours=1)
            else "1-24 h"
            if age < timedelta(days=1)
            else "> 24 h"
        )
        bands[band] += 1
    numbers.urgent_open, numbers.urgent_ages = len(created), bands
    numbers.oldest_urgent = min(created) if created else None


def _grouped(session: Session, actor: Actor, column, returnee_id) -> dict[str, int]:
    rows = session.execute(
        select(column, func.count())
        .join(Returnee, returnee_id == Returnee.id)
        .join(Centre, Returnee.centre_id == Centre.id)
        .where(actor.centre_clause())
        .group_by(column)
    ).all()
    return {getattr(value, "value", value): count for value, count in rows}


def chart_rows(numbers: ProgrammeNumbers) -> dict[str, list[tuple[str, int]]]:
    """The numbers as (label, value) rows for the home page's charts, in the reader's language."""
    from returnees.casework.labels import REFERRAL_STATUS_LABELS
    from returnees.tasks.labels import RISK_LABELS

    return {
        "arrivals_this_week": [(code, this) for code, (this, _last) in numbers.arrivals.items()],
        "referral_rows": [
            (str(label), numbers.referrals.get(status, 0))
            for status, label in REFERRAL_STATUS_LABELS.items()
        ],
        "risk_rows": [
            (str(RISK_LABELS[level]), numbers.risk_levels.get(level, 0))
            for level in ("high", "medium", "low")
        ],
    }
