"""People as the audit trail names them: a record about a person reads as the person's name,
linking to their record, for a reader who may open it."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from returnees.audit.targets import Target, link_for, names_in_audit, number_ids
from returnees.auth.access import Actor
from returnees.people.models import Returnee
from returnees.people.scope import returnee_scope
from returnees.people.services import PEOPLE_ROLES


def people_in_audit(
    session: Session, reader: Actor, person_of: dict[str, int]
) -> dict[str, Target]:
    """Records by id, named as the person each concerns, when the reader may open that
    person's record; the others stay unnamed."""
    if reader.role not in PEOPLE_ROLES or not person_of:
        return {}
    query = select(Returnee).where(
        Returnee.id.in_(set(person_of.values())), returnee_scope(reader, session)
    )
    people = {person.id: person for person in session.scalars(query)}
    return {
        record_id: Target(
            people[person].full_name, link_for(reader, "people.record", returnee_id=person)
        )
        for record_id, person in person_of.items()
        if person in people
    }


def people_of_records(
    session: Session,
    reader: Actor,
    ids: set[str],
    record_id: InstrumentedAttribute,
    returnee_id: InstrumentedAttribute,
) -> dict[str, Target]:
    """Records of one table (a case, a task, a referral) named as the person each concerns."""
    numbers = number_ids(ids)
    rows = session.execute(select(record_id, returnee_id).where(record_id.in_(numbers.values())))
    person_of = {str(found): person for found, person in rows if person is not None}
    return people_in_audit(session, reader, person_of)


def name_people_in_audit(blueprint: Blueprint, record_type: str, model: type) -> None:
    """Name the records of a table with a `returnee_id` (a case, a task) as their person."""

    @names_in_audit(blueprint, record_type)
    def name(session: Session, reader: Actor, ids: set[str]) -> dict[str, Target]:
        return people_of_records(session, reader, ids, model.id, model.returnee_id)
