"""The alert chain of an urgent task: the first on the region's on-call rota, then the next
each time URGENT_ACK_MINUTES pass with nobody acknowledging, and after the rota the country's
supervisors. Every alert is the same discreet SMS, naming nobody, only the task's number; a
reply with that number from the phone alerted acknowledges the task and stops the chain."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from returnees.auth.models import OnCallPlace, Role, User
from returnees.auth.on_call import can_alert, rota_of
from returnees.centres.models import Centre, Country
from returnees.core.clock import utcnow
from returnees.core.wake import wake_worker
from returnees.people.models import Channel, Returnee
from returnees.tasks.models import Task, TaskKind, TaskStatus, UrgentAlert

log = logging.getLogger(__name__)
# How long a task whose chain reached nobody keeps being tried again each minute.
NOBODY_RETRY = timedelta(days=1)
# A task's number in a reply from staff ("57", "ref 57", "57 fuera de peligro").
REFERENCE = re.compile(r"(?<!\d)(\d{1,9})(?!\d)")
# The messages this chain writes to staff: never a question to a returnee.
STAFF_TEMPLATES = frozenset({"on_call_alert", "on_call_acknowledged", "on_call_not_understood"})


@dataclass(frozen=True)
class Recipient:
    phone: str
    language: str
    user_id: int | None = None


def alert_chain(session: Session, task: Task) -> list[list[Recipient]]:
    """Who is alerted at each step, first to last: one person at a time down the rota of the
    person's region (or the fallback number when the rota reaches nobody), then the country's
    supervisors together. A task about no known person goes down its country's rotas side by
    side (the first of each region, then the second of each, ...); with no country, it alerts
    every country's supervisors."""
    country, region = _where(session, task)
    if country is None:
        return [_supervisors(session, None)]
    if region is None:
        rotas = _country_rotas(session, country)
        steps = [
            list(dict.fromkeys(rota[place] for rota in rotas if len(rota) > place))
            for place in range(max(map(len, rotas), default=0))
        ]
    else:
        steps = [[member] for member in _reachable(rota_of(session, country, region))]
    fallback = current_app.config.get("ON_CALL_FALLBACK_PHONE") or ""
    if not steps and fallback:
        steps = [[Recipient(fallback, "es")]]
    return [*steps, _supervisors(session, country)]


def _where(session: Session, task: Task) -> tuple[Country | None, str | None]:
    """The country and region whose staff a task alerts (of the office that follows the person
    up, else of the centre they arrived at); region None for a task about nobody known."""
    if task.returnee_id is None:
        return task.country, None
    person = session.get(Returnee, task.returnee_id)
    centre = person.office or person.centre  # the office following them up, else the desk
    return centre.country, centre.region


def _reachable(users: list[User]) -> list[Recipient]:
    return [Recipient(user.phone, user.locale, user.id) for user in users if can_alert(user)]


def _country_rotas(session: Session, country: Country) -> list[list[Recipient]]:
    regions = session.scalars(
        select(OnCallPlace.region).where(OnCallPlace.country == country).distinct()
    )
    return [_reachable(rota_of(session, country, region)) for region in sorted(regions)]


def _supervisors(session: Session, country: Country | None) -> list[Recipient]:
    query = (
        select(User)
        .join(Centre, User.centre_id == Centre.id)
        .where(User.role == Role.SUPERVISOR, User.is_enabled.is_(True), User.phone != "")
        .order_by(User.id)
    )
    if country is not None:
        query = query.where(Centre.country == country)
    return _reachable(list(session.scalars(query)))


def alert_on_call(session: Session, task: Task) -> int:
    """Start the task's chain: alert its first step that reaches anyone. How many were alerted."""
    return alert_next(session, task, after_step=0)


def alert_next(session: Session, task: Task, after_step: int) -> int:
    """Alert the first step after `after_step` with anyone not yet alerted about this task
    (a step that reaches nobody is passed at once, not waited out); how many were alerted."""
    chain = alert_chain(session, task)
    alerted = set(session.scalars(select(UrgentAlert.phone).where(UrgentAlert.task_id == task.id)))
    for step, recipients in enumerate(chain[after_step:], start=after_step + 1):
        fresh = [r for r in recipients if r.phone not in alerted]
        if fresh:
            for recipient in fresh:
                _send_alert(session, task, step, recipient)
            return len(fresh)
    if after_step == 0:
        log.warning("urgent task %s: nobody is on call and no fallback number is set", task.id)
    return 0


