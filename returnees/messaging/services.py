"""Send and receive messages: stored before sending, failures handled by what they mean."""

from __future__ import annotations

import contextlib
import random
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from returnees.core.clock import utcnow
from returnees.core.errors import Conflict
from returnees.core.events import CONSENT_WITHDRAWN, publish
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
from returnees.people.identity import InvalidValue, normalise_phone
from returnees.people.models import Channel, Phone, PhoneOwner
from returnees.tasks.models import TaskKind
from returnees.tasks.services import open_task

GATEWAY = "returnees.gateway"
LEASE = timedelta(minutes=2)
AMBIGUOUS_WAIT = timedelta(minutes=5)
OUTCOME_BATCH = 10
WHATSAPP_WINDOW = timedelta(hours=24)
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
MAX_ATTEMPTS = 5


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
                api_base_url=config.get("TWILIO_API_BASE_URL") or "",
                timeout=float(config["TWILIO_TIMEOUT_SECONDS"]),
            )
        else:
            current_app.extensions[GATEWAY] = SimulatedGateway()
    return current_app.extensions[GATEWAY]


def queue_message(
    session: Session,
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
    consent_checked: bool = False,
) -> OutboundMessage:
    """Store a message to send; refused for a number that has not agreed or has opted out.

    Consent is checked again when the message is claimed for sending: a STOP in between wins.
    Only replies to a keyword (the STOP confirmation, HELP) go without it. A caller that
    checked consent for a whole batch says so (`consent_checked`), and the message is flushed
    with the rest of the batch instead of on its own.
    """
    if needs_consent and not consent_checked and not has_consent(session, phone):
        raise Conflict(_("This number has not agreed to be contacted, or has opted out."))
    now = utcnow()
    message = OutboundMessage(
        phone=phone,
        body=body,
        channel=channel,
        returnee_id=returnee_id,
        template=template,
        language=language,
        status=MessageStatus.QUEUED,
        needs_consent=needs_consent,
        content_sid=content_sid,
        content_variables=content_variables or {},
        priority=priority,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    if not consent_checked:
        session.flush()
    return message


def queue_template_message(
    session: Session,
    phone: str,
    key: str,
    *,
    channel: Channel,
    returnee_id: int | None,
    language: str,
    first_name: str = "",
    options: str = "",
    needs_consent: bool = True,
    priority: int = ROUTINE,
    consent_checked: bool = False,
) -> OutboundMessage:
    """Queue a template in the person's language (Spanish when it has none).

    On WhatsApp, free text only inside the 24 hours after the person last wrote; a conversation
    we start goes out as the approved template (its Content SID and variables), or by SMS when
    the template has none.
    """
    from returnees.messaging.templates import render_message

    rendered = render_message(session, key, language, first_name=first_name, options=options)
    if rendered is None:
        raise Conflict(_("No message template has the key %(key)s.", key=key))
    content_sid, variables = "", rendered.variables  # kept for a later send as the template
    if channel is Channel.WHATSAPP and not in_whatsapp_window(session, phone):
        if rendered.whatsapp_content_sid:
            content_sid = rendered.whatsapp_content_sid
        else:
            channel = Channel.SMS
    return queue_message(
        session,
        phone,
        rendered.body,
        channel=channel,
        returnee_id=returnee_id,
        template=key,
        language=rendered.language,
        content_sid=content_sid,
        content_variables=variables,
        needs_consent=needs_consent,
        priority=priority,
        consent_checked=consent_checked,
    )


def in_whatsapp_window(session: Session, phone: str) -> bool:
    """Whether the person wrote to us on WhatsApp in the last 24 hours."""
    since = utcnow() - WHATSAPP_WINDOW
    query = (
        select(InboundMessage.id)
        .where(
            InboundMessage.from_number == phone,
            InboundMessage.channel == Channel.WHATSAPP,
            InboundMessage.received_at >= since,
        )
        .limit(1)
    )
    return session.scalar(query) is not None


def has_consent(session: Session, number: str) -> bool:
    return bool(numbers_with_consent(session, {number}))


def claim_due_messages(session: Session, limit: int) -> list[int]:
    """Claim due messages for this worker, under a lease; the caller commits before sending.

    PostgreSQL skips rows another worker holds (FOR UPDATE SKIP LOCKED); each claim is also a
    conditional UPDATE, so two workers can never both claim one message. The lease marks the
    message as possibly sent until its outcome is recorded: a worker that dies mid-batch leaves
    it to be resolved, never resent blindly.
    """
    now = utcnow()
    due = (
        select(OutboundMessage)
        .where(
            OutboundMessage.status == MessageStatus.QUEUED,
            (OutboundMessage.next_attempt_at.is_(None)) | (OutboundMessage.next_attempt_at <= now),
        )
        .order_by(OutboundMessage.priority, OutboundMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    candidates = session.execute(
        due.with_only_columns(
            OutboundMessage.id, OutboundMessage.phone, OutboundMessage.needs_consent
        )
    ).all()
    consenting = numbers_with_consent(
        session, {row.phone for row in candidates if row.needs_consent}
    )
    refused = [row.id for row in candidates if row.needs_consent and row.phone not in consenting]
    wanted = [row.id for row in candidates if row.id not in set(refused)]
    _set_if_queued(
        session,
        refused,
        status=MessageStatus.FAILED,
        updated_at=now,
        error_message="not sent: the number opted out or withdrew consent",
    )
    return _set_if_queued(
        session,
        wanted,
        status=MessageStatus.SENDING,
        is_ambiguous=True,
        attempts=OutboundMessage.attempts + 1,
        next_attempt_at=now + LEASE,
        updated_at=now,
    )


def _set_if_queued(session: Session, ids: list[int], **values: object) -> list[int]:
    """A conditional UPDATE of the messages still queued; the ids it changed."""
    if not ids:
        return []
    changed = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id.in_(ids), OutboundMessage.status == MessageStatus.QUEUED)
        .values(**values)
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(changed.scalars())


def numbers_with_consent(session: Session, numbers: set[str]) -> set[str]:
    if not numbers:
        return set()
    query = select(Phone.number).where(
        Phone.number.in_(numbers), Phone.has_consent.is_(True), Phone.is_usable.is_(True)
    )
    return set(session.scalars(query))


def outgoing(message: OutboundMessage) -> OutgoingMessage:
    """What the gateway sends; our own id rides in the StatusCallback URL."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return OutgoingMessage(
        to=message.phone,
        channel=message.channel.value,
        body=message.body,
        status_callback=f"{base}{STATUS_CALLBACK_PATH}?message={message.id}",
        validity_seconds=current_app.config["MESSAGE_VALIDITY_SECONDS"],
        content_sid=message.content_sid,
        content_variables=dict(message.content_variables or {}),
    )


def record_outcome(
    session: Session, message_id: int, outcome: SendOutcome, *, is_locked: bool = False
) -> OutboundMessage:
    """Store what the gateway answered (second transaction) and act on what a failure means.

    The row is read afresh and locked (`is_locked`: the caller did it for a whole batch), so a
    status callback that came in meanwhile is never overwritten by an older status.
    """
    message = session.get(OutboundMessage, message_id) if is_locked else _fresh(session, message_id)
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
    return message


def _lock_fresh(session: Session, ids: list[int]) -> None:
    """Load (and lock) these rows as the database has them now, in one query."""
    query = select(OutboundMessage).where(OutboundMessage.id.in_(ids)).with_for_update()
    session.scalars(query.execution_options(populate_existing=True)).all()


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
        for phone in session.scalars(select(Phone).where(Phone.number == message.phone)):
            phone.is_usable = False
            open_task(
                session,
                TaskKind.FIND_NEW_NUMBER,
                phone.returnee_id,
                f"{phone.number}: {message.error_message or code}",
                subject=phone.number,
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
    phones = list(session.scalars(select(Phone).where(Phone.number == number)))
    last = session.scalar(
        select(ConsentChange)
        .where(ConsentChange.phone == number)
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
    if not has_consent:
        publish(CONSENT_WITHDRAWN, session, number=number)
    for returnee_id in {phone.returnee_id for phone in phones} or {None}:
        session.add(
            ConsentChange(
                phone=number,
                returnee_id=returnee_id,
                has_consent=has_consent,
                source=source,
                at=now,
            )
        )
    return True


def sender_number(raw: str) -> str | None:
    """E.164 of a Twilio 'From', with or without the whatsapp: prefix; None when unreadable."""
    try:
        return normalise_phone(raw.removeprefix("whatsapp:"), "GT")
    except InvalidValue:
        return None


def holder_of(session: Session, number: str) -> int | None:
    """The one person who holds this number; None when nobody does, or several (a shared
    phone: the reply waits for a person to decide whose it is)."""
    holders = set(session.scalars(select(Phone.returnee_id).where(Phone.number == number)))
    return holders.pop() if len(holders) == 1 else None


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
    """The periodic job: settle sends that may have gone out, then send what is due."""
    resolve_ambiguous_sends(session)
    return send_due_messages(session)


def send_due_messages(session: Session, limit: int = 50) -> int:
    """Claim a batch and commit; send each outside any transaction; record the outcomes.

    Outcomes are written every OUTCOME_BATCH sends: a worker killed in between leaves those
    messages under their lease, to be resolved by lookup, never resent blindly.
    """
    ids = claim_due_messages(session, limit)
    claimed = session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.id.in_(ids))
        .execution_options(populate_existing=True)
    )
    requests = {message.id: outgoing(message) for message in claimed}
    session.commit()
    sent, outcomes = 0, []
    for message_id in ids:
        outcomes.append((message_id, send_safely(requests[message_id])))
        if len(outcomes) == OUTCOME_BATCH or message_id == ids[-1]:
            _lock_fresh(session, [done_id for done_id, _outcome in outcomes])
            for done_id, outcome in outcomes:
                record_outcome(session, done_id, outcome, is_locked=True)
                sent += outcome.sid is not None
            session.commit()
            outcomes = []
    return sent


def send_safely(request: OutgoingMessage) -> SendOutcome:
    """The gateway's answer; anything unforeseen counts as a send that may have gone out."""
    try:
        return gateway().send(request)
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
        .where(OutboundMessage.id.in_(ids))
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
                OutboundMessage.phone == message.phone, OutboundMessage.twilio_sid.is_not(None)
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


def unmatched_messages(session: Session, limit: int = 100) -> list[InboundMessage]:
    """Messages from numbers nobody has, newest first, for staff to attach to a person."""
    query = select(InboundMessage).where(InboundMessage.returnee_id.is_(None))
    return list(session.scalars(query.order_by(InboundMessage.received_at.desc()).limit(limit)))


def attach_number(session: Session, actor, inbound_id: int, returnee_id: int) -> InboundMessage:
    """Give an unknown number to a person: it joins their phones, its messages their record."""
    from returnees.audit.models import AuditAction
    from returnees.audit.services import record_event
    from returnees.core.db import get_required
    from returnees.people.services import require_returnee

    inbound = get_required(
        session, InboundMessage, inbound_id, _("No message has the number %(id)s.", id=inbound_id)
    )
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
    for message in session.scalars(
        select(InboundMessage).where(
            InboundMessage.from_number == inbound.from_number, InboundMessage.returnee_id.is_(None)
        )
    ):
        message.returnee_id = returnee.id
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "returnee",
        returnee.id,
        attached_number=inbound.from_number,
    )
    return inbound


def apply_retention(session: Session) -> int:
    """Erase the text of messages older than the retention period; who, when, which template
    and what an answer meant stay on the record. Returns how many messages were erased."""
    cutoff = utcnow() - timedelta(days=current_app.config["MESSAGE_RETENTION_DAYS"])
    outbound = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.created_at < cutoff, OutboundMessage.body != "")
        .values(body="", content_variables={})
        .execution_options(synchronize_session=False)
    )
    inbound = session.execute(
        update(InboundMessage)
        .where(InboundMessage.received_at < cutoff, InboundMessage.body != "")
        .values(body="")
        .execution_options(synchronize_session=False)
    )
    return (outbound.rowcount or 0) + (inbound.rowcount or 0)
