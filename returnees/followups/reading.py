"""Read what comes back. A conversation belongs to a number: a reply answers the latest question
sent to its number that still awaits an answer, whoever it asks about, and is written to the
person the question was about. A danger signal opens an urgent task whatever the number: held
by one person, by several, by a guardian, or by nobody."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from psycopg.errors import LockNotAvailable
from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from returnees.centres.models import Country
from returnees.core import events
from returnees.core.clock import utcnow
from returnees.core.encryption import phone_index
from returnees.followups.models import CheckIn, CheckInState, Indicator, IndicatorReading
from returnees.followups.replies import contains_danger, read_reply
from returnees.messaging.models import REPLY, InboundMessage, OutboundMessage
from returnees.messaging.services import (
    FROM_STAFF,
    holders_of,
    queue_template_message,
    sender_number,
)
from returnees.people.identity import country_of_phone
from returnees.people.models import Channel, Returnee
from returnees.tasks.alerts import acknowledge_by_reply, was_alerted
from returnees.tasks.models import Task, TaskKind, TaskStatus
from returnees.tasks.services import open_task, open_urgent_task

log = logging.getLogger(__name__)
# A danger signal read later than this (a backlog) opens its task, but tells the sender nothing:
# "someone will call you soon" weeks later would mislead.
ACKNOWLEDGE_WITHIN = timedelta(hours=24)
# The namespace of the advisory locks that hold a number while a danger signal from it is read.
ALARM_LOCKS = 7302
# The answer "2: some of them not" to a question asked about a family's children together.
NOT_ALL = "not_all"
OPEN = (CheckInState.SENDING, CheckInState.SENT, CheckInState.DELIVERED)
# When a check-in's question went out: its message's send or confirmation, or for one whose
# reminder is queued, the first question's.
_went_out = func.coalesce(OutboundMessage.sent_at, OutboundMessage.confirmed_at, CheckIn.sent_at)
# Asked and not answered: open, or asked once and waiting for its reminder to go out.
AWAITING_REPLY = CheckIn.state.in_(OPEN) | (
    (CheckIn.state == CheckInState.SCHEDULED) & CheckIn.reminded_at.is_not(None)
)


def read_replies(session: Session, limit: int = 200) -> int:
    """Read each new reply against the question its number awaits an answer to; what cannot be
    read with confidence goes to a person, and every danger signal to the person on call."""
    replies = session.scalars(
        select(InboundMessage)
        .where(InboundMessage.handled_at.is_(None), InboundMessage.keyword == "")
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
            if _read_later(error):
                continue  # another job holds its check-in or its number: read next run
            log.exception("reply %s could not be read; it goes to a person", reply.id)
            _hand_to_a_person(session, reply)
            read += 1
    return read


class ReadLater(Exception):
    """Another worker is reading a danger signal from the same number: this one waits for the
    next run rather than open a second task beside it."""


def _read_later(error: Exception) -> bool:
    """Never waited for: a job holding the check-in (NOWAIT), or the number (ReadLater)."""
    return isinstance(error, ReadLater) or isinstance(
        getattr(error, "orig", None), LockNotAvailable
    )


def _hand_to_a_person(session: Session, reply: InboundMessage) -> None:
    """A reply whose reading failed is not retried forever, holding up the replies behind it:
    it waits for a person, as an urgent task when it says a danger word, else for review (or,
    from a number nobody holds, in the unmatched inbox)."""
    reply.handled_at = utcnow()
    if contains_danger(reply.body, danger_words()):
        try:
            with session.begin_nested():
                raise_alarm(session, reply, [], not_safe=False)
            return
        except Exception as error:
            if _read_later(error):
                reply.handled_at = None
                return
            log.exception("reply %s: the urgent task failed; it goes to review", reply.id)
    if reply.returnee_id is not None:
        _review(session, reply)


def danger_words() -> list[str]:
    return list(current_app.config["DANGER_WORDS"])


def _read(session: Session, reply: InboundMessage) -> None:
    reply.handled_at = utcnow()
    if was_alerted(session, reply.from_number):
        reply.keyword = FROM_STAFF  # someone on call answering an alert, not a returnee
        acknowledge_by_reply(session, reply.from_number, reply.body)
        return
    asked = asked_together(session, awaiting_question(session, reply))
    question = asked[0] if asked else None
    read = read_reply(
        reply.body, question.answer_type.value if question else "free_text", danger_words()
    )
    if question is not None:
        reply.returnee_id = question.returnee_id
        # "2, some of them not" says nothing of each child: the family's task finds out who.
        value = NOT_ALL if len(asked) > 1 and read.value == "no" else read.value
        if value is not None:
            for check_in in asked:
                record_answer(session, check_in, value, reply.received_at, reply.id)
    not_safe = question is not None and question.indicator is Indicator.SAFE and read.value == "no"
    if read.is_danger or not_safe:
        raise_alarm(session, reply, asked, not_safe)
    elif len(asked) > 1 and read.value == "no":
        _ask_the_family(session, asked)
    elif read.value is None and reply.returnee_id is not None:
        _review(session, reply)
    # else: a reply nobody's question explains, from a number held by several people or by
    # nobody, waits in the unmatched inbox for staff to say whose it is.


def awaiting_question(session: Session, reply: InboundMessage) -> CheckIn | None:
    """The latest question sent to the reply's number that still awaits an answer, whoever it
    asks about. Older ones keep their own reply timers.

    A question not yet sent when the reply came in (queued since, or held overnight) is not
    what it answers, unless it is all there is (`worker --once --now` ahead of the clock, in a
    demo). Locked: a reminder job must not ask again what this answers."""
    return session.scalar(
        select(CheckIn)
        .outerjoin(OutboundMessage, CheckIn.message_id == OutboundMessage.id)
        .where(CheckIn.phone_index == reply.from_number_index, AWAITING_REPLY)
        .order_by(
            case((_went_out <= reply.received_at, 0), else_=1),
            CheckIn.queued_at.desc(),
            CheckIn.id.desc(),
        )
        .limit(1)
        .with_for_update(of=CheckIn, nowait=True)
    )


def asked_together(session: Session, question: CheckIn | None) -> list[CheckIn]:
    """The question and those asked in the same message (a family's children asked about at
    once), that one answer answers; in the order they were created (the family's order)."""
    if question is None:
        return []
    if question.message_id is None:
        return [question]
    others = session.scalars(
        select(CheckIn)
        .where(
            CheckIn.message_id == question.message_id,
            CheckIn.id != question.id,
            AWAITING_REPLY,
        )
        .with_for_update(nowait=True)
    ).all()
    return sorted([question, *others], key=lambda check_in: check_in.id)


def record_answer(
    session: Session, check_in: CheckIn, value: str, at: datetime, reply_id: int | None = None
) -> None:
    """The check-in is answered (by this reply, whose number the record shows), and what it
    asked about is noted on the person with its time."""
    check_in.state, check_in.answer, check_in.answered_at = CheckInState.ANSWERED, value, at
    check_in.reply_id = reply_id
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


def raise_alarm(
    session: Session, reply: InboundMessage, asked: list[CheckIn], not_safe: bool
) -> Task:
    """An urgent task and an alert to whoever is on call, whoever the number belongs to; the
    sender is told, once, that someone will call. More messages about the same person while
    nobody has yet acknowledged the task join it (they are on the record and in the inbox),
    rather than alert again for each."""
    about, reason = _whose_alarm(session, reply, asked, not_safe)
    if reply.returnee_id is None:
        reply.returnee_id = about
    number = reply.from_number if sender_number(reply.from_number) else ""
    _hold_alarms_of(session, number)
    earlier = _open_alarm_from(session, number) if number else None
    if earlier is not None and earlier.acknowledged_at is None and earlier.returnee_id == about:
        return earlier
    task = open_urgent_task(
        session,
        about,
        reason,
        subject=f"reply:{reply.id}",
        phone=number,
        country=_country_of(number) if number else None,
    )
    recent = reply.received_at >= utcnow() - ACKNOWLEDGE_WITHIN
    # A key pressed on a call was thanked on the call; a call back would only alarm.
    if number and earlier is None and recent and reply.channel is not Channel.VOICE:
        _acknowledge_sender(session, reply, about)
    return task


def _hold_alarms_of(session: Session, number: str) -> None:
    """Hold the number's alarms until this transaction ends, so that two workers reading two
    danger messages from it do not each open a task and each thank the sender; a number
    another worker holds is read next run (ReadLater), never waited for."""
    if not number or session.get_bind().dialect.name != "postgresql":
        return
    held = session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:space, hashtext(:number))"),
        {"space": ALARM_LOCKS, "number": number},
    )
    if not held:
        raise ReadLater(number)


