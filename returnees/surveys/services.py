"""Survey waves: opened by a job at days 30 and 180 after an arrival, taken by a social worker
on a call one answer at a time (each saved as it is given), scored when completed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event, record_view
from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.casework.models import Case, CaseStatus
from returnees.core.clock import utcnow
from returnees.core.errors import Conflict, InvalidInput, NotFound
from returnees.followups.models import IndicatorReading
from returnees.messaging.calls import STAFF_CALL, queue_staff_call
from returnees.messaging.models import MessageStatus, OutboundMessage
from returnees.people.models import Channel, Phone, Returnee
from returnees.people.services import require_returnee
from returnees.reception.models import Arrival
from returnees.surveys.instrument import active_instrument
from returnees.surveys.models import (
    CASE_CLOSED,
    UNSCORED_ANSWERS,
    AnswerSource,
    SurveyAnswer,
    SurveyItem,
    SurveyWave,
    WaveStatus,
)
from returnees.surveys.scoring import ScoredAnswer, Scores, score_wave
from returnees.tasks.models import Task, TaskKind, TaskStatus
from returnees.tasks.services import mark_done, open_task

SURVEY_ROLES = (Role.SOCIAL_WORKER, Role.SUPERVISOR)
WAVE_BATCH = 500
# The reason a wave's task gives (casework.reasons reads it back in the reader's language).
WAVE_REASON = "survey wave: day {day}"
# A call placed but not answered yet: another one would ring the person twice (a double tap).
RINGING = (MessageStatus.QUEUED, MessageStatus.SENDING)


# The job


def open_survey_waves(session: Session) -> int:
    """Open each wave due (SURVEY_WAVE_DAYS after a person's latest arrival, while their case
    is open, not later than SURVEY_WAVE_WINDOW_DAYS past its day) with a task to take it;
    safe to run twice: a wave is opened once per arrival and day."""
    now = utcnow()
    window = timedelta(days=current_app.config["SURVEY_WAVE_WINDOW_DAYS"])
    instrument = active_instrument(session)
    opened = 0
    for day in current_app.config["SURVEY_WAVE_DAYS"]:
        for arrival_id, returnee_id in session.execute(_due(now, int(day), window)):
            wave = SurveyWave(
                returnee_id=returnee_id,
                arrival_id=arrival_id,
                day=int(day),
                instrument_id=instrument.id,
                status=WaveStatus.OPEN,
                created_at=now,
            )
            session.add(wave)
            session.flush()
            task = open_task(
                session,
                TaskKind.SURVEY,
                returnee_id,
                WAVE_REASON.format(day=day),
                subject=f"survey:{wave.id}",
            )
            wave.task_id = task.id
            opened += 1
    session.flush()
    return opened


def _due(now: datetime, day: int, window: timedelta):
    later = aliased(Arrival)
    due_by = now - timedelta(days=day)
    return (
        select(Arrival.id, Arrival.returnee_id)
        .where(Arrival.arrived_at <= due_by, Arrival.arrived_at > due_by - window)
        .where(
            exists().where(
                Case.returnee_id == Arrival.returnee_id, Case.status != CaseStatus.CLOSED
            ),
            ~exists().where(
                later.returnee_id == Arrival.returnee_id, later.arrived_at > Arrival.arrived_at
            ),
            ~exists().where(SurveyWave.arrival_id == Arrival.id, SurveyWave.day == day),
        )
        .order_by(Arrival.arrived_at)
        .limit(WAVE_BATCH)
    )


def close_waves_of_closed_case(session: Session, returnee_id: int) -> int:
    """A wave still open when the person's case closes is not taken ("case_closed") and its
    call task is dropped (cancelled): no one is asked to call about a closed case. Run by the
    casework close service's CASE_CLOSED event; how many waves it closed."""
    waves = list(
        session.scalars(
            select(SurveyWave).where(
                SurveyWave.returnee_id == returnee_id, SurveyWave.status == WaveStatus.OPEN
            )
        )
    )
    now = utcnow()
    for wave in waves:
        wave.status, wave.not_taken_reason = WaveStatus.NOT_TAKEN, CASE_CLOSED
        if wave.task_id is not None:
            session.execute(
                update(Task)
                .where(Task.id == wave.task_id, Task.status == TaskStatus.OPEN)
                .values(status=TaskStatus.CANCELLED, closed_at=now)
                .execution_options(synchronize_session=False)
            )
    session.flush()
    return len(waves)


# Taking a wave


def require_wave(session: Session, actor: Actor, returnee_id: int, wave_id: int) -> SurveyWave:
    """A wave of a person inside the actor's scope."""
    actor.require_role(*SURVEY_ROLES)
    require_returnee(session, actor, returnee_id)
    wave = session.get(SurveyWave, wave_id)
    if wave is None or wave.returnee_id != returnee_id:
        raise NotFound(_("This person has no survey numbered %(id)s.", id=wave_id))
    return wave


