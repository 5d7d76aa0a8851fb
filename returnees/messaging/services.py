"""Send and receive messages: stored before sending, failures handled by what they mean."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.core.clock import utcnow
from returnees.core.errors import Conflict
from returnees.messaging.gateway import (
    INVALID_NUMBER,
    OPTED_OUT,
    Gateway,
    OutgoingMessage,
    SendOutcome,
    SimulatedGateway,
    TwilioGateway,
)
from returnees.messaging.keywords import Keyword, read_keyword
from returnees.messaging.models import (
    STATUS_RANK,
    ConsentChange,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
)
from returnees.people.identity import InvalidValue, normalise_phone
from returnees.people.models import Channel, Phone, PhoneOwner

GATEWAY = "returnees.gateway"
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
) -> OutboundMessage:
    """Store a message to send; refused for a number that has not agreed or has opted out."""
    if needs_consent and not has_consent(session, phone):
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
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    session.flush()
    return message


def has_consent(session: Session, number: str) -> bool:
    phones = session.scalars(select(Phone).where(Phone.number == number)).all()
    return any(phone.has_consent and phone.is_usable for phone in phones)


def claim_for_sending(session: Session, message_id: int) -> OutboundMessage | None:
    """Mark a queued message as being sent (first transaction); None when it is not sendable."""
    message = session.get(OutboundMessage, message_id, with_for_update=True)
    if message is None or message.status is not MessageStatus.QUEUED:
        return None
    message.status, message.attempts = MessageStatus.SENDING, message.attempts + 1
    message.updated_at = utcnow()
    return message


def outgoing(message: OutboundMessage) -> OutgoingMessage:
    """What the gateway sends; our own id rides in the StatusCallback URL."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return OutgoingMessage(
        to=message.phone,
        channel=message.channel.value,
        body=message.body,
        status_callback=f"{base}{STATUS_CALLBACK_PATH}?message={message.id}",
        validity_seconds=current_app.config["MESSAGE_VALIDITY_SECONDS"],
    )


def record_outcome(session: Session, message_id: int, outcome: SendOutcome) -> OutboundMessage:
    """Store what the gateway answered (second transaction) and act on what a failure means."""
    message = session.get(OutboundMessage, message_id)
    now = utcnow()
    message.updated_at, message.is_ambiguous = now, outcome.ambiguous
    message.error_code, message.error_message = outcome.error_code, outcome.error_message
    if outcome.sid:
        message.twilio_sid, message.sent_at = outcome.sid, now
        advance_status(message, outcome.status)
    elif outcome.ambiguous:
        message.next_attempt_at = now + timedelta(minutes=5)
    elif outcome.retry and message.attempts < MAX_ATTEMPTS:
        message.status, message.next_attempt_at = (
            MessageStatus.QUEUED,
            now + backoff(message.attempts),
        )
    else:
        _handle_failure(session, message, now)
    return message


def backoff(attempts: int) -> timedelta:
    """Capped exponential backoff with full jitter: up to 30 s, 1, 2, 4 ... at most 10 minutes."""
    ceiling = min(30 * 2 ** (attempts - 1), 600)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def _handle_failure(session: Session, message: OutboundMessage, now: datetime) -> None:
    message.status = MessageStatus.FAILED
    code = message.error_code
    if code in INVALID_NUMBER:
        for phone in session.scalars(select(Phone).where(Phone.number == message.phone)):
            phone.is_usable = False
    elif code in OPTED_OUT:
        change_consent(session, message.phone, False, f"twilio:{code}")
    elif message.channel is Channel.WHATSAPP:
        # Someone who prefers WhatsApp still gets the message, by SMS (63016: outside the window).
        queue_message(
            session,
            message.phone,
            message.body,
            channel=Channel.SMS,
            returnee_id=message.returnee_id,
            template=message.template,
            language=message.language,
        )


# Twilio's own early statuses all mean: accepted by Twilio, not yet handed to the carrier.
AT_TWILIO = {"accepted", "scheduled", "queued", "sending"}


def advance_status(message: OutboundMessage, status: str) -> bool:
    """Move a message's status forward only; an older status arriving late changes nothing."""
    try:
        new = MessageStatus.SENDING if status in AT_TWILIO else MessageStatus(status)
    except ValueError:
        return False
    if STATUS_RANK[new] <= STATUS_RANK[message.status]:
        return False
    message.status = new
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
    if form.get("ErrorCode", "").isdigit():
        message.error_code = int(form["ErrorCode"])
    moved = advance_status(message, form.get("MessageStatus", ""))
    message.updated_at = utcnow()
    return moved


def change_consent(session: Session, number: str, has_consent: bool, source: str) -> None:
    """Record a change of consent for every record that holds this number."""
    now = utcnow()
    phones = list(session.scalars(select(Phone).where(Phone.number == number)))
    for phone in phones:
        phone.has_consent = has_consent
        phone.consent_at = now
    returnee_ids = {phone.returnee_id for phone in phones} or {None}
    for returnee_id in returnee_ids:
        session.add(
            ConsentChange(
                phone=number,
                returnee_id=returnee_id,
                has_consent=has_consent,
                source=source,
                at=now,
            )
        )


