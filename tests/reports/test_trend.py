"""Twelve months of every figure and of the survey's scores: on the page (a chart per family
of figures, each with the table beside it), in GET /api/v1/reports/outcomes/monthly and in
the monthly workbook, hidden cells shown as the cohort's table shows them."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from returnees.auth.models import Role
from returnees.reports.definitions import FIGURES
from returnees.reports.labels import trend_families
from returnees.surveys.models import SurveyWave
from tests.reports.conftest import at

MAY = {"from": "01/05/2026", "to": "31/05/2026"}  # the trend: June 2025 to May 2026
MONTHS = [f"2025-{month:02d}" for month in range(6, 13)] + [
    f"2026-{month:02d}" for month in range(1, 6)
]
SURVEY_FIGURES = [
    f"survey_day_{day}_{name}"
    for day in (30, 180)
    for name in ("people", "economic", "social", "psychosocial", "composite")
]


class TrendTables(HTMLParser):
    """The trend section's tables as {figure: {month: what the cell shows}}."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[str, dict[str, str]] = {}
        self._columns: list[str] = []
        self._row: list[str] = []
        self._text: list[str] | None = None
        self._in_table = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "table" and "trend-table" in (attributes.get("class") or ""):
            self._in_table, self._columns = True, []
        elif self._in_table and tag == "th" and "data-figure" in attributes:
            self._columns.append(attributes["data-figure"])
        elif self._in_table and tag == "tr":
            self._row = []
        elif self._in_table and tag in ("td", "th"):
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_table = False
        elif self._in_table and tag in ("td", "th") and self._text is not None:
            self._row.append("".join(self._text).strip())
            self._text = None
        elif self._in_table and tag == "tr" and len(self._row) == len(self._columns) + 1:
            month, *shown = self._row
            for figure, value in zip(self._columns, shown, strict=True):
                self.cells.setdefault(figure, {})[month] = value


def trend_tables(html: str) -> dict[str, dict[str, str]]:
    parser = TrendTables()
    parser.feed(html[html.index('id="trend-heading"') :])
    return parser.cells


@pytest.fixture
def more_women(arrive, cohort):
    """Five more adult women in March: 10 arrivals that month."""
    for number in range(5):
        arrive(at(3, 2 + number), given_names=f"Rosa{'abcde'[number]}", sex="F", estimated_age=33)


@pytest.fixture
def supervisor_page(demo, make_user, sign_in_as):
    client = sign_in_as(make_user(Role.SUPERVISOR, "GT-AURORA"))
    return lambda: client.get("/reports/", query_string=MAY)


@pytest.fixture
def monthly_api(app, demo, make_user, token_for):
    client = app.test_client()
    headers = token_for(make_user(Role.SUPERVISOR, "GT-AURORA"))
    return lambda: client.get(
        "/api/v1/reports/outcomes/monthly", query_string={"to": "2026-05-31"}, headers=headers
    ).get_json()


def test_every_figure_is_in_a_trend_table_with_its_months_value(
    supervisor_page, monthly_api, more_women
):
    page = supervisor_page()
    assert page.status_code == 200
    tables = trend_tables(page.get_data(as_text=True))
    assert set(FIGURES) <= set(tables), f"not in a trend table: {set(FIGURES) - set(tables)}"
    for figure in FIGURES:
        assert list(tables[figure]) == MONTHS, f"{figure}: the twelve months, oldest first"
    arrivals = tables["arrivals"]
    assert arrivals["2026-03"] == "10" and arrivals["2026-05"] == "<5"
    assert arrivals["2025-06"] == "<5", "E's first return"
    assert tables["adults"]["2026-03"] == "<5" and tables["children"]["2026-03"] == "<5", (
        "10 arrivals less 8 adults would give the 2 children"
    )
    assert tables["arrivals"]["2026-04"] == "<5", "no arrival in April: 0 is hidden too"
    assert tables["returned_3_months"]["2026-03"] == "<5", "D came back in May"
    assert tables["returned_12_months"]["2026-03"] == "pendiente"
    assert tables["referrals_jobs"]["2026-05"] == "<5", "D's referral after his second return"
    answered = {row["group"]["month"]: row["values"] for row in monthly_api()["rows"]}
    for figure in FIGURES:
        for month in MONTHS:
            expected = str(answered[month][figure]).replace("pending", "pendiente")
            assert tables[figure][month] == expected, f"{figure} in {month}"


def test_each_family_is_a_chart_with_labelled_axes_and_a_legend(app, supervisor_page, cohort):
    html = supervisor_page().get_data(as_text=True)
    trends = html[html.index('id="trend-heading"') :]
    titles = re.findall(r'<svg role="img"[^>]*>\s*<title[^>]*>([^<]+)</title>', trends)
    with app.app_context():
        panels = sum(len(family.panels) for family in trend_families())
    assert len(titles) == panels == 16, "a chart per panel of each family"
    assert "Referencias hechas y atendidas, por tipo: Apoyo psicosocial" in titles
    assert trends.count("Mes de llegada") == panels, "every chart names its months"
    units = {unit: trends.count(f">{unit}<") for unit in ("Personas", "Referencias", "Casos")}
    assert units | {"score": trends.count(">Puntuación mediana<")} == {
        "Personas": 5,
        "Referencias": 7,
        "Casos": 2,
        "score": 2,
    }, "every chart names what it counts"
    assert trends.count('<ul class="legend">') == panels
    assert trends.count('class="trend-table"') == panels, "each chart has its table beside it"


def test_survey_medians_month_by_month_hide_what_fewer_than_five_give(
    supervisor_page, monthly_api, surveyed, in_app
):
    with in_app() as session:
        first_two = select(SurveyWave).where(SurveyWave.day == 30).order_by(SurveyWave.id)
        for wave in session.scalars(first_two.limit(2)):
            wave.psychosocial_score = None
    surveys = monthly_api()["surveys"]
    months = {row["group"]["month"]: row["values"] for row in surveys["rows"]}
    assert list(months) == MONTHS
    assert months["2026-03"] == {
        "survey_day_30_people": 6,
        "survey_day_30_economic": 0.55,
        "survey_day_30_social": 0.5,
        "survey_day_30_psychosocial": "<5",  # three people have that score
        "survey_day_30_composite": 0.57,
        "survey_day_180_people": "<5",  # two completed
        "survey_day_180_economic": "<5",
        "survey_day_180_social": "<5",
        "survey_day_180_psychosocial": "<5",
        "survey_day_180_composite": "<5",
    }
    assert all(months["2026-02"][name] == "<5" for name in SURVEY_FIGURES), "nobody surveyed"
    assert surveys["total"]["survey_day_30_people"] == 6
    tables = trend_tables(supervisor_page().get_data(as_text=True))
    shown = {name: tables[name]["2026-03"] for name in SURVEY_FIGURES}
    assert shown == {name: str(value) for name, value in months["2026-03"].items()}


def test_the_monthly_workbook_charts_every_family(cli, surveyed, tmp_path):
    target = tmp_path / "may.xlsx"
    result = cli(
        "reports", "monthly", "--country", "GT", "--month", "2026-05", "--output", str(target)
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(target)
    rows = list(book["Trend"].iter_rows(values_only=True))
    header, march = rows[0], rows[1 + MONTHS.index("2026-03")]
    assert set(FIGURES) | set(SURVEY_FIGURES) <= set(header)
    values = dict(zip(header, march, strict=True))
    assert values["month"] == "2026-03" and values["arrivals"] == 10
    assert values["survey_day_30_economic"] == 0.55 and values["children"] is None, "<5: empty"
    assert len(book["Trend charts"]._charts) == 16
