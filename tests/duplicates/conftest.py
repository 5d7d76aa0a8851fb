"""Fixtures for duplicates: one person registered twice, with what hangs on each record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.duplicates.finding import find_duplicate_pairs
from returnees.duplicates.models import DuplicatePair
from returnees.referrals.models import PartnerOrganisation
from returnees.referrals.services import make_referral
from tests.casework.conftest import offices  # noqa: F401 - two offices with their coverage

BRENDA = {
    "given_names": "Brenda Yesenia",
    "family_names": "Coc Pop",
    "birth_date": date(2010, 3, 5),
    "estimated_age": None,
    "sex": "F",
}


@dataclass
class Twins:
    """The same child registered twice at La Aurora: months apart, each time travelling alone,
    each record with its arrival, custody, check-ins, case and a referral."""

    older: int
    newer: int
    supervisor: User


@pytest.fixture
def supervisor(make_user, demo) -> User:
    return make_user(Role.SUPERVISOR, "GT-AURORA", name="Sara Supervisora")


@pytest.fixture
def refer(in_app, supervisor):
    def make(returnee_id: int) -> int:
        with in_app() as session:
            partner = session.scalar(
                select(PartnerOrganisation).where(PartnerOrganisation.country == "GT")
            )
            referral = make_referral(
                session,
                Actor.for_user(supervisor),
                returnee_id,
                partner.id,
                partner.services[0].kind.value,
                has_consent=True,
            )
            return referral.id

    return make


@pytest.fixture
def twins(register, refer, supervisor) -> Twins:
    first = register(
        **BRENDA,
        is_unaccompanied=True,
        phones=("+50255550101",),
        arrived_at=datetime(2026, 10, 20, 15, 0, tzinfo=UTC),
    )
    second = register(
        **(BRENDA | {"given_names": "Brenda Jesenia"}),
        is_unaccompanied=True,
        phones=("+50255550102",),
        arrived_at=datetime(2026, 11, 30, 15, 0, tzinfo=UTC),
    )
    refer(first.returnee_id)
    refer(second.returnee_id)
    return Twins(first.returnee_id, second.returnee_id, supervisor)


@pytest.fixture
def search(in_app):
    """Run the nightly search of Guatemala's registry; the pairs stored after it."""

    def run(country: str = "GT") -> list[tuple[int, int, str, int, list[str]]]:
        with in_app() as session:
            find_duplicate_pairs(session, country)
        with in_app() as session:
            pairs = session.scalars(select(DuplicatePair).order_by(DuplicatePair.id))
            return [(p.first_id, p.second_id, p.status.value, p.weight, p.reasons) for p in pairs]

    return run
