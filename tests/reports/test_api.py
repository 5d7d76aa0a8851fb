"""GET /api/v1/reports/outcomes and its monthly trend: the figures, hidden small cells,
pending returns, scope, roles and bad parameters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from returnees.audit.models import AuditAction, AuditEntry
from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.followups.models import Indicator
from returnees.reports.cohorts import count_outcomes
from returnees.reports.services import OutcomeCriteria, resolve_cohort
from tests.reports.conftest import MARCH, _read, at


@pytest.fixture
def more_women(arrive, cohort):
    """Five more adult women in March: women 7, men 3."""
    for number in range(5):
        arrive(at(3, 2 + number), given_names=f"Rosa{'abcde'[number]}", sex="F", estimated_age=33)


@pytest.fixture
def supervisor_api(app, demo, make_user, token_for):
    client = app.test_client()
    headers = token_for(make_user(Role.SUPERVISOR, "GT-AURORA"))

    def get(path: str, **params: str):
        return client.get(f"/api/v1{path}", query_string=params, headers=headers)

    return get


def test_outcomes_by_sex_hide_small_cells_and_their_complement(supervisor_api, more_women):
    answer = supervisor_api(
        "/reports/outcomes", **{"from": "2026-03-01", "to": "2026-03-31"}, by="sex"
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    rows = {row["group"]["sex"]: row["values"] for row in body["rows"]}
    assert body["total"]["arrivals"] == 10 and body["total"]["children"] == "<5"
    assert body["total"]["adults"] == "<5", "10 - 8 would give the 2 children: hidden too"
    assert rows["M"]["arrivals"] == "<5"
    assert rows["F"]["arrivals"] == "<5", "10 - 7 would give the men's 3: hidden too"
    assert body["total"]["reached"] == "<5" and body["total"]["answered_any"] == "<5"
    assert body["total"]["returned_12_months"] == "pending", "March 2026 is not 12 months old"
    assert body["total"]["returned_3_months"] == "<5"
    assert body["surveys"]["total"]["survey_day_30_people"] == "<5" and body["by"] == ["sex"]


def test_a_cohort_twelve_months_old_shows_its_return_within_a_year(supervisor_api, cohort, in_app):
    june = OutcomeCriteria(at(6, 1, 2025).date(), at(6, 30, 2025).date())
    with in_app() as session:
        actor = Actor.system("test")
        figures = count_outcomes(session, actor, resolve_cohort(session, actor, june), ())[()]
    assert (figures["returned_3_months"], figures["returned_6_months"]) == (0, 0)
    assert figures["returned_12_months"] == 1, "E came back after nine months"
    body = supervisor_api(
        "/reports/outcomes", **{"from": "2025-06-01", "to": "2025-06-30"}
    ).get_json()
    assert body["total"]["returned_12_months"] == "<5" and body["rows"] == []


def test_the_trend_gives_twelve_months_with_each_months_arrivals(supervisor_api, more_women):
    body = supervisor_api("/reports/outcomes/monthly", to="2026-11-30").get_json()
    months = [row["group"]["month"] for row in body["rows"]]
    assert months[0] == "2025-12" and months[-1] == "2026-11" and len(months) == 12
    arrivals = {row["group"]["month"]: row["values"]["arrivals"] for row in body["rows"]}
    assert arrivals["2026-03"] == 10 and arrivals["2026-05"] == "<5"
    assert body["total"]["arrivals"] == 11


def test_a_report_read_is_audited_without_people(supervisor_api, cohort, in_app):
    supervisor_api(
        "/reports/outcomes", **{"from": "2026-03-01", "to": "2026-03-31"}, centre="GT-AURORA"
    )
    with in_app() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.record_type == "outcome_report"))
    assert entry.action is AuditAction.VIEW and entry.detail == {"centre": "GT-AURORA"}


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.SOCIAL_WORKER])
def test_only_supervisors_and_admins_read_outcomes(app, demo, make_user, token_for, role):
    headers = token_for(make_user(role, "GT-AURORA"))
    answer = app.test_client().get(
        "/api/v1/reports/outcomes?from=2026-03-01&to=2026-03-31", headers=headers
    )
    assert answer.status_code == 403


def test_a_supervisor_counts_only_the_people_of_their_country(
    cohort, in_app, make_user, make_centre
):
    honduras = make_centre(country="HN", timezone="America/Tegucigalpa", code="HN-X1")
    supervisor = make_user(Role.SUPERVISOR, honduras)
    march = OutcomeCriteria(at(3, 1).date(), at(3, 31).date())
    with in_app() as session:
        actor = Actor.for_user(session.get(User, supervisor.id))
        counted = count_outcomes(session, actor, resolve_cohort(session, actor, march), ())
    assert counted[()]["arrivals"] == 0


def test_an_office_counts_only_the_people_it_follows(supervisor_api, followed):
    march = {"from": "2026-03-01", "to": "2026-03-31"}
    everyone = supervisor_api("/reports/outcomes", **march).get_json()
    assert everyone["total"]["arrivals"] == 11
    for code, count in (("GT-SM-01", 5), ("GT-HUE-01", 6)):
        body = supervisor_api("/reports/outcomes", **march, office=code, by="home_department")
        assert body.status_code == 200, body.get_json()
        assert body.get_json()["total"]["arrivals"] == count, f"{code} follows {count}"
        assert body.get_json()["filters"] == {"office": code}
    san_marcos = supervisor_api(
        "/reports/outcomes", **march, office="gt-sm-01", by="home_department"
    )
    assert [row["group"] for row in san_marcos.get_json()["rows"]] == [
        {"home_department": "GT-12"}
    ], "no one from Huehuetenango"
    not_an_office = supervisor_api("/reports/outcomes", **march, office="GT-AURORA")
    assert (
        not_an_office.status_code == 422 and "office" in not_an_office.get_json()["error"]["fields"]
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-31", "to": "2026-03-01"}, "to"),
        ({"from": "2026-03-01", "to": "2026-03-31", "by": "sex,shoe_size"}, "by"),
        ({"from": "2026-03-01", "to": "2026-03-31", "centre": "HN-SPS"}, "centre"),
        ({"from": "2026-03-01", "to": "2026-03-31", "department": "GT-99"}, "department"),
        ({"to": "2026-03-31"}, "from"),
    ],
)
def test_bad_parameters_are_named(supervisor_api, demo, params, field):
    answer = supervisor_api("/reports/outcomes", **params)
    assert answer.status_code == 422 and field in answer.get_json()["error"]["fields"]


@pytest.fixture
def honduras(arrive, cohort, in_app):
    """Six Honduran women back at San Pedro Sula in March, five of them working; five
    Guatemalan men at La Aurora, all working; and Fidel, Honduran, back at La Aurora
    (Guatemala's, by where he arrived)."""
    men = [
        arrive(at(3, 3 + number), given_names=f"Luis{'abcde'[number]}", sex="M", estimated_age=45)
        for number in range(5)
    ]
    women = [
        arrive(
            at(3, 3 + number),
            f"9556{number:04d}",
            centre="HN-SPS",
            given_names=f"Lesly{'abcdef'[number]}",
            sex="F",
            estimated_age=28,
            nationality="HN",
        )
        for number in range(6)
    ]
    with in_app() as session:
        for person in women[:5] + men:
            _read(session, person, Indicator.WORKING, True, person.arrived_at + timedelta(days=20))
    arrive(at(3, 25), "95550003", given_names="Fidel", sex="M", estimated_age=35, nationality="HN")


def test_an_admin_reads_each_countrys_figures_by_where_people_arrived(
    app, honduras, make_user, token_for
):
    headers = token_for(make_user(Role.ADMIN, "GT-AURORA"))

    def total(**params: str) -> dict:
        answer = app.test_client().get(
            "/api/v1/reports/outcomes", query_string=MARCH | params, headers=headers
        )
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["total"]

    assert total()["arrivals"] == 17
    hn = total(country="HN")
    assert (hn["arrivals"], hn["adults_working_or_referred"]) == (6, 5)
    assert hn["children"] == "<5" and hn["returned_3_months"] == "<5"
    assert hn["adults"] == "<5", "6 - 6 would give the children's 0"
    gt = total(country="GT")
    assert gt["arrivals"] == 11, "the cohort's five, the five men and Fidel"
    assert gt["adults"] == "<5", "C, D, E, the men, Fidel: 9 of 11 would give the 2 children"
    assert gt["adults_working_or_referred"] == 7, "C working, D referred to a job, the men"
    assert gt["children"] == "<5"
    assert total(country="SV")["arrivals"] == "<5"


def test_the_page_and_the_exports_take_the_country_too(honduras, make_user, sign_in_as, app):
    from tests.conftest import csrf_token
    from tests.reports.conftest import read_csv

    admin = sign_in_as(make_user(Role.ADMIN, "GT-AURORA"))
    page = admin.get("/reports/?from=01/03/2026&to=31/03/2026&country=HN")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<option selected value="HN">' in html
    assert "country=HN" in html, "the export buttons carry the country"
    data = {"what": "outcomes", "format": "csv", "from": "01/03/2026", "to": "31/03/2026"}
    data |= {"country": "HN", "csrf_token": csrf_token(admin, "/reports/export")}
    outcomes = read_csv(admin.post("/reports/export", data=data))
    assert outcomes[-1]["arrivals"] == "6"
    data |= {"what": "arrivals", "pseudonymised": "y", "recipient": "donor"}
    arrivals = read_csv(admin.post("/reports/export", data=data))
    assert len(arrivals) == 6 and {row["centre"] for row in arrivals} == {"HN-SPS"}
