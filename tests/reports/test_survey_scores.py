"""Survey scores in the outcomes: per wave, how many were surveyed and the median of each
dimension and of the composite, by group, with small cells hidden; in the API, the page, the
outcomes export and the monthly workbook. The waves are written by hand with their scores
(how a wave is scored is tests/surveys')."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from returnees.auth.models import Role
from returnees.surveys.models import SurveyWave
from tests.reports.conftest import MARCH, read_csv


def test_the_cohort_has_the_median_of_each_score_per_wave(outcomes_api, surveyed):
    body = outcomes_api().get_json()
    surveys = body["surveys"]
    assert surveys["waves"] == [30, 180]
    assert surveys["total"] == {
        "survey_day_30_people": 6,
        "survey_day_30_economic": 0.55,  # 0.2 0.4 0.5 | 0.6 0.8 1.0
        "survey_day_30_social": 0.5,  # 0.3 0.4 0.5 | 0.5 0.7 0.9
        "survey_day_30_psychosocial": 0.7,  # five given: 0.5 0.6 0.7 0.8 0.9
        "survey_day_30_composite": 0.57,  # five given: 0.4333 0.5333 0.5667 0.6 0.8667
        "survey_day_180_people": "<5",  # two completed; the open one is not counted
        "survey_day_180_economic": "<5",
        "survey_day_180_social": "<5",
        "survey_day_180_psychosocial": "<5",
        "survey_day_180_composite": "<5",
    }
    assert set(surveys["figures"]) == set(surveys["total"])


def test_the_waves_reported_are_the_days_the_programme_configures(
    app, outcomes_api, surveyed, in_app, demo, make_user, sign_in_as, monkeypatch
):
    """Days 45 and 120 instead of 30 and 180: the same waves, taken on those days."""
    monkeypatch.setitem(app.config, "SURVEY_WAVE_DAYS", (45, 120))
    with in_app() as session:
        for wave in session.scalars(select(SurveyWave)):
            wave.day = {30: 45, 180: 120}[wave.day]
    surveys = outcomes_api().get_json()["surveys"]
    assert surveys["waves"] == [45, 120]
    assert surveys["figures"][:2] == ["survey_day_45_people", "survey_day_45_economic"]
    assert not [name for name in surveys["total"] if "_30_" in name or "_180_" in name]
    assert surveys["total"]["survey_day_45_people"] == 6
    assert surveys["total"]["survey_day_45_economic"] == 0.55
    assert surveys["total"]["survey_day_120_people"] == "<5"
    page = sign_in_as(make_user(Role.SUPERVISOR, "GT-AURORA")).get(
        "/reports/?from=01/03/2026&to=31/03/2026"
    )
    html = page.get_data(as_text=True)
    assert "Día 45: personas encuestadas" in html and "Día 120: personas encuestadas" in html
    assert "Día 30:" not in html


def test_scores_by_group_hide_a_small_group_and_the_one_that_would_give_it_away(
    outcomes_api, surveyed
):
    surveys = outcomes_api(by="sex").get_json()["surveys"]
    rows = {row["group"]["sex"]: row["values"] for row in surveys["rows"]}
    assert rows["M"]["survey_day_30_people"] == "<5", "no man was surveyed"
    assert rows["F"]["survey_day_30_people"] == "<5", "6 - 0 would give the men's count"
    assert rows["F"]["survey_day_30_economic"] == "<5", "a median goes with its count"
    assert surveys["total"]["survey_day_30_people"] == 6


def test_a_median_of_fewer_than_five_scores_is_hidden(outcomes_api, surveyed, in_app):
    with in_app() as session:
        first_two = select(SurveyWave).where(SurveyWave.day == 30).order_by(SurveyWave.id)
        for wave in session.scalars(first_two.limit(2)):
            wave.psychosocial_score = None
    total = outcomes_api().get_json()["surveys"]["total"]
    assert total["survey_day_30_people"] == 6 and total["survey_day_30_economic"] == 0.55
    assert total["survey_day_30_psychosocial"] == "<5", "three people have that score"


def test_the_page_and_the_monthly_workbook_show_the_scores(
    surveyed, demo, make_user, sign_in_as, cli, tmp_path
):
    page = sign_in_as(make_user(Role.SUPERVISOR, "GT-AURORA")).get(
        "/reports/?from=01/03/2026&to=31/03/2026"
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Día 30: mediana de la puntuación económica" in html and ">0.55<" in html
    target = tmp_path / "march.xlsx"
    result = cli(
        "reports", "monthly", "--country", "GT", "--month", "2026-03", "--output", str(target)
    )
    assert result.exit_code == 0, result.output
    whole = {row[0]: row[-1] for row in load_workbook(target)["All"].iter_rows(values_only=True)}
    assert whole["survey_day_30_people"] == 6 and whole["survey_day_30_composite"] == 0.57
    assert whole["survey_day_180_social"] == "<5"


SURVEY_COLUMNS = [
    f"survey_day_{day}_{name}"
    for day in (30, 180)
    for name in ("people", "economic", "social", "psychosocial", "composite")
]


def test_the_outcomes_export_has_each_groups_survey_figures_hidden_as_the_table_hides_them(
    export_as, surveyed
):
    export = export_as()
    rows = read_csv(export("outcomes", by="sex", **MARCH))
    assert list(rows[0])[-len(SURVEY_COLUMNS) :] == SURVEY_COLUMNS, "after the other figures"
    by_sex = {row["sex"]: row for row in rows}
    assert list(by_sex) == ["F", "M", "all"], "one row per group, then the whole cohort"
    whole = by_sex["all"]
    assert (whole["arrivals"], whole["survey_day_30_people"]) == ("10", "6")
    assert whole["survey_day_30_economic"] == "0.55" and whole["survey_day_30_composite"] == "0.57"
    assert whole["survey_day_180_people"] == "<5" and whole["survey_day_180_social"] == "<5"
    assert by_sex["M"]["survey_day_30_people"] == "<5", "no man was surveyed"
    assert by_sex["F"]["survey_day_30_people"] == "<5", "6 - 0 would give the men's count"
    assert by_sex["F"]["survey_day_30_economic"] == "<5", "a median goes with its count"
    book = export("outcomes", by="sex", format="xlsx", **MARCH)
    assert book.status_code == 200
    header, *values = load_workbook(io.BytesIO(book.get_data())).active.iter_rows(values_only=True)
    sheet = {row[0]: dict(zip(header, row, strict=True)) for row in values}
    assert sheet["all"]["survey_day_30_people"] == 6
    assert sheet["all"]["survey_day_30_psychosocial"] == 0.7
    assert sheet["F"]["survey_day_30_composite"] == "<5"
    assert sheet["all"]["survey_day_180_economic"] == "<5"
