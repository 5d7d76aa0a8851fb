"""Each arrival's outcome figures, worked out in SQL and kept in `arrival_figures`, so that a
cohort's report is a GROUP BY over one row per arrival (reports.cohorts).

What one arrival's figures are: its groups and a 0 or 1 for each people figure, from
correlated subqueries on indexed columns (the check-ins of an arrival, a person's readings by
indicator and time), and its referrals and closed cases counted by kind; the README's
"Outcomes by cohort" defines each.

When they are worked out again: every figure depends on a person's arrivals, check-in
answers, readings, referrals, cases and record (sex, birth date, home), never on the clock. A
change to any of them written through the ORM lists the person in `arrival_figures_stale` in
the same transaction (the flush listener below); a merge, which moves rows with UPDATE, lists
both people itself. The listed people are refreshed by the job (every minute) and, up to
REPORT_REFRESH_ON_READ of them, before a report is read, so a report is as fresh as the data
unless more people changed in the last minute than that. The job also fills the rows of
arrivals that have none (loaded past the ORM, or held before the table existed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    delete,
    event,
    exists,
    extract,
    func,
    inspect,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from returnees.casework.models import Case, CaseStatus, CloseReason
from returnees.core.clock import utcnow
from returnees.core.db import among
from returnees.core.scheduler import drain
from returnees.followups.models import CheckIn, Indicator, IndicatorReading
from returnees.people.models import Returnee
from returnees.reception.models import Arrival
from returnees.referrals.models import Referral, ReferralStatus, ServiceKind
from returnees.reports.definitions import (
    ADULT_GROUPS,
    CHILD_GROUPS,
    DIMENSIONS,
    REFERRAL_KINDS,
    RETURN_MONTHS,
    SCHOOL_DAYS,
)
from returnees.reports.models import (
    MONTH_OFFSET,
    STORED_FIGURES,
    StaleFigures,
    arrival_figures,
    monthly_figures,
    wave_figures,
)
from returnees.reports.periods import month_of, shifted
from returnees.surveys.models import SurveyWave, WaveStatus

REFRESH_BATCH = 2_000  # people listed as stale, refreshed in one statement
FILL_BATCH = 5_000  # arrivals without figures, filled in one statement


# Listing the people whose figures changed


# The attributes whose change alters a figure (None: any change, or the row being added).
WATCHED: dict[type, tuple[str, ...] | None] = {
    Arrival: None,
    IndicatorReading: None,
    Referral: None,
    CheckIn: ("answered_at", "arrival_id", "returnee_id"),
    Case: ("status", "close_reason", "opened_at", "returnee_id"),
    Returnee: ("sex", "birth_date", "estimated_age", "home_code", "centre_id"),
    SurveyWave: (
        "status",
        "day",
        "arrival_id",
        "returnee_id",
        "economic_score",
        "social_score",
        "psychosocial_score",
        "composite_score",
    ),
}


def mark_stale(session: Session, returnee_ids: Iterable[int | None]) -> None:
    """List these people for their figures to be worked out again."""
    now = utcnow()
    rows = [{"returnee_id": i, "marked_at": now} for i in sorted(set(returnee_ids) - {None})]
    if rows:
        session.connection().execute(StaleFigures.__table__.insert(), rows)


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: object) -> None:
    """After each flush, while its new, changed and deleted objects are still known: list the
    people whose figures these change."""
    people: set[int | None] = set()
    for instance in (*session.new, *session.deleted):
        if type(instance) in WATCHED and not isinstance(instance, Returnee):
            # Read from what is held: a deleted row cannot be loaded again.
            held = inspect(instance).dict
            if not isinstance(instance, CheckIn) or held.get("answered_at") is not None:
                people.add(held.get("returnee_id"))
    for instance in session.dirty:
        if type(instance) in WATCHED:
            people |= _changed_people(session, instance)
    mark_stale(session, people)


def _changed_people(session: Session, instance: object) -> set[int | None]:
    watched = WATCHED[type(instance)]
    state = inspect(instance)
    own = state.dict.get("id" if isinstance(instance, Returnee) else "returnee_id")
    if watched is None:
        changed = session.is_modified(instance, include_collections=False)
    else:
        changed = any(state.attrs[name].history.has_changes() for name in watched)
    if not changed:
        return set()
    people = {own}
    if "returnee_id" in state.attrs:
        people |= set(state.attrs.returnee_id.history.deleted or ())
    return people


# Working them out again


def refresh_stale(session: Session, limit: int | None = None) -> int:
    """Work out again the figures of the people listed (the first `limit` rows of the list,
    all without), and take them off it; how many people."""
    _lock_figures(session)
    listed = select(StaleFigures.id, StaleFigures.returnee_id).order_by(StaleFigures.id)
    if limit is not None:
        listed = listed.limit(limit)
    rows = session.execute(listed).all()
    if not rows:
        return 0
    # Only the rows read: a change committed meanwhile stays listed for the next refresh.
    table = StaleFigures.__table__
    session.execute(delete(table).where(among(session, table.c.id, [row.id for row in rows])))
    people = sorted({row.returnee_id for row in rows})
    refresh_people(session, people)
    return len(people)


def refresh_people(session: Session, returnee_ids: list[int]) -> None:
    """Work out again the figures of every arrival of these people."""
    if not returnee_ids:
        return
    _lock_figures(session)
    theirs = among(session, Arrival.returnee_id, returnee_ids)
    # Their rows now, and those of arrivals that were theirs (a merge moved them away).
    written = or_(
        among(session, arrival_figures.c.returnee_id, returnee_ids),
        arrival_figures.c.arrival_id.in_(select(Arrival.id).where(theirs)),
    )
    _upsert(session, arrival_facts(session, theirs), written)


def fill_missing(session: Session, limit: int = FILL_BATCH) -> int:
    """Work out the figures of up to `limit` arrivals that have none; how many."""
    _lock_figures(session)
    missing = (
        select(Arrival.id)
        .where(~exists().where(arrival_figures.c.arrival_id == Arrival.id))
        .order_by(Arrival.id)
        .limit(limit)
    )
    ids = list(session.scalars(missing))
    if ids:
        written = among(session, arrival_figures.c.arrival_id, ids)
        _upsert(session, arrival_facts(session, among(session, Arrival.id, ids)), written)
    return len(ids)


def refresh_figures(session: Session) -> int:
    """The job: the people listed, then the arrivals without figures, in batches committed
    one by one within the job's time budget; how many people and arrivals."""

    def batch(session: Session) -> tuple[int, bool]:
        people = refresh_stale(session, REFRESH_BATCH)
        if people:
            return people, True
        filled = fill_missing(session)
        return filled, filled == FILL_BATCH

    return drain(session, batch)


