"""Read messages: a person's conversation, the simulated phones, the unmatched inbox."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.centres.models import Country
from returnees.core.encryption import phone_index
from returnees.messaging.models import InboundMessage, MessageStatus, OutboundMessage
from returnees.people.identity import country_of_phone
from returnees.people.models import Channel, Phone, Returnee
from returnees.people.scope import returnee_scope


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
    among: Collection[int] | None = None,
) -> list[ConversationLine]:
    """Messages to and from a person (by their record) or a phone (by its numbers), oldest first.

    On a person's record only their own messages show, not a sibling's on a shared phone; on a
    phone, `among` keeps only the messages of these people.
    """
    if returnee_id is not None:
        outbound = select(OutboundMessage).where(OutboundMessage.returnee_id == returnee_id)
        inbound = select(InboundMessage).where(InboundMessage.returnee_id == returnee_id)
    elif numbers:
        indexes = [phone_index(number) for number in numbers]
        outbound = select(OutboundMessage).where(OutboundMessage.phone_index.in_(indexes))
        inbound = select(InboundMessage).where(InboundMessage.from_number_index.in_(indexes))
        if among is not None:
            outbound = outbound.where(OutboundMessage.returnee_id.in_(among))
            inbound = inbound.where(InboundMessage.returnee_id.in_(among))
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
class SimulatedCall:
    """A call to a simulated phone: ringing (sending), picked up (sent) or over (delivered)."""

    message_id: int
    template: str
    status: str


@dataclass(frozen=True)
class SimulatedPhone:
    number: str
    owners: list[str]
    lines: list[ConversationLine]
    nationality: Country  # its first owner's: whose sending window it waits for
    owner_ids: list[int]  # the people it names, for the audit of the page
    calls: list[SimulatedCall] = field(default_factory=list)  # the latest, oldest first


def simulated_phones(session: Session, actor: Actor, limit: int = 30) -> list[SimulatedPhone]:
    """The phones of the most recently registered people the actor reaches, each with what it
    received: only their names and messages, not those of a sibling outside the actor's scope
    who shares the phone."""
    rows = session.execute(
        select(
            Phone, Returnee.id, Returnee.given_names, Returnee.family_names, Returnee.nationality
        )
        .join(Returnee, Phone.returnee_id == Returnee.id)
        .where(returnee_scope(actor, session))
        .order_by(Returnee.updated_at.desc(), Phone.id.desc())
        .limit(limit * 3)
    ).all()
    owners: dict[str, list[str]] = {}
    holders: dict[str, set[int]] = {}
    countries: dict[str, Country] = {}
    for phone, returnee_id, given, family, nationality in rows:
        number = phone.number
        if returnee_id not in holders.setdefault(number, set()):
            owners.setdefault(number, []).append(f"{given} {family}")
            holders[number].add(returnee_id)
        countries.setdefault(number, nationality)
    return [
        SimulatedPhone(
            n,
            owners[n],
            conversation(session, [n], limit=20, among=holders[n]),
            countries[n],
            sorted(holders[n]),
            recent_calls(session, n, holders[n]),
        )
        for n in list(owners)[:limit]
    ]


CALL_SHOWN = (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED)


def recent_calls(
    session: Session, number: str, among: Collection[int], limit: int = 3
) -> list[SimulatedCall]:
    """The latest calls placed to this number for these people, still ringing or taken."""
    query = (
        select(OutboundMessage.id, OutboundMessage.template, OutboundMessage.status)
        .where(
            OutboundMessage.phone_index == phone_index(number),
            OutboundMessage.channel == Channel.VOICE,
            OutboundMessage.status.in_(CALL_SHOWN),
            OutboundMessage.returnee_id.in_(among),
        )
        .order_by(OutboundMessage.id.desc())
        .limit(limit)
    )
    found = [
        SimulatedCall(row.id, row.template, row.status.value) for row in session.execute(query)
    ]
    return found[::-1]


def may_answer_as(session: Session, actor: Actor, number: str) -> bool:
    """Whether the actor may answer on the simulator as this number: one held by someone in
    their scope; one held by nobody (a stranger writing in), a supervisor of the country its
    calling code names, who reads the unmatched inbox such a message lands in."""
    holders = select(Phone.returnee_id).where(Phone.number_index == phone_index(number))
    if session.scalar(holders.limit(1)) is None:
        return actor.role is Role.SUPERVISOR and country_of_phone(number) == actor.country
    reached = select(Returnee.id).where(Returnee.id.in_(holders), returnee_scope(actor, session))
    return session.scalar(reached.limit(1)) is not None
