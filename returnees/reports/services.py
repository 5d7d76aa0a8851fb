"""Outcome tables a supervisor or an admin asks for: the cohort's figures by group, small
cells hidden, and the same month by month. The page, the API, the exports and the monthly
workbook all read them from here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.centres.models import COUNTRY_TIMEZONES, Centre, CentreKind, Country
from returnees.core.clock import utcnow
from returnees.core.errors import InvalidInput
from returnees.places.catalogue import all_places
from returnees.reports.cohorts import (
    AGE_GROUPS,
    DIMENSIONS,
    FIGURES,
    RETURN_MONTHS,
    Cohort,
    Group,
    count_outcomes,
)
from returnees.reports.periods import add_months, local_midnight, month_starts
from returnees.reports.scores import (
    collect_scores,
    hide_small_medians,
    merged,
    monthly_scores,
    people_figures,
    summarise,
    survey_figures,
    wave_days,
)
from returnees.reports.suppression import PENDING, Value, suppress

REPORT_ROLES = (Role.SUPERVISOR, Role.ADMIN)
DEPARTMENT = re.compile(r"^[A-Z]{2}-\d{2}$")


@dataclass(frozen=True)
class OutcomeCriteria:
    """What a reader asked for: arrival days from `first_day` to `last_day` (both included,
    local dates), groups, and the optional centre, office, department and country."""

    first_day: date
    last_day: date
    by: tuple[str, ...] = ()
    centre: str = ""
    office: str = ""
    department: str = ""
    country: str = ""


@dataclass
class OutcomeRow:
    group: dict[str, str]
    values: dict[str, Value]


@dataclass
class SurveyTable:
    """The survey's figures per wave (people surveyed, median of each score), for the same
    groups as the table's rows and for the whole cohort, small cells already hidden."""

    waves: tuple[int, ...]
    figures: tuple[str, ...]
    rows: list[dict[str, Value | float]]
    total: dict[str, Value | float]

    def as_json(self, groups: list[dict[str, str]]) -> dict[str, object]:
        return {
            "waves": list(self.waves),
            "figures": list(self.figures),
            "rows": [
                {"group": group, "values": values}
                for group, values in zip(groups, self.rows, strict=True)
            ],
            "total": self.total,
        }


@dataclass
class OutcomeTable:
    """Figures per group and for the whole cohort, small cells already hidden."""

    criteria: OutcomeCriteria
    rows: list[OutcomeRow] = field(default_factory=list)
    total: dict[str, Value] = field(default_factory=dict)
    figures: tuple[str, ...] = FIGURES
    surveys: SurveyTable | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "from": self.criteria.first_day.isoformat(),
            "to": self.criteria.last_day.isoformat(),
            "by": list(self.criteria.by),
            "filters": _filters_json(self.criteria),
            "figures": list(self.figures),
            "rows": [{"group": row.group, "values": row.values} for row in self.rows],
            "total": self.total,
            "surveys": (
                self.surveys.as_json([row.group for row in self.rows]) if self.surveys else None
            ),
        }


def outcome_table(session: Session, actor: Actor, criteria: OutcomeCriteria) -> OutcomeTable:
    """The cohort's figures by the groups asked for; audited as a report read (no person)."""
    actor.require_role(*REPORT_ROLES)
    cohort = resolve_cohort(session, actor, criteria)
    counted = count_outcomes(session, actor, cohort, criteria.by)
    table = _table(criteria, counted, {(): cohort.ends_at})
    table.surveys = _survey_table(table, collect_scores(session, actor, cohort, criteria.by))
    record_event(session, actor, AuditAction.VIEW, "outcome_report", "", **_filters_json(criteria))
    return table


