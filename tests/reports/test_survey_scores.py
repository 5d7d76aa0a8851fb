"""Survey scores in the outcomes: per wave, how many were surveyed and the median of each
dimension and of the composite, by group, with small cells hidden; in the API, the page and
the monthly workbook. The waves are written by hand with their scores (how a wave is scored is
tests/surveys')."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from returnees.auth.models import Role
from returnees.surveys.models import SurveyWave

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def supervisor_api(app, demo, make_user, token_for):
    client = app.test_client()
    headers = token_for(make_user(Role.SUPERVISOR, "GT-AURORA"))

    def get(**params: str):
        query = MARCH | params
        return client.get("/api/v1/reports/outcomes", query_string=query, headers=headers)

    return get


def test_the_cohort_has_the_median_of_each_score_per_wave(supervisor_api, surveyed):
    body = supervisor_api().get_json()
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


def test_scores_by_group_hide_a_small_group_and_the_one_that_would_give_it_away(
    supervisor_api, surveyed
):
    surveys = supervisor_api(by="sex").get_json()["surveys"]
    rows = {row["group"]["sex"]: row["values"] for row in surveys["rows"]}
    assert rows["M"]["survey_day_30_people"] == "<5", "no man was surveyed"
    assert rows["F"]["survey_day_30_people"] == "<5", "6 - 0 would give the men's count"
    assert rows["F"]["survey_day_30_economic"] == "<5", "a median goes with its count"
    assert surveys["total"]["survey_day_30_people"] == 6


def test_a_median_of_fewer_than_five_scores_is_hidden(supervisor_api, surveyed, in_app):
    with in_app() as session:
        first_two = select(SurveyWave).where(SurveyWave.day == 30).order_by(SurveyWave.id)
        for wave in session.scalars(first_two.limit(2)):
            wave.psychosocial_score = None
    total = supervisor_api().get_json()["surveys"]["total"]
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
