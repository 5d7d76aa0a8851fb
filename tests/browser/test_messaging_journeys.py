"""The phone simulator in a real browser: someone with a phone answers AYUDA and gets the help
reply once the dispatch job runs; their record shows the conversation. A mother's phone shows
the family's conversation as one thread, and one answer there answers for both children."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from returnees.auth.access import Actor
from returnees.core.db import unit_of_work
from returnees.core.scheduler import run_once
from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry
from returnees.reception.services import link_household, register_arrival
from tests.browser.test_sign_in_journeys import sign_in_by_keyboard

pytestmark = pytest.mark.browser


def test_an_answer_from_the_simulated_phone_reaches_the_record(page, live_app, screenshot):
    sign_in_by_keyboard(page, "reception@demo.returnees.test")
    page.goto("/reception/register")
    page.fill("#given_names", "Rosa Amalia")
    page.fill("#family_names", "Chavajay Sic")
    page.fill("#estimated_age", "31")
    page.check("input[name=sex][value=F]")
    page.fill("#phones-0-number", "4123 9876")
    page.check("#phones-0-consent")
    page.locator("button.primary[type=submit]").click()
    page.wait_for_url(re.compile(r"/returnees/\d+$"))
    record_url = page.url

    page.get_by_role("link", name="Simulador de teléfonos").click()
    phone = page.locator("#phone-50241239876")
    phone.locator("input[name=body]").fill("AYUDA")
    with page.expect_navigation():
        phone.get_by_role("button", name="Enviar").click()
    assert page.get_by_text("Respuesta enviada desde +50241239876").count() == 1

    run_once(live_app, None)
    page.reload()
    conversation = page.locator("#phone-50241239876 .conversation").inner_text()
    assert "AYUDA" in conversation and "Para ayuda llame al" in conversation
    screenshot("simulator")
    page.goto(record_url)
    assert "Para ayuda llame al" in page.locator(".conversation").inner_text()


def next_sending_hour() -> datetime:
    """The next 09:00 in Guatemala from now: inside the sending window, whatever the hour the
    suite runs at (the jobs are run as of then)."""
    now = datetime.now(UTC)
    nine = now.replace(hour=15, minute=0, second=0, microsecond=0)  # 09:00 at UTC-6
    return nine if nine > now else nine + timedelta(days=1)


def test_a_mother_answers_for_her_two_children_on_the_family_phone(page, live_app, screenshot):
    mother = PhoneEntry("4123 7777", owner="relative", consent=True)
    with live_app.app_context(), unit_of_work() as session:
        children = [
            register_arrival(
                session,
                Actor.system("test"),
                Intake(
                    given_names=name,
                    family_names="Tzoc Ajú",
                    estimated_age=age,
                    sex=sex,
                    nationality="GT",
                    phones=[mother],
                    arrival=ArrivalEntry(centre="GT-AURORA"),
                ),
                "new",
            )
            for name, age, sex in (("Ana", 9, "F"), ("Luis", 7, "M"))
        ]
        link_household(session, Actor.system("test"), [child.id for child in children])
        records = [f"/returnees/{child.returnee_id}" for child in children]
    asked_at = next_sending_hour()
    run_once(live_app, asked_at)

    sign_in_by_keyboard(page, "social_worker@demo.returnees.test")
    page.goto("/simulator/")
    phone = page.locator("#phone-50241237777")
    assert "Ana Tzoc Ajú" in phone.inner_text() and "Luis Tzoc Ajú" in phone.inner_text()
    thread = phone.locator(".conversation")
    assert (
        thread.locator("li.out")
        .all_inner_texts()[0]
        .startswith("Hola, guarde este número para saber de Ana y Luis. Responda 1.")
    )
    phone.locator("input[name=body]").fill("1")
    with page.expect_navigation():
        phone.get_by_role("button", name="Enviar").click()

    run_once(live_app, asked_at + timedelta(minutes=1))
    page.reload()
    assert (
        page.locator("#phone-50241237777 .conversation li.in").all_inner_texts()[0].startswith("1")
    )
    screenshot("simulator-family-phone")
    for record in records:
        page.goto(record)
        follow_up = page.locator("#follow-up").inner_text()
        assert "respondió" in follow_up and "de +502 4123 7777" in follow_up, follow_up
