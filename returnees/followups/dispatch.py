"""Send due check-ins at a decent hour, one routine message a day per number, a family's
children asked about together; remind and escalate what goes unanswered."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Row, Select, bindparam, func, select, text
from sqlalchemy.orm import Session

from returnees.core import events
from returnees.core.clock import utcnow
from returnees.core.db import among
from returnees.core.encryption import open_rows, phone_index
from returnees.core.errors import Conflict
from returnees.core.scheduler import drain
from returnees.followups.households import asked_with_family, family_template
from returnees.followups.models import (
    CheckIn,
    CheckInState,
    FollowUpPlan,
    PlanStep,
    VoiceRule,
)
from returnees.followups.services import due_and_state
from returnees.messaging.calls import CHILDREN_SPOKEN
from returnees.messaging.gateway import OPTED_OUT
from returnees.messaging.models import ROUTINE, MessageStatus, OutboundMessage
from returnees.messaging.prompts import can_call_with
from returnees.messaging.services import (
    CONFIRMED,
    numbers_welcoming_calls,
    numbers_with_consent,
    queue_messages,
    template_message_row,
)
from returnees.messaging.window import (
    local_zone,
    next_days_window,
    start_of_day,
    window_opens,
)
from returnees.people.models import MAYAN_LANGUAGES, Channel, Returnee
from returnees.reception.models import Arrival
from returnees.tasks.models import TaskKind
from returnees.tasks.services import open_task

OPTIONS = {
    "es": {"yes_no": "1 (sí) o 2 (no)", "confirm": "1", "choice": "el número"},
    "en": {"yes_no": "1 (yes) or 2 (no)", "confirm": "1", "choice": "the number"},
}
log = logging.getLogger(__name__)
# The namespace of the advisory locks that hold a number while a batch decides for it.
NUMBER_LOCKS = 7301


def dispatch_check_ins(session: Session) -> int:
    """The periodic job: queue the messages of every due check-in, batch after batch; how many
    were queued."""
    return drain(session, queue_due_check_ins)


def queue_due_check_ins(session: Session, limit: int | None = None) -> tuple[int, bool]:
    """Queue the messages of a batch of due check-ins. A conversation belongs to a number: a
    check-in due at night, or one for a number already sent a routine message today (whoever
    it was about), waits for the next morning, and one that would wait past its step's grace
    period is marked missed. Children of one family followed on one number are asked their
    step's question in one message naming them all. Returns how many messages were queued and
    whether the batch was full (more may be due).

    A batch costs a fixed handful of statements, whatever its size: the check-ins, the people,
    the numbers' locks, which numbers were written to today and which may be written to are
    each read once, the messages stored in one bulk insert and the check-ins changed by one
    statement each way.
    """
    limit = limit or current_app.config["CHECK_IN_BATCH_SIZE"]
    now = utcnow()
    due = open_rows(
        session.execute(
            due_check_ins()
            .where(CheckIn.due_at <= now)
            .order_by(CheckIn.due_at, CheckIn.id)
            .limit(limit)
        ),
        CheckIn,
    )
    if not due:
        return 0, False
    people = _people(session, {c.returnee_id for c in due})
    families = asked_with_family(session, due, people, now, due_check_ins)
    people |= _people(session, families.returnee_ids - set(people))
    numbers = {check_in.phone for check_in in due}
    zones = {c.phone: local_zone(people[c.returnee_id].nationality) for c in due}
    held = _hold_numbers(session, numbers)
    asked = _numbers_asked_today(session, zones, now)
    consenting = numbers_with_consent(session, numbers)
    callers = numbers_welcoming_calls(session, numbers)
    batch = Batch(now, timedelta(hours=current_app.config["FOLLOW_UP_GRACE_HOURS"]))
    for check_in in due:
        person = people[check_in.returnee_id]
        if check_in.id in batch.decided:
            continue  # asked already, with a brother or sister
        if opens := window_opens(now, person.nationality):
            batch.later(check_in.id, opens)
        elif check_in.phone not in held or families.is_busy(check_in):
            continue  # another worker is asking on this number (or holds a brother's or a
            # sister's question) now; the next run decides
        elif check_in.phone in asked:
            batch.wait_for_number(check_in, next_days_window(now, person.nationality))
        elif check_in.phone not in consenting:
            batch.cancel(check_in.id)  # no longer to be written to
        else:
            family = families.of(check_in)
            channel = asking_channel(check_in, person, check_in.phone in callers, bool(family))
            row = (
                family_question(session, family, people, channel)
                if family
                else question(session, check_in, person, channel)
            )
            if row is None:
                batch.cancel(check_in.id)  # its template is gone
            else:
                batch.ask([c.id for c in family] or [check_in.id], row)
                asked.add(check_in.phone)
    _record_batch(session, batch)
    return len(batch.asking), len(due) == limit and bool(batch.decided)


def due_check_ins(locked: bool = True) -> Select:
    """Scheduled check-ins, locked (another worker's skipped) unless said otherwise, with what
    deciding each needs: its family (the arrival's household) and, for a step of a plan, when
    it was first due."""
    query = (
        select(
            CheckIn.id,
            CheckIn.returnee_id,
            CheckIn.phone_sealed,
            CheckIn.channel,
            CheckIn.template,
            CheckIn.answer_type,
            CheckIn.reminded_at,
            CheckIn.due_at,
            Arrival.household_id,
            Arrival.arrived_at,
            PlanStep.day_offset,
            FollowUpPlan.voice_rule,
        )
        .join(Arrival, Arrival.id == CheckIn.arrival_id)
        .outerjoin(PlanStep, PlanStep.id == CheckIn.step_id)
        .outerjoin(FollowUpPlan, FollowUpPlan.id == PlanStep.plan_id)
        .where(CheckIn.state == CheckInState.SCHEDULED)
    )
    return query.with_for_update(of=CheckIn, skip_locked=True) if locked else query


@dataclass
class Batch:
    """What a batch decided for each check-in."""

    now: datetime
    grace: timedelta
    asking: list[tuple[list[int], dict]] = field(default_factory=list)
    moved: list[dict] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)
    decided: set[int] = field(default_factory=set)

    def ask(self, check_in_ids: list[int], message: dict) -> None:
        self.asking.append((check_in_ids, message))
        self.decided.update(check_in_ids)

    def later(self, check_in_id: int, due: datetime) -> None:
        self.moved.append({"check_in_id": check_in_id, "due": due})
        self.decided.add(check_in_id)

    def cancel(self, check_in_id: int) -> None:
        self.cancelled.append(check_in_id)
        self.decided.add(check_in_id)

    def wait_for_number(self, check_in: Row, next_window: datetime) -> None:
        """Its number was written to today: the next day's window, unless that is past the
        step's grace period (a reminder, or a referral's question, simply waits)."""
        if check_in.reminded_at is None and check_in.day_offset is not None:
            first_due = check_in.arrived_at + timedelta(days=check_in.day_offset)
            if due_and_state(first_due, next_window, self.grace)[1] is CheckInState.MISSED:
                self.missed.append(check_in.id)
                self.decided.add(check_in.id)
                return
        self.later(check_in.id, next_window)


def _people(session: Session, returnee_ids: set[int]) -> dict[int, Row]:
    return {
        person.id: person
        for person in session.execute(
            select(
                Returnee.id, Returnee.nationality, Returnee.language, Returnee.given_names
            ).where(among(session, Returnee.id, returnee_ids))
        )
    }


def asking_channel(check_in: Row, person: Row, calls_welcome: bool, family: bool) -> Channel:
    """How the check-in's question is asked: by phone call when its plan's rule asks this
    person by voice (VoiceRule) on a number whose calls are welcome, and the question has a
    recorded prompt (or an allowed spoken one) in their language; otherwise in writing, on
    the number's channel (SMS for a number that chose calls). A call also needs the offer of
    the key that stops the calls (`can_call_with`)."""
    channel = check_in.channel
    if calls_welcome and _asked_by_voice(check_in.voice_rule, channel, person.language):
        template = family_template(check_in.template) if family else check_in.template
        if can_call_with(template, person.language):
            return Channel.VOICE
    return Channel.SMS if channel is Channel.VOICE else channel


def _asked_by_voice(rule: VoiceRule | None, channel: Channel, language: str) -> bool:
    if channel is Channel.VOICE or rule is VoiceRule.CALLS_WELCOME:
        return True
    return rule is VoiceRule.MAYAN_LANGUAGE and language in MAYAN_LANGUAGES


def question(session: Session, check_in, person, channel: Channel | None = None) -> dict | None:
    """The message asking the check-in's question in the person's language; None when its
    template is gone."""
    try:
        return template_message_row(session, **_asking(check_in, person, channel))
    except Conflict:
        return None


def family_question(
    session: Session, family: list[Row], people: dict[int, Row], channel: Channel | None = None
) -> dict | None:
    """One message asking a step's question about a family's children together, naming them
    all, in the first child's language (by phone call, naming none: "sus hijos"); None when
    its template is gone."""
    first = people[family[0].returnee_id]
    names = [people[c.returnee_id].given_names for c in family]
    columns = _asking(family[0], first, channel) | {
        "key": family_template(family[0].template),
        "names": CHILDREN_SPOKEN if channel is Channel.VOICE else names,
    }
    try:
        return template_message_row(session, **columns)
    except Conflict:
        return None


def _asking(check_in, person, channel: Channel | None = None) -> dict:
    """What the message asking a check-in's question is made of."""
    language = person.language if person.language in OPTIONS else "es"
    return {
        "phone": check_in.phone,
        "key": check_in.template,
        "channel": channel or check_in.channel,
        "returnee_id": person.id,
        "language": person.language,
        "first_name": person.given_names,
        "options": OPTIONS[language].get(check_in.answer_type.value, ""),
    }


def _record_batch(session: Session, batch: Batch) -> None:
    """What a batch decided, in one statement each: messages stored, their check-ins marked
    sending, others moved to later, cancelled or missed."""
    table = CheckIn.__table__
    by_id = table.c.id == bindparam("check_in_id")
    message_ids = queue_messages(session, [row for _check_in_ids, row in batch.asking])
    if batch.asking:
        session.execute(
            table.update()
            .where(by_id)
            .values(
                state=CheckInState.SENDING, message_id=bindparam("message"), queued_at=batch.now
            ),
            [
                {"check_in_id": check_in_id, "message": message_id}
                for (check_in_ids, _row), message_id in zip(batch.asking, message_ids, strict=True)
                for check_in_id in check_in_ids
            ],
        )
    if batch.moved:
        session.execute(table.update().where(by_id).values(due_at=bindparam("due")), batch.moved)
    for state, ids in (
        (CheckInState.CANCELLED, batch.cancelled),
        (CheckInState.MISSED, batch.missed),
    ):
        if ids:
            session.execute(table.update().where(table.c.id.in_(ids)).values(state=state))


def _hold_numbers(session: Session, numbers: set[str]) -> set[str]:
    """Hold these numbers until this transaction ends, so that two workers with check-ins for
    one number (a family's, a shared phone's) cannot both find "not written to today". A number
    another worker holds is skipped, never waited for (no deadlock between workers). On SQLite,
    the single writer, every number is this worker's."""
    if session.get_bind().dialect.name != "postgresql":
        return set(numbers)
    return set(
        session.scalars(
            text(
                "SELECT n FROM unnest(CAST(:numbers AS text[])) AS n "
                "WHERE pg_try_advisory_xact_lock(:space, hashtext(n))"
            ),
            {"numbers": sorted(numbers), "space": NUMBER_LOCKS},
        )
    )


def _numbers_asked_today(session: Session, zones: dict[str, ZoneInfo], now: datetime) -> set[str]:
    """Which of these numbers were sent a routine message today (a question, a reminder), in
    the local day of the person they were about."""
    starts = {number: start_of_day(now, zone) for number, zone in zones.items()}
    numbers = {phone_index(number): number for number in starts}
    latest = session.execute(
        select(OutboundMessage.phone_index, func.max(OutboundMessage.created_at))
        .where(
            among(session, OutboundMessage.phone_index, numbers),
            OutboundMessage.priority >= ROUTINE,
            OutboundMessage.created_at >= min(starts.values()),
        )
        .group_by(OutboundMessage.phone_index)
    ).all()
    return {numbers[index] for index, at in latest if at >= starts[numbers[index]]}


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
        elif message.channel is Channel.VOICE and message.error_code not in OPTED_OUT:
            _give_up(session, check_in)  # called three times, never taken: a person calls
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


def give_up_on_call(session: Session, message_id: int) -> int:
    """A call was answered but no key pressed, twice: its check-ins still awaiting an answer
    are unanswered, escalated as any question left unanswered is. How many."""
    from returnees.followups.reading import AWAITING_REPLY

    asked = session.scalars(
        select(CheckIn).where(CheckIn.message_id == message_id, AWAITING_REPLY).with_for_update()
    ).all()
    for check_in in asked:
        _give_up(session, check_in)
    return len(asked)


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
