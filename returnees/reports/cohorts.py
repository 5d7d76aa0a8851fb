"""A cohort's outcomes added up in SQL: one row per arrival in the period (its groups and a 0
or 1 for each figure, from correlated subqueries on indexed columns), summed with GROUP BY.

Referrals and closed cases are counted by joining them to the cohort's arrivals and grouping
by kind: a person may have several. Nothing here loops over people in Python."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Subquery,
    and_,
    case,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session, aliased

from returnees.auth.access import Actor
from returnees.casework.models import Case, CaseStatus, CloseReason
from returnees.centres.models import Centre, Country
from returnees.followups.models import CheckIn, Indicator, IndicatorReading
from returnees.people.models import Returnee
from returnees.people.scope import returnee_scope
from returnees.reception.models import Arrival
from returnees.referrals.models import Referral, ReferralStatus, ServiceKind
from returnees.reports.periods import shifted

AGE_GROUPS = ("0-11", "12-17", "18-29", "30+", "unknown")
CHILD_GROUPS = ("0-11", "12-17")
ADULT_GROUPS = ("18-29", "30+")
REFERRAL_KINDS = (
    ServiceKind.SCHOOL,
    ServiceKind.JOBS,
    ServiceKind.TRAINING,
    ServiceKind.PSYCHOSOCIAL,
    ServiceKind.HEALTH,
    ServiceKind.LEGAL_AID,
    ServiceKind.PROTECTION,
)
RETURN_MONTHS = (3, 6, 12)
SCHOOL_DAYS = (30, 90, 180)
DIMENSIONS = (
    "sex",
    "age_group",
    "unaccompanied",
    "earlier_returns",
    "return_type",
    "home_country",
    "home_department",
)
PEOPLE_FIGURES = (
    "arrivals",
    "reached_day_3",
    "reached",
    "answered_any",
    "safe_answered",
    "safe_at_last_answer",
    "children",
    *(f"in_school_day_{day}" for day in SCHOOL_DAYS),
    "adults",
    "adults_working_or_referred",
    *(f"returned_{months}_months" for months in RETURN_MONTHS),
)
REFERRAL_FIGURES = tuple(
    name for kind in REFERRAL_KINDS for name in (f"referrals_{kind}", f"attended_{kind}")
)
CLOSURE_FIGURES = tuple(f"closed_{reason}" for reason in CloseReason)
FIGURES = PEOPLE_FIGURES + REFERRAL_FIGURES + CLOSURE_FIGURES


@dataclass(frozen=True)
class Cohort:
    """Arrivals from `starts_at` (included) to `ends_at` (excluded), at one centre, followed by
    one office, living in one department or returned to one country (each optional)."""

    starts_at: datetime
    ends_at: datetime
    centre_id: int | None = None
    office_id: int | None = None
    department: str | None = None
    country: Country | None = None


Group = tuple[str, ...]


def count_outcomes(
    session: Session,
    actor: Actor,
    cohort: Cohort,
    by: Sequence[str],
    months: Sequence[tuple[str, datetime]] = (),
) -> dict[Group, dict[str, int]]:
    """Every figure of the cohort for each group of `by` (and for each month of `months`, a
    label and the instant it starts, when "month" is among `by`)."""
    _without_jit(session)
    arrivals = _cohort_arrivals(session, actor, cohort, months)
    counted: dict[Group, dict[str, int]] = {}
    width = len(by)
    for row in session.execute(_people_figures(session, arrivals, by)):
        values = (int(value or 0) for value in row[width:])
        counted[_group(row[:width])] = dict(zip(PEOPLE_FIGURES, values, strict=True))
    for group, figures in _referral_figures(session, arrivals, by).items():
        counted.setdefault(group, {}).update(figures)
    for group, figures in _closure_figures(session, arrivals, by).items():
        counted.setdefault(group, {}).update(figures)
    return {
        group: {name: figures.get(name, 0) for name in FIGURES}
        for group, figures in counted.items()
    }


def _without_jit(session: Session) -> None:
    """PostgreSQL would compile this query's hundreds of expressions to machine code first
    (its cost passes jit_above_cost): 7.5 s of 8.6 s for a year of 20,000 people, to save
    milliseconds. Off for the rest of this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _group(values: Sequence[object]) -> Group:
    """A group's values as text (enums by their value)."""
    return tuple(str(value) for value in values)