def open_wave(session: Session, actor: Actor, returnee_id: int, wave_id: int) -> SurveyWave:
    """A wave as the call form shows it: the items a recent check-in answered are filled in
    from it (and marked so) while the wave is open; the view is written to the audit trail."""
    wave = require_wave(session, actor, returnee_id, wave_id)
    if wave.status is WaveStatus.OPEN:
        _prefill(session, wave)
    record_view(session, actor, "survey_wave", wave.id, returnee_id=returnee_id)
    return wave


def _prefill(session: Session, wave: SurveyWave) -> None:
    """Answer the SMS-safe items from the person's latest check-in readings, when given since
    the arrival and within SURVEY_PREFILL_DAYS."""
    answered = {answer.item_id for answer in wave.answers}
    arrived_at = session.scalar(select(Arrival.arrived_at).where(Arrival.id == wave.arrival_id))
    since = max(arrived_at, utcnow() - timedelta(days=current_app.config["SURVEY_PREFILL_DAYS"]))
    added = False
    for item in wave.instrument.items:
        if item.id in answered or not item.is_safe_by_sms or item.indicator is None:
            continue
        reading = _latest_reading(session, wave.returnee_id, item, since)
        value = None if reading is None else ("yes" if reading.value else "no")
        if value is None or item.option(value) is None:
            continue
        session.add(
            SurveyAnswer(
                wave_id=wave.id,
                item_id=item.id,
                value=value,
                score=item.option(value)["score"],
                source=AnswerSource.CHECK_IN,
                answered_at=reading.observed_at,
                reading_id=reading.id,
            )
        )
        added = True
    if added:
        session.flush()
        session.expire(wave, ["answers"])


def _latest_reading(
    session: Session, returnee_id: int, item: SurveyItem, since: datetime
) -> IndicatorReading | None:
    return session.scalar(
        select(IndicatorReading)
        .where(
            IndicatorReading.returnee_id == returnee_id,
            IndicatorReading.indicator == item.indicator,
            IndicatorReading.observed_at >= since,
        )
        .order_by(IndicatorReading.observed_at.desc(), IndicatorReading.id.desc())
        .limit(1)
    )


def next_item(wave: SurveyWave) -> SurveyItem | None:
    """Where a call resumes: the first item not yet answered."""
    answered = {answer.item_id for answer in wave.answers}
    return next((item for item in wave.instrument.items if item.id not in answered), None)


def answer_item(
    session: Session, actor: Actor, returnee_id: int, wave_id: int, code: str, value: str
) -> SurveyAnswer:
    """Save one answer at once (a dropped call loses nothing); given again, it replaces the
    first. "declined" and "dont_know" are allowed and not scored."""
    wave = require_wave(session, actor, returnee_id, wave_id)
    if wave.status is not WaveStatus.OPEN:
        raise Conflict(_("This survey is completed: its answers no longer change."))
    item = next((item for item in wave.instrument.items if item.code == code), None)
    if item is None:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"item": [_("This survey has no question “%(code)s”.", code=code)]},
        )
    option = item.option(value)
    if option is None and value not in UNSCORED_ANSWERS:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"value": [_("Choose one of the answers.")]},
        )
    answer = next((a for a in wave.answers if a.item_id == item.id), None)
    if answer is None:
        answer = SurveyAnswer(wave_id=wave.id, item_id=item.id)
        session.add(answer)
    answer.value, answer.score = value, None if option is None else option["score"]
    answer.source, answer.reading_id = AnswerSource.CALL, None
    answer.answered_at, answer.answered_by_id = utcnow(), actor.user_id
    session.flush()
    session.expire(wave, ["answers"])
    record_event(
        session, actor, AuditAction.UPDATE, "survey_wave", wave.id, returnee_id=returnee_id
    )
    return answer


def complete_wave(session: Session, actor: Actor, returnee_id: int, wave_id: int) -> SurveyWave:
    """Score a wave whose every item has an answer, and close its task."""
    wave = require_wave(session, actor, returnee_id, wave_id)
    if wave.status is not WaveStatus.OPEN:
        raise Conflict(_("This survey is completed already."))
    if (missing := next_item(wave)) is not None:
        raise Conflict(
            _(
                "Question %(n)s has no answer yet: “declined” and “don't know” are answers too.",
                n=missing.position,
            )
        )
    scores = wave_scores(wave)
    wave.economic_score, wave.social_score = scores.economic, scores.social
    wave.psychosocial_score, wave.composite_score = scores.psychosocial, scores.composite
    wave.status, wave.completed_at, wave.completed_by_id = (
        WaveStatus.COMPLETED,
        utcnow(),
        actor.user_id,
    )
    if wave.task_id is not None:
        mark_done(session.get(Task, wave.task_id), actor.user_id, "survey completed")
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "survey_wave",
        wave.id,
        returnee_id=returnee_id,
        completed=True,
    )
    return wave


