"""Write the audit trail. Every service that shows or changes a record calls `record_event`.

An entry names records by their ids and says what happened in codes and numbers: never a
name, a phone number or a text someone typed (those stay in their own rows, which the reader
of the trail opens through the record, within their scope)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import Select, func, insert, literal, select
from sqlalchemy.orm import Session

from returnees.audit.chain import track
from returnees.audit.models import AccessReason, AuditAction, AuditEntry, AuditEntryPerson
from returnees.core.clock import utcnow
from returnees.core.db import update_each

# Record types whose id is a person's id.
PERSON_RECORDS = frozenset({"returnee", "returnee_referrals", "risk_flag", "returnee_audit"})
# Detail keys that name one person, and the one that names several (a list shown).
PERSON_KEYS = ("returnee", "returnee_id")
PEOPLE_KEY = "returnees"
# How many of a bulk export's rows one statement naming its people reads, about: see
# name_people_shown.
PEOPLE_BATCH = 20_000


class Auditable(Protocol):
    """Who acts: a signed-in user, or the system (a CLI command, a job)."""

    user_id: int | None
    label: str
    address: str


def record_event(
    session: Session,
    actor: Auditable,
    action: AuditAction,
    record_type: str = "",
    record_id: object = "",
    **detail: Any,
) -> AuditEntry:
    """Append one entry to the audit trail, in the caller's transaction; it joins the chain
    when that transaction commits."""
    entry = AuditEntry(
        at=utcnow(),
        user_id=actor.user_id,
        actor=actor.label,
        address=actor.address,
        action=action,
        record_type=record_type,
        record_id=str(record_id),
        detail=detail,
    )
    named = people_named(record_type, record_id, detail)
    entry.people = [AuditEntryPerson(returnee_id=person) for person in named]
    session.add(entry)
    track(session, entry)
    return entry


def record_view(
    session: Session, actor: Auditable, record_type: str, record_id: object, **detail: Any
) -> AuditEntry:
    """Write that a person's record (or part of it, or a list of people) was shown."""
    return record_event(session, actor, AuditAction.VIEW, record_type, record_id, **detail)


def record_list_shown(
    session: Session,
    actor: Auditable,
    record_type: str,
    people: Iterable[int | None],
    record_id: object = "",
    **ids: Iterable[int],
) -> AuditEntry | None:
    """Write ONE entry for a page or answer that listed people: the ids of everyone it showed
    (and of the other records it listed, such as a list's passengers, as `ids`). Nothing when
    it showed nobody."""
    shown = sorted({person for person in people if person is not None})
    listed = {key: sorted(set(values)) for key, values in ids.items()}
    listed = {key: values for key, values in listed.items() if values}
    if not shown and not listed:
        return None
    return record_view(session, actor, record_type, record_id, **{PEOPLE_KEY: shown}, **listed)


def name_people_shown(session: Session, entry: AuditEntry, people: Select) -> None:
    """Name on `entry` every person `people` (a query of one column of returnee ids) selects,
    in the database itself: a bulk export shows up to a whole country, far too many ids to
    carry through Python, and each person's "who looked" must still find it.

    One INSERT ... SELECT per range of ids, the ranges of equal width between the lowest and
    the highest id the query gives, as many as its rows make PEOPLE_BATCH each: a statement
    reads about PEOPLE_BATCH of its rows and writes their people in id order. Written in one
    statement, the 1,000,000 people of a country's export took 24 s (each row checked against
    the entry by its foreign key, the checks held in the server's memory until the statement
    ends), five times the web's statement limit; a range at a time, 56 statements of at most
    1.7 s, 29 s in all. The ranges are taken after the export's own query began, so they hold
    everyone in its file."""
    session.flush()
    chosen = people.subquery()
    person = chosen.c[0]
    rows, lowest, highest = session.execute(
        select(func.count(person), func.min(person), func.max(person))
    ).one()
    if not rows:
        return
    ranges = -(-rows // PEOPLE_BATCH)
    width = -(-(highest - lowest + 1) // ranges)
    for start in range(lowest, highest + 1, width):
        session.execute(
            insert(AuditEntryPerson).from_select(
                ["entry_id", "returnee_id"],
                select(literal(entry.id), person)
                .where(person >= start, person < start + width)
                .distinct()
                .order_by(person),
            )
        )


def people_named(record_type: str, record_id: object, detail: dict[str, Any]) -> list[int]:
    """The people an entry is about or showed, by the conventions above."""
    named: set[int] = set()
    if record_type in PERSON_RECORDS and str(record_id).isdigit():
        named.add(int(str(record_id)))
    for key in PERSON_KEYS:
        if isinstance(detail.get(key), int):
            named.add(detail[key])
    named.update(value for value in detail.get(PEOPLE_KEY, ()) if isinstance(value, int))
    return sorted(named)


def state_reason(session: Session, actor: Auditable, text: str) -> int:
    """Keep the reason given for an opening; its id goes in the entry (`reason_id`)."""
    reason = AccessReason(given_at=utcnow(), user_id=actor.user_id, text=text)
    session.add(reason)
    session.flush()
    return reason.id


def reasons_given(session: Session, entries: Iterable[AuditEntry]) -> dict[int, str]:
    """The reasons these entries name, by id (for the readers of the trail)."""
    ids = {entry.detail.get("reason_id") for entry in entries} - {None}
    if not ids:
        return {}
    reasons = session.scalars(select(AccessReason).where(AccessReason.id.in_(ids)))
    return {reason.id: reason.text for reason in reasons}


def reasons_about(session: Session, returnee_id: int) -> list[int]:
    """The reasons given to open this person's record or referrals: those the entries that
    name the person name (by `reason_id`)."""
    reason_id = AuditEntry.detail["reason_id"].as_integer()
    query = (
        select(reason_id)
        .join(AuditEntryPerson, AuditEntryPerson.entry_id == AuditEntry.id)
        .where(AuditEntryPerson.returnee_id == returnee_id, reason_id.is_not(None))
    )
    return sorted(set(session.scalars(query)))


def erase_reasons(session: Session, reason_ids: Iterable[int], mark: str) -> None:
    """Replace the words of these reasons with `mark`, when the person they were given about
    is erased: the one change an access reason takes. Made by a statement of its own, past
    the ORM's refusal to change a reason (models._refuse_change), which still refuses every
    other change. The chain is untouched: entries hash the reason's id, never its words."""
    ids = sorted(set(reason_ids))
    update_each(session, AccessReason, ids, {"text": mark})
    for reason_id in ids:
        loaded = session.identity_map.get(session.identity_key(AccessReason, reason_id))
        if loaded is not None:
            session.expire(loaded)
