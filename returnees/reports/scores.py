"""A cohort's survey scores: for each wave (its day after arrival: SURVEY_WAVE_DAYS), how many
of the cohort's arrivals have that wave completed, and the median of each dimension's score and
of the composite over them, by the same groups as the other figures.

Read from `survey_waves` joined to the cohort's rows of `arrival_figures` (a wave names the
arrival it follows): one row per completed wave, medians taken in Python (a median does not add
up in SQL on SQLite, and a cohort's waves are few: 100,000 waves for 1,000,000 people)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from statistics import median

from flask import current_app
from sqlalchemy import Subquery, func, select, tuple_
from sqlalchemy.orm import Session

from returnees.auth.access import Actor
from returnees.people.scope import returnee_scope
from returnees.reports.cohorts import (
    COPIED,
    Cohort,
    Group,
    cohort_filters,
    cohort_members,
    month_of_arrival,
    on_copies,
    serial_plans,
)
from returnees.reports.models import arrival_figures, wave_figures
from returnees.reports.suppression import SUPPRESSED, Value
from returnees.surveys.models import SurveyWave, WaveStatus

SCORES = ("economic", "social", "psychosocial", "composite")
DECIMALS = 2


def wave_days() -> tuple[int, ...]:
    return tuple(int(day) for day in current_app.config["SURVEY_WAVE_DAYS"])


def survey_figures() -> tuple[str, ...]:
    """The names of the survey's figures: per wave, the people surveyed and each median."""
    return tuple(f"survey_day_{day}_{name}" for day in wave_days() for name in ("people", *SCORES))


def people_figures() -> tuple[str, ...]:
    return tuple(f"survey_day_{day}_people" for day in wave_days())


Scored = dict[str, list[float]]


def collect_scores(
    session: Session,
    actor: Actor,
    cohort: Cohort,
    by: Sequence[str],
    months: Sequence[tuple[str, datetime]] = (),
) -> dict[Group, dict[int, Scored]]:
    """Each group's completed waves: per day, the list of each score given (and "people", one
    entry per wave). With `months` (a label and the instant it starts), "month" among `by` is
    the month of arrival: twelve months are one query, as count_outcomes reads them."""
    serial_plans(session)
    waves = _completed_waves(session, actor, cohort, months, by)
    scores = (waves.c[f"{name}_score"] for name in SCORES)
    query = select(*(waves.c[name] for name in by), waves.c.day, *scores)
    width = len(by)
    collected: dict[Group, dict[int, Scored]] = {}
    for row in session.execute(query):
        group = tuple(str(value) for value in row[:width])
        day, *scores = row[width:]
        scored = collected.setdefault(group, {}).setdefault(int(day), {"people": []})
        scored["people"].append(1.0)
        for name, score in zip(SCORES, scores, strict=True):
            if score is not None:
                scored.setdefault(name, []).append(float(score))
    return collected


def monthly_scores(
    session: Session, actor: Actor, cohort: Cohort, months: Sequence[tuple[str, datetime]]
) -> dict[Group, dict[str, Value | float | None]]:
    """Each month's survey figures as `summarise` gives them, by the month's label, and the
    whole months' under (). On PostgreSQL one grouped query takes the medians (its
    percentile_cont, over GROUPING SETS of month and wave, and of wave alone), so that twelve
    months of a country's waves, tens of thousands, never travel to Python; elsewhere the
    waves are read in one query and their medians taken here."""
    if session.get_bind().dialect.name != "postgresql":
        scores = collect_scores(session, actor, cohort, ("month",), months)
        whole = summarise(merged(list(scores.values())))
        return {group: summarise(waves) for group, waves in scores.items()} | {(): whole}
    serial_plans(session)
    source = _completed_waves(session, actor, cohort, months)
    given = [source.c[f"{name}_score"] for name in SCORES]
    query = select(
        func.grouping(source.c.month),
        source.c.month,
        source.c.day,
        func.count(),
        *(func.percentile_cont(0.5).within_group(score) for score in given),
        *(func.count(score) for score in given),
    ).group_by(func.grouping_sets(tuple_(source.c.month, source.c.day), tuple_(source.c.day)))
    summaries: dict[Group, dict[str, Value | float | None]] = {}
    for whole, month, day, people, *figures in session.execute(query):
        values = summaries.setdefault(() if whole else (str(month),), summarise({}))
        values[f"survey_day_{day}_people"] = int(people)
        for name, middle, count in zip(SCORES, figures[:4], figures[4:], strict=True):
            values[f"survey_day_{day}_{name}"] = (
                round(float(middle), DECIMALS) if middle is not None else None
            )
            values[f"_n_{day}_{name}"] = int(count)
    return summaries


