"""A trend reads each month's sums from monthly_figures, kept in step with arrival_figures: for
any scope and filter it answers, the sums equal the arrivals added up one by one, before and
after answers, a change of home and a new return; where it cannot answer (an office), the
arrivals are added up."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from returnees.auth.access import Actor
from returnees.centres.models import COUNTRY_TIMEZONES
from returnees.followups.models import Indicator, IndicatorReading
from returnees.people.models import Returnee
from returnees.reception.models import Arrival
from returnees.reports.cohorts import count_outcomes, monthly_sums
from returnees.reports.definitions import FIGURES
from returnees.reports.facts import refresh_figures
from returnees.reports.models import MONTH_OFFSET, monthly_figures
from returnees.reports.periods import local_midnight, month_starts
from returnees.reports.scores import monthly_scores, summarise
from returnees.reports.services import OutcomeCriteria, outcome_trend, resolve_cohort
from returnees.surveys.models import SurveyWave, WaveStatus
from tests.reports.conftest import at

SYSTEM = Actor.system("test")
FILTERS = (
    {},
    {"centre": "GT-AURORA"},
    {"department": "GT-12"},
    {"country": "GT"},
    {"country": "HN"},
)


def both_ways(in_app, actor: Actor = SYSTEM, **filters: str):
    """The year to May 2026 month by month, from the sums and from the arrivals (by month and
    sex, added up over sex)."""
    criteria = OutcomeCriteria(date(2025, 6, 1), date(2026, 5, 31), **filters)
    with in_app() as session:
        cohort = resolve_cohort(session, actor, criteria)
        labels = [
            (start.strftime("%Y-%m"), local_midnight(start, "America/Guatemala"))
            for start in month_starts(criteria.last_day, 12)
        ]
        by_sex = count_outcomes(session, actor, cohort, ("month", "sex"), labels)  # refreshes
        summed = monthly_sums(session, actor, cohort, labels)
    added: dict[str, Counter] = {}
    for (month, _sex), values in by_sex.items():
        added.setdefault(month, Counter()).update(values)
    return summed, {(month,): dict(values) for month, values in added.items()}


def assert_agree(in_app, actor: Actor = SYSTEM) -> dict:
    for filters in FILTERS:
        summed, added = both_ways(in_app, actor, **filters)
        assert summed is not None, f"the sums answer {filters}"
        for month in summed.keys() | added.keys():
            empty = dict.fromkeys(FIGURES, 0)
            assert summed.get(month, empty) == added.get(month, empty), (filters, month)
    return both_ways(in_app, actor)[0]


def test_the_three_countries_keep_the_offset_months_are_summed_at():
    for timezone in COUNTRY_TIMEZONES.values():
        for year in range(2008, 2036):
            for month in range(1, 13):
                moment = datetime(year, month, 1, tzinfo=ZoneInfo(timezone))
                assert moment.utcoffset() == MONTH_OFFSET, (timezone, year, month)


def test_a_year_of_sums_equals_the_arrivals_added_up(cohort, in_app, make_user):
    summed = assert_agree(in_app)
    assert summed[("2026-03",)]["arrivals"] == 5
    assert summed[("2026-03",)]["returned_3_months"] == 1, "D came back in May"
    assert summed[("2026-05",)]["arrivals"] == 1 and summed[("2025-06",)]["arrivals"] == 1
    supervisor = Actor.for_user(make_user("supervisor", "GT-AURORA"))
    assert assert_agree(in_app, supervisor) == summed, "a supervisor of Guatemala sees all"


def test_the_sums_follow_an_answer_a_change_of_home_and_a_new_return(cohort, in_app, arrive):
    before = assert_agree(in_app)[("2026-03",)]
    with in_app() as session:
        session.add(
            IndicatorReading(
                returnee_id=cohort.people["c"],
                indicator=Indicator.SAFE,
                value=True,
                observed_at=at(4, 2),
            )
        )
        carla = session.get(Returnee, cohort.people["c"])
        carla.home_code = "GT-1201"
    arrive(at(4, 9), given_names="Ana", sex="F", estimated_age=10, match=cohort.people["a"])
    after = assert_agree(in_app)
    assert after[("2026-03",)]["safe_at_last_answer"] == before["safe_at_last_answer"] + 1
    assert after[("2026-03",)]["returned_3_months"] == before["returned_3_months"] + 1, "Ana"
    assert after[("2026-04",)]["arrivals"] == 1
    in_department = both_ways(in_app, department="GT-12")[0]
    assert in_department[("2026-03",)]["arrivals"] == 2, "Dario and now Carla live there"


def test_an_office_is_added_up_from_the_arrivals(cohort, in_app, make_centre):
    office = make_centre(code="GT-OFICINA-MES", kind="office")
    with in_app() as session:
        session.get(Returnee, cohort.people["a"]).office_id = office.id
    criteria = OutcomeCriteria(date(2025, 6, 1), date(2026, 5, 31), office="GT-OFICINA-MES")
    with in_app() as session:
        cohort_of_office = resolve_cohort(session, SYSTEM, criteria)
        labels = [
            (start.strftime("%Y-%m"), local_midnight(start, "America/Guatemala"))
            for start in month_starts(criteria.last_day, 12)
        ]
        assert monthly_sums(session, SYSTEM, cohort_of_office, labels) is None
        trend = outcome_trend(session, SYSTEM, criteria)
    march = next(row for row in trend.rows if row.group["month"] == "2026-03")
    assert trend.total["arrivals"] == "<5" and march.values["arrivals"] == "<5"


def test_the_refresh_command_adds_the_months_up_anew(cohort, in_app, cli):
    kept = assert_agree(in_app)
    with in_app() as session:
        session.execute(delete(monthly_figures))
    assert both_ways(in_app)[0] == {}, "the sums are what the trend reads"
    result = cli("reports", "refresh")
    assert result.exit_code == 0, result.output
    assert assert_agree(in_app) == kept


@pytest.mark.parametrize("hour", [5, 6])
def test_an_arrival_counts_in_its_local_month(in_app, arrive, hour):
    """Midnight of 1 April in Guatemala is 06:00 UTC: before it, still March."""
    arrive(datetime(2026, 4, 1, hour, 0, tzinfo=UTC), given_names="Rosa")
    with in_app() as session:
        assert refresh_figures(session) == 1
        months = session.execute(select(monthly_figures.c.month, monthly_figures.c.arrivals))
        counted = {month: arrivals for month, arrivals in months}
    assert counted == {date(2026, 3 if hour < 6 else 4, 1): 1}


def scores_both_ways(in_app, actor: Actor = SYSTEM, **filters: str):
    """The year's survey figures by month from wave_figures (PostgreSQL's medians) and from
    the survey's waves, read one by one with their arrival and added up here."""
    criteria = OutcomeCriteria(date(2025, 6, 1), date(2026, 5, 31), **filters)
    with in_app() as session:
        cohort = resolve_cohort(session, actor, criteria)
        labels = [
            (start.strftime("%Y-%m"), local_midnight(start, "America/Guatemala"))
            for start in month_starts(criteria.last_day, 12)
        ]
        count_outcomes(session, actor, cohort, (), labels)  # refreshes what changed
        kept = monthly_scores(session, actor, cohort, labels)
        waves = session.execute(
            select(SurveyWave, Arrival.arrived_at, Returnee.home_code)
            .join(Arrival, Arrival.id == SurveyWave.arrival_id)
            .join(Returnee, Returnee.id == Arrival.returnee_id)
            .where(SurveyWave.status == WaveStatus.COMPLETED)
        ).all()
        read: dict[tuple, dict] = {}
        for wave, arrived_at, home in waves:
            in_period = cohort.starts_at <= arrived_at < cohort.ends_at
            if not in_period or (filters.get("department") and (home or "")[:5] != "GT-12"):
                continue
            month = max(label for label, start in labels if start <= arrived_at)
            for group in ((month,), ()):
                scored = read.setdefault(group, {}).setdefault(wave.day, {"people": []})
                scored["people"].append(1.0)
                for name in ("economic", "social", "psychosocial", "composite"):
                    if (score := getattr(wave, f"{name}_score")) is not None:
                        scored.setdefault(name, []).append(score)
        summaries = {group: summarise(scored) for group, scored in read.items()}
        whole = summaries.get((), summarise({}))
        return kept | {(): kept.get((), summarise({}))}, summaries | {(): whole}


def test_survey_medians_by_month_are_those_of_the_waves(
    database_url, surveyed, in_app, cohort, make_user
):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite takes the medians of the waves read one by one")
    supervisor = Actor.for_user(make_user("supervisor", "GT-AURORA"))
    for actor, filters in [(SYSTEM, {}), (supervisor, {}), (SYSTEM, {"department": "GT-12"})]:
        kept, read = scores_both_ways(in_app, actor, **filters)
        assert kept == read, filters
    kept, _read = scores_both_ways(in_app)
    assert kept[("2026-03",)]["survey_day_30_people"] == 6
    with in_app() as session:
        wave = session.scalar(select(SurveyWave).where(SurveyWave.status == WaveStatus.OPEN))
        wave.status, wave.completed_at, wave.composite_score = (
            WaveStatus.COMPLETED,
            at(9, 1),
            0.5,
        )
    kept, read = scores_both_ways(in_app)
    assert kept == read and kept[("2026-03",)]["survey_day_180_people"] == 3, "completed now"
