"""Send and receive messages: stored before sending, failures handled by what they mean."""

from __future__ import annotations

import contextlib
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from functools import partial
from types import SimpleNamespace
from typing import Any

import phonenumbers
from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    exists,
    func,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from returnees.auth.models import Role
from returnees.centres.models import Country
from returnees.core.clock import utcnow
from returnees.core.db import among, among_selected, insert_returning_ids
from returnees.core.encryption import SealedText, open_rows, phone_index, seal_value
from returnees.core.errors import Conflict, HiddenOutOfScope
from returnees.core.events import CONSENT_WITHDRAWN, publish
from returnees.core.scheduler import drain
from returnees.core.wake import wake_worker
from returnees.messaging.gateway import (
    INVALID_NUMBER,
    OPTED_OUT,
    OUTSIDE_WHATSAPP_WINDOW,
    Gateway,
    OutgoingMessage,
    SendOutcome,
    SimulatedGateway,
    TwilioGateway,
)
from returnees.messaging.keywords import Keyword, read_keyword
from returnees.messaging.models import (
    REPLY,
    ROUTINE,
    STATUS_RANK,
    ConsentChange,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
)
from returnees.messaging.window import window_opens
from returnees.people.identity import InvalidValue, country_of_phone, normalise_phone
from returnees.people.models import Channel, Phone, PhoneOwner, Returnee
from returnees.tasks.models import Task, TaskKind
from returnees.tasks.services import forget_quoted_replies, open_task

GATEWAY = "returnees.gateway"
LEASE = timedelta(minutes=2)
AMBIGUOUS_WAIT = timedelta(minutes=5)
OUTCOME_BATCH = 50
WHATSAPP_WINDOW = timedelta(hours=24)
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
# What a claim returns of each message: what the gateway sends (see outgoing) and its priority.
CLAIMED = (
    OutboundMessage.id,
    OutboundMessage.priority,
    OutboundMessage.phone_sealed,
    OutboundMessage.channel,
    OutboundMessage.body_sealed,
    OutboundMessage.content_sid,
    OutboundMessage.content_variables_sealed,
)
MAX_ATTEMPTS = 5
# A phone that may be written to: its holder agreed, and it works.
CONSENTING = and_(Phone.has_consent.is_(True), Phone.is_usable.is_(True))


def gateway() -> Gateway:
    """Twilio when its settings are present, otherwise the simulated gateway."""
    if GATEWAY not in current_app.extensions:
        config = current_app.config
        if config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN"):
            current_app.extensions[GATEWAY] = TwilioGateway(
                config["TWILIO_ACCOUNT_SID"],
                config["TWILIO_AUTH_TOKEN"],
                messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID") or "",
                sms_from=config.get("TWILIO_SMS_FROM") or "",
                whatsapp_from=config.get("TWILIO_WHATSAPP_FROM") or "",
                voice_from=config.get("TWILIO_VOICE_FROM") or "",
                api_base_url=config.get("TWILIO_API_BASE_URL") or "",
                timeout=float(config["TWILIO_TIMEOUT_SECONDS"]),
            )
        else:
            current_app.extensions[GATEWAY] = SimulatedGateway()
    return current_app.extensions[GATEWAY]


def queue_message(session: Session, phone: str, body: str, **columns: Any) -> OutboundMessage:
    """Store a message to send (`columns` as message_row takes them); refused for a number
    that has not agreed or has opted out.

    Consent is checked again when the message is claimed for sending: a STOP in between wins.
    Only replies to a keyword (the STOP confirmation, HELP) go without it.
    """
    return _store(session, message_row(phone, body, **columns))


def _store(session: Session, row: dict) -> OutboundMessage:
    if row["needs_consent"] and not has_consent(session, row["phone"]):
        raise Conflict(_("This number has not agreed to be contacted, or has opted out."))
    message = OutboundMessage(**row)
    session.add(message)
    session.flush()
    return message


def queue_messages(session: Session, rows: list[dict]) -> list[int]:
    """Store many messages (rows of message_row or template_message_row) whose numbers the
    caller has checked for consent, in one bulk insert; their ids, in order."""
    return insert_returning_ids(session, OutboundMessage, rows)


def message_row(
    phone: str,
    body: str,
    *,
    channel: Channel = Channel.SMS,
    returnee_id: int | None = None,
    template: str = "",
    language: str = "es",
    needs_consent: bool = True,
    content_sid: str = "",
    content_variables: dict[str, str] | None = None,
    priority: int = ROUTINE,
) -> dict:
    """Every column of a message waiting to be sent."""
    now = utcnow()
    return {
        "returnee_id": returnee_id,
        "phone": phone,
        "channel": channel,
        "template": template,
        "language": language,
        "body": body,
        "content_sid": content_sid,
        "content_variables": content_variables or {},
        "status": MessageStatus.QUEUED,
        "twilio_sid": None,
        "error_code": None,
        "error_message": "",
        "attempts": 0,
        "priority": priority,
        "needs_consent": needs_consent,
        "is_ambiguous": False,
        "next_attempt_at": None,
        "created_at": now,
        "sent_at": None,
        "confirmed_at": None,
        "updated_at": now,
    }