def _whose_alarm(
    session: Session, reply: InboundMessage, asked: list[CheckIn], not_safe: bool
) -> tuple[int | None, str]:
    """Who the task is about, and why, in words reason_in_words translates."""
    said = "answered: not safe" if not_safe else f"danger words: {reply.body[:200]}"
    if len(asked) > 1:
        names = _names(session, [check_in.returnee_id for check_in in asked])
        reason = f"answered: not all safe ({names})" if not_safe else f"family ({names}): {said}"
        return asked[0].returnee_id, reason
    if asked:
        return asked[0].returnee_id, said
    holders = _holders(session, reply.from_number)
    if not holders:
        return None, f"unknown number: {reply.body[:200]}"
    if len(holders) == 1:
        return holders[0], said
    return holders[0], f"shared phone ({_names(session, holders)}): {reply.body[:200]}"


def _holders(session: Session, number: str) -> list[int]:
    """Who holds this number, the one last asked on it first (then the latest registered)."""
    holders = holders_of(session, number)
    last_asked = session.scalar(
        select(CheckIn.returnee_id)
        .where(CheckIn.phone_index == phone_index(number), CheckIn.queued_at.is_not(None))
        .order_by(CheckIn.queued_at.desc(), CheckIn.id.desc())
        .limit(1)
    )
    return sorted(holders, key=lambda holder: (holder != last_asked, -holder))


