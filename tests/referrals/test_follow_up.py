"""Nothing moves on a referral: not accepted in 7 days, or not attended in 30, a task appears
in the queue once and closes when the referral moves. An accepted referral asks the person,
7 days later, whether they went; "yes" marks it attended."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from returnees.core.scheduler import periodic_jobs
from returnees.followups.models import CheckIn, CheckInState, Indicator, IndicatorReading
from returnees.referrals.models import ReferralChange, ReferralStatus
from returnees.referrals.services import open_referral_follow_up_tasks
from returnees.tasks.models import Task, TaskKind, TaskStatus
from tests.followups.test_dispatch import run_jobs, sent_bodies
from tests.messaging.test_webhooks import message, post_signed
from tests.referrals.conftest import referral_row
from tests.referrals.test_referrals import move


def run_follow_up_job(in_app) -> int:
    with in_app() as session:
        return open_referral_follow_up_tasks(session)


def referral_tasks(in_app) -> list[Task]:
    with in_app() as session:
        query = select(Task).where(Task.kind == TaskKind.REFERRAL_FOLLOW_UP).order_by(Task.id)
        return list(session.scalars(query))


def test_the_job_runs_every_hour(app):
    [job] = [job for job in periodic_jobs(app) if job.id == "referral-follow-up-tasks"]
    assert job.seconds == 60 * 60


def test_a_referral_not_accepted_in_7_days_opens_one_task(app, in_app, world, clock, refer):
    referral = refer()
    clock.advance(days=app.config["REFERRAL_ACCEPT_DAYS"], minutes=-1)
    assert run_follow_up_job(in_app) == 0
    assert referral_tasks(in_app) == []
    clock.advance(minutes=1)
    assert run_follow_up_job(in_app) == 1
    clock.advance(hours=1)
    assert run_follow_up_job(in_app) == 0, "the hourly job opened a second task"
    [task] = referral_tasks(in_app)
    assert (task.returnee_id, task.subject, task.priority, task.status) == (
        world.returnee_id,
        f"referral:{referral.id}:not-accepted",
        15,
        TaskStatus.OPEN,
    )
    assert task.reason == "referral not accepted in 7 days: psychosocial at Clínica Comunitaria Luz"


def test_the_task_closes_when_the_referral_is_accepted_and_is_not_reopened(
    app, in_app, world, clock, refer
):
    referral = refer()
    clock.advance(days=8)
    run_follow_up_job(in_app)
    move(in_app, world.worker, referral.id, "accepted")
    [task] = referral_tasks(in_app)
    assert (task.status, task.closed_at, task.closed_by_id) == (
        TaskStatus.DONE,
        clock.now(),
        world.worker.id,
    )
    clock.advance(hours=1)
    assert run_follow_up_job(in_app) == 0
    assert len(referral_tasks(in_app)) == 1


def test_a_task_closed_by_hand_is_not_opened_again(app, in_app, world, clock, refer):
    refer()
    clock.advance(days=8)
    run_follow_up_job(in_app)
    with in_app() as session:
        session.execute(update(Task).values(status=TaskStatus.DONE))
    clock.advance(hours=1)
    assert run_follow_up_job(in_app) == 0
    assert [t.status for t in referral_tasks(in_app)] == [TaskStatus.DONE]


def test_an_accepted_referral_not_attended_in_30_days_opens_one_task_until_attended(
    app, in_app, world, clock, refer
):
    referral = refer()
    clock.advance(days=2)
    move(in_app, world.worker, referral.id, "accepted")
    clock.advance(days=app.config["REFERRAL_ATTEND_DAYS"] - 2, minutes=-1)
    assert run_follow_up_job(in_app) == 0
    clock.advance(minutes=1)
    assert run_follow_up_job(in_app) == 1
    assert run_follow_up_job(in_app) == 0
    [task] = referral_tasks(in_app)
    assert task.subject == f"referral:{referral.id}:not-attended"
    assert task.reason.startswith("referral not attended in 30 days: psychosocial at ")
    move(in_app, world.worker, referral.id, "attended")
    assert [t.status for t in referral_tasks(in_app)] == [TaskStatus.DONE]


def test_a_withdrawn_referral_closes_its_task(app, in_app, world, clock, refer):
    referral = refer()
    clock.advance(days=7)
    run_follow_up_job(in_app)
    move(in_app, world.worker, referral.id, "withdrawn")
    assert [t.status for t in referral_tasks(in_app)] == [TaskStatus.DONE]
    clock.advance(days=30)
    assert run_follow_up_job(in_app) == 0


def test_a_protection_referrals_task_names_neither_service_nor_organisation(
    app, in_app, world, clock, refer
):
    refer(is_protection=True)
    clock.advance(days=7)
    run_follow_up_job(in_app)
    [task] = referral_tasks(in_app)
    assert task.reason == "restricted referral not accepted in 7 days"


# The check-in that asks about an open referral


def only_the_referral_asks(in_app, returnee_id: int) -> None:
    """The arrival's own plan is answered already, so that the referral's question is the one
    that goes out and the one a reply answers."""
    with in_app() as session:
        session.execute(
            update(CheckIn)
            .where(CheckIn.returnee_id == returnee_id, CheckIn.step_id.is_not(None))
            .values(state=CheckInState.CANCELLED)
        )


def referral_check_ins(in_app, referral_id: int) -> list[CheckIn]:
    with in_app() as session:
        query = select(CheckIn).where(CheckIn.referral_id == referral_id).order_by(CheckIn.id)
        return list(session.scalars(query))


def test_accepting_a_referral_schedules_one_check_in_7_days_later(app, in_app, world, clock, refer):
    referral = refer()
    move(in_app, world.worker, referral.id, "accepted")
    [check_in] = referral_check_ins(in_app, referral.id)
    assert check_in.due_at == clock.now() + timedelta(days=7)
    assert (check_in.step_id, check_in.plan_version, check_in.template) == (
        None,
        0,
        "referral_attended",
    )
    assert (check_in.answer_type.value, check_in.indicator) == (
        "yes_no",
        Indicator.REFERRAL_ATTENDED,
    )
    assert (check_in.phone, check_in.state) == ("+50255551234", CheckInState.SCHEDULED)


def test_a_yes_to_the_check_in_marks_the_referral_attended(app, in_app, world, clock, refer):
    referral = refer()
    move(in_app, world.worker, referral.id, "accepted")
    only_the_referral_asks(in_app, world.returnee_id)
    clock.advance(days=6)
    run_jobs(in_app)
    assert sent_bodies(in_app) == [], "asked before 7 days"
    clock.advance(days=1)
    run_jobs(in_app)
    assert sent_bodies(in_app)[-1].startswith("Hola Lucía, ¿pudo ir a la cita?")
    post_signed(app, message(body="Sí, fui"))
    run_jobs(in_app)
    assert referral_row(in_app, referral.id).status is ReferralStatus.ATTENDED
    with in_app() as session:
        last = session.scalars(
            select(ReferralChange).order_by(ReferralChange.id.desc()).limit(1)
        ).one()
        reading = session.scalars(select(IndicatorReading)).one()
    assert (last.to_status, last.changed_by) == (ReferralStatus.ATTENDED, "check-in")
    assert (reading.indicator, reading.value) == (Indicator.REFERRAL_ATTENDED, True)


def test_a_no_leaves_it_accepted_with_a_note_and_the_30_day_task_follows(
    app, in_app, world, clock, refer
):
    referral = refer()
    move(in_app, world.worker, referral.id, "accepted")
    only_the_referral_asks(in_app, world.returnee_id)
    clock.advance(days=7)
    run_jobs(in_app)
    post_signed(app, message(body="no"))
    run_jobs(in_app)
    assert referral_row(in_app, referral.id).status is ReferralStatus.ACCEPTED
    with in_app() as session:
        notes = [
            change.note
            for change in session.scalars(
                select(ReferralChange).where(ReferralChange.changed_by == "check-in")
            )
        ]
    assert notes == ["check-in: not attended yet"]
    clock.advance(days=23)
    assert run_follow_up_job(in_app) == 1


def test_no_check_in_without_a_consenting_phone(app, in_app, register, world, partner):
    from returnees.referrals.services import make_referral
    from tests.referrals.conftest import actor_of

    silent = register(given_names="Marta")  # no phone
    with in_app() as session:
        made = make_referral(
            session, actor_of(session, world.worker), silent.returnee_id, partner.id, "health", True
        )
    move(in_app, world.worker, made.id, "accepted")
    assert referral_check_ins(in_app, made.id) == []


def test_a_withdrawn_referral_is_not_asked_about(app, in_app, world, clock, refer):
    referral = refer()
    move(in_app, world.worker, referral.id, "accepted")
    move(in_app, world.worker, referral.id, "withdrawn")
    assert [c.state for c in referral_check_ins(in_app, referral.id)] == [CheckInState.CANCELLED]


def test_a_referral_tasks_reason_reads_in_the_readers_language(app, in_app, world, clock, refer):
    from returnees.casework.reasons import task_reason

    refer()
    refer(is_protection=True)
    clock.advance(days=7)
    run_follow_up_job(in_app)
    with app.test_request_context(), in_app() as session:
        said = [task_reason(session, task) for task in referral_tasks(in_app)]
    assert said == [
        "referencia no aceptada en 7 días: Apoyo psicosocial en Clínica Comunitaria Luz",
        "referencia restringida no aceptada en 7 días",
    ]
