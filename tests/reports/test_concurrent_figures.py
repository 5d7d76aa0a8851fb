"""The refresh job and a report refreshing first work out the same person at once, on
PostgreSQL with separate committed connections: the second waits for the first, and the
person's arrival is counted once in its month's sums."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select, text

from returnees import create_app
from returnees.centres.models import Centre, CentreKind, Country
from returnees.core.clock import EXTENSION as CLOCK
from returnees.core.clock import FixedClock
from returnees.core.db import EXTENSION as DB
from returnees.core.db import get_session
from returnees.people.models import Returnee, Sex
from returnees.reception.models import Arrival, TravelMode
from returnees.reports.facts import refresh_people
from returnees.reports.models import StaleFigures, arrival_figures, monthly_figures

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CENTRE = "GT-CONCURRENT-FIGURES"


def writer_app(database_url: str):
    app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": database_url})
    app.extensions[CLOCK] = FixedClock(NOW)
    return app


def committed_arrival(app) -> tuple[int, int]:
    """A person and their arrival, committed; the centre's id and the person's."""
    with app.app_context():
        session = get_session()
        centre = Centre(
            code=CENTRE,
            name="Concurrent figures",
            kind=CentreKind.AIRPORT,
            country=Country.GUATEMALA,
            region="Guatemala",
            municipality="Guatemala",
            timezone="America/Guatemala",
            created_at=NOW,
        )
        session.add(centre)
        session.flush()
        person = Returnee(
            given_names="Persona",
            family_names="Concurrente",
            sex=Sex.FEMALE,
            nationality=Country.GUATEMALA,
            centre_id=centre.id,
            arrivals_count=1,
            estimated_age=30,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(person)
        session.flush()
        session.add(
            Arrival(
                returnee_id=person.id,
                centre_id=centre.id,
                arrived_at=NOW,
                mode=TravelMode.FLIGHT,
                deporting_country="US",
                created_at=NOW,
            )
        )
        session.commit()
        return centre.id, person.id


def remove(app, centre_id: int, person_id: int) -> None:
    with app.app_context():
        session = get_session()
        for statement in (
            delete(monthly_figures).where(monthly_figures.c.centre_id == centre_id),
            delete(arrival_figures).where(arrival_figures.c.returnee_id == person_id),
            delete(StaleFigures).where(StaleFigures.returnee_id == person_id),
            delete(Arrival).where(Arrival.returnee_id == person_id),
            delete(Returnee).where(Returnee.id == person_id),
            delete(Centre).where(Centre.id == centre_id),
        ):
            session.execute(statement)
        session.commit()


@pytest.fixture
def writers(database_url, app):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL; SQLite is the single-writer default")
    apps = [writer_app(database_url) for _ in range(2)]
    centre_id, person_id = committed_arrival(apps[0])
    yield apps, centre_id, person_id
    remove(apps[0], centre_id, person_id)
    for each in apps:
        each.extensions[DB].engine.dispose()


def waiting_for_the_lock(app) -> bool:
    """Whether a transaction waits for the figures' advisory lock (polled, up to 30 s)."""
    with app.app_context():
        session = get_session()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            waiting = session.scalar(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            )
            session.rollback()
            if waiting:
                return True
            time.sleep(0.05)
    return False


def test_two_writers_of_one_person_count_the_arrival_once(writers):
    (first_app, second_app), centre_id, person_id = writers
    written, release, failures = threading.Event(), threading.Event(), []

    def first() -> None:
        try:
            with first_app.app_context():
                session = get_session()
                refresh_people(session, [person_id])
                written.set()
                release.wait(timeout=60)
                session.commit()
        except Exception as error:  # reported below, with what it was
            failures.append(repr(error))
            written.set()

    def second() -> None:
        try:
            with second_app.app_context():
                session = get_session()
                refresh_people(session, [person_id])
                session.commit()
        except Exception as error:
            failures.append(repr(error))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert written.wait(timeout=60)
    threads[1].start()
    try:
        assert waiting_for_the_lock(first_app), "the second writer waits for the first"
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not failures, failures
    with first_app.app_context():
        session = get_session()
        summed = session.scalar(
            select(func.sum(monthly_figures.c.arrivals)).where(
                monthly_figures.c.centre_id == centre_id
            )
        )
    assert summed == 1
