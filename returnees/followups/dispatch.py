"""Send due check-ins at a decent hour, one a day per person, and read what comes back."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from flask import current_app
from psycopg.errors import LockNotAvailable
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from returnees.core import events
from returnees.core.clock import utcnow
from returnees.core.db import among
from returnees.core.errors import Conflict
from returnees.core.scheduler import drain
from returnees.followups.models import CheckIn, CheckInState, Indicator, IndicatorReading
from returnees.followups.replies import contains_danger, read_reply
from returnees.messaging.gateway import OPTED_OUT
from returnees.messaging.models import InboundMessage, MessageStatus, OutboundMessage
from returnees.messaging.services import (
    CONFIRMED,
    numbers_with_consent,
    queue_messages,
    template_message_row,
)
from returnees.messaging.window import local_zone, next_days_window, window_opens
from returnees.people.models import Returnee
from returnees.tasks.models import TaskKind
from returnees.tasks.services import open_task, open_urgent_task

OPTIONS = {
    "es": {"yes_no": "1 (sí) o 2 (no)", "confirm": "1", "choice": "el número"},
    "en": {"yes_no": "1 (yes) or 2 (no)", "confirm": "1", "choice": "the number"},
}
log = logging.getLogger(__name__)
OPEN = (CheckInState.SENDING, CheckInState.SENT, CheckInState.DELIVERED)
# When a check-in's question went out: its message's send or confirmation, or for one whose
# reminder is queued, the first question's.
_went_out = func.coalesce(OutboundMessage.sent_at, OutboundMessage.confirmed_at, CheckIn.sent_at)
# Asked and not answered: open, or asked once and waiting for its reminder to go out.
AWAITING_REPLY = CheckIn.state.in_(OPEN) | (
    (CheckIn.state == CheckInState.SCHEDULED) & CheckIn.reminded_at.is_not(None)
)


def dispatch_check_ins(session: Session) -> int:
    """The periodic job: queue the messages of every due check-in, batch after batch; how many
    were queued."""
    return drain(session, queue_due_check_ins)


def queue_due_check_ins(session: Session, limit: int | None = None) -> tuple[int, bool]:
    """Queue the messages of a batch of due check-ins; a check-in due at night, or a second one
    the same day for the same person, waits for the next morning. Returns how many were queued
    and whether the batch was full (more may be due).

    A batch costs a fixed handful of statements, whatever its size: the check-ins, the people,
    their locks, who was asked today and which numbers may be written to are each read once,
    the messages stored in one bulk insert and the check-ins changed by one statement each way.
    """
    limit = limit or current_app.config["CHECK_IN_BATCH_SIZE"]
    now = utcnow()
    due = session.execute(
        select(
            CheckIn.id,
            CheckIn.returnee_id,
            CheckIn.phone,
            CheckIn.channel,
            CheckIn.template,
            CheckIn.answer_type,
        )
        .where(CheckIn.state == CheckInState.SCHEDULED, CheckIn.due_at <= now)
        .order_by(CheckIn.due_at, CheckIn.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not due:
        return 0, False
    ids = {check_in.returnee_id for check_in in due}
    people = {
        person.id: person
        for person in session.execute(
            select(
                Returnee.id, Returnee.nationality, Returnee.language, Returnee.given_names
            ).where(among(session, Returnee.id, ids))
        )
    }
    held = _hold_people(session, ids)
    asked = _asked_today(session, people.values(), now)
    consenting = numbers_with_consent(session, {check_in.phone for check_in in due})
    later, cancelled, asking = [], [], []
    for check_in in due:
        person = people[check_in.returnee_id]
        if opens := window_opens(now, person.nationality):
            later.append({"check_in_id": check_in.id, "due": opens})
        elif person.id not in held:
            continue  # another worker is asking this person now; the next run decides
        elif person.id in asked:
            later.append(
                {"check_in_id": check_in.id, "due": next_days_window(now, person.nationality)}
            )
        elif (
            check_in.phone not in consenting or (row := question(session, check_in, person)) is None
        ):
            cancelled.append(check_in.id)  # no longer to be written to, or its template is gone
        else:
            asking.append((check_in.id, row))
            asked.add(person.id)
    _record_batch(session, later, cancelled, asking, now)
    moved = bool(asking or later or cancelled)  # else the same rows would be read again
    return len(asking), len(due) == limit and moved


def question(session: Session, check_in, person) -> dict | None:
    """The message asking the check-in's question in the person's language; None when its
    template is gone."""
    try:
        return template_message_row(session, **_asking(check_in, person))
    except Conflict:
        return None


def _asking(check_in, person) -> dict:
    """What the message asking a check-in's question is made of."""
    language = person.language if person.language in OPTIONS else "es"
    return {
        "phone": check_in.phone,
        "key": check_in.template,
        "channel": check_in.channel,
        "returnee_id": person.id,
        "language": person.language,
        "first_name": person.given_names,
        "options": OPTIONS[language].get(check_in.answer_type.value, ""),
    }