def queue_template_message(
    session: Session, phone: str, key: str, **columns: Any
) -> OutboundMessage:
    """Queue a template in the person's language (Spanish when it has none); `columns` as
    template_message_row takes them."""
    return _store(session, template_message_row(session, phone, key, **columns))


def template_message_row(
    session: Session,
    phone: str,
    key: str,
    *,
    channel: Channel,
    returnee_id: int | None,
    language: str,
    first_name: str = "",
    options: str = "",
    names: Sequence[str] | str = (),
    needs_consent: bool = True,
    priority: int = ROUTINE,
) -> dict:
    """The message of a template in the person's language (Spanish when it has none); Conflict
    when no template has that key.

    On WhatsApp, free text only inside the 24 hours after the person last wrote; a conversation
    we start goes out as the approved template (its Content SID and variables), or by SMS when
    the template has none.
    """
    from returnees.messaging.templates import render_message

    rendered = render_message(
        session, key, language, first_name=first_name, options=options, names=names
    )
    if rendered is None:
        raise Conflict(_("No message template has the key %(key)s.", key=key))
    content_sid, variables = "", rendered.variables  # kept for a later send as the template
    if channel is Channel.WHATSAPP and not in_whatsapp_window(session, phone):
        if rendered.whatsapp_content_sid:
            content_sid = rendered.whatsapp_content_sid
        else:
            channel = Channel.SMS
    return message_row(
        phone,
        rendered.body,
        channel=channel,
        returnee_id=returnee_id,
        template=key,
        # A call plays the recording in the person's own language, which the text may lack.
        language=language if channel is Channel.VOICE else rendered.language,
        content_sid=content_sid,
        content_variables=variables,
        needs_consent=needs_consent,
        priority=priority,
    )


def in_whatsapp_window(session: Session, phone: str) -> bool:
    """Whether the person wrote to us on WhatsApp in the last 24 hours."""
    since = utcnow() - WHATSAPP_WINDOW
    query = (
        select(InboundMessage.id)
        .where(
            InboundMessage.from_number_index == phone_index(phone),
            InboundMessage.channel == Channel.WHATSAPP,
            InboundMessage.received_at >= since,
        )
        .limit(1)
    )
    return session.scalar(query) is not None


def numbers_welcoming_calls(session: Session, numbers: set[str]) -> set[str]:
    """Which of these numbers may be called: agreed to, working, and calls welcome (said at
    the desk, or its channel is voice)."""
    if not numbers:
        return set()
    indexes = {phone_index(number): number for number in numbers}
    query = select(Phone.number_index).where(
        among(session, Phone.number_index, indexes),
        CONSENTING,
        Phone.calls_welcome.is_(True) | (Phone.channel == Channel.VOICE),
    )
    return {indexes[index] for index in session.scalars(query)}


def has_consent(session: Session, number: str) -> bool:
    return bool(numbers_with_consent(session, {number}))


def claim_due_messages(session: Session, limit: int) -> list[int]:
    """Claim due messages for this worker, under a lease; the caller commits before sending.
    Their ids, in the order they go out (priority, then age)."""
    return [message.id for message in _claim(session, limit)[0]]


