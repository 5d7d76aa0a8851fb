"""Follow-up where people live, in a real browser: someone registered at La Aurora who goes home
to San Marcos asks for help from their phone; the urgent task is in the San Marcos office's
queue and in nobody's at La Aurora; the office proposes the case to Huehuetenango, where the
person moved, and Huehuetenango accepts it."""

from __future__ import annotations

import re

import pytest

from returnees.core.db import unit_of_work
from returnees.core.scheduler import run_once
from returnees.demo.offices import seed_demo_offices
from tests.browser.test_casework_journey import as_user, shot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
PHONE = "4123 8899"


def test_the_case_follows_the_person_home_and_moves_by_transfer(browser, live_server, live_app):
    with live_app.app_context(), unit_of_work() as session:
        seed_demo_offices(session, PASSWORD)

    desk = as_user(browser, live_server, "reception@demo.returnees.test")
    desk.goto("/reception/register")
    desk.fill("#given_names", "Ixmucané")
    desk.fill("#family_names", "Pop Caal")
    desk.fill("#estimated_age", "29")
    desk.check("input[name=sex][value=F]")
    desk.focus("#home_text")
    desk.keyboard.type("san marcos")
    desk.locator("#home-options [role=option]").first.wait_for()
    desk.keyboard.press("Enter")
    desk.fill("#phones-0-number", PHONE)
    desk.check("#phones-0-consent")
    desk.locator("button.primary[type=submit]").click()
    desk.wait_for_url(re.compile(r"/returnees/\d+$"))
    record = desk.url.replace(live_server, "")

    desk.goto("/simulator/")
    phone = desk.locator("#phone-50241238899")
    phone.locator("input[name=body]").fill("auxilio, me están buscando")
    with desk.expect_navigation():
        phone.get_by_role("button", name="Enviar").click()
    run_once(live_app, None)

    san_marcos = as_user(browser, live_server, "sw.sanmarcos@demo.returnees.test")
    urgent = san_marcos.locator("table.queue tbody tr", has_text="Ixmucané Pop Caal")
    assert "Urgente" in urgent.inner_text()
    aurora = as_user(browser, live_server, "social_worker@demo.returnees.test")
    assert "Ixmucané" not in aurora.locator("table.queue").inner_text()
    assert aurora.goto(record).status == 403

    san_marcos.goto(record)
    case = san_marcos.locator("#case")
    assert "Delegación departamental San Marcos" in case.inner_text()
    case.locator("select[name=to_office]").select_option("GT-OF-HUE")
    case.locator("input[name=reason]").last.fill("se mudó a Huehuetenango")
    with san_marcos.expect_navigation():
        case.get_by_role("button", name="Proponer traslado").click()
    assert "espera a esa oficina" in san_marcos.locator("#case").inner_text()

    huehue = as_user(browser, live_server, "sw.huehuetenango@demo.returnees.test")
    waiting = huehue.locator("#transfers")
    assert "Ixmucané Pop Caal" in waiting.inner_text()
    assert "se mudó a Huehuetenango" in waiting.inner_text()
    shot(huehue, "transfer-waiting")
    with huehue.expect_navigation():
        waiting.get_by_role("button", name="Aceptar el caso").click()
    assert "Ixmucané Pop Caal" in huehue.locator("table.queue").inner_text()
    huehue.goto(record)
    case = huehue.locator("#case")
    assert "Delegación departamental Huehuetenango" in case.inner_text()
    case.locator("summary").click()
    assert "GT-OF-SM → GT-OF-HUE · traslado: se mudó a Huehuetenango" in case.inner_text()
    shot(huehue, "record-after-transfer")
    for page in (desk, san_marcos, aurora, huehue):
        page.context.close()
