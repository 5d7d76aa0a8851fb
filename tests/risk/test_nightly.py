"""The nightly recompute: a job that runs every few minutes and itself decides who is due (scored
more than a day ago, under older rules, or never), in batches; as time passes, an intention said
long ago weighs less."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from returnees.auth.access import Actor
from returnees.core.scheduler import run_job
from returnees.risk.jobs import JOBS
from returnees.risk.models import RiskFlag, RiskLevelChange
from returnees.risk.services import RulesEntry, change_rules, recompute_due


def recompute(in_app, **options) -> int:
    with in_app() as session:
        return recompute_due(session, **options)


def test_only_people_scored_more_than_a_day_ago_are_recomputed(register, in_app, clock):
    first, second = register(), register(given_names="Berta")
    assert recompute(in_app) == 0, "both were scored when they arrived"
    clock.advance(hours=20)
    third = register(given_names="Carla")
    clock.advance(hours=5)
    assert recompute(in_app, batch=1) == 2, "the first two, one batch at a time"
    assert recompute(in_app) == 0, "running again at once finds nothing to do"
    with in_app() as session:
        computed = dict(session.execute(select(RiskFlag.returnee_id, RiskFlag.computed_at)).all())
    assert computed[first.returnee_id] == computed[second.returnee_id] == clock.now()
    assert computed[third.returnee_id] == clock.now() - timedelta(hours=5)


def test_people_never_scored_are_scored(register, in_app, flag_of):
    arrival = register()
    with in_app() as session:
        session.execute(delete(RiskFlag))
    assert recompute(in_app) == 1
    assert flag_of(arrival.returnee_id) is not None


def test_a_run_stops_at_its_limit_and_the_next_run_goes_on(register, in_app):
    for name in ("Ana", "Berta", "Carla"):
        register(given_names=name)
    with in_app() as session:
        session.execute(delete(RiskFlag))
    assert recompute(in_app, batch=1, limit=2) == 2
    assert recompute(in_app, batch=1, limit=2) == 1
    assert recompute(in_app) == 0


def test_new_rules_are_applied_to_everyone_by_the_next_runs(register, screen, in_app, flag_of):
    arrival = register()
    screen(arrival.id, has_journey_debt=True)
    with in_app() as session:
        change_rules(session, Actor.system("admin"), RulesEntry(weights={"journey_debt": 50}))
    assert recompute(in_app) == 1
    flag = flag_of(arrival.returnee_id)
    assert (flag.score, flag.level.value, flag.rules_version) == (50, "high", 2)
    with in_app() as session:
        change = session.scalars(select(RiskLevelChange)).one()
        assert (change.changed_by, change.rules_version) == ("nightly", 2)


def test_an_intention_said_at_intake_weighs_less_night_after_night(
    register, screen, in_app, flag_of, changes_of, high_risk_tasks, clock
):
    arrival = register()
    screen(arrival.id, intends_to_migrate_again=True, was_threatened=True)
    assert (flag_of(arrival.returnee_id).score, flag_of(arrival.returnee_id).level.value) == (
        50,
        "high",
    )
    clock.advance(days=31)
    recompute(in_app)
    assert (flag_of(arrival.returnee_id).score, flag_of(arrival.returnee_id).level.value) == (
        38,
        "medium",
    )
    clock.advance(days=60)
    recompute(in_app)
    assert flag_of(arrival.returnee_id).score == 32
    assert changes_of(arrival.returnee_id) == [
        ("low", "high", "recompute"),
        ("high", "medium", "nightly"),
    ]
    assert [status for status, _reason in high_risk_tasks(arrival.returnee_id)] == ["done"]


def test_unchanged_flags_are_not_rewritten_only_stamped(register, screen, in_app, clock):
    arrival = register()
    screen(arrival.id, family_abroad=["spouse"])
    with in_app() as session:
        before = session.get(RiskFlag, arrival.returnee_id).reasons
        changes = session.scalar(select(func.count()).select_from(RiskLevelChange))
    clock.advance(days=2)
    recompute(in_app)
    with in_app() as session:
        flag = session.get(RiskFlag, arrival.returnee_id)
        assert (flag.reasons, flag.computed_at) == (before, clock.now())
        assert session.scalar(select(func.count()).select_from(RiskLevelChange)) == changes


def test_the_job_is_wired_and_safe_to_run_twice(app, register, clock):
    register()
    clock.advance(days=2)
    (job,) = JOBS
    assert run_job(app, job) == 1
    assert run_job(app, job) == 0