def place_survey_call(
    session: Session, actor: Actor, returnee_id: int, wave_id: int, phone_id: int
) -> OutboundMessage:
    """Call one of the person's phones to take an open wave: when they answer, they are put
    through to the social worker's own phone (their account's), through the voice gateway
    like any call; on the audit trail, and ringing on the phone simulator."""
    wave = require_wave(session, actor, returnee_id, wave_id)
    if wave.status is not WaveStatus.OPEN:
        raise Conflict(_("This survey is completed: its answers no longer change."))
    returnee = session.get(Returnee, returnee_id)
    phone = next((p for p in phones_to_call(returnee) if p.id == phone_id), None)
    if phone is None:
        raise NotFound(_("This person has no phone to call with that number."))
    if (latest := latest_survey_call(session, wave)) and latest.status in RINGING:
        raise Conflict(_("The call is ringing already: wait until it is answered or not."))
    staff_phone = staff_phone_of(session, actor)
    if not staff_phone:
        raise Conflict(
            _("Your account has no phone to put the call through to: an administrator adds it.")
        )
    body = str(_("Call from the social worker: reintegration survey, day %(day)s", day=wave.day))
    message = queue_staff_call(session, phone.number, staff_phone, body, returnee_id)
    record_event(
        session,
        actor,
        AuditAction.CREATE,
        "outbound_message",
        message.id,
        returnee_id=returnee_id,
        survey_wave=wave.id,
        channel=Channel.VOICE.value,
    )
    return message


def latest_survey_call(session: Session, wave: SurveyWave) -> OutboundMessage | None:
    """The last call placed to the person since the wave opened, as the form shows it."""
    return session.scalar(
        select(OutboundMessage)
        .where(
            OutboundMessage.returnee_id == wave.returnee_id,
            OutboundMessage.template == STAFF_CALL,
            OutboundMessage.created_at >= wave.created_at,
        )
        .order_by(OutboundMessage.id.desc())
        .limit(1)
    )


def staff_phone_of(session: Session, actor: Actor) -> str:
    """The phone a call the actor places is put through to: their account's ("" if none)."""
    user = session.get(User, actor.user_id) if actor.user_id else None
    return user.phone if user else ""


def phones_to_call(returnee: Returnee) -> list[Phone]:
    """The person's phones a survey call may ring: usable, agreed to be contacted, and not
    marked "do not contact"."""
    return [
        phone
        for phone in returnee.phones
        if phone.is_usable and phone.has_consent and phone.channel is not Channel.NONE
    ]


def wave_scores(wave: SurveyWave) -> Scores:
    return score_wave(ScoredAnswer(a.item.dimension, a.item.weight, a.score) for a in wave.answers)


# Reading waves


@dataclass(frozen=True)
class Move:
    """An answer that changed between two waves, and by how much its score moved."""

    item: SurveyItem
    before: SurveyAnswer
    after: SurveyAnswer

    @property
    def change(self) -> float:
        return round(self.after.score - self.before.score, 4)


@dataclass(frozen=True)
class WaveReading:
    wave: SurveyWave
    previous: SurveyWave | None = None
    moves: list[Move] = field(default_factory=list)


def waves_of(session: Session, actor: Actor, returnee_id: int) -> list[WaveReading]:
    """A person's waves, latest first; each completed one against the completed one before it,
    with the answers whose scores moved (matched by item code across versions)."""
    actor.require_role(*SURVEY_ROLES)
    require_returnee(session, actor, returnee_id)
    waves = list(
        session.scalars(
            select(SurveyWave)
            .where(SurveyWave.returnee_id == returnee_id)
            .order_by(SurveyWave.created_at, SurveyWave.id)
        )
    )
    readings, previous = [], None
    for wave in waves:
        if wave.status is WaveStatus.COMPLETED:
            readings.append(WaveReading(wave, previous, _moves(previous, wave)))
            previous = wave
        else:
            readings.append(WaveReading(wave))
    return readings[::-1]


def read_waves(session: Session, actor: Actor, returnee_id: int) -> list[WaveReading]:
    """waves_of, written to the audit trail (ids only): the API's answer."""
    readings = waves_of(session, actor, returnee_id)
    record_view(
        session,
        actor,
        "survey_wave",
        "",
        returnee_id=returnee_id,
        waves=[reading.wave.id for reading in readings],
    )
    return readings


def _moves(before: SurveyWave | None, after: SurveyWave) -> list[Move]:
    if before is None:
        return []
    earlier = {answer.item.code: answer for answer in before.answers}
    moves = [
        Move(answer.item, earlier[answer.item.code], answer)
        for answer in after.answers
        if answer.score is not None
        and answer.item.code in earlier
        and earlier[answer.item.code].score is not None
        and earlier[answer.item.code].score != answer.score
    ]
    return sorted(moves, key=lambda move: (-abs(move.change), move.item.position))


def answers_by_item(wave: SurveyWave) -> dict[int, SurveyAnswer]:
    return {answer.item_id: answer for answer in wave.answers}
