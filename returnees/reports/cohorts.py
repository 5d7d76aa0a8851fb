"""A cohort's outcomes added up in SQL: a GROUP BY over the cohort's rows of
`arrival_figures` (one row per arrival, its groups and figures: reports.facts), joined to the
arrival and the person for the period, the reader's scope and the filters, which are read as
they are now. Nothing here loops over people in Python.

Month by month with no other group (a trend), the same sums are read from `monthly_figures`
(arrival_figures added up by month), when its months are the ones asked for and the scope and
filters read only what it keeps; else from arrival_figures as any table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Column, ColumnElement, Table, case, func, literal, select
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
from returnees.reports.models import (
    MONTH_OFFSET,
    STORED_FIGURES,
    arrival_figures,
    monthly_figures,
)
from returnees.reports.periods import add_months, month_start_at


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
    if tuple(by) == ("month",):
        by_month = monthly_sums(session, actor, cohort, months)
        if by_month is not None:
            return by_month
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
        select(*arrival_figures.c, month_of_arrival(figures.arrived_at, months).label("month"))
        .select_from(arrival_figures)
        .where(
            figures.arrived_at >= cohort.starts_at,
            figures.arrived_at < cohort.ends_at,
            scope if copied is None else copied,
            *cohort_filters(cohort),
        )
    )
    if copied is None or cohort.office_id is not None:
        query = query.join(Returnee, Returnee.id == figures.returnee_id)
    if cohort.office_id is not None:
        query = query.where(Returnee.office_id == cohort.office_id)
    return query.subquery("cohort")


def monthly_sums(
    session: Session, actor: Actor, cohort: Cohort, months: Sequence[tuple[str, datetime]]
) -> dict[Group, dict[str, int]] | None:
    """Each month's figures read from monthly_figures, or None where it cannot answer: months
    that do not begin at its offset, an office asked for, or a scope on something else than
    the person's centre."""
    firsts = [_month_beginning(start) for _label, start in months]
    if not months or None in firsts or cohort.office_id is not None:
        return None
    ends_at = month_start_at(add_months(firsts[-1], 1), MONTH_OFFSET)
    if cohort.starts_at != months[0][1] or cohort.ends_at != ends_at:
        return None
    m = monthly_figures.c
    own_centre = {"centre_id": "returnee_centre_id"}
    scope = on_copies(returnee_scope(actor, session), monthly_figures, own_centre)
    if scope is None:
        return None
    labels = dict(zip(firsts, (label for label, _start in months), strict=True))
    query = (
        select(m.month, func.sum(m.arrivals), *(func.sum(m[name]) for name in STORED_FIGURES))
        .where(
            m.month >= firsts[0],
            m.month <= firsts[-1],
            scope,
            *cohort_filters(cohort, monthly_figures),
        )
        .group_by(m.month)
    )
    counted: dict[Group, dict[str, int]] = {}
    for month, *values in session.execute(query):
        counted[(labels[month],)] = dict(zip(FIGURES, (int(v or 0) for v in values), strict=True))
    return counted


def _month_beginning(instant: datetime) -> date | None:
    """The month `instant` begins at monthly_figures' offset, or None if it begins none."""
    local = (instant + MONTH_OFFSET).date()
    month = local.replace(day=1)
    return month if month_start_at(month, MONTH_OFFSET) == instant else None


# The person's columns that arrival_figures copies, and the copy's name.
COPIED = {"id": "returnee_id", "centre_id": "returnee_centre_id"}


def _on_figures(condition: ColumnElement[bool]) -> ColumnElement[bool] | None:
    """The condition read from the figures' copies of the person's columns, or None when it
    reads a column not copied (the person must then be joined)."""
    return on_copies(condition, arrival_figures, COPIED)


def on_copies(
    condition: ColumnElement[bool], table: Table, copied: dict[str, str]
) -> ColumnElement[bool] | None:
    """The condition read from `table`'s copies of the person's columns (`copied`: a person's
    column and its copy's name), or None when it reads a column not copied."""
    people = Returnee.__table__
    missing: list[str] = []

    def replace(element: object) -> object | None:
        if isinstance(element, Column) and element.table is people:
            if element.name not in copied:
                missing.append(element.name)
                return None
            return table.c[copied[element.name]]
        return None

    adapted = visitors.replacement_traverse(condition, {}, replace)
    return None if missing else adapted


def _group(values: Sequence[object]) -> Group:
    """A group's values as text (enums by their value)."""
    return tuple(str(value) for value in values)


def cohort_filters(cohort: Cohort, table: Table = arrival_figures) -> list[ColumnElement[bool]]:
    """The centre, department and country asked for, on `table`'s copies of them."""
    chosen: list[ColumnElement[bool]] = []
    centre = table.c.centre_id
    if cohort.centre_id is not None:
        chosen.append(centre == cohort.centre_id)
    if cohort.department:
        chosen.append(table.c.home_department == cohort.department)
    if cohort.country is not None:
        chosen.append(centre.in_(select(Centre.id).where(Centre.country == cohort.country)))
    return chosen


def month_of_arrival(column, months: Sequence[tuple[str, datetime]]) -> ColumnElement[str]:
    """The label of the month an instant falls in (months given by their local start)."""
    if not months:
        return literal("")
    latest_first = [(column >= start, label) for label, start in reversed(months)]
    return case(*latest_first, else_="")
