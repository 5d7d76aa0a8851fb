"""The rules of the repeat-migration score: each reads a person's gathered inputs and says whether
it counts, for how many points, and on what evidence.

A rule is `rule(person, weight) -> (points, evidence) | None`; its key is the key of its weight in
RiskRules.weights. Evidence is plain JSON (dates as ISO-8601 text), stored with the score so that
a reason can be read back in words long after the inputs changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _

from returnees.risk.models import RiskLevel

Finding = tuple[int, dict]
Rule = Callable[["Inputs", int], Finding | None]

# A child's schooling or an adult's work is judged from this many days after the latest arrival.
SETTLING_IN = timedelta(days=30)
# A stated intention to leave counts in full this recently, half this recently, a quarter older.
RECENT, LESS_RECENT = timedelta(days=30), timedelta(days=90)
LONG_STAY_MONTHS = 24
# Unanswered check-ins count when this many of the latest LATEST_CHECK_INS with an outcome are.
UNANSWERED_AT_LEAST, LATEST_CHECK_INS = 2, 3


@dataclass(frozen=True, slots=True)
class Reading:
    value: bool
    at: datetime
    source: str = "check-in"


@dataclass(slots=True)
class Inputs:
    """What the rules read about one person, gathered for a whole batch at once."""

    returnee_id: int
    now: datetime
    returns_count: int = 0
    # Under 18 or travelling alone at the latest arrival: the child-protection process.
    is_child: bool = False
    arrived_at: datetime | None = None
    # From the latest screening.
    family_abroad: tuple[str, ...] = ()
    was_crime_victim: bool | None = None
    was_threatened: bool | None = None
    months_abroad: int | None = None
    has_journey_debt: bool | None = None
    intends_to_migrate_again: bool | None = None
    screened_at: datetime | None = None
    # The latest "yes" to leaving again at a check-in, and the latest school and work readings.
    said_leaving: Reading | None = None
    in_school: Reading | None = None
    working: Reading | None = None
    # Of the latest check-ins with an outcome (answered or unanswered), how many were unanswered.
    latest_outcomes: int = 0
    unanswered: int = 0


def family_abroad(person: Inputs, weight: int) -> Finding | None:
    who = [member for member in ("spouse", "children") if member in person.family_abroad]
    return (weight, {"who": who}) if who else None


def one_earlier_return(person: Inputs, weight: int) -> Finding | None:
    if person.returns_count != 1:
        return None
    return weight, {"earlier_returns": 1}


def two_or_more_earlier_returns(person: Inputs, weight: int) -> Finding | None:
    if person.returns_count < 2:
        return None
    return weight, {"earlier_returns": person.returns_count}


def intends_to_leave(person: Inputs, weight: int) -> Finding | None:
    """The latest time they said they would leave again, at intake or at a check-in; the older
    it is, the less it weighs (rounded up, so that a rule in force always counts)."""
    said: list[tuple[datetime, str]] = []
    if person.intends_to_migrate_again and person.screened_at is not None:
        said.append((person.screened_at, "intake"))
    if person.said_leaving is not None:
        said.append((person.said_leaving.at, person.said_leaving.source))
    if not said:
        return None
    at, source = max(said)
    age = person.now - at
    share = 1 if age <= RECENT else 2 if age <= LESS_RECENT else 4
    return math.ceil(weight / share), {"source": source, "at": at.astimezone(UTC).isoformat()}


def crime_victim(person: Inputs, weight: int) -> Finding | None:
    victim, threatened = bool(person.was_crime_victim), bool(person.was_threatened)
    if not (victim or threatened):
        return None
    return weight, {"victim": victim, "threatened": threatened}


def not_in_school_or_work(person: Inputs, weight: int) -> Finding | None:
    """From day 30 after the latest arrival: a child's latest school reading, or an adult's
    latest work reading, since that arrival says no."""
    if person.arrived_at is None or person.now < person.arrived_at + SETTLING_IN:
        return None
    indicator = "in_school" if person.is_child else "working"
    reading = person.in_school if person.is_child else person.working
    if reading is None or reading.value or reading.at < person.arrived_at:
        return None
    return weight, {"indicator": indicator, "at": reading.at.astimezone(UTC).isoformat()}


def long_stay_abroad(person: Inputs, weight: int) -> Finding | None:
    months = person.months_abroad
    if months is None or months < LONG_STAY_MONTHS:
        return None
    return weight, {"months": months}


def journey_debt(person: Inputs, weight: int) -> Finding | None:
    return (weight, {}) if person.has_journey_debt else None


def unanswered_check_ins(person: Inputs, weight: int) -> Finding | None:
    if person.unanswered < UNANSWERED_AT_LEAST:
        return None
    return weight, {"unanswered": person.unanswered, "of": person.latest_outcomes}


# In the order of the shipped weights (migrations/versions/0010_casework.py): strongest first.
RULES: dict[str, Rule] = {
    "family_abroad": family_abroad,
    "one_earlier_return": one_earlier_return,
    "two_or_more_earlier_returns": two_or_more_earlier_returns,
    "intends_to_leave": intends_to_leave,
    "crime_victim": crime_victim,
    "not_in_school_or_work": not_in_school_or_work,
    "long_stay_abroad": long_stay_abroad,
    "journey_debt": journey_debt,
    "unanswered_check_ins": unanswered_check_ins,
}

NAMES = {
    "family_abroad": _("Spouse or children abroad"),
    "one_earlier_return": _("One earlier return"),
    "two_or_more_earlier_returns": _("Two or more earlier returns"),
    "intends_to_leave": _("Says they will leave again"),
    "crime_victim": _("Victim of crime or threats"),
    "not_in_school_or_work": _("Not in school, or not working"),
    "long_stay_abroad": _("Long stay abroad"),
    "journey_debt": _("Debt for the journey"),
    "unanswered_check_ins": _("Unanswered check-ins"),
}
DESCRIPTIONS = {
    "family_abroad": _("Spouse or children still abroad (screening)."),
    "one_earlier_return": _("Returned once before (recorded arrivals)."),
    "two_or_more_earlier_returns": _("Returned two or more times before (recorded arrivals)."),
    "intends_to_leave": _(
        "Said they will leave again, at intake or at any check-in: full weight within 30 days, "
        "half within 90, a quarter after that."
    ),
    "crime_victim": _("Was a victim of crime, or was threatened (screening)."),
    "not_in_school_or_work": _(
        "From day 30 after arrival, the latest answer says a child is not in school, or an "
        "adult is not working."
    ),
    "long_stay_abroad": _("Lived abroad 24 months or more (screening)."),
    "journey_debt": _("Owes a debt for the journey (screening)."),
    "unanswered_check_ins": _("Two or more of the latest three check-ins went unanswered."),
}


def in_force(weights: dict[str, int]) -> list[tuple[str, Rule, int]]:
    """The rules that count under these weights (a weight of 0 turns a rule off)."""
    found = [(key, rule, int(weights.get(key) or 0)) for key, rule in RULES.items()]
    return [(key, rule, weight) for key, rule, weight in found if weight > 0]


def tally(person: Inputs, rules: list[tuple[str, Rule, int]]) -> tuple[int, list[dict]]:
    """The score under rules in force and its reasons, strongest first."""
    reasons = []
    for key, rule, weight in rules:
        found = rule(person, weight)
        if found is not None:
            reasons.append({"rule": key, "points": found[0], "evidence": found[1]})
    reasons.sort(key=lambda reason: -reason["points"])
    return sum(reason["points"] for reason in reasons), reasons


def score(person: Inputs, weights: dict[str, int]) -> tuple[int, list[dict]]:
    """The score and its reasons, strongest first; a weight of 0 turns a rule off."""
    return tally(person, in_force(weights))


def level_for(points: int, medium_from: int, high_from: int) -> RiskLevel:
    if points >= high_from:
        return RiskLevel.HIGH
    return RiskLevel.MEDIUM if points >= medium_from else RiskLevel.LOW