def _cohort_arrivals(
    session: Session, actor: Actor, cohort: Cohort, months: Sequence[tuple[str, datetime]]
) -> Subquery:
    """One row per arrival of the cohort: the person, when, the next return, and its groups."""
    later = aliased(Arrival)
    next_arrival = (
        select(func.min(later.arrived_at))
        .where(later.returnee_id == Arrival.returnee_id, later.arrived_at > Arrival.arrived_at)
        .scalar_subquery()
    )
    earlier = (
        select(func.count())
        .select_from(later)
        .where(later.returnee_id == Arrival.returnee_id, later.arrived_at < Arrival.arrived_at)
        .scalar_subquery()
    )
    age = _age_at_arrival()
    query = (
        select(
            Arrival.id.label("arrival_id"),
            Arrival.returnee_id.label("returnee_id"),
            Arrival.arrived_at.label("arrived_at"),
            next_arrival.label("next_arrived_at"),
            Returnee.sex.label("sex"),
            case(
                (age.is_(None), "unknown"),
                (age < 12, "0-11"),
                (age < 18, "12-17"),
                (age < 30, "18-29"),
                else_="30+",
            ).label("age_group"),
            case((Arrival.is_unaccompanied, "yes"), else_="no").label("unaccompanied"),
            case((earlier == 0, "0"), (earlier == 1, "1"), else_="2+").label("earlier_returns"),
            Arrival.return_type.label("return_type"),
            func.coalesce(func.substr(Returnee.home_code, 1, 2), "unknown").label("home_country"),
            func.coalesce(func.substr(Returnee.home_code, 1, 5), "unknown").label(
                "home_department"
            ),
            _month_of(Arrival.arrived_at, months).label("month"),
        )
        .join(Returnee, Returnee.id == Arrival.returnee_id)
        .where(
            Arrival.arrived_at >= cohort.starts_at,
            Arrival.arrived_at < cohort.ends_at,
            returnee_scope(actor, session),
            *_filters(cohort),
        )
    )
    return query.subquery("cohort")


def _filters(cohort: Cohort) -> list[ColumnElement[bool]]:
    chosen: list[ColumnElement[bool]] = []
    if cohort.centre_id is not None:
        chosen.append(Arrival.centre_id == cohort.centre_id)
    if cohort.office_id is not None:
        chosen.append(Returnee.office_id == cohort.office_id)
    if cohort.department:
        chosen.append(func.substr(Returnee.home_code, 1, 5) == cohort.department)
    if cohort.country is not None:
        chosen.append(
            Arrival.centre_id.in_(select(Centre.id).where(Centre.country == cohort.country))
        )
    return chosen


def _age_at_arrival() -> ColumnElement[int]:
    """Whole years on the day of arrival (UTC) from the birth date, else the estimated age."""
    born, arrived = Returnee.birth_date, Arrival.arrived_at
    before_birthday = case(
        (
            extract("month", arrived) * 100 + extract("day", arrived)
            < extract("month", born) * 100 + extract("day", born),
            1,
        ),
        else_=0,
    )
    years = extract("year", arrived) - extract("year", born) - before_birthday
    return func.coalesce(years, Returnee.estimated_age)


def _month_of(column, months: Sequence[tuple[str, datetime]]) -> ColumnElement[str]:
    """The label of the month an instant falls in (months given by their local start)."""
    if not months:
        return literal("")
    latest_first = [(column >= start, label) for label, start in reversed(months)]
    return case(*latest_first, else_="")


def _people_figures(session: Session, arrivals: Subquery, by: Sequence[str]):
    flags = _flags(session, arrivals)
    groups = [arrivals.c[name] for name in by]
    return (
        select(*groups, *(func.sum(flags[name]) for name in PEOPLE_FIGURES))
        .select_from(arrivals)
        .group_by(*groups)
    )


def _flags(session: Session, c: Subquery) -> dict[str, ColumnElement[int]]:
    """Each figure of one arrival as 1 or 0 (definitions: README, "Outcomes by cohort")."""
    config = current_app.config
    child = c.c.age_group.in_(CHILD_GROUPS)
    adult = c.c.age_group.in_(ADULT_GROUPS)
    safe_latest = _latest_reading(session, c, Indicator.SAFE)
    flags = {
        "arrivals": literal(1),
        "reached_day_3": _answered_within(session, c, 3),
        "reached": _answered_within(session, c, config["REPORT_REACHED_DAYS"]),
        "answered_any": _answered_within(session, c, None),
        "safe_answered": case((safe_latest.is_not(None), 1), else_=0),
        "safe_at_last_answer": case((safe_latest == true(), 1), else_=0),
        "children": case((child, 1), else_=0),
        "adults": case((adult, 1), else_=0),
        "adults_working_or_referred": case((and_(adult, _working_or_referred(c)), 1), else_=0),
    }
    for day, (first, last) in _school_windows(config).items():
        in_school = _latest_reading(session, c, Indicator.IN_SCHOOL, first, last) == true()
        flags[f"in_school_day_{day}"] = case((and_(child, in_school), 1), else_=0)
    for months in RETURN_MONTHS:
        again = c.c.next_arrived_at <= shifted(session, c.c.arrived_at, months=months)
        flags[f"returned_{months}_months"] = case((again, 1), else_=0)
    return flags