def _names(session: Session, returnee_ids: list[int]) -> str:
    people = session.execute(
        select(Returnee.id, Returnee.given_names, Returnee.family_names).where(
            Returnee.id.in_(returnee_ids)
        )
    ).all()
    by_id = {person.id: f"{person.given_names} {person.family_names}" for person in people}
    return ", ".join(by_id[returnee_id] for returnee_id in returnee_ids)


def _country_of(number: str) -> Country | None:
    code = country_of_phone(number)
    return Country(code) if code else None


def _open_alarm_from(session: Session, number: str) -> Task | None:
    """The latest open urgent task a message from this number opened."""
    return session.scalar(
        select(Task)
        .where(
            Task.kind == TaskKind.URGENT_SAFETY,
            Task.status == TaskStatus.OPEN,
            Task.phone_index == phone_index(number),
        )
        .order_by(Task.id.desc())
        .limit(1)
    )


def _acknowledge_sender(session: Session, reply: InboundMessage, about: int | None) -> None:
    """One discreet line back ("Gracias. Alguien le llamará pronto."), at any hour."""
    language = session.scalar(select(Returnee.language).where(Returnee.id == about)) or "es"
    queue_template_message(
        session,
        reply.from_number,
        "danger_ack",
        channel=reply.channel,
        returnee_id=about,
        language=language,
        needs_consent=False,
        priority=REPLY,
    )


def _ask_the_family(session: Session, asked: list[CheckIn]) -> None:
    """'Some of them not' about a family's children: one task naming them all, for a person to
    find out who."""
    names = _names(session, [check_in.returnee_id for check_in in asked])
    open_task(
        session,
        TaskKind.REVIEW_REPLY,
        asked[0].returnee_id,
        f"family answered no ({names})",
        subject=f"check-in:{asked[0].id}",
        priority=20,
    )


def _review(session: Session, reply: InboundMessage) -> None:
    open_task(
        session,
        TaskKind.REVIEW_REPLY,
        reply.returnee_id,
        reply.body[:300] or "—",
        subject=f"reply:{reply.id}",
        priority=30,
    )