def _claim(session: Session, limit: int) -> tuple[list[SimpleNamespace], int]:
    """claim_due_messages, giving what the gateway needs of each message (CLAIMED), and how
    many were claimed, those handed back included (a full batch: more may be due).

    One statement claims them: PostgreSQL skips rows another worker holds (FOR UPDATE SKIP
    LOCKED), and the claim is a conditional UPDATE, so two workers can never both claim one
    message. The lease marks the message as possibly sent until its outcome is recorded: a
    worker that dies mid-batch leaves it to be resolved, never resent blindly. What the claim
    also reads, whether the number may be written to and the person's country, hands back a
    message refused (failed) or due outside its sending window (queued until it opens).
    """
    now = utcnow()
    due = (
        select(OutboundMessage.id)
        .where(
            OutboundMessage.status == MessageStatus.QUEUED,
            (OutboundMessage.next_attempt_at.is_(None)) | (OutboundMessage.next_attempt_at <= now),
        )
        .order_by(OutboundMessage.priority, OutboundMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    may_write = exists().where(Phone.number_index == OutboundMessage.phone_index, CONSENTING)
    country = select(Returnee.nationality).where(Returnee.id == OutboundMessage.returnee_id)
    claimed = session.execute(
        update(OutboundMessage)
        .where(
            among_selected(session, OutboundMessage.id, due),
            OutboundMessage.status == MessageStatus.QUEUED,
        )
        .values(
            status=MessageStatus.SENDING,
            is_ambiguous=True,
            attempts=OutboundMessage.attempts + 1,
            next_attempt_at=now + LEASE,
            updated_at=now,
        )
        .returning(
            *CLAIMED,
            OutboundMessage.needs_consent,
            may_write.label("may_write"),
            country.scalar_subquery().label("country"),
        )
        .execution_options(synchronize_session=False)
    ).all()
    claimed = open_rows(claimed, OutboundMessage)
    refused = {row.id for row in claimed if row.needs_consent and not row.may_write}
    _hand_back(
        session,
        sorted(refused),
        status=MessageStatus.FAILED,
        updated_at=now,
        error_message="not sent: the number opted out or withdrew consent",
    )
    waiting = _outside_window([row for row in claimed if row.id not in refused], now)
    for opens in set(waiting.values()):
        held = [message_id for message_id, at in waiting.items() if at == opens]
        _hand_back(session, held, next_attempt_at=opens, updated_at=now)
    sending = [row for row in claimed if row.id not in refused and row.id not in waiting]
    return sorted(sending, key=lambda message: (message.priority, message.id)), len(claimed)


def _outside_window(claimed: list[SimpleNamespace], now: datetime) -> dict[int, datetime]:
    """The routine messages to a person (their check-ins) that may not go out now, each with
    when their window opens: a retry, or a worker stopped overnight, must not carry a question
    into the night. Replies and urgent alerts go at any hour."""
    routine = [row for row in claimed if row.priority >= ROUTINE and row.country is not None]
    opens = {row.id: window_opens(now, Country(row.country)) for row in routine}
    return {message_id: at for message_id, at in opens.items() if at is not None}


def numbers_with_consent(session: Session, numbers: set[str]) -> set[str]:
    if not numbers:
        return set()
    indexes = {phone_index(number): number for number in numbers}
    query = select(Phone.number_index).where(
        among(session, Phone.number_index, indexes), CONSENTING
    )
    return {indexes[index] for index in session.scalars(query)}


def outgoing(message: OutboundMessage | SimpleNamespace) -> OutgoingMessage:
    """What the gateway sends; our own id rides in the StatusCallback URL."""
    from returnees.messaging.calls import call_status_url, twiml_url

    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if message.channel is Channel.VOICE:
        return OutgoingMessage(
            to=message.phone,
            channel=message.channel.value,
            body=message.body,
            status_callback=call_status_url(message.id),
            validity_seconds=0,
            twiml_url=twiml_url(message.id),
        )
    return OutgoingMessage(
        to=message.phone,
        channel=message.channel.value,
        body=message.body,
        status_callback=f"{base}{STATUS_CALLBACK_PATH}?message={message.id}",
        validity_seconds=current_app.config["MESSAGE_VALIDITY_SECONDS"],
        content_sid=message.content_sid,
        content_variables=dict(message.content_variables or {}),
    )


def record_outcome(session: Session, message: OutboundMessage, outcome: SendOutcome) -> None:
    """Store what the gateway answered (second transaction) and act on what a failure means.

    `message` was read afresh and locked (see lock_fresh), so a status callback that came in
    meanwhile is never overwritten by an older status.
    """
    now = utcnow()
    message.updated_at, message.is_ambiguous = now, outcome.ambiguous
    message.error_code, message.error_message = outcome.error_code, outcome.error_message
    message.next_attempt_at = None
    if outcome.sid:
        message.twilio_sid = message.twilio_sid or outcome.sid
        message.sent_at = message.sent_at or now
        advance_status(message, outcome.status)
    elif outcome.ambiguous:
        message.next_attempt_at = now + AMBIGUOUS_WAIT
    elif outcome.retry and message.attempts < MAX_ATTEMPTS:
        message.status, message.next_attempt_at = (
            MessageStatus.QUEUED,
            now + backoff(message.attempts),
        )
    else:
        message.status = MessageStatus.FAILED
        handle_failure(session, message)


def lock_fresh(session: Session, ids: list[int]) -> dict[int, OutboundMessage]:
    """These rows as the database has them now, locked, by id, in one query (the dict also keeps
    them alive: the session's identity map holds them only weakly)."""
    query = select(OutboundMessage).where(among(session, OutboundMessage.id, ids)).with_for_update()
    messages = session.scalars(query.execution_options(populate_existing=True))
    return {message.id: message for message in messages}


def _fresh(session: Session, message_id: int) -> OutboundMessage:
    """The row as the database has it now, locked, not the copy this session read earlier."""
    return session.get(OutboundMessage, message_id, populate_existing=True, with_for_update=True)


def backoff(attempts: int) -> timedelta:
    """Capped exponential backoff with full jitter: up to 30 s, 1, 2, 4 ... at most 10 minutes."""
    ceiling = min(30 * 2 ** (attempts - 1), 600)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def handle_failure(session: Session, message: OutboundMessage) -> None:
    """Act on what a failure means: a bad number, an opt-out, or WhatsApp not getting through."""
    code = message.error_code
    if code in INVALID_NUMBER:
        query = select(Phone).where(Phone.number_index == message.phone_index)
        for phone in session.scalars(query):
            phone.is_usable = False
            open_task(
                session,
                TaskKind.FIND_NEW_NUMBER,
                phone.returnee_id,
                f"{phone.number}: {message.error_message or code}",
                subject=f"phone:{phone.id}",
            )
    elif code in OPTED_OUT:
        change_consent(session, message.phone, False, f"twilio:{code}")
    elif message.channel is Channel.WHATSAPP:
        _send_again_another_way(session, message)


def _send_again_another_way(session: Session, message: OutboundMessage) -> None:
    """A WhatsApp message that did not get through: as the approved template when it was free
    text outside the window (63016), otherwise by SMS, so whoever prefers WhatsApp still gets it."""
    from returnees.messaging.templates import render_message

    rendered = (
        render_message(session, message.template, message.language)
        if (message.template and not message.content_sid)
        else None
    )
    as_template = (
        message.error_code == OUTSIDE_WHATSAPP_WINDOW
        and rendered
        and (rendered.whatsapp_content_sid)
    )
    with contextlib.suppress(Conflict):
        queue_message(
            session,
            message.phone,
            message.body,
            channel=Channel.WHATSAPP if as_template else Channel.SMS,
            returnee_id=message.returnee_id,
            template=message.template,
            language=message.language,
            needs_consent=message.needs_consent,
            content_sid=rendered.whatsapp_content_sid if as_template else "",
            content_variables=message.content_variables if as_template else None,
            priority=message.priority,
        )


# Twilio's own early statuses all mean: accepted by Twilio, not yet handed to the carrier.
AT_TWILIO = {"accepted", "scheduled", "queued", "sending"}
CONFIRMED = {MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ}


def advance_status(message: OutboundMessage, status: str) -> bool:
    """Move a message's status forward only; an older status arriving late changes nothing."""
    try:
        new = MessageStatus.SENDING if status in AT_TWILIO else MessageStatus(status)
    except ValueError:
        return False
    if STATUS_RANK[new] <= STATUS_RANK[message.status]:
        return False
    message.status = new
    if new in CONFIRMED and message.confirmed_at is None:
        message.confirmed_at = utcnow()
    return True


def apply_status_callback(session: Session, message_id: int | None, form: dict[str, str]) -> bool:
    """A delivery-status callback: find our message by its id (or Twilio's) and move it forward."""
    message = session.get(OutboundMessage, message_id) if message_id else None
    if message is None and form.get("MessageSid"):
        message = session.scalar(
            select(OutboundMessage).where(OutboundMessage.twilio_sid == form["MessageSid"])
        )
    if message is None:
        return False
    if message.twilio_sid is None and form.get("MessageSid"):
        message.twilio_sid, message.is_ambiguous = form["MessageSid"], False
    moved = advance_status(message, form.get("MessageStatus", ""))
    if moved and form.get("ErrorCode", "").isdigit():
        message.error_code = int(form["ErrorCode"])
        message.error_message = form.get("ErrorMessage", "")[:500]
    if moved and message.status in (MessageStatus.FAILED, MessageStatus.UNDELIVERED):
        handle_failure(session, message)
    message.updated_at = utcnow()
    return moved


def change_consent(session: Session, number: str, has_consent: bool, source: str) -> bool:
    """Record a change of consent for every record that holds this number; False if nothing
    changed (a second STOP), so that it is confirmed only once."""
    now = utcnow()
    index = phone_index(number)
    phones = list(session.scalars(select(Phone).where(Phone.number_index == index)))
    last = session.scalar(
        select(ConsentChange)
        .where(ConsentChange.phone_index == index)
        .order_by(ConsentChange.id.desc())
        .limit(1)
    )
    if phones:
        changed = any(phone.has_consent != has_consent for phone in phones)
    else:
        changed = last is None or last.has_consent != has_consent
    if not changed:
        return False
    for phone in phones:
        phone.has_consent, phone.consent_at = has_consent, now
    for returnee_id in {phone.returnee_id for phone in phones} or {None}:
        record_consent(session, number, returnee_id, has_consent, source)
    return True


def record_consent(
    session: Session, number: str, returnee_id: int | None, has_consent: bool, source: str
) -> None:
    """A change of consent in the log: a keyword, Twilio, the desk or an edit of the record. A
    withdrawal is told to follow-ups, which cancel what is pending on the number (for this
    person; for everyone on it when nobody holds it)."""
    if not has_consent:
        publish(CONSENT_WITHDRAWN, session, number=number, returnee_id=returnee_id)
    session.add(
        ConsentChange(
            phone=number,
            returnee_id=returnee_id,
            has_consent=has_consent,
            source=source,
            at=utcnow(),
        )
    )


def sender_number(raw: str) -> str | None:
    """E.164 of a Twilio 'From', with or without the whatsapp: prefix; None when unreadable."""
    try:
        return normalise_phone(raw.removeprefix("whatsapp:"), "GT")
    except InvalidValue:
        return None


def holders_of(session: Session, number: str) -> set[int]:
    """Everyone who holds this number (a shared phone, a guardian's on a child's record)."""
    index = phone_index(number)
    return set(session.scalars(select(Phone.returnee_id).where(Phone.number_index == index)))


def holder_of(session: Session, number: str) -> int | None:
    """The one person who holds this number; None when nobody does, or several (a shared
    phone: whose a reply is, the question it answers says)."""
    holders = holders_of(session, number)
    return holders.pop() if len(holders) == 1 else None


# The keyword column of a reply from a phone of staff alerted about an urgent task (their
# acknowledgement): never read as a returnee's answer, never shown as an unknown message.
FROM_STAFF = "staff"
OPT_OUT_TYPES = {"STOP": Keyword.STOP, "START": Keyword.START, "HELP": Keyword.HELP}


def record_inbound(session: Session, form: dict[str, str]) -> InboundMessage | None:
    """Store an inbound message once per MessageSid and act on keywords; None for a repeat."""
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if not sid:
        return None
    raw_from = form.get("From", "")
    number = sender_number(raw_from)
    twilio_keyword = OPT_OUT_TYPES.get(form.get("OptOutType", "").upper())
    keyword = twilio_keyword or read_keyword(form.get("Body", ""))
    inbound = InboundMessage(
        message_sid=sid,
        from_number=number or raw_from[:40],
        sender_country=country_of_phone(number) if number else None,
        channel=Channel.WHATSAPP if raw_from.startswith("whatsapp:") else Channel.SMS,
        body=form.get("Body", "")[:5000],
        media_count=_count(form.get("NumMedia")),
        returnee_id=holder_of(session, number) if number else None,
        keyword=keyword.value if keyword else "",
        received_at=utcnow(),
        payload=dict(form),
    )
    try:
        with session.begin_nested():
            session.add(inbound)
    except IntegrityError:
        return None  # the same MessageSid again: stored once, answered once
    if keyword and number:
        _answer_keyword(session, inbound, keyword, replied_by_twilio=twilio_keyword is not None)
    else:
        wake_worker(session)  # a reply to read: it may say a danger word
    session.flush()
    return inbound


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


KEYWORD_REPLIES = {
    Keyword.STOP: _("You will not receive more messages. To receive them again, reply INICIO."),
    Keyword.START: _("You will receive messages again. To stop them, reply ALTO."),
    Keyword.HELP: _("For help call %(phone)s. To stop messages, reply ALTO."),
}


def _answer_keyword(
    session: Session, inbound: InboundMessage, keyword: Keyword, replied_by_twilio: bool
) -> None:
    """STOP and START change consent at once, confirmed once; HELP is always answered."""
    number = inbound.from_number
    changed = True
    if keyword is Keyword.STOP:
        changed = change_consent(session, number, False, "keyword:stop")
    elif keyword is Keyword.START:
        changed = change_consent(session, number, True, "keyword:start")
    inbound.handled_at = utcnow()
    if not changed or replied_by_twilio:
        return
    reply = str(KEYWORD_REPLIES[keyword]) % {"phone": current_app.config["PROGRAMME_PHONE"]}
    queue_message(
        session,
        number,
        reply,
        channel=inbound.channel,
        returnee_id=inbound.returnee_id,
        template=f"keyword_{keyword.value}",
        needs_consent=False,
        priority=REPLY,
    )


def dispatch_messages(session: Session) -> int:
    """The periodic job: settle sends that may have gone out, then send what is due, batch
    after batch; how many were sent."""
    resolve_ambiguous_sends(session)
    return send_due_messages(session)


def send_due_messages(session: Session, limit: int | None = None) -> int:
    """Send what is due, batch after batch (SEND_BATCH_SIZE each), until nothing more is due
    or the job's budget (JOB_BUDGET_SECONDS) is spent, as `drain` runs other jobs; how many
    were sent.

    Each batch is claimed and committed, then sent outside any transaction with
    SEND_CONCURRENCY sends in flight at once; the next batch is claimed while the last sends
    of the one before are in flight, so that no send waits on a claim. Outcomes are recorded
    every OUTCOME_BATCH answers, by this thread, while other sends are in flight: a worker
    killed in between leaves the messages whose answers it has not recorded under their
    lease, to be resolved by lookup, never resent blindly. A batch that has taken half the
    lease (a slow provider) sends nothing more and hands back what it has not sent, so that
    no lease runs out on a message still waiting its turn here.
    """
    limit = limit or current_app.config["SEND_BATCH_SIZE"]
    budget = float(current_app.config["JOB_BUDGET_SECONDS"])
    most = current_app.config["SEND_CONCURRENCY"]
    started = time.monotonic()
    with ThreadPoolExecutor(most, thread_name_prefix="send") as pool:
        sending = Sending(session, partial(pool.submit, send_safely, gateway()), most)
        more = sending.claim(limit)
        while True:
            sending.hand_out()
            if more and not sending.waiting and time.monotonic() - started < budget:
                more = sending.claim(limit)
            elif sending.in_flight:
                sending.take_answers()
            else:
                break
    sending.record()
    sending.hand_back()
    return sending.sent


class Sending:
    """One run of the send job: the batch it is handing out, the sends in flight (in other
    threads: only the calls to the gateway run there, a session is not for sharing between
    threads) and the answers not recorded yet."""

    def __init__(
        self,
        session: Session,
        submit: Callable[[OutgoingMessage], Future[SendOutcome]],
        most: int,
    ) -> None:
        self.session, self.submit, self.most = session, submit, most
        self.waiting: deque[tuple[int, OutgoingMessage]] = deque()
        self.in_flight: dict[Future[SendOutcome], int] = {}
        self.answers: list[tuple[int, SendOutcome]] = []
        self.claimed_at, self.sent = 0.0, 0

    def claim(self, limit: int) -> bool:
        """Claim the next batch and commit; whether it was full (more may be due)."""
        self.claimed_at = time.monotonic()
        claimed, taken = _claim(self.session, limit)
        self.waiting.extend((message.id, outgoing(message)) for message in claimed)
        self.session.commit()
        return taken == limit

    def hand_out(self) -> None:
        """Send the batch's next messages while there is room, unless half its lease is gone."""
        while self.waiting and len(self.in_flight) < self.most and not self._slow():
            message_id, request = self.waiting.popleft()
            self.in_flight[self.submit(request)] = message_id

    def _slow(self) -> bool:
        return time.monotonic() - self.claimed_at > LEASE.total_seconds() / 2

    def take_answers(self) -> None:
        """Wait for an answer; record what has come once there are OUTCOME_BATCH."""
        answered, _in_flight = wait(self.in_flight, return_when=FIRST_COMPLETED)
        self.answers += [(self.in_flight.pop(future), future.result()) for future in answered]
        if len(self.answers) >= OUTCOME_BATCH:
            self.record()

    def record(self) -> None:
        _record_outcomes(self.session, self.answers)
        self.sent, self.answers = self.sent + _sent(self.answers), []

    def hand_back(self) -> None:
        """What a slow batch never sent goes back to the queue."""
        _hand_back(self.session, [message_id for message_id, _request in self.waiting])
        self.session.commit()


def _record_outcomes(session: Session, outcomes: list[tuple[int, SendOutcome]]) -> None:
    """Accepted sends in one statement run for each; any other outcome through record_outcome."""
    accepted = [(i, outcome) for i, outcome in outcomes if _is_accepted(outcome)]
    others = [(i, outcome) for i, outcome in outcomes if not _is_accepted(outcome)]
    if accepted:
        _record_accepted(session, accepted)
    if others:
        locked = lock_fresh(session, [message_id for message_id, _outcome in others])
        for message_id, outcome in others:
            record_outcome(session, locked[message_id], outcome)
    session.commit()


def _is_accepted(outcome: SendOutcome) -> bool:
    """Twilio took the message and holds it (the usual answer): its status does not move."""
    return bool(outcome.sid) and not outcome.ambiguous and outcome.status in AT_TWILIO


def _record_accepted(session: Session, accepted: list[tuple[int, SendOutcome]]) -> None:
    """What record_outcome does for an accepted send, as one UPDATE executed for each message.

    The row lock is the UPDATE's own; a status callback that came in first keeps its status,
    its id and its error (the CASE and COALESCE), as record_outcome's advance_status would."""
    table, now = OutboundMessage.__table__, utcnow()
    still_sending = table.c.status == MessageStatus.SENDING
    session.execute(
        table.update()
        .where(table.c.id == bindparam("message_id"))
        .values(
            twilio_sid=func.coalesce(table.c.twilio_sid, bindparam("sid")),
            sent_at=func.coalesce(table.c.sent_at, now),
            is_ambiguous=False,
            next_attempt_at=None,
            error_code=case((still_sending, bindparam("code")), else_=table.c.error_code),
            error_message=case(
                (still_sending, bindparam("text", type_=SealedText())),
                else_=table.c.error_message,
            ),
            updated_at=now,
        ),
        [
            {
                "message_id": message_id,
                "sid": outcome.sid,
                "code": outcome.error_code,
                "text": sealed_error(message_id, outcome.error_message),
            }
            for message_id, outcome in accepted
        ],
    )


def _sent(outcomes: list[tuple[int, SendOutcome]]) -> int:
    return sum(outcome.sid is not None for _message_id, outcome in outcomes)


def sealed_error(message_id: int, words: str | None) -> str | None:
    """A message's error as its sealed column stores it, for an UPDATE past the field."""
    return seal_value(OutboundMessage.error_message, OutboundMessage, message_id, words)


def _hand_back(
    session: Session, ids: list[int], error_message: str | None = None, **values: object
) -> None:
    """Claimed messages never sent go back as they were (to the queue, unless `values` say
    otherwise: failed, or queued until a later time). An `error_message` is sealed for each
    row, to which its envelope is bound."""
    if not ids:
        return
    changes = {
        "status": MessageStatus.QUEUED,
        "is_ambiguous": False,
        "attempts": OutboundMessage.attempts - 1,
        "next_attempt_at": None,
    } | values
    if error_message is None:
        session.execute(
            update(OutboundMessage)
            .where(
                among(session, OutboundMessage.id, ids),
                OutboundMessage.status == MessageStatus.SENDING,
            )
            .values(**changes)
            .execution_options(synchronize_session=False)
        )
        return
    table = OutboundMessage.__table__
    session.execute(
        table.update()
        .where(table.c.id == bindparam("row_id"), table.c.status == MessageStatus.SENDING)
        .values(
            {OutboundMessage.__mapper__.c[name]: value for name, value in changes.items()}
            | {table.c.error_message: bindparam("error", type_=SealedText())}
        ),
        [{"row_id": row_id, "error": sealed_error(row_id, error_message)} for row_id in ids],
    )


def send_safely(sender: Gateway, request: OutgoingMessage) -> SendOutcome:
    """The gateway's answer; anything unforeseen counts as a send that may have gone out."""
    try:
        return sender.send(request)
    except Exception as error:
        return SendOutcome(error_message=f"{type(error).__name__}: {error}"[:500], ambiguous=True)


def resolve_ambiguous_sends(session: Session, limit: int = 50) -> int:
    """Settle sends that may have gone out (a 5xx, a timeout, a worker that died) before any
    resend: a status callback may have settled one already; otherwise the provider is asked,
    outside any transaction. One it holds takes its id and status; one it never received goes
    back to the queue."""
    now = utcnow()
    due = (
        select(OutboundMessage.id)
        .where(
            OutboundMessage.is_ambiguous.is_(True),
            OutboundMessage.status == MessageStatus.SENDING,
            OutboundMessage.next_attempt_at <= now,
        )
        .order_by(OutboundMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.scalars(due))
    session.execute(
        update(OutboundMessage)
        .where(among(session, OutboundMessage.id, ids))
        .values(next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    for message_id in ids:
        _resolve(session, message_id)
    return len(ids)


def _resolve(session: Session, message_id: int) -> None:
    message = session.get(OutboundMessage, message_id, populate_existing=True)
    known = message.twilio_sid
    request = outgoing(message)
    ours = frozenset(
        session.scalars(
            select(OutboundMessage.twilio_sid).where(
                OutboundMessage.phone_index == message.phone_index,
                OutboundMessage.twilio_sid.is_not(None),
            )
        )
    )
    session.commit()
    found = None if known else gateway().find_sent(request, message.created_at, ours)
    message = _fresh(session, message_id)
    if not message.is_ambiguous or message.status is not MessageStatus.SENDING:
        session.commit()
        return
    now = utcnow()
    if message.twilio_sid or (found and found.sid and _is_new_sid(session, found.sid)):
        message.twilio_sid = message.twilio_sid or found.sid
        message.sent_at, message.is_ambiguous = message.sent_at or now, False
        if found:
            advance_status(message, found.status)
    elif found is not None and found.retry:
        message.next_attempt_at = now + backoff(message.attempts)
    elif message.attempts >= MAX_ATTEMPTS:
        message.status, message.is_ambiguous = MessageStatus.FAILED, False
    else:
        message.status, message.is_ambiguous = MessageStatus.QUEUED, False
        message.next_attempt_at = None
    message.updated_at = now
    session.commit()


def _is_new_sid(session: Session, sid: str) -> bool:
    return (
        session.scalar(select(OutboundMessage.id).where(OutboundMessage.twilio_sid == sid)) is None
    )


def unmatched_messages(session: Session, actor, limit: int = 100) -> list[InboundMessage]:
    """Messages from numbers nobody has, newest first, for staff of the number's country to
    attach to a person."""
    query = select(InboundMessage).where(
        InboundMessage.returnee_id.is_(None),
        InboundMessage.keyword != FROM_STAFF,
        _seen_by(actor),
    )
    return list(session.scalars(query.order_by(InboundMessage.received_at.desc()).limit(limit)))


def _seen_by(actor) -> ColumnElement[bool]:
    """The messages from numbers nobody has that this actor sees (see _prefix); the sender's
    country is kept beside the sealed number for this."""
    if _sees_every_sender(actor):
        return true()
    return InboundMessage.sender_country == Country(actor.country)


def _sees_every_sender(actor) -> bool:
    return actor.is_system or actor.role is Role.ADMIN or not actor.country


def _prefix(actor) -> str:
    """A number nobody has is seen by staff of the country it calls from (its calling code: a
    message from +504 is for Honduras's staff); admins see every one."""
    if _sees_every_sender(actor):
        return "+"
    return f"+{phonenumbers.country_code_for_region(actor.country)}"


def attach_number(session: Session, actor, inbound_id: int, returnee_id: int) -> InboundMessage:
    """Give an unknown number to a person: it joins their phones, its messages their record."""
    from returnees.audit.models import AuditAction
    from returnees.audit.services import record_event
    from returnees.core.db import get_required
    from returnees.people.services import require_returnee

    missing = _("No message has the number %(id)s.", id=inbound_id)
    inbound = get_required(session, InboundMessage, inbound_id, missing)
    if not inbound.from_number.startswith(_prefix(actor)):
        raise HiddenOutOfScope(missing, "inbound_message", inbound_id)  # another country's
    returnee = require_returnee(session, actor, returnee_id)
    if inbound.returnee_id is not None:
        raise Conflict(_("This message already belongs to a person."))
    if sender_number(inbound.from_number) != inbound.from_number:
        raise Conflict(_("This sender is not a phone number that can be attached."))
    now = utcnow()
    if inbound.from_number not in {phone.number for phone in returnee.phones}:
        returnee.phones.append(
            Phone(
                number=inbound.from_number,
                owner=PhoneOwner.SELF,
                channel=inbound.channel,
                has_consent=False,
                created_at=now,
            )
        )
    _attach_messages_and_tasks(session, inbound.from_number, returnee.id)
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "returnee",
        returnee.id,
        inbound_id=inbound.id,
    )
    return inbound


def _attach_messages_and_tasks(session: Session, number: str, returnee_id: int) -> None:
    """The number's messages nobody owned go to the person, and what was opened about the
    number (an urgent task) goes on their record; a message no task came of is read again,
    now that it is known whose it is."""
    index = phone_index(number)
    tasks = session.scalars(
        select(Task).where(Task.phone_index == index, Task.returnee_id.is_(None))
    ).all()
    for task in tasks:
        task.returnee_id, task.country = returnee_id, None
    acted_on = {task.subject for task in tasks}
    for message in session.scalars(
        select(InboundMessage).where(
            InboundMessage.from_number_index == index, InboundMessage.returnee_id.is_(None)
        )
    ):
        message.returnee_id = returnee_id
        if not message.keyword and f"reply:{message.id}" not in acted_on:
            message.handled_at = None


def apply_retention(session: Session) -> int:
    """Erase the text of messages older than the retention period, and of an inbound one the
    request Twilio sent with it; who, when, which template and what an answer meant stay on
    the record. Batch after batch (MESSAGE_RETENTION_BATCH_SIZE, each committed), so a first
    run over years of messages finishes within the job's statement limit. Returns how many
    messages were erased. (A sealed value erased is NULL.) What the gateway said of an
    outbound one goes too, and a task opened about an inbound one stops quoting it ("danger
    words: —"): a reply's words outlive it nowhere."""
    return drain(session, erase_old_message_texts)


def erase_old_message_texts(session: Session) -> tuple[int, bool]:
    """One batch of `apply_retention`: how many were erased, and whether more may wait."""
    size = current_app.config["MESSAGE_RETENTION_BATCH_SIZE"]
    cutoff = utcnow() - timedelta(days=current_app.config["MESSAGE_RETENTION_DAYS"])
    outbound = session.scalars(
        select(OutboundMessage.id)
        .where(
            OutboundMessage.created_at < cutoff,
            OutboundMessage.body_sealed.is_not(None)
            | OutboundMessage.content_variables_sealed.is_not(None)
            | OutboundMessage.error_message_sealed.is_not(None),
        )
        .limit(size)
    ).all()
    inbound = session.scalars(
        select(InboundMessage.id)
        .where(
            InboundMessage.received_at < cutoff,
            InboundMessage.body_sealed.is_not(None) | InboundMessage.payload_sealed.is_not(None),
        )
        .limit(size)
    ).all()
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id.in_(outbound))
        .values(
            {
                OutboundMessage.body_sealed: None,
                OutboundMessage.content_variables_sealed: None,
                OutboundMessage.error_message_sealed: None,
            }
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.id.in_(inbound))
        .values({InboundMessage.body_sealed: None, InboundMessage.payload_sealed: None})
        .execution_options(synchronize_session=False)
    )
    forget_quoted_replies(session, list(inbound))
    return len(outbound) + len(inbound), size in (len(outbound), len(inbound))
