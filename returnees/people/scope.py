"""Whose records an actor reaches: one rule, written once, that every list, queue, search,
record, referral, task and API answer about people applies.

- An admin (or the system) reaches everyone; a supervisor, the people of their country's centres.
- A social worker reaches the people whose case their office follows, and those whose case
  they are assigned. One still at a reception centre (not yet moved to an office) reaches the
  people followed by the offices of their centre's region, and those of the region's centres
  whose case waits to be routed.
- A desk reaches the people it registered until RECEPTION_SCOPE_DAYS after their arrival, and
  a child in custody until the handover, from the desk and from the shelter holding them.
- A supervisor or social worker who opened one record outside their scope by giving a reason
  (break-glass) reaches that one person, for BREAK_GLASS_HOURS: the record and what hangs on
  it, not the lists and searches (`covers_returnee`, not `returnee_scope`).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import Session

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.centres.models import Centre, CentreKind
from returnees.core.clock import utcnow
from returnees.core.db import Base, among
from returnees.people.models import BreakGlassGrant, Returnee

BREAK_GLASS_ROLES = (Role.SUPERVISOR, Role.SOCIAL_WORKER)


def returnee_scope(
    actor: Actor, session: Session | None = None, *, with_assigned: bool = True
) -> ColumnElement[bool]:
    """The rule, as a condition on returnees. With a session, the centres it names are read
    first and written into the condition as a list (the queue's plans stay on their indexes).

    `with_assigned=False` leaves out a social worker's assigned cases: the queue does, since a
    case's worker belongs to its office (an assignment needs it, and a move of office clears
    it), and the extra branch would make PostgreSQL read every person to find a few."""
    if actor.is_system or actor.role is Role.ADMIN:
        return true()
    if actor.role is Role.SUPERVISOR:
        country = select(Centre.id).where(Centre.country == actor.country)
        return _among_centres(session, Returnee.centre_id, country)
    if actor.role is Role.SOCIAL_WORKER:
        followed = _followed_by(actor, session)
        return or_(followed, Returnee.id.in_(_assigned_to(actor))) if with_assigned else followed
    if actor.role is Role.RECEPTION:
        return or_(
            Returnee.id.in_(_registered_lately(actor)), Returnee.id.in_(_in_custody_at(actor))
        )
    return false()


def in_region(actor: Actor, session: Session | None = None) -> ColumnElement[bool]:
    """The people followed up in the actor's region: by its offices, or, waiting to be
    routed, registered at its centres (the queue's "my region")."""
    region = select(Centre.id).where(Centre.country == actor.country, Centre.region == actor.region)
    offices = region.where(Centre.kind == CentreKind.OFFICE)
    return or_(
        _among_centres(session, Returnee.office_id, offices),
        and_(Returnee.office_id.is_(None), _among_centres(session, Returnee.centre_id, region)),
    )


def _among_centres(session: Session | None, column, centres: Select) -> ColumnElement[bool]:
    if session is None:
        return column.in_(centres)
    ids = list(session.scalars(centres))
    return among(session, column, ids) if ids else false()


def covers_returnee(session: Session, actor: Actor, returnee: Returnee) -> bool:
    """The same rule for one person, or a break-glass grant on them."""
    return in_ordinary_scope(session, actor, returnee) or bool(
        grant_on(session, actor, returnee.id)
    )


def in_ordinary_scope(session: Session, actor: Actor, returnee: Returnee) -> bool:
    """The rule for one person, without break-glass."""
    if actor.is_system or actor.role is Role.ADMIN:
        return True
    reached = select(Returnee.id).where(Returnee.id == returnee.id, returnee_scope(actor))
    return session.scalar(reached) is not None


def grant_on(session: Session, actor: Actor, returnee_id: int) -> int | None:
    """The break-glass grant through which the actor reaches this person now, if any."""
    if actor.user_id is None or actor.role not in BREAK_GLASS_ROLES:
        return None
    return session.scalar(
        select(BreakGlassGrant.id)
        .where(
            BreakGlassGrant.user_id == actor.user_id,
            BreakGlassGrant.returnee_id == returnee_id,
            BreakGlassGrant.expires_at > utcnow(),
        )
        .order_by(BreakGlassGrant.expires_at.desc())
        .limit(1)
    )


def _followed_by(actor: Actor, session: Session | None) -> ColumnElement[bool]:
    if actor.at_office:
        return Returnee.office_id == actor.centre_id
    return in_region(actor, session)


def _assigned_to(actor: Actor):
    cases = Base.metadata.tables["cases"]
    return select(cases.c.returnee_id).where(
        cases.c.assigned_to_id == actor.user_id, cases.c.status != "closed"
    )


def _registered_lately(actor: Actor):
    """People with an arrival at the actor's desk in the last RECEPTION_SCOPE_DAYS."""
    arrivals = Base.metadata.tables["arrivals"]
    days = timedelta(days=current_app.config["RECEPTION_SCOPE_DAYS"])
    return select(arrivals.c.returnee_id).where(
        arrivals.c.centre_id == actor.centre_id, arrivals.c.arrived_at >= utcnow() - days
    )


def _in_custody_at(actor: Actor):
    """Children not yet handed over who arrived at the actor's desk or are in its shelter."""
    arrivals, custodies = Base.metadata.tables["arrivals"], Base.metadata.tables["custodies"]
    return (
        select(arrivals.c.returnee_id)
        .join(custodies, custodies.c.arrival_id == arrivals.c.id)
        .where(
            custodies.c.status != "handed_over",
            or_(
                arrivals.c.centre_id == actor.centre_id,
                custodies.c.shelter_id == actor.centre_id,
            ),
        )
    )