def sender_number(raw: str) -> str:
    """E.164 of a Twilio 'From', with or without the whatsapp: prefix; raw text when unreadable."""
    try:
        return normalise_phone(raw.removeprefix("whatsapp:"), "GT")
    except InvalidValue:
        return raw[:40]


def record_inbound(session: Session, form: dict[str, str]) -> InboundMessage | None:
    """Store an inbound message once per MessageSid and act on keywords; None for a repeat."""
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if not sid or session.scalar(
        select(InboundMessage.id).where(InboundMessage.message_sid == sid)
    ):
        return None
    raw_from = form.get("From", "")
    number = sender_number(raw_from)
    phone = session.scalar(
        select(Phone).where(Phone.number == number).order_by(Phone.created_at.desc())
    )
    keyword = read_keyword(form.get("Body", ""))
    inbound = InboundMessage(
        message_sid=sid,
        from_number=number,
        channel=Channel.WHATSAPP if raw_from.startswith("whatsapp:") else Channel.SMS,
        body=form.get("Body", "")[:5000],
        media_count=_count(form.get("NumMedia")),
        returnee_id=phone.returnee_id if phone else None,
        keyword=keyword.value if keyword else "",
        received_at=utcnow(),
        payload=dict(form),
    )
    session.add(inbound)
    if keyword:
        _answer_keyword(session, inbound, keyword)
    session.flush()
    return inbound


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


KEYWORD_REPLIES = {
    Keyword.STOP: _("You will not receive more messages. To receive them again, reply INICIO."),
    Keyword.START: _("You will receive messages again. To stop them, reply ALTO."),
    Keyword.HELP: _("For help call %(phone)s. To stop messages, reply ALTO."),
}


def _answer_keyword(session: Session, inbound: InboundMessage, keyword: Keyword) -> None:
    """STOP and START change consent at once, with one confirmation; HELP is answered."""
    number = inbound.from_number
    if keyword is Keyword.STOP:
        change_consent(session, number, False, "keyword:stop")
    elif keyword is Keyword.START:
        change_consent(session, number, True, "keyword:start")
    reply = str(KEYWORD_REPLIES[keyword]) % {"phone": current_app.config["PROGRAMME_PHONE"]}
    queue_message(
        session,
        number,
        reply,
        channel=inbound.channel,
        returnee_id=inbound.returnee_id,
        template=f"keyword_{keyword.value}",
        needs_consent=keyword is Keyword.HELP,
    )
    inbound.handled_at = utcnow()


def dispatch_messages(session: Session) -> int:
    """The periodic job: settle ambiguous sends first, then send what is due."""
    resolve_ambiguous_sends(session)
    session.commit()
    return send_due_messages(session)


def send_due_messages(session: Session, limit: int = 50) -> int:
    """The dispatch job for messages: send what is queued and due, each in its own transactions.

    Called with the job's session only to find ids; every message is claimed, sent outside any
    transaction, and its outcome stored in a second one.
    """
    now = utcnow()
    ids = list(
        session.scalars(
            select(OutboundMessage.id)
            .where(
                OutboundMessage.status == MessageStatus.QUEUED,
                (OutboundMessage.next_attempt_at.is_(None))
                | (OutboundMessage.next_attempt_at <= now),
            )
            .order_by(OutboundMessage.id)
            .limit(limit)
        )
    )
    session.commit()
    return sum(1 for message_id in ids if deliver(session, message_id))


def deliver(session: Session, message_id: int) -> bool:
    """Send one message: claim and commit, call the gateway, then record the outcome and commit."""
    message = claim_for_sending(session, message_id)
    if message is None:
        session.rollback()
        return False
    request = outgoing(message)
    session.commit()
    outcome = gateway().send(request)
    record_outcome(session, message_id, outcome)
    session.commit()
    return outcome.sid is not None


def resolve_ambiguous_sends(session: Session, limit: int = 50) -> int:
    """Settle sends that may have gone out (a 5xx or a timeout) before anything is sent again.

    A status callback may have settled one already. Otherwise the provider is asked; a message
    it never received goes back to the queue, one it holds takes its id and status.
    """
    now = utcnow()
    pending = list(
        session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.is_ambiguous.is_(True), OutboundMessage.next_attempt_at <= now)
            .order_by(OutboundMessage.id)
            .limit(limit)
        )
    )
    for message in pending:
        found = None if message.twilio_sid else gateway().find_sent(outgoing(message))
        if message.twilio_sid:
            message.is_ambiguous = False
        elif found is not None and found.retry:
            message.next_attempt_at = now + backoff(message.attempts)
        elif found is not None:
            message.twilio_sid, message.sent_at, message.is_ambiguous = found.sid, now, False
            advance_status(message, found.status)
        else:
            message.status, message.is_ambiguous = MessageStatus.QUEUED, False
            message.next_attempt_at = None
        message.updated_at = now
    return len(pending)


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