def _send_alert(session: Session, task: Task, step: int, recipient: Recipient) -> None:
    from returnees.messaging.models import URGENT
    from returnees.messaging.services import queue_template_message

    message = queue_template_message(
        session,
        recipient.phone,
        "on_call_alert",
        channel=Channel.SMS,
        returnee_id=None,
        language=recipient.language,
        options=str(task.id),
        needs_consent=False,
        priority=URGENT,
    )
    session.add(
        UrgentAlert(
            task_id=task.id,
            step=step,
            user_id=recipient.user_id,
            phone=recipient.phone,
            message_id=message.id,
            created_at=utcnow(),
        )
    )
    session.flush()
    wake_worker(session)


def escalate_unacknowledged(session: Session) -> int:
    """The periodic job: each open urgent task nobody acknowledged within URGENT_ACK_MINUTES
    of its last alert alerts the next step of its chain. A task whose chain reached nobody at
    all (no rota, no fallback, no supervisor with a phone) is tried again, should someone have
    gone on call since, for as long as it is fresh (NOBODY_RETRY); older ones stay at the top of
    the queue. How many were alerted."""
    wait = timedelta(minutes=current_app.config["URGENT_ACK_MINUTES"])
    now = utcnow()
    last_step, last_at = _last_alert(Task.id, Task.created_at)
    due = session.execute(
        select(Task.id, last_step)
        .outerjoin(UrgentAlert, UrgentAlert.task_id == Task.id)
        .where(
            Task.kind == TaskKind.URGENT_SAFETY,
            Task.status == TaskStatus.OPEN,
            Task.acknowledged_at.is_(None),
        )
        .group_by(Task.id, Task.created_at)
        .having(last_at <= now - wait)
        .having((func.count(UrgentAlert.id) > 0) | (Task.created_at >= now - NOBODY_RETRY))
    ).all()
    alerted = 0
    for task_id, step in due:
        task = session.scalar(
            select(Task).where(Task.id == task_id).with_for_update(skip_locked=True)
        )
        if task is not None and _still_waiting(session, task, step, now - wait):
            alerted += alert_next(session, task, after_step=step)
    return alerted


def _last_alert(task_id, created_at) -> tuple:
    """The step and time of a task's last alert: 0 and when it was opened, before any."""
    return (
        func.coalesce(func.max(UrgentAlert.step), 0),
        func.coalesce(func.max(UrgentAlert.created_at), created_at),
    )


def _still_waiting(session: Session, task: Task, step: int, since: datetime) -> bool:
    """Re-read under the task's lock: another worker may have moved the chain meanwhile."""
    last_step, last_at = _last_alert(task.id, task.created_at)
    latest = session.execute(select(last_step, last_at).where(UrgentAlert.task_id == task.id)).one()
    return (
        task.status is TaskStatus.OPEN
        and task.acknowledged_at is None
        and latest[0] == step
        and latest[1] <= since
    )


def acknowledge(session: Session, task: Task, user_id: int | None) -> bool:
    """Someone has the urgent task in hand: its chain stops. False when it already was."""
    if task.acknowledged_at is not None:
        return False
    task.acknowledged_at, task.acknowledged_by_id = utcnow(), user_id
    session.flush()
    return True


def was_alerted(session: Session, number: str) -> bool:
    """Whether this phone was ever alerted about an urgent task: a member of staff's."""
    query = select(UrgentAlert.id).where(UrgentAlert.phone == number).limit(1)
    return session.scalar(query) is not None


def acknowledge_by_reply(session: Session, number: str, body: str) -> Task | None:
    """A reply from a phone that was alerted, naming one of the tasks it was alerted about
    ("57", "ref 57", "57 ya voy"): that task is acknowledged, and the phone told so; a reply
    naming none is answered with how to acknowledge. None when no task was acknowledged."""
    named = {int(digits) for digits in REFERENCE.findall(body)}
    alert = session.scalar(
        select(UrgentAlert)
        .where(UrgentAlert.phone == number, UrgentAlert.task_id.in_(named))
        .order_by(UrgentAlert.id.desc())
        .limit(1)
    )
    if alert is None:
        _tell_staff(session, number, "on_call_not_understood")
        return None
    task = session.get(Task, alert.task_id)
    if acknowledge(session, task, alert.user_id):
        _tell_staff(session, number, "on_call_acknowledged", str(task.id))
    return task


def _tell_staff(session: Session, number: str, template: str, options: str = "") -> None:
    from returnees.messaging.models import URGENT
    from returnees.messaging.services import queue_template_message

    language = session.scalar(select(User.locale).where(User.phone == number).limit(1)) or "es"
    queue_template_message(
        session,
        number,
        template,
        channel=Channel.SMS,
        returnee_id=None,
        language=language,
        options=options,
        needs_consent=False,
        priority=URGENT,
    )
