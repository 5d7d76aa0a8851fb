"""Fixtures for referrals: a person at GT-AURORA with a phone, staff in and out of their region,
partner organisations, and helpers to refer, assign and move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import select

from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.casework.models import Case, CaseStatus
from returnees.referrals.models import Referral
from returnees.referrals.services import PartnerEntry, create_partner, make_referral


@dataclass
class World:
    returnee_id: int
    worker: User  # social worker in the person's region (Guatemala)
    other_worker: User  # social worker of the same region, not assigned
    far_worker: User  # social worker in another region (San Marcos)
    supervisor: User
    admin: User
    reception: User


@pytest.fixture
def world(register, make_user) -> World:
    arrival = register(centre="GT-AURORA", given_names="Lucía", phones=("5555 1234",))
    return World(
        returnee_id=arrival.returnee_id,
        worker=make_user(Role.SOCIAL_WORKER, "GT-AURORA"),
        other_worker=make_user(Role.SOCIAL_WORKER, "GT-AURORA"),
        far_worker=make_user(Role.SOCIAL_WORKER, "GT-TECUN"),
        supervisor=make_user(Role.SUPERVISOR, "GT-AURORA"),
        admin=make_user(Role.ADMIN, "GT-AURORA"),
        reception=make_user(Role.RECEPTION, "GT-AURORA"),
    )


@pytest.fixture
def make_partner(in_app):
    """A partner organisation in Guatemala offering psychosocial and health care by default."""

    def make(**overrides: object):
        values = {
            "name": "Clínica Comunitaria Luz",
            "kind": "health",
            "country": "GT",
            "services": ("psychosocial", "health"),
            "region": "Guatemala",
        } | overrides
        with in_app() as session:
            return create_partner(session, Actor.system("test"), PartnerEntry(**values))

    return make


@pytest.fixture
def partner(make_partner):
    return make_partner()


def actor_of(session, user: User) -> Actor:
    return Actor.for_user(session.get(User, user.id))


@pytest.fixture
def refer(in_app, world, partner):
    """Make a referral for the world's person, by the world's worker unless `by` is given."""

    def make(by: User | None = None, **overrides: object) -> Referral:
        values = {
            "organisation_id": partner.id,
            "service": "psychosocial",
            "has_consent": True,
            "is_protection": False,
            "note": "Needs support after the journey.",
        } | overrides
        with in_app() as session:
            return make_referral(
                session, actor_of(session, by or world.worker), world.returnee_id, **values
            )

    return make


@pytest.fixture
def assign(in_app):
    """Assign a social worker to the person's open case (opening one if there is none)."""

    def to(returnee_id: int, worker: User) -> None:
        with in_app() as session:
            case = session.scalar(
                select(Case).where(
                    Case.returnee_id == returnee_id, Case.status != CaseStatus.CLOSED
                )
            )
            if case is None:
                case = Case(returnee_id=returnee_id, status=CaseStatus.OPEN, opened_at=_now())
                session.add(case)
            case.assigned_to_id, case.assigned_at = worker.id, _now()

    return to


def _now() -> datetime:
    from returnees.core.clock import utcnow

    return utcnow()


def referral_row(in_app, referral_id: int) -> Referral:
    with in_app() as session:
        found = session.get(Referral, referral_id)
        found.organisation  # noqa: B018 - loaded before the session closes
        return found