def refresh_before_reading(session: Session) -> None:
    """Before a report: the people listed, when they are few enough to be quick (else the job
    takes them, within a minute)."""
    limit = int(current_app.config["REPORT_REFRESH_ON_READ"])
    if limit > 0 and session.scalar(select(func.count()).select_from(_first(limit + 1))) <= limit:
        refresh_stale(session)


def _first(count: int) -> Subquery:
    return select(StaleFigures.id).limit(count).subquery()


def _upsert(session: Session, facts: Select, written: ColumnElement[bool]) -> None:
    """Write the rows of `facts`, replacing those of the same arrivals, and keep the months'
    sums in step: the rows meeting `written` (every row `facts` replaces or adds) are taken out
    of them before and added back after."""
    names = [column.name for column in arrival_figures.c]
    statement = _dialect(session).insert(arrival_figures).from_select(names, facts)
    statement = statement.on_conflict_do_update(
        index_elements=["arrival_id"],
        set_={name: statement.excluded[name] for name in names if name != "arrival_id"},
    )
    _without_jit(session)
    _count_in_months(session, written, -1)
    session.execute(statement)
    _count_in_months(session, written, 1)
    _write_waves(session, written)


def _write_waves(session: Session, rows: ColumnElement[bool]) -> None:
    """The completed waves of the arrivals whose rows meet `rows`, written anew with their
    arrival's copies."""
    f = arrival_figures.c
    arrivals = select(f.arrival_id).where(rows)
    session.execute(delete(wave_figures).where(wave_figures.c.arrival_id.in_(arrivals)))
    wave = SurveyWave
    completed = (
        select(
            wave.id,
            f.arrival_id,
            f.returnee_id,
            f.arrived_at,
            f.centre_id,
            f.returnee_centre_id,
            f.home_department,
            wave.day,
            wave.economic_score,
            wave.social_score,
            wave.psychosocial_score,
            wave.composite_score,
        )
        .join(arrival_figures, f.arrival_id == wave.arrival_id)
        .where(rows, wave.status == WaveStatus.COMPLETED)
    )
    names = [column.name for column in wave_figures.c]
    session.execute(wave_figures.insert().from_select(names, completed))


