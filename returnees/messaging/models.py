from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from returnees.centres.models import Country
from returnees.core.db import Base, value_enum
from returnees.core.encryption import INDEX_LENGTH, JSON_VALUE, Sealed, SealedText
from returnees.people.models import Channel


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    FAILED = "failed"


# A status only ever moves to a higher rank: a late "sent" never overwrites "delivered".
STATUS_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.UNDELIVERED: 3,
    MessageStatus.FAILED: 3,
    MessageStatus.DELIVERED: 3,
    MessageStatus.READ: 4,
}


# Message priorities: lower is sent first.
URGENT, REPLY, ROUTINE = 0, 10, 50


class OutboundMessage(Base):
    """A message to a phone, stored before it is sent; its id goes into the StatusCallback URL."""

    __tablename__ = "outbound_messages"
    __table_args__ = (Index("ix_outbound_messages_due", "status", "priority", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int | None] = mapped_column(ForeignKey("returnees.id"), index=True)
    # Sealed (core.encryption); a conversation's messages are found by the number's index.
    phone = Sealed(index="phone")
    phone_sealed: Mapped[str | None] = mapped_column("phone", SealedText)
    phone_index: Mapped[str | None] = mapped_column(String(INDEX_LENGTH), index=True)
    channel: Mapped[Channel] = mapped_column(value_enum(Channel))
    template: Mapped[str] = mapped_column(String(60), default="")
    language: Mapped[str] = mapped_column(String(8), default="es")
    # Sealed (core.encryption): the text names the person; NULL once retention erased it.
    body = Sealed()
    body_sealed: Mapped[str | None] = mapped_column("body", SealedText)
    # An approved WhatsApp template (outside the 24-hour window) and its variables (sealed).
    content_sid: Mapped[str] = mapped_column(String(40), default="")
    content_variables = Sealed(JSON_VALUE, default=dict)
    content_variables_sealed: Mapped[str | None] = mapped_column("content_variables", SealedText)
    # Found by ix_outbound_messages_due, which leads with it.
    status: Mapped[MessageStatus] = mapped_column(
        value_enum(MessageStatus), default=MessageStatus.QUEUED
    )
    twilio_sid: Mapped[str | None] = mapped_column(String(40), unique=True)
    error_code: Mapped[int | None] = mapped_column(Integer)
    # Sealed: the gateway's words may quote the number ("... to +502...: unsubscribed"); NULL
    # once retention or erasure cleared it.
    error_message = Sealed()
    error_message_sealed: Mapped[str | None] = mapped_column("error_message", SealedText)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A call (channel voice) placed again after a busy line, no answer or an answering machine.
    redials: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Lower goes first: 0 an alert to staff on call, 10 a reply to the person, 50 a check-in.
    priority: Mapped[int] = mapped_column(Integer, default=ROUTINE, server_default="50")
    # False only for replies to a keyword (STOP's confirmation, HELP): sent whatever the consent.
    needs_consent: Mapped[bool] = mapped_column(default=True)
    # Set when a send may have gone out (a 5xx or a timeout): resolve it before any resend.
    is_ambiguous: Mapped[bool] = mapped_column(default=False)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # When a status callback (or the API) first said "sent" or later: what reply timers count from.
    confirmed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class InboundMessage(Base):
    """A message someone sent us; one row per Twilio MessageSid, however often it is delivered."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(40), unique=True)
    # Sealed (core.encryption): E.164, or as Twilio sent it when it is not a number.
    from_number = Sealed(index="phone")
    from_number_sealed: Mapped[str | None] = mapped_column("from_number", SealedText)
    from_number_index: Mapped[str | None] = mapped_column(String(INDEX_LENGTH), index=True)
    # The country the number calls from (its prefix): whose staff see it while nobody holds it;
    # None for another country's number, seen by admins only.
    sender_country: Mapped[Country | None] = mapped_column(value_enum(Country, length=2))
    channel: Mapped[Channel] = mapped_column(value_enum(Channel))
    # Sealed, as is the whole request Twilio sent (payload), which repeats the text.
    body = Sealed()
    body_sealed: Mapped[str | None] = mapped_column("body", SealedText)
    media_count: Mapped[int] = mapped_column(Integer, default=0)
    # None: nobody has this number; it waits in the unmatched inbox for staff.
    returnee_id: Mapped[int | None] = mapped_column(ForeignKey("returnees.id"), index=True)
    keyword: Mapped[str] = mapped_column(String(10), default="")
    received_at: Mapped[datetime] = mapped_column(index=True)
    handled_at: Mapped[datetime | None]
    payload = Sealed(JSON_VALUE, default=dict)
    payload_sealed: Mapped[str | None] = mapped_column("payload", SealedText)


class ConsentChange(Base):
    """Every change of a phone's consent to be contacted: when, to what, and why."""

    __tablename__ = "consent_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone = Sealed(index="phone")
    phone_sealed: Mapped[str | None] = mapped_column("phone", SealedText)
    phone_index: Mapped[str | None] = mapped_column(String(INDEX_LENGTH), index=True)
    returnee_id: Mapped[int | None] = mapped_column(ForeignKey("returnees.id"), index=True)
    has_consent: Mapped[bool]
    source: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime]


class MessageTemplate(Base):
    """The wording of one message in one language; WhatsApp may need its approved Content SID."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("key", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    whatsapp_content_sid: Mapped[str] = mapped_column(String(40), default="")
    # On the Spanish wording only: a call may have Twilio <Say> this text when no recording
    # exists. Off unless an admin allows it: Twilio's Spanish voice mangles names and places.
    voice_say_allowed: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class VoicePrompt(Base):
    """A recorded prompt: one audio file per template key and language, played by voice calls.
    The audio itself is in the prompt storage (messaging.prompt_storage) under storage_key."""

    __tablename__ = "voice_prompts"
    __table_args__ = (UniqueConstraint("template_key", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_key: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(8))
    storage_key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    byte_size: Mapped[int] = mapped_column(Integer)
    duration_seconds: Mapped[float] = mapped_column(Float)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]
