"""Closed cases are anonymised CASE_RETENTION_YEARS (5) after closing, by a periodic job, as an
approved erasure would: only people with no case open and no arrival since."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from returnees.casework.models import Case, CaseStatus, CloseReason
from returnees.core.scheduler import periodic_jobs
from returnees.people.models import Returnee
from returnees.reception.models import Arrival
from returnees.rights.jobs import apply_case_retention
from returnees.rights.models import Erasure


def closed_ago(register, in_app, clock, name: str, closed: timedelta, phone: str = ""):
    """Someone who arrived, was followed and whose case closed `closed` ago; their id."""
    arrival = register(given_names=name, phones=(phone,) if phone else ())
    with in_app() as session:
        session.get(Arrival, arrival.id).arrived_at = clock.now() - closed - timedelta(days=90)
        case = session.scalar(select(Case).where(Case.returnee_id == arrival.returnee_id))
        case.status, case.close_reason = CaseStatus.CLOSED, CloseReason.REINTEGRATED
        case.closed_at = clock.now() - closed
    return arrival.returnee_id


def run_retention(in_app) -> int:
    with in_app() as session:
        return apply_case_retention(session)


def given_names(in_app, returnee_id: int) -> str:
    with in_app() as session:
        return session.get(Returnee, returnee_id).given_names


def test_a_case_closed_five_years_ago_is_anonymised_and_a_recent_one_is_not(
    register, in_app, clock
):
    old = closed_ago(register, in_app, clock, "Olvido", timedelta(days=5 * 365 + 2), "5550 4411")
    recent = closed_ago(register, in_app, clock, "Reciente", timedelta(days=4 * 365))
    assert run_retention(in_app) == 1
    assert given_names(in_app, old) == "—"
    assert given_names(in_app, recent) == "Reciente"
    with in_app() as session:
        person = session.get(Returnee, old)
        assert person.phones == [] and person.arrivals_count == 1
        [erasure] = session.scalars(select(Erasure).where(Erasure.returnee_id == old)).all()
        assert erasure.is_retention and erasure.status.value == "done"
    assert run_retention(in_app) == 0, "an erased person was erased again"


def test_an_open_case_or_a_later_arrival_keeps_the_person(register, in_app, clock):
    came_back = closed_ago(register, in_app, clock, "Volvió", timedelta(days=6 * 365))
    with in_app() as session:
        session.add(
            Case(
                returnee_id=came_back,
                status=CaseStatus.OPEN,
                opened_at=clock.now() - timedelta(days=30),
            )
        )
    arrived_since = closed_ago(register, in_app, clock, "Llegó", timedelta(days=6 * 365))
    with in_app() as session:
        arrival = session.scalar(select(Arrival).where(Arrival.returnee_id == arrived_since))
        arrival.arrived_at = clock.now() - timedelta(days=365)
    assert run_retention(in_app) == 0
    assert given_names(in_app, came_back) == "Volvió"
    assert given_names(in_app, arrived_since) == "Llegó"


def test_the_years_come_from_the_settings(register, in_app, clock, app, monkeypatch):
    old = closed_ago(register, in_app, clock, "Paciencia", timedelta(days=6 * 365))
    monkeypatch.setitem(app.config, "CASE_RETENTION_YEARS", 10)
    assert run_retention(in_app) == 0
    monkeypatch.setitem(app.config, "CASE_RETENTION_YEARS", 5)
    assert run_retention(in_app) == 1
    assert given_names(in_app, old) == "—"


def test_retention_is_a_periodic_job(app):
    assert "apply-case-retention" in {job.id for job in periodic_jobs(app)}
