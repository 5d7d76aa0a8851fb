"""Read messages: a person's conversation, the simulated phones, the unmatched inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.centres.models import Country
from returnees.core.encryption import phone_index
from returnees.messaging.models import InboundMessage, OutboundMessage
from returnees.people.models import Phone, Returnee


@dataclass(frozen=True)
class ConversationLine:
    at: datetime
    is_inbound: bool
    phone: str
    channel: str
    body: str
    status: str
    error: str


def conversation(
    session: Session,
    numbers: list[str] | None = None,
    returnee_id: int | None = None,
    limit: int = 200,
) -> list[ConversationLine]:
    """Messages to and from a person (by their record) or a phone (by its numbers), oldest first.

    On a person's record only their own messages show, not a sibling's on a shared phone.
    """
    if returnee_id is not None:
        outbound = select(OutboundMessage).where(OutboundMessage.returnee_id == returnee_id)
        inbound = select(InboundMessage).where(InboundMessage.returnee_id == returnee_id)
    elif numbers:
        indexes = [phone_index(number) for number in numbers]
        outbound = select(OutboundMessage).where(OutboundMessage.phone_index.in_(indexes))
        inbound = select(InboundMessage).where(InboundMessage.from_number_index.in_(indexes))
    else:
        return []
    lines = [
        ConversationLine(
            m.created_at,
            False,
            m.phone,
            m.channel.value,
            m.body,
            m.status.value,
            f"{m.error_code or ''} {m.error_message}".strip(),
        )
        for m in session.scalars(outbound.order_by(OutboundMessage.id.desc()).limit(limit))
    ] + [
        ConversationLine(m.received_at, True, m.from_number, m.channel.value, m.body, "", "")
        for m in session.scalars(inbound.order_by(InboundMessage.id.desc()).limit(limit))
    ]
    return sorted(lines, key=lambda line: line.at)[-limit:]


@dataclass(frozen=True)
class SimulatedPhone:
    number: str
    owners: list[str]
    lines: list[ConversationLine]
    nationality: Country  # its first owner's: whose sending window it waits for


def simulated_phones(session: Session, limit: int = 30) -> list[SimulatedPhone]:
    """The phones of the most recently registered people, each with what it received."""
    rows = session.execute(
        select(Phone, Returnee.given_names, Returnee.family_names, Returnee.nationality)
        .join(Returnee, Phone.returnee_id == Returnee.id)
        .order_by(Returnee.updated_at.desc(), Phone.id.desc())
        .limit(limit * 3)
    ).all()
    owners: dict[str, list[str]] = {}
    countries: dict[str, Country] = {}
    for phone, given, family, nationality in rows:
        owners.setdefault(phone.number, []).append(f"{given} {family}")
        countries.setdefault(phone.number, nationality)
    return [
        SimulatedPhone(n, owners[n], conversation(session, [n], limit=20), countries[n])
        for n in list(owners)[:limit]
    ]