def _dialect(session: Session):
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def _lock_figures(session: Session) -> None:
    """One writer of the figures at a time (the job, or a report refreshing first), until it
    commits: the months' sums add what one writer read, and two writers of the same arrival
    would otherwise both take its old row out and each add its own. On SQLite a writer is
    alone anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext("arrival_figures"))))


def _count_in_months(session: Session, rows: ColumnElement[bool], sign: int) -> None:
    """Add (sign 1) or take away (sign -1) the arrival_figures rows meeting `rows` to or from
    their months' sums."""
    f = arrival_figures.c
    keys = {
        "month": month_of(session, f.arrived_at, MONTH_OFFSET),
        "centre_id": f.centre_id,
        "returnee_centre_id": f.returnee_centre_id,
        "home_department": func.coalesce(f.home_department, "unknown"),
    }
    sums = {"arrivals": func.count()} | {name: func.sum(f[name]) for name in STORED_FIGURES}
    added = (
        select(
            *(key.label(name) for name, key in keys.items()),
            *((sign * total).label(name) for name, total in sums.items()),
        )
        .where(rows)
        .group_by(*keys.values())
    )
    statement = _dialect(session).insert(monthly_figures).from_select([*keys, *sums], added)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: monthly_figures.c[name] + statement.excluded[name] for name in sums},
    )
    session.execute(statement)


def rebuild_months(session: Session) -> None:
    """The months' sums added up anew from arrival_figures (after a load past the app)."""
    _lock_figures(session)
    session.execute(delete(monthly_figures))
    _count_in_months(session, true(), 1)


def _without_jit(session: Session) -> None:
    """PostgreSQL would compile this query's hundreds of expressions to machine code first
    (its cost passes jit_above_cost): 7.5 s of 8.6 s for a year of 20,000 people, to save
    milliseconds. Off for the rest of this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.set_config("jit", "off", True)))


# One arrival's figures, in SQL


def arrival_facts(session: Session, condition: ColumnElement[bool]) -> Select:
    """One row per arrival meeting `condition` (on arrivals and returnees), in the columns of
    arrival_figures: the arrival, the person, the groups, each figure, when worked out."""
    c = _arrival_rows(condition)
    flags = _flags(session, c)
    for kind in REFERRAL_KINDS:
        flags[f"referrals_{kind}"] = _referrals(c, kind)
        flags[f"attended_{kind}"] = _referrals(c, kind, ReferralStatus.ATTENDED)
    for reason in CloseReason:
        flags[f"closed_{reason}"] = _closed(c, reason)
    return select(
        c.c.arrival_id,
        c.c.returnee_id,
        c.c.arrived_at,
        c.c.centre_id,
        c.c.returnee_centre_id,
        *(c.c[name] for name in DIMENSIONS),
        *(flags[name].label(name) for name in STORED_FIGURES),
        literal(utcnow(), arrival_figures.c.refreshed_at.type).label("refreshed_at"),
    ).where(c.c.arrival_id.is_not(None))  # SQLite reads INSERT ... SELECT ... ON CONFLICT so


def _arrival_rows(condition: ColumnElement[bool]) -> Subquery:
    """One row per arrival: the person, when, the next return, and its groups."""
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
            Arrival.centre_id.label("centre_id"),
            Returnee.centre_id.label("returnee_centre_id"),
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
        )
        .join(Returnee, Returnee.id == Arrival.returnee_id)
        .where(condition)
    )
    return query.subquery("arrival")


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


def _flags(session: Session, c: Subquery) -> dict[str, ColumnElement[int]]:
    """Each people figure of one arrival as 1 or 0 (definitions: README, "Outcomes by
    cohort")."""
    config = current_app.config
    child = c.c.age_group.in_(CHILD_GROUPS)
    adult = c.c.age_group.in_(ADULT_GROUPS)
    safe_latest = _latest_reading(session, c, Indicator.SAFE)
    flags = {
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


def _referrals(
    c: Subquery, kind: ServiceKind, status: ReferralStatus | None = None
) -> ColumnElement[int]:
    """The person's referrals of one kind made after the arrival (of one status)."""
    where = [
        Referral.returnee_id == c.c.returnee_id,
        Referral.service == kind,
        _before_next_return(c, Referral.made_at),
    ]
    if status is not None:
        where.append(Referral.status == status)
    return select(func.count()).select_from(Referral).where(*where).scalar_subquery()


def _closed(c: Subquery, reason: CloseReason) -> ColumnElement[int]:
    """The person's cases opened after the arrival and closed for one reason."""
    return (
        select(func.count())
        .select_from(Case)
        .where(
            Case.returnee_id == c.c.returnee_id,
            Case.status == CaseStatus.CLOSED,
            Case.close_reason == reason,
            _before_next_return(c, Case.opened_at),
        )
        .scalar_subquery()
    )
