"""A supervisor reviews a pair the nightly search found, in a real browser: the two records side
by side with their differences said in words, "same person" keeps the older record, and the
merged record's address leads to the kept one. The pair page fits a phone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from returnees.auth.access import Actor
from returnees.core.db import unit_of_work
from returnees.core.scheduler import run_job
from returnees.duplicates.jobs import JOBS
from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry
from returnees.reception.services import register_arrival
from tests.browser.conftest import save_screenshot as shot
from tests.browser.test_page_fit import OUT_OF_PLACE, PHONE, on_screen

pytestmark = pytest.mark.browser
SUPERVISOR = "supervisor@demo.returnees.test"


def registered_twice(live_app, given: tuple[str, str], family: str) -> tuple[int, int]:
    """The same woman registered by the desk twice, a week apart, her given name spelt two
    ways; the nightly search then runs. The older record's id, and the newer's."""
    ids = []
    for name, days_ago in ((given[0], 8), (given[1], 1)):
        intake = Intake(
            given_names=name,
            family_names=family,
            birth_date=date(2001, 4, 12),
            sex="F",
            nationality="GT",
            phones=[PhoneEntry(f"4123 {days_ago:02d}{len(family):02d}", consent=True)],
            arrival=ArrivalEntry(
                centre="GT-AURORA", arrived_at=datetime.now(UTC) - timedelta(days=days_ago)
            ),
        )
        with live_app.app_context(), unit_of_work() as session:
            ids.append(register_arrival(session, Actor.system("desk"), intake, "new").returnee_id)
    run_job(live_app, JOBS[0])
    return ids[0], ids[1]


def test_a_supervisor_reviews_a_pair_and_merges_it(browser, live_server, live_app):
    older, newer = registered_twice(live_app, ("Yesenia Marisol", "Jessenia Marisol"), "Caal Choc")
    with on_screen(browser, live_server, 1280, SUPERVISOR) as page:
        page.get_by_role("link", name="Posibles duplicados").click()
        row = page.locator("table.pairs tbody tr", has_text="Jessenia Marisol Caal Choc")
        assert "misma fecha de nacimiento" in row.inner_text()
        row.get_by_role("link", name=re.compile("Comparar y decidir")).click()
        given = page.locator("table.compare tr", has=page.locator("th", has_text="Nombres"))
        assert "difiere" in given.inner_text(), "a difference is said in words"
        family = page.locator("table.compare tr", has=page.locator("th", has_text="Apellidos"))
        assert "difiere" not in family.inner_text()
        kept = page.get_by_role("radio", name=re.compile(f"Conservar el expediente {older}"))
        assert kept.is_checked(), "the older record is kept unless the supervisor chooses"
        shot(page, "duplicates-pair-1280")
        page.get_by_role("button", name="Misma persona: fusionar").click()
        page.wait_for_url(re.compile(r"/people/duplicates/merges/\d+$"))
        assert page.locator("h1").inner_text() == (f"Expediente {newer} fusionado con el {older}")
        assert "Llegadas: 1" in page.locator("main").inner_text()
        shot(page, "duplicates-merged-1280")
        page.goto(f"/returnees/{newer}")
        assert page.url.endswith(f"/returnees/{older}")
        assert f"El expediente {newer} se fusionó con este." in page.locator("main").inner_text()
        assert "Llegadas registradas" in page.locator("main").inner_text()


def test_the_pair_page_fits_a_phone(browser, live_server, live_app):
    registered_twice(live_app, ("Dilcia Aracely", "Dilsia Aracely"), "Pop Tiul")
    with on_screen(browser, live_server, PHONE, SUPERVISOR) as page:
        page.goto("/people/duplicates/")
        row = page.locator("table.pairs tbody tr", has_text="Dilsia Aracely Pop Tiul")
        row.get_by_role("link").click()
        assert page.evaluate(OUT_OF_PLACE) == []
        button = page.get_by_role("button", name="Misma persona: fusionar").bounding_box()
        assert button["height"] >= 40 and button["x"] + button["width"] <= PHONE
        shot(page, "duplicates-pair-390")
