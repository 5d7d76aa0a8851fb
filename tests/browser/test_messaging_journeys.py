"""The phone simulator in a real browser: someone with a phone answers AYUDA and gets the help
reply once the dispatch job runs; their record shows the conversation."""

from __future__ import annotations

import re

import pytest

from returnees.core.scheduler import run_once
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