def outcome_trend(session: Session, actor: Actor, criteria: OutcomeCriteria) -> OutcomeTable:
    """The same figures month by month, for the REPORT_TREND_MONTHS months ending with the
    month of `last_day` (the period asked for is replaced by those months)."""
    actor.require_role(*REPORT_ROLES)
    starts = month_starts(criteria.last_day, current_app.config["REPORT_TREND_MONTHS"])
    last_day = add_months(starts[-1], 1) - timedelta(days=1)
    months = _replace(criteria, first_day=starts[0], last_day=last_day, by=("month",))
    cohort = resolve_cohort(session, actor, months)
    timezone = _timezone(actor, months)
    labels = [(start.strftime("%Y-%m"), local_midnight(start, timezone)) for start in starts]
    counted = count_outcomes(session, actor, cohort, ("month",), labels)
    ends = {
        (label,): local_midnight(add_months(start, 1), timezone)
        for (label, _at), start in zip(labels, starts, strict=True)
    }
    counted = {(label,): counted.get((label,), dict.fromkeys(FIGURES, 0)) for (label,) in ends}
    return _table(months, counted, ends | {(): cohort.ends_at})


def monthly_outcome_table(
    session: Session, actor: Actor, criteria: OutcomeCriteria
) -> OutcomeTable:
    """The trend (outcome_trend) with its survey scores month by month: per wave, the people
    surveyed and the median of each score by month of arrival, hidden as the cohort's survey
    table hides them; all twelve months read in one grouped query (scores.monthly_scores)."""
    trend = outcome_trend(session, actor, criteria)
    cohort = resolve_cohort(session, actor, trend.criteria)
    timezone = _timezone(actor, trend.criteria)
    labels = [row.group["month"] for row in trend.rows]
    months = [(label, local_midnight(_first_day(label), timezone)) for label in labels]
    summaries = monthly_scores(session, actor, cohort, months)
    rows = [summaries.get((label,), summarise({})) for label in labels]
    trend.surveys = _hidden_survey_cells(rows, summaries.get((), summarise({})))
    return trend


def default_period() -> dict[str, date]:
    """The last whole month: what a page opens on."""
    today = utcnow().date()
    first = add_months(today.replace(day=1), -1)
    return {"from_": first, "to": today.replace(day=1) - timedelta(days=1)}


def resolve_cohort(session: Session, actor: Actor, criteria: OutcomeCriteria) -> Cohort:
    """The cohort the criteria name, or InvalidInput naming each criterion that names
    nothing the actor reaches (nothing said of what lies outside their scope)."""
    errors: dict[str, list[object]] = {}
    if criteria.last_day < criteria.first_day:
        errors["to"] = [_("The end of the period comes before its start.")]
    if any(name not in (*DIMENSIONS, "month") for name in criteria.by):
        errors["by"] = [_("Group by: %(names)s.", names=", ".join(DIMENSIONS))]
    centre = _centre(session, actor, criteria.centre, "centre", errors)
    office = _centre(session, actor, criteria.office, "office", errors, CentreKind.OFFICE)
    department = criteria.department.strip().upper()
    if department and not _is_department(department):
        errors["department"] = [_("Give a department's code, such as GT-12.")]
    country = criteria.country.strip().upper()
    if country and country not in {c.value for c in Country}:
        errors["country"] = [_("Choose GT, HN or SV.")]
    if errors:
        raise InvalidInput(_("Some parameters are not valid."), errors)
    timezone = _timezone(actor, criteria)
    return Cohort(
        starts_at=local_midnight(criteria.first_day, timezone),
        ends_at=local_midnight(criteria.last_day + timedelta(days=1), timezone),
        centre_id=centre.id if centre else None,
        office_id=office.id if office else None,
        department=department or None,
        country=Country(country) if country else None,
    )


def _centre(
    session: Session,
    actor: Actor,
    code: str,
    name: str,
    errors: dict[str, list[object]],
    kind: CentreKind | None = None,
) -> Centre | None:
    if not code.strip():
        return None
    centre = session.scalar(select(Centre).where(Centre.code == code.strip().upper()))
    if centre is None or not actor.covers_centre(centre) or (kind and centre.kind is not kind):
        errors[name] = [_("No such centre or office among those you reach.")]
        return None
    return centre


