"""Each rule of the score, case by case, with the evidence it keeps; the sum and the levels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from returnees.risk.models import RiskLevel
from returnees.risk.rules import RULES, Inputs, Reading, level_for, score

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
ARRIVED = NOW - timedelta(days=40)
SHIPPED = {
    "family_abroad": 30,
    "one_earlier_return": 10,
    "two_or_more_earlier_returns": 20,
    "intends_to_leave": 25,
    "crime_victim": 25,
    "not_in_school_or_work": 10,
    "long_stay_abroad": 8,
    "journey_debt": 5,
    "unanswered_check_ins": 8,
}


def person(**inputs: object) -> Inputs:
    return Inputs(**({"returnee_id": 1, "now": NOW, "arrived_at": ARRIVED} | inputs))


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


CASES = [
    # rule, inputs, weight, expected (points, evidence) or None
    ("family_abroad", {}, 30, None),
    ("family_abroad", {"family_abroad": ("parents",)}, 30, None),
    ("family_abroad", {"family_abroad": ("spouse",)}, 30, (30, {"who": ["spouse"]})),
    ("family_abroad", {"family_abroad": ("children", "parents")}, 30, (30, {"who": ["children"]})),
    (
        "family_abroad",
        {"family_abroad": ("children", "spouse")},
        12,
        (12, {"who": ["spouse", "children"]}),
    ),
    ("one_earlier_return", {"returns_count": 0}, 10, None),
    ("one_earlier_return", {"returns_count": 1}, 10, (10, {"earlier_returns": 1})),
    ("one_earlier_return", {"returns_count": 2}, 10, None),
    ("two_or_more_earlier_returns", {"returns_count": 1}, 20, None),
    ("two_or_more_earlier_returns", {"returns_count": 2}, 20, (20, {"earlier_returns": 2})),
    ("two_or_more_earlier_returns", {"returns_count": 5}, 20, (20, {"earlier_returns": 5})),
    ("intends_to_leave", {"intends_to_migrate_again": False, "screened_at": days_ago(1)}, 25, None),
    (
        "intends_to_leave",
        {"intends_to_migrate_again": True, "screened_at": days_ago(1)},
        25,
        (25, {"source": "intake", "at": days_ago(1).isoformat()}),
    ),
    (
        "intends_to_leave",
        {"said_leaving": Reading(True, days_ago(3))},
        25,
        (25, {"source": "check-in", "at": days_ago(3).isoformat()}),
    ),
    ("crime_victim", {"was_crime_victim": False, "was_threatened": None}, 25, None),
    (
        "crime_victim",
        {"was_crime_victim": True},
        25,
        (25, {"victim": True, "threatened": False}),
    ),
    (
        "crime_victim",
        {"was_threatened": True},
        25,
        (25, {"victim": False, "threatened": True}),
    ),
    (
        "not_in_school_or_work",
        {"working": Reading(False, days_ago(2))},
        10,
        (10, {"indicator": "working", "at": days_ago(2).isoformat()}),
    ),
    ("not_in_school_or_work", {"working": Reading(True, days_ago(2))}, 10, None),
    (
        "not_in_school_or_work",
        {"is_child": True, "in_school": Reading(False, days_ago(5))},
        10,
        (10, {"indicator": "in_school", "at": days_ago(5).isoformat()}),
    ),
    # A child is judged by school, not by work.
    ("not_in_school_or_work", {"is_child": True, "working": Reading(False, days_ago(5))}, 10, None),
    # An adult is judged by work, not by school.
    ("not_in_school_or_work", {"in_school": Reading(False, days_ago(5))}, 10, None),
    # Before day 30 after the latest arrival nothing counts yet.
    (
        "not_in_school_or_work",
        {"arrived_at": days_ago(29), "working": Reading(False, days_ago(1))},
        10,
        None,
    ),
    # A reading from before the latest arrival tells nothing about this return.
    ("not_in_school_or_work", {"working": Reading(False, days_ago(41))}, 10, None),
    ("long_stay_abroad", {"months_abroad": 23}, 8, None),
    ("long_stay_abroad", {"months_abroad": 24}, 8, (8, {"months": 24})),
    ("long_stay_abroad", {"months_abroad": None}, 8, None),
    ("journey_debt", {"has_journey_debt": None}, 5, None),
    ("journey_debt", {"has_journey_debt": True}, 5, (5, {})),
    ("unanswered_check_ins", {"unanswered": 1, "latest_outcomes": 3}, 8, None),
    (
        "unanswered_check_ins",
        {"unanswered": 2, "latest_outcomes": 3},
        8,
        (8, {"unanswered": 2, "of": 3}),
    ),
    (
        "unanswered_check_ins",
        {"unanswered": 2, "latest_outcomes": 2},
        8,
        (8, {"unanswered": 2, "of": 2}),
    ),
]


@pytest.mark.parametrize(
    ("rule", "inputs", "weight", "expected"),
    CASES,
    ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES)],
)
def test_each_rule_counts_with_its_evidence(rule, inputs, weight, expected):
    assert RULES[rule](person(**inputs), weight) == expected


def test_every_shipped_weight_has_a_rule():
    assert list(RULES) == list(SHIPPED)


@pytest.mark.parametrize(
    ("days", "points"),
    [(0, 25), (30, 25), (31, 13), (90, 13), (91, 7), (400, 7)],
)
def test_a_stated_intention_weighs_less_as_it_grows_older(days, points):
    found = RULES["intends_to_leave"](person(said_leaving=Reading(True, days_ago(days))), 25)
    assert found is not None and found[0] == points


def test_the_latest_statement_of_intention_is_the_one_weighed():
    answers = person(
        intends_to_migrate_again=True,
        screened_at=days_ago(100),
        said_leaving=Reading(True, days_ago(10)),
    )
    assert RULES["intends_to_leave"](answers, 25) == (
        25,
        {"source": "check-in", "at": days_ago(10).isoformat()},
    )
    older_answer = person(
        intends_to_migrate_again=True,
        screened_at=days_ago(10),
        said_leaving=Reading(True, days_ago(100)),
    )
    assert RULES["intends_to_leave"](older_answer, 25)[1]["source"] == "intake"


def test_the_score_adds_the_rules_strongest_first_and_a_zero_weight_turns_one_off():
    answers = person(
        returns_count=2,
        family_abroad=("children",),
        has_journey_debt=True,
        months_abroad=10,
    )
    points, reasons = score(answers, SHIPPED)
    assert points == 55
    assert [(r["rule"], r["points"]) for r in reasons] == [
        ("family_abroad", 30),
        ("two_or_more_earlier_returns", 20),
        ("journey_debt", 5),
    ]
    points, reasons = score(answers, SHIPPED | {"family_abroad": 0})
    assert points == 25 and "family_abroad" not in {r["rule"] for r in reasons}


@pytest.mark.parametrize(
    ("points", "level"),
    [
        (0, RiskLevel.LOW),
        (19, RiskLevel.LOW),
        (20, RiskLevel.MEDIUM),
        (39, RiskLevel.MEDIUM),
        (40, RiskLevel.HIGH),
        (131, RiskLevel.HIGH),
    ],
)
def test_levels_follow_the_thresholds(points, level):
    assert level_for(points, medium_from=20, high_from=40) is level