def _school_windows(config: Mapping) -> dict[int, tuple[int, int]]:
    return {day: tuple(config["REPORT_SCHOOL_WINDOWS"][day]) for day in SCHOOL_DAYS}


def _answered_within(session: Session, c: Subquery, days: int | None) -> ColumnElement[int]:
    # The person first: the index of a person's check-ins leads with it.
    answered = [
        CheckIn.returnee_id == c.c.returnee_id,
        CheckIn.arrival_id == c.c.arrival_id,
        CheckIn.answered_at.is_not(None),
    ]
    if days is not None:
        answered.append(CheckIn.answered_at <= shifted(session, c.c.arrived_at, days=days))
    return case((exists().where(*answered), 1), else_=0)


def _before_next_return(c: Subquery, column) -> ColumnElement[bool]:
    """What happened after this arrival and before the person's next one."""
    return and_(
        column >= c.c.arrived_at,
        or_(c.c.next_arrived_at.is_(None), column < c.c.next_arrived_at),
    )


def _latest_reading(
    session: Session,
    c: Subquery,
    indicator: Indicator,
    first_day: int | None = None,
    last_day: int | None = None,
):
    """The latest reading of an indicator after the arrival (within the days given)."""
    reading = IndicatorReading
    where = [
        reading.returnee_id == c.c.returnee_id,
        reading.indicator == indicator,
        _before_next_return(c, reading.observed_at),
    ]
    if first_day is not None:
        where.append(reading.observed_at >= shifted(session, c.c.arrived_at, days=first_day))
    if last_day is not None:
        where.append(reading.observed_at <= shifted(session, c.c.arrived_at, days=last_day))
    return (
        select(reading.value)
        .where(*where)
        .order_by(reading.observed_at.desc(), reading.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _working_or_referred(c: Subquery) -> ColumnElement[bool]:
    working = exists().where(
        IndicatorReading.returnee_id == c.c.returnee_id,
        IndicatorReading.indicator == Indicator.WORKING,
        IndicatorReading.value == true(),
        _before_next_return(c, IndicatorReading.observed_at),
    )
    referred = exists().where(
        Referral.returnee_id == c.c.returnee_id,
        Referral.service == ServiceKind.JOBS,
        _before_next_return(c, Referral.made_at),
    )
    return or_(working, referred)


def _referral_figures(
    session: Session, c: Subquery, by: Sequence[str]
) -> dict[Group, dict[str, int]]:
    groups = [c.c[name] for name in by]
    attended = func.sum(case((Referral.status == ReferralStatus.ATTENDED, 1), else_=0))
    query = (
        select(*groups, Referral.service, func.count(), attended)
        .select_from(c)
        .join(
            Referral,
            and_(Referral.returnee_id == c.c.returnee_id, _before_next_return(c, Referral.made_at)),
        )
        .where(Referral.service.in_(REFERRAL_KINDS))
        .group_by(*groups, Referral.service)
    )
    counted: dict[Group, dict[str, int]] = {}
    for *group, service, made, came in session.execute(query):
        figures = counted.setdefault(_group(group), {})
        figures[f"referrals_{service}"] = int(made)
        figures[f"attended_{service}"] = int(came or 0)
    return counted


def _closure_figures(
    session: Session, c: Subquery, by: Sequence[str]
) -> dict[Group, dict[str, int]]:
    groups = [c.c[name] for name in by]
    query = (
        select(*groups, Case.close_reason, func.count())
        .select_from(c)
        .join(
            Case,
            and_(Case.returnee_id == c.c.returnee_id, _before_next_return(c, Case.opened_at)),
        )
        .where(Case.status == CaseStatus.CLOSED, Case.close_reason.is_not(None))
        .group_by(*groups, Case.close_reason)
    )
    counted: dict[Group, dict[str, int]] = {}
    for *group, reason, closed in session.execute(query):
        counted.setdefault(_group(group), {})[f"closed_{reason}"] = int(closed)
    return counted
