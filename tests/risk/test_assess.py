"""Scores from the records themselves: recomputed the moment an input changes, every change of
level kept with its reasons, a high level opening one task, a set level for a child never
lowered automatically."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.core import events
from returnees.core.errors import InvalidInput
from returnees.followups.models import CheckIn, CheckInState, Indicator
from returnees.risk.models import RiskLevelChange
from returnees.risk.services import describe, set_level, summary
from tests.followups.test_answers import ask_only
from tests.followups.test_dispatch import run_jobs
from tests.messaging.test_webhooks import message, post_signed


def rules_of(flag) -> dict[str, tuple[int, dict]]:
    return {reason["rule"]: (reason["points"], reason["evidence"]) for reason in flag.reasons}


def test_a_screening_scores_the_person_at_once_with_its_reasons(
    register, screen, flag_of, changes_of, clock
):
    arrival = register()
    assert flag_of(arrival.returnee_id).level.value == "low", "scored on arrival"
    screen(
        arrival.id,
        family_abroad=["children", "parents"],
        intends_to_migrate_again=True,
        months_abroad=30,
    )
    flag = flag_of(arrival.returnee_id)
    assert (flag.level.value, flag.score, flag.rules_version) == ("high", 63, 1)
    assert rules_of(flag) == {
        "family_abroad": (30, {"who": ["children"]}),
        "intends_to_leave": (25, {"source": "intake", "at": clock.now().isoformat()}),
        "long_stay_abroad": (8, {"months": 30}),
    }
    assert changes_of(arrival.returnee_id) == [("low", "high", "recompute")]


def test_every_kind_of_input_is_read_from_the_records(
    register, returns_again, screen, note, outcomes, rescore, flag_of, clock
):
    first = register(phones=("5555 1234",), arrived_at=clock.now() - timedelta(days=400))
    returnee_id = first.returnee_id
    returns_again(returnee_id, clock.now() - timedelta(days=200))
    latest = returns_again(returnee_id, clock.now() - timedelta(days=35))
    screen(first.id, family_abroad=["spouse"], was_threatened=True, has_journey_debt=True)
    note(returnee_id, Indicator.WORKING, False, clock.now() - timedelta(days=300))
    note(returnee_id, Indicator.WORKING, False, clock.now() - timedelta(days=3))
    note(returnee_id, Indicator.LEAVING_AGAIN, True, clock.now() - timedelta(days=60))
    note(returnee_id, Indicator.LEAVING_AGAIN, False, clock.now() - timedelta(days=2))
    outcomes(returnee_id, "uau")
    rescore(returnee_id)
    three_days_ago = (clock.now() - timedelta(days=3)).isoformat()
    assert rules_of(flag_of(returnee_id)) == {
        "family_abroad": (30, {"who": ["spouse"]}),
        "two_or_more_earlier_returns": (20, {"earlier_returns": 2}),
        "crime_victim": (25, {"victim": False, "threatened": True}),
        "intends_to_leave": (
            13,
            {"source": "check-in", "at": (clock.now() - timedelta(days=60)).isoformat()},
        ),
        "not_in_school_or_work": (10, {"indicator": "working", "at": three_days_ago}),
        "journey_debt": (5, {}),
        "unanswered_check_ins": (8, {"unanswered": 2, "of": 3}),
    }
    assert latest, "the earlier screening still counts while the latest arrival has none"


def test_a_child_is_judged_by_school_from_day_30(register, note, rescore, flag_of, clock):
    child = register(estimated_age=14, arrived_at=clock.now() - timedelta(days=20))
    note(child.returnee_id, Indicator.IN_SCHOOL, False, clock.now() - timedelta(days=1))
    note(child.returnee_id, Indicator.WORKING, False, clock.now() - timedelta(days=1))
    rescore(child.returnee_id)
    assert "not_in_school_or_work" not in rules_of(flag_of(child.returnee_id)), "day 20"
    clock.advance(days=10)
    rescore(child.returnee_id)
    assert rules_of(flag_of(child.returnee_id))["not_in_school_or_work"][1]["indicator"] == (
        "in_school"
    )


def test_one_earlier_return_and_two_are_exclusive(register, returns_again, flag_of):
    arrival = register()
    returns_again(arrival.returnee_id)
    assert set(rules_of(flag_of(arrival.returnee_id))) == {"one_earlier_return"}
    returns_again(arrival.returnee_id)
    assert set(rules_of(flag_of(arrival.returnee_id))) == {"two_or_more_earlier_returns"}


def test_a_yes_to_travel_again_at_a_check_in_rescores_at_once(app, register, in_app, flag_of):
    arrival = register(phones=("5555 1234",))
    ask_only(in_app, "travel_again")
    run_jobs(in_app)
    post_signed(app, message(body="1"))
    run_jobs(in_app)
    flag = flag_of(arrival.returnee_id)
    assert flag.level.value == "medium"
    points, evidence = rules_of(flag)["intends_to_leave"]
    assert (points, evidence["source"]) == (25, "check-in")


def test_unanswered_check_ins_rescore_when_reported(register, in_app, outcomes, flag_of):
    arrival = register(phones=("5555 1234",))
    outcomes(arrival.returnee_id, "uu")
    assert "unanswered_check_ins" not in rules_of(flag_of(arrival.returnee_id))
    with in_app() as session:
        check_in = session.scalars(
            select(CheckIn).where(CheckIn.state == CheckInState.UNANSWERED)
        ).first()
        events.publish(events.CHECK_IN_UNANSWERED, session, check_in=check_in)
    assert rules_of(flag_of(arrival.returnee_id))["unanswered_check_ins"] == (
        8,
        {"unanswered": 2, "of": 2},
    )


def test_the_reasons_read_in_words(app, register, screen, returns_again, flag_of, clock):
    arrival = register()
    returns_again(arrival.returnee_id)
    returns_again(arrival.returnee_id)
    screen(arrival.id, family_abroad=["children"], intends_to_migrate_again=True)
    reasons = flag_of(arrival.returnee_id).reasons
    with app.test_request_context(), force_locale("en"):
        assert describe(reasons) == [
            "children abroad",
            "said at intake they will leave again (01/12/2026)",
            "2 earlier returns",
        ]
        assert summary("high", reasons) == (
            "high risk: children abroad, said at intake they will leave again (01/12/2026), "
            "2 earlier returns"
        )


def test_a_high_level_opens_one_task_and_it_closes_when_the_level_falls(
    register, screen, rescore, in_app, high_risk_tasks, changes_of, clock
):
    arrival = register()
    screen(arrival.id, family_abroad=["spouse"], was_crime_victim=True)
    screen(arrival.id, family_abroad=["spouse"], was_crime_victim=True, has_journey_debt=True)
    rescore(arrival.returnee_id)
    tasks = high_risk_tasks(arrival.returnee_id)
    assert tasks == [("open", "high risk: spouse abroad, victim of crime")]
    screen(arrival.id, family_abroad=[], was_crime_victim=False)
    assert high_risk_tasks(arrival.returnee_id) == [("done", tasks[0][1])]
    assert changes_of(arrival.returnee_id) == [
        ("low", "high", "recompute"),
        ("high", "low", "recompute"),
    ]
    with in_app() as session:
        from returnees.tasks.models import Task

        task = session.scalars(select(Task)).one()
        assert task.closed_at == clock.now()


def test_a_level_change_keeps_the_reasons_of_that_moment(register, screen, in_app):
    arrival = register()
    screen(arrival.id, family_abroad=["spouse"])
    screen(
        arrival.id, family_abroad=["spouse"], has_journey_debt=True, intends_to_migrate_again=True
    )
    with in_app() as session:
        rows = session.scalars(select(RiskLevelChange).order_by(RiskLevelChange.id)).all()
        assert [(r.to_level.value, r.score) for r in rows] == [("medium", 30), ("high", 60)]
        assert [reason["rule"] for reason in rows[0].reasons] == ["family_abroad"]
        assert [reason["rule"] for reason in rows[1].reasons] == [
            "family_abroad",
            "intends_to_leave",
            "journey_debt",
        ]


@pytest.fixture
def worker(make_user):
    return make_user(Role.SOCIAL_WORKER, "GT-AURORA", email="worker@example.org")


def set_by(in_app, user, returnee_id: int, level: str, reason: str = "visited the family"):
    with in_app() as session:
        set_level(session, Actor.for_user(user), returnee_id, level, reason)


def test_a_childs_set_level_is_never_lowered_by_a_recompute(
    register, screen, worker, in_app, rescore, flag_of, changes_of, clock
):
    child = register(estimated_age=12)
    set_by(in_app, worker, child.returnee_id, "high", "an older brother recruits for a gang")
    screen(child.id, family_abroad=[])
    rescore(child.returnee_id)
    clock.advance(days=2)
    rescore(child.returnee_id)
    flag = flag_of(child.returnee_id)
    assert (flag.level.value, flag.score, flag.set_level.value) == ("high", 0, "high")
    assert changes_of(child.returnee_id) == [("low", "high", "worker@example.org")]


def test_a_childs_set_level_is_a_floor_the_score_can_rise_above(
    register, screen, worker, in_app, flag_of, changes_of
):
    child = register(estimated_age=15)
    set_by(in_app, worker, child.returnee_id, "medium")
    screen(child.id, family_abroad=["spouse"], was_threatened=True)
    assert flag_of(child.returnee_id).level.value == "high"
    screen(child.id, family_abroad=[], was_threatened=False)
    assert flag_of(child.returnee_id).level.value == "medium", "back to the set level, no lower"
    assert changes_of(child.returnee_id) == [
        ("low", "medium", "worker@example.org"),
        ("medium", "high", "recompute"),
        ("high", "medium", "recompute"),
    ]


def test_an_adults_set_level_holds_until_new_evidence_moves_the_computed_level(
    register, screen, worker, in_app, rescore, flag_of, changes_of
):
    adult = register(estimated_age=30)
    set_by(in_app, worker, adult.returnee_id, "high")
    rescore(adult.returnee_id)
    screen(adult.id, has_journey_debt=True)  # 5 points: still low by the score
    assert flag_of(adult.returnee_id).level.value == "high", "the score's level did not move"
    screen(adult.id, has_journey_debt=True, family_abroad=["children"])  # 35: medium
    flag = flag_of(adult.returnee_id)
    assert (flag.level.value, flag.set_level, flag.set_reason) == ("medium", None, "")
    assert changes_of(adult.returnee_id) == [
        ("low", "high", "worker@example.org"),
        ("high", "medium", "recompute"),
    ]


def test_setting_a_level_needs_a_known_level_and_a_reason(register, worker, in_app, flag_of):
    arrival = register()
    with pytest.raises(InvalidInput) as refused:
        set_by(in_app, worker, arrival.returnee_id, "extreme", "  ")
    assert set(refused.value.fields) == {"level", "reason"}
    assert flag_of(arrival.returnee_id).set_level is None


def test_the_set_level_is_among_the_reasons_of_its_change(app, register, worker, in_app):
    arrival = register()
    set_by(in_app, worker, arrival.returnee_id, "high", "says a smuggler waits for them")
    with in_app() as session:
        change = session.scalars(select(RiskLevelChange)).one()
    with app.test_request_context(), force_locale("en"):
        assert describe(change.reasons) == [
            "level set to high by worker@example.org: says a smuggler waits for them"
        ]


def test_risk_of_gives_the_flags_of_the_people_asked_for(register, screen, in_app):
    from returnees.risk.services import risk_of

    scored, other = register(), register(given_names="Berta")
    screen(scored.id, family_abroad=["children"])
    with in_app() as session:
        flags = risk_of(session, [scored.returnee_id, 999_999])
        assert {key: flag.level.value for key, flag in flags.items()} == {
            scored.returnee_id: "medium"
        }
        assert risk_of(session, []) == {}
        assert other.returnee_id not in flags
