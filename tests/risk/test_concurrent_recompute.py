"""Several workers running the nightly recompute at once, on PostgreSQL with separate committed
connections (not the rolled-back test transaction): each person is scored by one of them, once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select

from returnees import create_app
from returnees.centres.models import Centre, CentreKind, Country
from returnees.core.clock import EXTENSION as CLOCK
from returnees.core.clock import FixedClock
from returnees.core.db import EXTENSION as DB
from returnees.core.db import get_session
from returnees.people.models import Returnee, Sex
from returnees.reception.models import Arrival, Screening, TravelMode
from returnees.risk.models import RiskFlag, RiskLevelChange
from returnees.risk.services import recompute_due
from returnees.tasks.models import Task

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CENTRE = "GT-CONCURRENT-RISK"
PEOPLE, WORKERS, BATCH = 240, 3, 15


def worker_app(database_url: str):
    app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": database_url})
    app.extensions[CLOCK] = FixedClock(NOW)
    return app


def committed_people(app) -> list[int]:
    """PEOPLE people, every other one with a spouse abroad (medium), committed."""
    with app.app_context():
        session = get_session()
        centre = Centre(
            code=CENTRE,
            name="Concurrent risk",
            kind=CentreKind.AIRPORT,
            country=Country.GUATEMALA,
            region="Guatemala",
            municipality="Guatemala",
            timezone="America/Guatemala",
            created_at=NOW,
        )
        session.add(centre)
        session.flush()
        people = [
            Returnee(
                given_names=f"Persona {n}",
                family_names="Concurrente",
                sex=Sex.FEMALE,
                nationality=Country.GUATEMALA,
                centre_id=centre.id,
                arrivals_count=1,
                estimated_age=30,
                created_at=NOW,
                updated_at=NOW,
            )
            for n in range(PEOPLE)
        ]
        session.add_all(people)
        session.flush()
        for n, person in enumerate(people):
            arrival = Arrival(
                returnee_id=person.id,
                centre_id=centre.id,
                arrived_at=NOW,
                mode=TravelMode.FLIGHT,
                deporting_country="US",
                created_at=NOW,
            )
            if n % 2 == 0:
                arrival.screening = Screening(family_abroad=["spouse"], completed_at=NOW)
            session.add(arrival)
        session.commit()
        return [person.id for person in people]


def remove(app, ids: list[int]) -> None:
    with app.app_context():
        session = get_session()
        arrivals = select(Arrival.id).where(Arrival.returnee_id.in_(ids))
        for statement in (
            delete(Task).where(Task.returnee_id.in_(ids)),
            delete(RiskLevelChange).where(RiskLevelChange.returnee_id.in_(ids)),
            delete(RiskFlag).where(RiskFlag.returnee_id.in_(ids)),
            delete(Screening).where(Screening.arrival_id.in_(arrivals)),
            delete(Arrival).where(Arrival.returnee_id.in_(ids)),
            delete(Returnee).where(Returnee.id.in_(ids)),
            delete(Centre).where(Centre.code == CENTRE),
        ):
            session.execute(statement)
        session.commit()


@pytest.fixture
def workers(database_url, app):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent workers need PostgreSQL; SQLite is the single-writer default")
    apps = [worker_app(database_url) for _ in range(WORKERS)]
    ids = committed_people(apps[0])
    yield apps, ids
    remove(apps[0], ids)
    for each in apps:
        each.extensions[DB].engine.dispose()


def test_each_person_is_scored_once_by_one_of_several_workers(workers):
    apps, ids = workers
    start, done, failures = threading.Barrier(len(apps)), [], []

    def work(app) -> None:
        try:
            with app.app_context():
                start.wait(timeout=30)
                done.append(recompute_due(get_session(), batch=BATCH))
        except Exception as error:  # reported below, with what it was
            failures.append(repr(error))

    threads = [threading.Thread(target=work, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    with apps[0].app_context():
        session = get_session()
        flags = session.scalar(
            select(func.count()).select_from(RiskFlag).where(RiskFlag.returnee_id.in_(ids))
        )
        changes = session.execute(
            select(RiskLevelChange.returnee_id, func.count())
            .where(RiskLevelChange.returnee_id.in_(ids))
            .group_by(RiskLevelChange.returnee_id)
        ).all()
    assert flags == PEOPLE
    assert sum(done) >= PEOPLE and len([n for n in done if n]) >= 1
    assert len(changes) == PEOPLE // 2 and {count for _id, count in changes} == {1}, (
        "every medium person has exactly one change of level"
    )
