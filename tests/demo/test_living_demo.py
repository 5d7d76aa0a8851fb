"""`flask seed-demo`: a newcomer's first hour shows the system alive (a queue with work, a
record with history, a supervisor home with numbers, someone on call), the same on every run,
never in production, and `--refresh` brings an old demo's history to today."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from returnees.auth.access import Actor
from returnees.auth.models import User
from returnees.auth.on_call import regions_without_on_call
from returnees.casework.queue import build_queue
from returnees.casework.services import unassigned_cases
from returnees.casework.stats import programme_numbers
from returnees.core.db import Base
from returnees.demo.models import DemoSeed
from returnees.demo.offices import DEMO_OFFICES
from returnees.duplicates.services import pairs_to_review
from returnees.followups.models import CheckIn, CheckInState
from returnees.people.models import Returnee
from returnees.reception.models import Arrival, ExpectedPassenger, HandoverStatus, PassengerStatus
from returnees.referrals.models import Referral
from returnees.tasks.models import Task, TaskKind, TaskStatus, UrgentAlert
from returnees.tasks.services import open_task

GUATEMALA = ZoneInfo("America/Guatemala")
OFFICE_WORKERS = ("sw.guatemala", "sw.quetzaltenango", "sw.sanmarcos", "sw.huehuetenango")


def user(session, name: str) -> User:
    return session.scalar(select(User).where(User.email == f"{name}@demo.returnees.test"))


def person(session, given: str, family: str) -> Returnee:
    return session.scalar(
        select(Returnee).where(Returnee.given_names == given, Returnee.family_names == family)
    )


def seeded(cli, *options: str) -> str:
    result = cli("seed-demo", *options)
    assert result.exit_code == 0, result.output
    return result.output


def row_counts(session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def test_each_office_has_work_in_its_queue_and_someone_on_call(cli, in_app, clock):
    seeded(cli)
    with in_app() as session:
        for name in (*OFFICE_WORKERS, "social_worker"):
            assert build_queue(session, Actor.for_user(user(session, name))), f"{name}: empty"
        assert regions_without_on_call(session, Actor.for_user(user(session, "supervisor"))) == []
        urgent = session.scalar(
            select(Task).where(Task.kind == TaskKind.URGENT_SAFETY, Task.status == TaskStatus.OPEN)
        )
        assert urgent is not None and urgent.reason == "answered: not safe"
        alerted = session.scalar(
            select(UrgentAlert.user_id).where(UrgentAlert.task_id == urgent.id)
        )
        assert alerted == user(session, "sw.guatemala").id, "the one on call was alerted"
        assert urgent.acknowledged_by_id == alerted, "and acknowledged it by text"
        queue = build_queue(session, Actor.for_user(user(session, "sw.guatemala")))
        assert queue[0].task_id == urgent.id, "the urgent answer heads its office's queue"


def test_a_demo_record_shows_its_check_in_history(cli, in_app, clock, sign_in_as):
    seeded(cli)
    with in_app() as session:
        karla = person(session, "Karla Beatriz", "Cuc Sánchez")
        answered = session.scalars(
            select(CheckIn.answered_at).where(
                CheckIn.returnee_id == karla.id, CheckIn.state == CheckInState.ANSWERED
            )
        ).all()
        worker = user(session, "sw.guatemala")
    assert len(answered) == 2, "the day-0 and day-3 questions, both answered"
    assert all(clock.now() - timedelta(days=5) < at < clock.now() for at in answered)
    page = sign_in_as(worker).get(f"/returnees/{karla.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count("respondió") >= 2 and "DEMO-1274" in text


def test_the_supervisor_home_has_numbers(cli, in_app, clock, sign_in_as):
    seeded(cli)
    with in_app() as session:
        supervisor = user(session, "supervisor")
        numbers = programme_numbers(session, Actor.for_user(supervisor))
        waiting = unassigned_cases(session, Actor.for_user(supervisor))
        from_the_list = session.scalar(
            select(func.count())
            .select_from(ExpectedPassenger)
            .where(ExpectedPassenger.status == PassengerStatus.ARRIVED)
        )
    assert from_the_list == 30, "the flight was registered from its passenger list"
    assert 1 <= len(waiting) <= len(DEMO_OFFICES) + 1, "most cases went to their office's worker"
    assert sum(last + this for this, last in numbers.arrivals.values()) == 30, "the flight"
    assert numbers.children_waiting == 1, "one child handed over, one waiting at the shelter"
    assert numbers.urgent_open == 1
    assert numbers.referrals == {"accepted": 1}
    assert numbers.risk_levels["high"] == 1 and numbers.risk_levels["medium"] >= 1
    assert numbers.registered_more_than_once == 1
    page = sign_in_as(supervisor).get("/")
    assert page.status_code == 200 and "GT-AURORA" in page.get_data(as_text=True)


def test_the_children_and_the_man_who_came_back(cli, in_app, clock):
    seeded(cli)
    with in_app() as session:
        jennifer = person(session, "Jennifer Alejandra", "Hernández Coc")
        brayan = person(session, "Brayan Estuardo", "Tol Pérez")
        kelvin = person(session, "Kelvin Alexander", "Ramírez Bámaca")
        custody = {
            child.given_names: session.scalar(
                select(Arrival).where(Arrival.returnee_id == child.id)
            ).custody
            for child in (jennifer, brayan)
        }
        assert custody["Jennifer Alejandra"].status is HandoverStatus.HANDED_OVER
        assert custody["Brayan Estuardo"].status is HandoverStatus.IN_CUSTODY
        assert custody["Brayan Estuardo"].shelter.code == "GT-HOGAR"
        arrivals = session.scalars(
            select(Arrival).where(Arrival.returnee_id == kelvin.id).order_by(Arrival.arrived_at)
        ).all()
        assert [arrival.centre.code for arrival in arrivals] == ["GT-TECUN", "GT-AURORA"]
        assert session.scalar(select(func.count()).select_from(Referral)) == 1


def test_a_woman_registered_twice_waits_for_the_supervisor(cli, in_app, clock, sign_in_as):
    """The worker's nightly search ran during the seeding: /people/duplicates has a pair."""
    seeded(cli)
    with in_app() as session:
        supervisor = user(session, "supervisor")
        pairs = pairs_to_review(session, Actor.for_user(supervisor))
        assert [(p.first.full_name, p.second.full_name) for p in pairs] == [
            ("Gloria Floridalma Xitumul Caal", "Gloria Floridalma Xitumul Cal")
        ]
        assert pairs[0].reasons == ["same_name", "day_month_swapped"]
    listing = sign_in_as(supervisor).get("/people/duplicates/").get_data(as_text=True)
    assert "mismo nombre, día y mes invertidos" in listing


