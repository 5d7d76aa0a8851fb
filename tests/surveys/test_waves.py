"""Waves: a social worker's task at day 30 (once), a call form that keeps every answer given
and resumes at the first unanswered one, SMS-safe items taken from recent check-ins, completion
closing the task, and the scores on the record against the wave before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from returnees.audit.models import AuditEntry
from returnees.casework.models import Case, CaseStatus
from returnees.core.errors import Conflict, Forbidden
from returnees.followups.models import Indicator, IndicatorReading
from returnees.surveys.models import AnswerSource, SurveyWave, WaveStatus
from returnees.surveys.services import (
    answer_item,
    complete_wave,
    next_item,
    open_wave,
    waves_of,
)
from returnees.tasks.models import Task, TaskKind, TaskStatus
from tests.conftest import csrf_token
from tests.surveys.conftest import BEST, actor_of


def survey_tasks(in_app, returnee_id: int) -> list[Task]:
    with in_app() as session:
        query = select(Task).where(Task.returnee_id == returnee_id, Task.kind == TaskKind.SURVEY)
        return list(session.scalars(query))


def test_the_day_30_wave_opens_once_with_a_social_workers_task(app, in_app, world, open_waves):
    assert open_waves() == 1
    assert open_waves() == 0
    (task,) = survey_tasks(in_app, world.returnee_id)
    with in_app() as session:
        wave = session.scalars(select(SurveyWave)).one()
        assert (wave.day, wave.arrival_id, wave.task_id) == (30, world.arrival_id, task.id)
        assert wave.instrument.version == 1
    assert task.status is TaskStatus.OPEN


def test_no_wave_before_day_30_nor_for_a_closed_case(app, in_app, register, clock, open_waves):
    register(given_names="Early", arrived_at=clock.at - timedelta(days=29))
    closed = register(given_names="Closed", arrived_at=clock.at - timedelta(days=31))
    with in_app() as session:
        case = session.scalar(select(Case).where(Case.returnee_id == closed.returnee_id))
        case.status = CaseStatus.CLOSED
    assert open_waves() == 0


def test_the_day_180_wave_opens_when_its_day_comes(app, in_app, world, clock, open_waves):
    assert open_waves() == 1
    clock.advance(days=150)
    assert open_waves() == 1
    with in_app() as session:
        days = session.scalars(select(SurveyWave.day).order_by(SurveyWave.day)).all()
    assert days == [30, 180]


def test_the_waves_open_on_the_days_the_programme_configures(
    app, in_app, world, clock, open_waves, monkeypatch
):
    monkeypatch.setitem(app.config, "SURVEY_WAVE_DAYS", (45, 120))
    assert open_waves() == 0, "day 30 is no longer a wave's day"
    clock.advance(days=15)
    assert open_waves() == 1
    clock.advance(days=74)
    assert open_waves() == 0, "day 119"
    clock.advance(days=1)
    assert open_waves() == 1
    with in_app() as session:
        days = session.scalars(select(SurveyWave.day).order_by(SurveyWave.day)).all()
    assert days == [45, 120]
    reasons = sorted(task.reason for task in survey_tasks(in_app, world.returnee_id))
    assert reasons == ["survey wave: day 120", "survey wave: day 45"]


def test_a_dropped_call_keeps_every_answer_and_resumes_at_the_first_unanswered(
    app, in_app, world, wave_id, sign_in_as
):
    client = sign_in_as(world.worker)
    path = f"/returnees/{world.returnee_id}/surveys/{wave_id}"
    first = client.get(path).get_data(as_text=True)
    assert "economic_satisfaction" in first
    token = csrf_token(client, path)
    for code, value in (("economic_satisfaction", "satisfied"), ("ate_less", "declined")):
        saved = client.post(path, data={"csrf_token": token, "item": code, "value": value})
        assert saved.status_code == 302
    # The call drops here; later the form is opened again, in a new session.
    again = sign_in_as(world.worker).get(path).get_data(as_text=True)
    assert 'name="item" value="can_borrow"' in again
    unknown = sign_in_as(world.worker).get(f"{path}?item=nonsense").get_data(as_text=True)
    assert 'name="item" value="can_borrow"' in unknown
    assert "2 of 21 answered" in again or "2 de 21" in again
    with in_app() as session:
        wave = session.get(SurveyWave, wave_id)
        assert {a.item.code: a.value for a in wave.answers} == {
            "economic_satisfaction": "satisfied",
            "ate_less": "declined",
        }
        assert next_item(wave).code == "can_borrow"


def test_an_answer_not_offered_is_refused_and_nothing_is_saved(
    app, in_app, world, wave_id, sign_in_as
):
    client = sign_in_as(world.worker)
    path = f"/returnees/{world.returnee_id}/surveys/{wave_id}"
    data = {"csrf_token": csrf_token(client, path), "item": "debt", "value": "lots"}
    refused = client.post(path, data=data)
    assert refused.status_code == 422
    assert 'role="alert"' in refused.get_data(as_text=True)
    with in_app() as session:
        assert session.get(SurveyWave, wave_id).answers == []


def _reading(in_app, returnee_id: int, indicator: Indicator, value: bool, at) -> None:
    with in_app() as session:
        session.add(
            IndicatorReading(
                returnee_id=returnee_id, indicator=indicator, value=value, observed_at=at
            )
        )


def test_recent_check_in_answers_prefill_the_items_safe_by_sms_and_are_marked(
    app, in_app, world, wave_id, clock, sign_in_as
):
    _reading(in_app, world.returnee_id, Indicator.WORKING, True, clock.at - timedelta(days=40))
    _reading(in_app, world.returnee_id, Indicator.WORKING, False, clock.at - timedelta(days=10))
    old = clock.at - timedelta(days=31)  # before this arrival's 30 days: too old
    _reading(in_app, world.returnee_id, Indicator.IN_SCHOOL, True, old)
    _reading(in_app, world.returnee_id, Indicator.SAFE, True, clock.at - timedelta(days=1))
    page = sign_in_as(world.worker).get(f"/returnees/{world.returnee_id}/surveys/{wave_id}")
    assert page.status_code == 200
    assert "from a check-in" in page.get_data(as_text=True) or "de un control" in page.get_data(
        as_text=True
    )
    with in_app() as session:
        wave = session.get(SurveyWave, wave_id)
        given = {a.item.code: a for a in wave.answers}
        assert set(given) == {"working"}
        assert (given["working"].value, given["working"].source) == ("no", AnswerSource.CHECK_IN)
        assert given["working"].score == 0.0


def test_a_recent_school_answer_prefills_children_in_school_and_is_marked(
    app, in_app, world, wave_id, clock, sign_in_as
):
    _reading(in_app, world.returnee_id, Indicator.IN_SCHOOL, False, clock.at - timedelta(days=20))
    _reading(in_app, world.returnee_id, Indicator.IN_SCHOOL, True, clock.at - timedelta(days=3))
    page = sign_in_as(world.worker).get(f"/returnees/{world.returnee_id}/surveys/{wave_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Yes, all of them · from a check-in" in text or "Sí, todos · de un control" in text
    with in_app() as session:
        latest = session.scalar(
            select(IndicatorReading.id).where(
                IndicatorReading.returnee_id == world.returnee_id,
                IndicatorReading.value.is_(True),
            )
        )
        wave = session.get(SurveyWave, wave_id)
        given = {a.item.code: a for a in wave.answers}
        assert set(given) == {"children_in_school"}, "the latest of two readings, once"
        school = given["children_in_school"]
        assert (school.value, school.score, school.source) == ("yes", 1.0, AnswerSource.CHECK_IN)
        assert school.reading_id == latest
        assert school.answered_at == clock.at - timedelta(days=3)


def test_completing_a_wave_needs_every_answer_then_closes_its_task(
    app, in_app, world, wave_id, answer
):
    answer(wave_id, **dict(list(BEST.items())[:-1]))
    with in_app() as session, pytest.raises(Conflict):
        complete_wave(session, actor_of(session, world.worker), world.returnee_id, wave_id)
    answer(wave_id, able_to_stay="dont_know")
    with in_app() as session:
        wave = complete_wave(session, actor_of(session, world.worker), world.returnee_id, wave_id)
        assert wave.status is WaveStatus.COMPLETED
        assert wave.composite_score == 1.0
    (task,) = survey_tasks(in_app, world.returnee_id)
    assert task.status is TaskStatus.DONE
    with in_app() as session, pytest.raises(Conflict):
        answer_item(
            session, actor_of(session, world.worker), world.returnee_id, wave_id, "working", "no"
        )


def test_the_record_shows_each_wave_against_the_one_before_with_the_answers_that_moved(
    app, in_app, world, wave_id, answer, clock, open_waves, sign_in_as
):
    answer(wave_id, **BEST | {"working": "no", "distress": "often"})
    with in_app() as session:
        complete_wave(session, actor_of(session, world.worker), world.returnee_id, wave_id)
    clock.advance(days=150)
    assert open_waves() == 1
    with in_app() as session:
        later = session.scalar(select(SurveyWave.id).where(SurveyWave.day == 180))
    answer(later, **BEST | {"distress": "sometimes", "housing": "no"})
    with in_app() as session:
        complete_wave(session, actor_of(session, world.worker), world.returnee_id, later)
        latest = waves_of(session, actor_of(session, world.worker), world.returnee_id)[0]
        assert latest.previous.id == wave_id
        assert [(m.item.code, m.change) for m in latest.moves] == [
            ("working", 1.0),
            ("housing", -1.0),
            ("distress", 0.5),
        ]
    record = sign_in_as(world.worker).get(f"/returnees/{world.returnee_id}").get_data(as_text=True)
    assert 'id="surveys"' in record
    assert "+1.00" in record and "-1.00" in record


def test_staff_outside_the_persons_scope_or_role_cannot_take_the_wave(
    app, in_app, world, wave_id, sign_in_as
):
    path = f"/returnees/{world.returnee_id}/surveys/{wave_id}"
    assert sign_in_as(world.far_worker).get(path).status_code in (403, 404)
    assert sign_in_as(world.reception).get(path).status_code == 403
    assert sign_in_as(world.admin).get(path).status_code == 403
    with in_app() as session, pytest.raises(Forbidden):
        open_wave(session, actor_of(session, world.far_worker), world.returnee_id, wave_id)
    assert sign_in_as(world.supervisor).get(path).status_code == 200


def test_a_wave_is_not_reached_through_another_persons_record(
    app, in_app, world, wave_id, register, sign_in_as
):
    other = register(given_names="Otra")
    path = f"/returnees/{other.returnee_id}/surveys/{wave_id}"
    assert sign_in_as(world.worker).get(path).status_code == 404


def test_the_api_reads_a_persons_waves_and_the_audit_keeps_ids_only(
    app, in_app, world, wave_id, answer, token_for
):
    answer(wave_id, working="yes")
    client = app.test_client()
    response = client.get(
        f"/api/v1/returnees/{world.returnee_id}/surveys", headers=token_for(world.worker)
    )
    assert response.status_code == 200
    (wave,) = response.get_json()
    assert (wave["id"], wave["day"], wave["version"], wave["status"]) == (wave_id, 30, 1, "open")
    assert wave["answers"] == [
        {
            "item": "working",
            "dimension": "economic",
            "value": "yes",
            "score": 1.0,
            "source": "call",
            "answered_at": wave["answers"][0]["answered_at"],
        }
    ]
    far = client.get(
        f"/api/v1/returnees/{world.returnee_id}/surveys", headers=token_for(world.far_worker)
    )
    assert far.status_code in (403, 404)
    with in_app() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.record_type == "survey_wave")
        ).all()
        assert entries
        for entry in entries:
            assert set(entry.detail) <= {"returnee_id", "waves", "completed"}
            assert "Rosa" not in str(entry.detail) and "yes" not in str(entry.detail)
        assert session.scalar(select(func.count(AuditEntry.id))) > 0


def test_the_persons_own_export_holds_their_waves_and_answers(
    app, world, wave_id, answer, sign_in_as
):
    answer(wave_id, working="yes", distress="declined")
    download = sign_in_as(world.supervisor).get(f"/returnees/{world.returnee_id}/export.json")
    assert download.status_code == 200
    (wave,) = download.get_json()["survey_waves"]
    assert (wave["id"], wave["day"], wave["survey_version"]) == (wave_id, 30, 1)
    assert [(a["value"], a["score"]) for a in wave["survey_answers"]] == [
        ("yes", 1.0),
        ("declined", None),
    ]
    page = sign_in_as(world.supervisor).get(f"/returnees/{world.returnee_id}/export")
    assert "Encuestas de reintegración" in page.get_data(as_text=True)


def test_opening_the_waves_due_is_a_periodic_job(app):
    from returnees.core.scheduler import periodic_jobs

    assert "survey-waves" in {job.id for job in periodic_jobs(app)}


def test_a_wave_open_when_the_case_closes_is_not_taken_and_its_task_dropped(
    app, in_app, world, wave_id, answer, token_for, sign_in_as
):
    answer(wave_id, working="yes")
    closed = app.test_client().post(
        f"/api/v1/returnees/{world.returnee_id}/close",
        json={"reason": "reintegrated"},
        headers=token_for(world.worker),
    )
    assert closed.status_code == 200, closed.get_json()
    with in_app() as session:
        wave = session.get(SurveyWave, wave_id)
        assert (wave.status, wave.not_taken_reason) == (WaveStatus.NOT_TAKEN, "case_closed")
        assert wave.completed_at is None and wave.composite_score is None
        assert [a.value for a in wave.answers] == ["yes"], "what was answered stays"
    (task,) = survey_tasks(in_app, world.returnee_id)
    assert task.status is TaskStatus.CANCELLED
    record = sign_in_as(world.supervisor).get(f"/returnees/{world.returnee_id}")
    assert "no realizada: el caso se cerró" in record.get_data(as_text=True)
    with in_app() as session, pytest.raises(Conflict):
        answer_item(
            session, actor_of(session, world.worker), world.returnee_id, wave_id, "debt", "none"
        )


def test_a_completed_wave_stays_completed_when_the_case_closes(
    app, in_app, world, wave_id, answer, token_for
):
    answer(wave_id, **BEST)
    with in_app() as session:
        complete_wave(session, actor_of(session, world.worker), world.returnee_id, wave_id)
    closed = app.test_client().post(
        f"/api/v1/returnees/{world.returnee_id}/close",
        json={"reason": "reintegrated"},
        headers=token_for(world.worker),
    )
    assert closed.status_code == 200
    with in_app() as session:
        wave = session.get(SurveyWave, wave_id)
        assert (wave.status, wave.not_taken_reason) == (WaveStatus.COMPLETED, None)
        assert wave.composite_score == 1.0
