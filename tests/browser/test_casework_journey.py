"""The whole loop on the embedded default, in a real browser: someone is registered, the day-0
check-in reaches the simulated phone, "no" to "are you safe?" puts an urgent task at the top of
the social worker's queue with its reason, the worker records a call and a protection referral,
and the supervisor's numbers change."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from returnees.core.scheduler import run_once
from tests.browser.conftest import save_screenshot as shot
from tests.browser.test_sign_in_journeys import sign_in_by_keyboard

pytestmark = pytest.mark.browser
GUATEMALA = ZoneInfo("America/Guatemala")
PHONE = "#phone-50241235566"


def as_user(browser, live_server, email: str):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in_by_keyboard(page, email)
    return page


def supervisor_counts(page) -> dict[str, int]:
    page.goto("/")
    return {
        name: int(page.locator(f"[data-count={name}]").inner_text())
        for name in ("urgent", "check-ins-sent", "check-ins-answered", "referrals")
    }


def day_0_time() -> datetime:
    """The first moment, now or later, inside the sending window in Guatemala."""
    now = datetime.now(GUATEMALA)
    if 8 <= now.hour < 18:
        return now + timedelta(minutes=1)
    day = now.date() if now.hour < 8 else now.date() + timedelta(days=1)
    return datetime.combine(day, time(9), GUATEMALA)


def day_3_time(day_0: datetime) -> datetime:
    """Ten o'clock on the fourth day after day 0: the day-3 check-in is due."""
    return datetime.combine(day_0.date() + timedelta(days=4), time(10), GUATEMALA)


def answer_on_the_phone(page, text: str) -> None:
    page.goto("/simulator/")
    phone = page.locator(PHONE)
    phone.locator("input[name=body]").fill(text)
    with page.expect_navigation():
        phone.get_by_role("button", name="Enviar").click()


def test_the_whole_loop_from_the_desk_to_the_supervisor(browser, live_server, live_app):
    # What other journeys on this server left due by day 3 goes out first, so that the counts
    # below move by this person's check-ins alone, whatever ran before.
    for days in range(3):  # one routine contact a day: a second one due waits a day
        run_once(live_app, day_3_time(day_0_time()) + timedelta(days=days))
    supervisor = as_user(browser, live_server, "supervisor@demo.returnees.test")
    before = supervisor_counts(supervisor)

    desk = as_user(browser, live_server, "reception@demo.returnees.test")
    desk.goto("/reception/register")
    desk.fill("#given_names", "Marta Elena")
    desk.fill("#family_names", "Tzoc Pu")
    desk.fill("#estimated_age", "27")
    desk.check("input[name=sex][value=F]")
    desk.fill("#phones-0-number", "4123 5566")
    desk.check("#phones-0-consent")
    desk.locator("button.primary[type=submit]").click()
    desk.wait_for_url(re.compile(r"/returnees/\d+$"))
    record = desk.url

    day_0 = day_0_time()
    run_once(live_app, day_0)
    desk.goto("/simulator/")
    assert "guarde este número" in desk.locator(f"{PHONE} .conversation").inner_text()
    answer_on_the_phone(desk, "1")
    run_once(live_app, day_0)

    day_3 = day_3_time(day_0)
    run_once(live_app, day_3)
    desk.goto("/simulator/")
    assert "¿llegó bien?" in desk.locator(f"{PHONE} .conversation").inner_text()
    answer_on_the_phone(desk, "no")
    run_once(live_app, day_3)

    worker = as_user(browser, live_server, "social_worker@demo.returnees.test")
    first = worker.locator("table.queue tbody tr").first
    assert "Marta Elena Tzoc Pu" in first.inner_text()
    assert "Urgente" in first.inner_text() and "respondió: no está a salvo" in first.inner_text()
    shot(worker, "queue-urgent-first")
    first.locator("input[name=note]").fill("Habló con ella; está con su tía")
    with worker.expect_navigation():
        first.get_by_role("button", name="Contestó", exact=True).click()
    assert "Marta Elena Tzoc Pu" not in worker.locator("table.queue").inner_text()

    worker.goto(record.replace(live_server, "") + "/referrals/new")
    organisation = worker.locator("#organisation_id option", has_text="Defensoría de la Niñez")
    worker.select_option("#organisation_id", organisation.get_attribute("value"))
    worker.select_option("#service", "protection")
    worker.check("#has_consent")
    worker.check("#is_protection")
    worker.fill("#note", "Amenazas en el barrio")
    with worker.expect_navigation():
        worker.get_by_role("button", name="Hacer la referencia").click()
    assert worker.locator(".flash.success").count() == 1
    shot(worker, "protection-referral-made")

    after = supervisor_counts(supervisor)
    shot(supervisor, "supervisor-home")
    assert after["check-ins-sent"] == before["check-ins-sent"] + 2
    assert after["check-ins-answered"] == before["check-ins-answered"] + 2
    assert after["referrals"] == before["referrals"] + 1
    assert after["urgent"] == before["urgent"], "the call closed the urgent task"
    for page in (supervisor, desk, worker):
        page.context.close()


def test_a_filter_saved_with_overdue_ticked_keeps_it(browser, live_server, live_app):
    from sqlalchemy import select

    from returnees.casework.models import SavedFilter
    from returnees.core.db import unit_of_work

    worker = as_user(browser, live_server, "social_worker@demo.returnees.test")
    worker.goto("/queue")
    worker.get_by_label("Vencida").check()
    worker.get_by_label("Guardar estos filtros como").fill("Vencidas")
    with worker.expect_navigation():
        worker.get_by_role("button", name="Guardar filtro").click()
    assert "Filtro guardado." in worker.locator(".flash.success").inner_text()
    assert worker.get_by_label("Vencida").is_checked(), "the saved filter reapplies 'overdue'"
    with live_app.app_context(), unit_of_work() as session:
        saved = session.scalars(select(SavedFilter).where(SavedFilter.name == "Vencidas")).one()
        assert saved.criteria["overdue"] is True
    worker.get_by_label("Mis casos").check()
    with worker.expect_navigation():
        worker.get_by_role("button", name="Filtrar", exact=True).click()
    assert "csrf_token" not in worker.url and "mine=1" in worker.url and "overdue=1" in worker.url
    worker.context.close()