def test_seeding_twice_adds_nothing_and_keeps_what_was_entered(cli, in_app, clock):
    seeded(cli)
    with in_app() as session:
        karla = person(session, "Karla Beatriz", "Cuc Sánchez")
        karla.given_names = "Karla"
        before = row_counts(session)
    second = seeded(cli)
    assert "0 centres and 0 users created" in second
    assert "is kept" in second
    with in_app() as session:
        assert row_counts(session) == before
        assert session.get(Returnee, karla.id).given_names == "Karla"


def test_refresh_brings_an_old_demo_to_today(cli, in_app, clock):
    seeded(cli)
    with in_app() as session:
        first_seeded = session.scalar(select(DemoSeed.seeded_at))
        landed = session.scalar(select(func.max(Arrival.arrived_at)))
        answered = session.scalar(select(func.max(CheckIn.answered_at)))
        urgent_due = session.scalar(select(Task.due_at).where(Task.kind == TaskKind.URGENT_SAFETY))
    clock.advance(days=10)
    with in_app() as session:
        entered = open_task(session, TaskKind.VISIT, None, "entered by a person", subject="x")
        entered_at = entered.created_at
    assert "days old" in seeded(cli), "an old demo says how to bring it to today"
    assert "history moved 10 days forward" in seeded(cli, "--refresh")
    with in_app() as session:
        assert session.scalar(select(DemoSeed.seeded_at)) == first_seeded + timedelta(days=10)
        assert session.scalar(select(func.max(Arrival.arrived_at))) == landed + timedelta(days=10)
        newest = session.scalar(select(func.max(CheckIn.answered_at)))
        assert newest == answered + timedelta(days=10)
        assert clock.now() - timedelta(days=2) < newest < clock.now()
        due = session.scalar(select(Task.due_at).where(Task.kind == TaskKind.URGENT_SAFETY))
        assert due == urgent_due + timedelta(days=10)
        assert session.get(Task, entered.id).created_at == entered_at, "what a person entered"
    assert "history moved" not in seeded(cli, "--refresh"), "the same day: nothing moves"


@pytest.mark.parametrize("options", [(), ("--refresh",)])
def test_production_never_seeds_people(cli, app, in_app, monkeypatch, options):
    monkeypatch.setitem(app.config, "RETURNEES_ENV", "production")
    output = seeded(cli, *options)
    assert "offices:" not in output and "people:" not in output
    with in_app() as session:
        assert session.scalar(select(func.count()).select_from(Returnee)) == 0
        assert session.scalar(select(func.count()).select_from(DemoSeed)) == 0


def test_a_seeding_that_stopped_half_way_is_refused_not_doubled(cli, in_app, clock):
    with in_app() as session:
        session.add(DemoSeed(seeded_at=clock.now() - timedelta(hours=1), rows={}))
    result = cli("seed-demo")
    assert result.exit_code == 1
    assert "se detuvo a medias" in result.output, result.output
    with in_app() as session:
        assert session.scalar(select(func.count()).select_from(Returnee)) == 0


def test_three_people_took_their_day_30_survey_and_their_records_show_the_scores(
    cli, in_app, clock, sign_in_as
):
    from returnees.surveys.models import SurveyWave, WaveStatus

    seeded(cli)
    with in_app() as session:
        surveyed = [
            person(session, *names).id
            for names in (
                ("Rosa Elvira", "Chilel Fuentes"),
                ("Juan Carlos", "Pérez Bámaca"),
                ("Marta Lidia", "Orozco Tojil"),
            )
        ]
        waves = session.scalars(
            select(SurveyWave).where(SurveyWave.returnee_id.in_(surveyed)).order_by(SurveyWave.id)
        ).all()
        assert [(w.day, w.status) for w in waves] == [(30, WaveStatus.COMPLETED)] * 3
        composites = [w.composite_score for w in waves]
        assert composites[0] == 1.0 and composites[0] > composites[1] > composites[2] > 0
        rosa = person(session, "Rosa Elvira", "Chilel Fuentes")
        worker = user(session, "sw.sanmarcos")
    record = sign_in_as(worker).get(f"/returnees/{rosa.id}").get_data(as_text=True)
    assert 'id="surveys"' in record and "Compuesto" in record and "1.00" in record