def _record_batch(
    session: Session,
    later: list[dict],
    cancelled: list[int],
    asking: list[tuple[int, dict]],
    now: datetime,
) -> None:
    """What a batch decided, in one statement each: messages stored, their check-ins marked
    sending, others moved to later or cancelled."""
    table = CheckIn.__table__
    by_id = table.c.id == bindparam("check_in_id")
    message_ids = queue_messages(session, [row for _check_in_id, row in asking])
    if asking:
        session.execute(
            table.update()
            .where(by_id)
            .values(state=CheckInState.SENDING, message_id=bindparam("message"), queued_at=now),
            [
                {"check_in_id": check_in_id, "message": message_id}
                for (check_in_id, _row), message_id in zip(asking, message_ids, strict=True)
            ],
        )
    if later:
        session.execute(table.update().where(by_id).values(due_at=bindparam("due")), later)
    if cancelled:
        session.execute(
            table.update().where(table.c.id.in_(cancelled)).values(state=CheckInState.CANCELLED)
        )


def _hold_people(session: Session, returnee_ids: set[int]) -> set[int]:
    """Lock these people until this transaction ends, so that two workers holding two of one
    person's check-ins cannot both find "not asked today". A person another worker holds is
    skipped, never waited for (no deadlock between workers)."""
    return set(
        session.scalars(
            select(Returnee.id)
            .where(among(session, Returnee.id, returnee_ids))
            .with_for_update(skip_locked=True)
        )
    )


def _asked_today(session: Session, people, now: datetime) -> set[int]:
    """Who of these people was already asked today, in their own local day."""
    starts = {}
    for person in people:
        zone = local_zone(person.nationality)
        starts[person.id] = datetime.combine(now.astimezone(zone).date(), time(), zone)
    latest = session.execute(
        select(CheckIn.returnee_id, func.max(CheckIn.queued_at))
        .where(
            among(session, CheckIn.returnee_id, starts),
            CheckIn.queued_at >= min(starts.values()),
        )
        .group_by(CheckIn.returnee_id)
    ).all()
    return {returnee_id for returnee_id, at in latest if at >= starts[returnee_id]}


