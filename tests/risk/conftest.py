"""People with known inputs to the risk rules, built through the services that record them."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from returnees.auth.access import Actor
from returnees.followups.models import CheckIn, CheckInState, Indicator, IndicatorReading
from returnees.reception.intake import ArrivalEntry, Intake
from returnees.reception.services import ScreeningEntry, add_return, record_screening
from returnees.risk.models import RiskFlag, RiskLevelChange
from returnees.tasks.models import Task, TaskKind

SYSTEM = Actor.system("test")


@pytest.fixture
def screen(in_app):
    """Record a screening of an arrival through reception (which publishes the event)."""

    def record(arrival_id: int, **answers: object) -> None:
        with in_app() as session:
            record_screening(session, SYSTEM, arrival_id, ScreeningEntry(**answers))

    return record


@pytest.fixture
def returns_again(in_app):
    """Register another return of the same person; returns the new arrival's id."""

    def add(returnee_id: int, arrived_at: datetime | None = None) -> int:
        intake = Intake(
            given_names="Ana",
            family_names="López",
            estimated_age=25,
            sex="F",
            nationality="GT",
            arrival=ArrivalEntry(centre="GT-AURORA", arrived_at=arrived_at),
        )
        with in_app() as session:
            return add_return(session, SYSTEM, returnee_id, intake).id

    return add


@pytest.fixture
def note(in_app):
    """Note a reading of an indicator on a person, as an answer to a check-in does."""

    def add(returnee_id: int, indicator: Indicator, value: bool, at: datetime) -> None:
        with in_app() as session:
            session.add(
                IndicatorReading(
                    returnee_id=returnee_id, indicator=indicator, value=value, observed_at=at
                )
            )

    return add


@pytest.fixture
def outcomes(in_app):
    """Give a person's planned check-ins outcomes, latest first: 'u' unanswered, 'a' answered."""

    def give(returnee_id: int, latest_first: str) -> None:
        with in_app() as session:
            check_ins = session.scalars(
                select(CheckIn)
                .where(CheckIn.returnee_id == returnee_id)
                .order_by(CheckIn.due_at.desc(), CheckIn.id.desc())
            ).all()
            assert len(check_ins) >= len(latest_first), "register the person with a phone"
            states = {"u": CheckInState.UNANSWERED, "a": CheckInState.ANSWERED}
            for check_in, code in zip(check_ins, latest_first, strict=False):
                check_in.state = states[code]

    return give


@pytest.fixture
def flag_of(in_app):
    def get(returnee_id: int) -> RiskFlag | None:
        with in_app() as session:
            return session.get(RiskFlag, returnee_id)

    return get


@pytest.fixture
def changes_of(in_app):
    """(from, to, changed_by) of each change of a person's level, oldest first."""

    def get(returnee_id: int) -> list[tuple[str | None, str, str]]:
        with in_app() as session:
            rows = session.scalars(
                select(RiskLevelChange)
                .where(RiskLevelChange.returnee_id == returnee_id)
                .order_by(RiskLevelChange.id)
            )
            return [
                (r.from_level.value if r.from_level else None, r.to_level.value, r.changed_by)
                for r in rows
            ]

    return get


@pytest.fixture
def high_risk_tasks(in_app):
    """(status, reason) of each HIGH_RISK task of a person, oldest first."""

    def get(returnee_id: int) -> list[tuple[str, str]]:
        with in_app() as session:
            tasks = session.scalars(
                select(Task)
                .where(Task.returnee_id == returnee_id, Task.kind == TaskKind.HIGH_RISK)
                .order_by(Task.id)
            )
            return [(task.status.value, task.reason) for task in tasks]

    return get


@pytest.fixture
def rescore(in_app):
    """Score these people again now, as a handler does."""
    from returnees.risk.services import assess

    def run(*returnee_ids: int) -> int:
        with in_app() as session:
            return assess(session, returnee_ids)

    return run