def summarise(waves: dict[int, Scored]) -> dict[str, Value | float | None]:
    """Per wave: how many people, and each median (None when no score)."""
    values: dict[str, Value | float | None] = {}
    for day in wave_days():
        scored = waves.get(day, {})
        values[f"survey_day_{day}_people"] = len(scored.get("people", ()))
        for name in SCORES:
            given = scored.get(name, [])
            values[f"survey_day_{day}_{name}"] = round(median(given), DECIMALS) if given else None
            values[f"_n_{day}_{name}"] = len(given)
    return values


def merged(groups: Sequence[dict[int, Scored]]) -> dict[int, Scored]:
    """The waves of several groups together (the total of a table)."""
    whole: dict[int, Scored] = {}
    for waves in groups:
        for day, scored in waves.items():
            target = whole.setdefault(day, {})
            for name, given in scored.items():
                target.setdefault(name, []).extend(given)
    return whole


def hide_small_medians(values: dict[str, Value | float | None], at: int) -> None:
    """A median is shown only when the wave's count of people is shown and at least `at` of
    them have that score; the helper counts are dropped."""
    for day in wave_days():
        people = values[f"survey_day_{day}_people"]
        for name in SCORES:
            counted = values.pop(f"_n_{day}_{name}")
            if people == SUPPRESSED or not isinstance(counted, int) or counted < at:
                values[f"survey_day_{day}_{name}"] = SUPPRESSED


def _completed_waves(
    session: Session,
    actor: Actor,
    cohort: Cohort,
    months: Sequence[tuple[str, datetime]],
    by: Sequence[str] = ("month",),
) -> Subquery:
    """The cohort's completed waves of the configured days: the groups of `by`, the day and
    the scores. Read from wave_figures by time (its copies of the arrival's time, centres and
    home answer the period, the filters and a supervisor's scope; the arrival's groups are
    looked up by its key), else, for an office or another scope, from the survey's waves
    joined to the cohort's arrivals."""
    days = wave_days()
    kept = wave_figures.c
    scope = on_copies(returnee_scope(actor, session), wave_figures, COPIED)
    if scope is not None and cohort.office_id is None:
        figures = arrival_figures.c
        groups = [
            month_of_arrival(kept.arrived_at, months).label(name)
            if name == "month"
            else figures[name]
            for name in by
        ]
        query = select(*groups, kept.day, *(kept[f"{name}_score"] for name in SCORES)).where(
            kept.arrived_at >= cohort.starts_at,
            kept.arrived_at < cohort.ends_at,
            kept.day.in_(days),
            scope,
            *cohort_filters(cohort, wave_figures),
        )
        if set(by) - {"month"}:
            query = query.join(arrival_figures, figures.arrival_id == kept.arrival_id)
        return query.subquery("waves")
    members = cohort_members(session, actor, cohort, months)
    wave = SurveyWave
    return (
        select(
            *(members.c[name] for name in by),
            wave.day,
            *(getattr(wave, f"{name}_score") for name in SCORES),
        )
        .select_from(members)
        .join(wave, wave.arrival_id == members.c.arrival_id)
        .where(wave.status == WaveStatus.COMPLETED, wave.day.in_(days))
        .subquery("waves")
    )