def read_replies(session: Session, limit: int = 200) -> int:
    """Match each new reply to the person's open check-in and read it; what cannot be read
    with confidence, and every danger word, goes to a person."""
    replies = session.scalars(
        select(InboundMessage)
        .where(
            InboundMessage.handled_at.is_(None),
            InboundMessage.returnee_id.is_not(None),
            InboundMessage.keyword == "",
        )
        .order_by(InboundMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    read = 0
    for reply in replies:
        try:
            with session.begin_nested():
                _read(session, reply)
            read += 1
        except Exception as error:
            if isinstance(getattr(error, "orig", None), LockNotAvailable):
                continue  # a job holds its check-in (a reminder): read next run, never waited
            log.exception("reply %s could not be read; it goes to a person", reply.id)
            _hand_to_a_person(session, reply)
            read += 1
    return read


def _hand_to_a_person(session: Session, reply: InboundMessage) -> None:
    """A reply whose reading failed is not retried forever, holding up the replies behind it:
    it waits for a person, as an urgent task when it says a danger word, else for review."""
    reply.handled_at = utcnow()
    if contains_danger(reply.body, list(current_app.config["DANGER_WORDS"])):
        try:
            with session.begin_nested():
                reason = f"danger words: {reply.body[:200]}"
                open_urgent_task(session, reply.returnee_id, reason, subject=f"reply:{reply.id}")
            return
        except Exception:
            log.exception("reply %s: the urgent task failed; it goes to review", reply.id)
    _review(session, reply)


def _read(session: Session, reply: InboundMessage) -> None:
    now = utcnow()
    reply.handled_at = now
    check_in = session.scalar(
        select(CheckIn)
        .outerjoin(OutboundMessage, CheckIn.message_id == OutboundMessage.id)
        .where(CheckIn.returnee_id == reply.returnee_id, AWAITING_REPLY)
        # A question not yet sent when the reply came in (queued since, or held overnight) is
        # not what it answers, unless it is all there is (`worker --once --now` ahead of the
        # clock, in a demo). Locked: a reminder job must not ask again what this answers.
        .order_by(
            case((_went_out <= reply.received_at, 0), else_=1),
            CheckIn.queued_at.desc(),
            CheckIn.id.desc(),
        )
        .limit(1)
        .with_for_update(of=CheckIn, nowait=True)
    )
    danger_words = list(current_app.config["DANGER_WORDS"])
    read = read_reply(
        reply.body, check_in.answer_type.value if check_in else "free_text", danger_words
    )
    if check_in is not None and read.value is not None:
        record_answer(session, check_in, read.value, reply.received_at)
    not_safe = check_in is not None and check_in.indicator is Indicator.SAFE and read.value == "no"
    if read.is_danger or not_safe:
        reason = "answered: not safe" if not_safe else f"danger words: {reply.body[:200]}"
        open_urgent_task(session, reply.returnee_id, reason, subject=f"reply:{reply.id}")
    elif read.value is None:
        _review(session, reply)


def _review(session: Session, reply: InboundMessage) -> None:
    open_task(
        session,
        TaskKind.REVIEW_REPLY,
        reply.returnee_id,
        reply.body[:300] or "—",
        subject=f"reply:{reply.id}",
        priority=30,
    )


def record_answer(session: Session, check_in: CheckIn, value: str, at: datetime) -> None:
    """The check-in is answered, and what it asked about is noted on the person with its time."""
    check_in.state, check_in.answer, check_in.answered_at = CheckInState.ANSWERED, value, at
    if check_in.indicator is not None and value in ("yes", "no"):
        session.add(
            IndicatorReading(
                returnee_id=check_in.returnee_id,
                indicator=check_in.indicator,
                value=value == "yes",
                observed_at=at,
                check_in_id=check_in.id,
            )
        )
    session.flush()
    events.publish(events.ANSWER_RECORDED, session, check_in=check_in)


def follow_sent_messages(session: Session, limit: int = 500) -> int:
    """Check-ins whose message was confirmed sent become 'sent' (the reply timer starts);
    those whose message failed become 'failed'."""
    pending = session.execute(
        select(CheckIn, OutboundMessage)
        .join(OutboundMessage, CheckIn.message_id == OutboundMessage.id)
        .where(
            CheckIn.state == CheckInState.SENDING,
            OutboundMessage.status.in_(
                CONFIRMED | {MessageStatus.FAILED, MessageStatus.UNDELIVERED}
            ),
        )
        .order_by(CheckIn.id)
        .limit(limit)
        .with_for_update(of=CheckIn, skip_locked=True)  # a reply being read holds its check-in
    ).all()
    for check_in, message in pending:
        if message.status in CONFIRMED:
            check_in.state, check_in.sent_at = CheckInState.SENT, message.confirmed_at or utcnow()
        elif check_in.reminded_at is not None and message.error_code not in OPTED_OUT:
            _give_up(session, check_in)  # asked once, and its reminder could not reach them
        else:
            check_in.state = CheckInState.FAILED
    return len(pending)


def remind_and_escalate(session: Session, limit: int = 500) -> int:
    """No reply within the wait: one reminder; still none: unanswered and a call task; three
    unanswered in a row: a visit task."""
    now = utcnow()
    wait = timedelta(hours=current_app.config["REPLY_WAIT_HOURS"])
    quiet = session.scalars(
        select(CheckIn)
        .where(
            CheckIn.state.in_((CheckInState.SENT, CheckInState.DELIVERED)),
            CheckIn.sent_at <= now - wait,
            (CheckIn.reminded_at.is_(None)) | (CheckIn.reminded_at <= now - wait),
        )
        .order_by(CheckIn.sent_at, CheckIn.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # a reply being read holds its check-in
    ).all()
    for check_in in quiet:
        if check_in.reminded_at is None:
            _remind(check_in, now)
        elif check_in.reminded_at <= now - wait:
            _give_up(session, check_in)
    return len(quiet)


def _remind(check_in: CheckIn, now: datetime) -> None:
    """Ask again by way of dispatch, which holds a reminder to the sending window and to one
    message a day like any question, and makes it the one a reply answers (the latest
    queued); its reply timer starts again when it is confirmed sent."""
    check_in.reminded_at, check_in.state, check_in.due_at = now, CheckInState.SCHEDULED, now


def _give_up(session: Session, check_in: CheckIn) -> None:
    check_in.state = CheckInState.UNANSWERED
    session.flush()
    events.publish(events.CHECK_IN_UNANSWERED, session, check_in=check_in)
    latest = session.scalars(
        select(CheckIn.state)
        .where(
            CheckIn.returnee_id == check_in.returnee_id,
            CheckIn.state.in_((CheckInState.ANSWERED, CheckInState.UNANSWERED)),
        )
        .order_by(func.coalesce(CheckIn.sent_at, CheckIn.queued_at).desc(), CheckIn.id.desc())
        .limit(3)
    ).all()
    in_a_row = next(
        (n for n, state in enumerate(latest) if state is not CheckInState.UNANSWERED), len(latest)
    )
    kind = TaskKind.VISIT if in_a_row >= 3 else TaskKind.CALL
    why = "no answer" if in_a_row <= 1 else f"no answer x{in_a_row}"
    open_task(
        session, kind, check_in.returnee_id, why, subject=f"check-in:{check_in.id}", priority=10
    )
