"""A cohort's outcomes added up in SQL: a GROUP BY over the cohort's rows of
`arrival_figures` (one row per arrival, its groups and figures: reports.facts), joined to the
arrival and the person for the period, the reader's scope and the filters, which are read as
they are now. Nothing here loops over people in Python."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors

from returnees.auth.access import Actor
from returnees.centres.models import Centre, Country
from returnees.people.models import Returnee
from returnees.people.scope import returnee_scope
from returnees.reports.definitions import (  # noqa: F401 - the names others import from here
    ADULT_GROUPS,
    AGE_GROUPS,
    CHILD_GROUPS,
    CLOSURE_FIGURES,
    DIMENSIONS,
    FIGURES,
    PEOPLE_FIGURES,
    REFERRAL_FIGURES,
    REFERRAL_KINDS,
    RETURN_MONTHS,
    SCHOOL_DAYS,
)
from returnees.reports.facts import refresh_before_reading
from returnees.reports.models import STORED_FIGURES, arrival_figures


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
    label and the instant it starts, when "month" is among `by`); the people listed as
    changed are refreshed first when few (reports.facts)."""
    refresh_before_reading(session)
    serial_plans(session)
    members = cohort_members(session, actor, cohort, months)
    groups = [members.c[name] for name in by]
    query = (
        select(*groups, func.count(), *(func.sum(members.c[name]) for name in STORED_FIGURES))
        .select_from(members)
        .group_by(*groups)
    )
    width = len(by)
    counted: dict[Group, dict[str, int]] = {}
    for row in session.execute(query):
        values = (int(value or 0) for value in row[width:])
        counted[_group(row[:width])] = dict(zip(FIGURES, values, strict=True))
    return counted


def serial_plans(session: Session) -> None:
    """A month of a country is some tens of thousands of rows of one table, read in tens of
    milliseconds: PostgreSQL's parallel workers cost more to start than they save, and far
    more on a busy server (measured at 1,000,000 people, 2 shared cores: p95 of the table
    600 ms with them, 190 ms without). Off for the rest of this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.set_config("max_parallel_workers_per_gather", "0", True)))


def cohort_members(
    session: Session, actor: Actor, cohort: Cohort, months: Sequence[tuple[str, datetime]] = ()
):
    """One row per arrival of the cohort: its figures' row and its month. The arrivals are
    read by time from the figures, which copy what the period, the centre, the department and
    a supervisor's scope read; the person is joined only for the rest (an office, another
    role's scope), so that a month of a country is one table's rows."""
    figures = arrival_figures.c
    scope = returnee_scope(actor, session)
    copied = _on_figures(scope)
    query = (
        select(*arrival_figures.c, _month_of(figures.arrived_at, months).label("month"))
        .select_from(arrival_figures)
        .where(
            figures.arrived_at >= cohort.starts_at,
            figures.arrived_at < cohort.ends_at,
            scope if copied is None else copied,
            *_filters(cohort),
        )
    )
    if copied is None or cohort.office_id is not None:
        query = query.join(Returnee, Returnee.id == figures.returnee_id)
    if cohort.office_id is not None:
        query = query.where(Returnee.office_id == cohort.office_id)
    return query.subquery("cohort")


# The person's columns that arrival_figures copies, and the copy's name.
COPIED = {"id": "returnee_id", "centre_id": "returnee_centre_id"}


def _on_figures(condition: ColumnElement[bool]) -> ColumnElement[bool] | None:
    """The condition read from the figures' copies of the person's columns, or None when it
    reads a column not copied (the person must then be joined)."""
    people = Returnee.__table__
    missing: list[str] = []

    def replace(element: object) -> object | None:
        if isinstance(element, Column) and element.table is people:
            if element.name not in COPIED:
                missing.append(element.name)
                return None
            return arrival_figures.c[COPIED[element.name]]
        return None

    adapted = visitors.replacement_traverse(condition, {}, replace)
    return None if missing else adapted


def _group(values: Sequence[object]) -> Group:
    """A group's values as text (enums by their value)."""
    return tuple(str(value) for value in values)


def _filters(cohort: Cohort) -> list[ColumnElement[bool]]:
    chosen: list[ColumnElement[bool]] = []
    centre = arrival_figures.c.centre_id
    if cohort.centre_id is not None:
        chosen.append(centre == cohort.centre_id)
    if cohort.department:
        chosen.append(arrival_figures.c.home_department == cohort.department)
    if cohort.country is not None:
        chosen.append(centre.in_(select(Centre.id).where(Centre.country == cohort.country)))
    return chosen


def _month_of(column, months: Sequence[tuple[str, datetime]]) -> ColumnElement[str]:
    """The label of the month an instant falls in (months given by their local start)."""
    if not months:
        return literal("")
    latest_first = [(column >= start, label) for label, start in reversed(months)]
    return case(*latest_first, else_="")
