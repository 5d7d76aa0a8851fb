"""The /reports/ page: filters, the cohort table with its hidden cells, and the trend charts."""

from __future__ import annotations

import re

import pytest

from returnees.auth.models import Role


@pytest.fixture
def supervisor(demo, make_user, sign_in_as):
    return sign_in_as(make_user(Role.SUPERVISOR, "GT-AURORA"))


def test_the_page_shows_the_cohort_by_group_and_twelve_months_of_charts(supervisor, cohort):
    page = supervisor.get("/reports/?from=01/03/2026&to=31/03/2026&by=age_group")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Llegadas del 01/03/2026 al 31/03/2026" in html
    assert "&lt;5" in html and "pendiente" in html
    charts = re.findall(r'<svg role="img"[^>]*>\s*<title[^>]*>([^<]+)</title>', html)
    assert "Contactados y seguros: Contactados tras el retorno" in charts and len(charts) == 16
    assert "Mes de llegada" in html and ">Personas<" in html, "both axes are named"
    assert html.count('class="trend-table"') == 16, "each chart has its table beside it"


def test_the_page_opens_on_last_month_and_refuses_a_reversed_period(supervisor, cohort):
    opened = supervisor.get("/reports/")
    assert opened.status_code == 200 and "01/11/2026" in opened.get_data(as_text=True)
    reversed_ = supervisor.get("/reports/?from=31/03/2026&to=01/03/2026")
    assert reversed_.status_code == 422
    assert "El fin del periodo es anterior a su inicio." in reversed_.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.SOCIAL_WORKER])
def test_the_page_is_for_supervisors_and_admins(demo, make_user, sign_in_as, role):
    assert sign_in_as(make_user(role, "GT-AURORA")).get("/reports/").status_code == 403


def test_an_admin_reads_the_page(demo, make_user, sign_in_as, cohort):
    admin = sign_in_as(make_user(Role.ADMIN, "GT-AURORA"))
    assert admin.get("/reports/?from=01/03/2026&to=31/03/2026").status_code == 200


def export_form(client, **fields: str):
    from tests.conftest import csrf_token

    data = {"what": "arrivals", "format": "csv", "from": "01/03/2026", "to": "31/03/2026"}
    data |= fields
    data["csrf_token"] = csrf_token(client, "/reports/export")
    return client.post("/reports/export", data=data)


def test_an_identifying_download_is_an_encrypted_zip_that_opens_with_the_passphrase(
    supervisor, cohort
):
    import io

    import pyzipper

    refused = export_form(supervisor, passphrase="short")
    assert refused.status_code == 422
    assert "al menos 12 caracteres" in refused.get_data(as_text=True)
    answer = export_form(supervisor, passphrase="correct horse battery")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/zip"
    body = answer.get_data()
    assert b"Ana" not in body, "the names are encrypted"
    with pyzipper.AESZipFile(io.BytesIO(body)) as archive:
        archive.setpassword(b"correct horse battery")
        text = archive.read("arrivals.csv").decode()
    assert "Ana" in text and text.count("\n") == 6


def test_an_identifying_xlsx_download_opens_only_with_its_passphrase(supervisor, cohort):
    import io

    import pyzipper
    from openpyxl import load_workbook

    answer = export_form(supervisor, format="xlsx", passphrase="correct horse battery")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/zip"
    assert 'filename="arrivals.xlsx.zip"' in answer.headers["Content-Disposition"]
    with pyzipper.AESZipFile(io.BytesIO(answer.get_data())) as archive:
        assert archive.namelist() == ["arrivals.xlsx"]
        archive.setpassword(b"correct horse batterY")
        with pytest.raises(RuntimeError, match="Bad password"):
            archive.read("arrivals.xlsx")
        archive.setpassword(b"correct horse battery")
        book = load_workbook(io.BytesIO(archive.read("arrivals.xlsx")))
    header, *rows = book["arrivals"].iter_rows(values_only=True)
    assert header[:4] == ("arrival_id", "person_id", "given_names", "family_names")
    assert sorted(row[2] for row in rows) == ["Ana", "Beto", "Carla", "Dario", "Edgar"]
    assert {row[1] for row in rows} == set(cohort.people.values())


def test_a_pseudonymised_download_needs_no_passphrase(supervisor, cohort):
    answer = export_form(supervisor, pseudonymised="y", recipient="donor")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert "Ana" not in answer.get_data(as_text=True)


def export_links(html: str) -> dict[str, str]:
    """{what: the link's query} of each Export button on a page."""
    found = re.findall(r'href="/reports/export\?([^"]+)"', html)
    links = [query.replace("&amp;", "&") for query in found]
    return {re.search(r"what=([\w-]+)", query).group(1): query for query in links}


def test_list_and_report_pages_offer_the_export(supervisor, cohort):
    people = supervisor.get("/returnees/?centre=GT-AURORA&arrived_from=01/03/2026")
    links = export_links(people.get_data(as_text=True))
    assert set(links) == {"arrivals", "cases"}
    for query in links.values():
        assert "centre=GT-AURORA" in query and "from=01/03/2026" in query
        assert "pseudonymised" not in query
    report = supervisor.get("/reports/?from=01/03/2026&to=31/03/2026&by=sex&department=GT-12")
    links = export_links(report.get_data(as_text=True))
    assert set(links) == {"outcomes", "arrivals", "cases", "check-ins", "referrals", "surveys"}
    assert "by=sex" in links["outcomes"]
    for query in links.values():
        assert "from=01/03/2026" in query and "to=31/03/2026" in query
        assert "department=GT-12" in query
    assert "survey" in supervisor.get("/reports/export?what=surveys").get_data(as_text=True)


def test_the_report_pages_outcomes_button_gives_the_table_with_its_survey_figures(
    supervisor, cohort
):
    import csv
    import io

    report = supervisor.get("/reports/?from=01/03/2026&to=31/03/2026&by=sex")
    button = export_links(report.get_data(as_text=True))["outcomes"]
    assert supervisor.get(f"/reports/export?{button}").status_code == 200
    answer = export_form(supervisor, what="outcomes", by="sex")
    assert answer.status_code == 200, "the table names no one: no passphrase asked"
    assert answer.headers["Content-Type"].startswith("text/csv")
    text = answer.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["sex"] for row in rows] == ["F", "M", "all"]
    assert rows[-1]["arrivals"] == "5" and rows[-1]["survey_day_30_people"] == "<5"
    assert "survey_day_180_composite" in rows[0], "each wave's figures"


def test_the_cases_and_survey_pages_offer_their_exports(demo, make_user, sign_in_as):
    supervisor = sign_in_as(make_user(Role.SUPERVISOR, "GT-AURORA"))
    assert set(export_links(supervisor.get("/cases/assign").get_data(as_text=True))) == {"cases"}
    admin = sign_in_as(make_user(Role.ADMIN, "GT-AURORA"))
    page = admin.get("/surveys/instrument").get_data(as_text=True)
    assert set(export_links(page)) == {"surveys"}


def test_a_social_workers_export_button_opens_on_the_pseudonymised_file(
    demo, make_user, sign_in_as
):
    worker = sign_in_as(make_user(Role.SOCIAL_WORKER, "GT-AURORA"))
    links = export_links(worker.get("/returnees/").get_data(as_text=True))
    assert links and all("pseudonymised=y" in query for query in links.values())
    form = worker.get("/reports/export?" + links["arrivals"]).get_data(as_text=True)
    assert re.search(r'name="pseudonymised"[^>]*checked|checked[^>]*name="pseudonymised"', form)
    reception = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    assert export_links(reception.get("/returnees/").get_data(as_text=True)) == {}