def _is_department(code: str) -> bool:
    return bool(DEPARTMENT.match(code)) and code in {
        place.code[:5] for place in all_places().values()
    }


def _timezone(actor: Actor, criteria: OutcomeCriteria) -> str:
    return report_timezone(actor, criteria.country)


def report_timezone(actor: Actor, country: str) -> str:
    """Local dates of the country asked for, else of the reader's country (all three are
    UTC-6 today), else the app's default."""
    country = country.strip().upper() or (actor.country.value if actor.country else "")
    if country in {c.value for c in Country}:
        return COUNTRY_TIMEZONES[Country(country)]
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _table(
    criteria: OutcomeCriteria,
    counted: dict[Group, dict[str, int]],
    ends: dict[Group, datetime],
) -> OutcomeTable:
    """Rows in a stable order and their total; returns not yet measurable shown as pending,
    then small cells hidden."""
    total = {name: sum(figures[name] for figures in counted.values()) for name in FIGURES}
    rows = [
        OutcomeRow(dict(zip(criteria.by, group, strict=True)), dict(counted[group]))
        for group in sorted(counted, key=_order)
    ]
    if not criteria.by:
        rows = []
    now = utcnow()
    for values, ends_at in [(row.values, _row_end(row, criteria, ends)) for row in rows] + [
        (total, ends[()])
    ]:
        for months in RETURN_MONTHS:
            if _months_later(ends_at, months) > now:
                values[f"returned_{months}_months"] = PENDING
    suppress([row.values for row in rows], total, FIGURES, current_app.config["REPORT_SMALL_CELL"])
    return OutcomeTable(criteria, rows, total)


def _survey_table(table: OutcomeTable, scores: dict[Group, dict]) -> SurveyTable:
    """The survey's figures for the table's groups: counts of people hidden as the other
    counts are (small, then complementary), and a median hidden with its count or when fewer
    than REPORT_SMALL_CELL people have that score."""
    by = table.criteria.by
    rows = [summarise(scores.get(tuple(row.group[n] for n in by), {})) for row in table.rows]
    return _hidden_survey_cells(rows, summarise(merged(list(scores.values()))))


def _hidden_survey_cells(
    rows: list[dict[str, Value | float | None]], total: dict[str, Value | float | None]
) -> SurveyTable:
    at = current_app.config["REPORT_SMALL_CELL"]
    suppress(rows, total, people_figures(), at)
    for values in (*rows, total):
        hide_small_medians(values, at)
    return SurveyTable(wave_days(), survey_figures(), rows, total)


def _row_end(row: OutcomeRow, criteria: OutcomeCriteria, ends: dict[Group, datetime]) -> datetime:
    group = tuple(row.group[name] for name in criteria.by)
    return ends.get(group, ends[()])


def _months_later(moment: datetime, months: int) -> datetime:
    day = add_months(moment.date(), months)
    return moment.replace(year=day.year, month=day.month, day=day.day)


def _order(group: Group) -> tuple:
    return tuple((AGE_GROUPS.index(value) if value in AGE_GROUPS else 0, value) for value in group)


def _first_day(month: str) -> date:
    """The first day of a trend's month label (2026-03)."""
    return date.fromisoformat(f"{month}-01")


def _replace(criteria: OutcomeCriteria, **changes: object) -> OutcomeCriteria:
    values = {name: getattr(criteria, name) for name in criteria.__dataclass_fields__}
    return OutcomeCriteria(**(values | changes))


def _filters_json(criteria: OutcomeCriteria) -> dict[str, str]:
    return {
        name: getattr(criteria, name)
        for name in ("centre", "office", "department", "country")
        if getattr(criteria, name)
    }


def parse_by(value: str | Sequence[str]) -> tuple[str, ...]:
    """`by=sex,age_group` as the names it lists, in order, once each."""
    names = value.split(",") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(name.strip() for name in names if name.strip()))
