"""Each role signs in from the keyboard and sees its home page, in Spanish, then in English."""

from __future__ import annotations

import re

import pytest

from returnees.demo.services import DEMO_USERS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

HOME_HEADINGS = {
    "reception": ("Mesa de recepción", "Reception desk"),
    "social_worker": ("Cola de seguimiento", "Follow-up queue"),
    "supervisor": ("Resumen del programa", "Programme overview"),
    "admin": ("Administración", "Administration"),
}


def sign_in_by_keyboard(page, email: str) -> None:
    page.goto("/")
    assert "/auth/sign-in" in page.url
    page.wait_for_function("document.activeElement && document.activeElement.id === 'email'")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize(("email", "role"), [(email, role.value) for email, role, *_ in DEMO_USERS])
def test_each_role_signs_in_and_sees_its_home_page(page, screenshot, email, role):
    from playwright.sync_api import expect

    spanish, english = HOME_HEADINGS[role]
    heading = page.locator("h1").first
    sign_in_by_keyboard(page, email)
    expect(heading).to_have_text(re.compile("^" + re.escape(spanish)))
    screenshot(f"home-{role}-es")

    page.get_by_role("button", name="English").click()
    expect(heading).to_have_text(re.compile("^" + re.escape(english)))
    screenshot(f"home-{role}-en")
    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()

    page.get_by_role("button", name="Cerrar sesión").click()
    page.wait_for_url(re.compile("/auth/sign-in"))
    expect(page.get_by_text("Ha cerrado sesión")).to_have_count(1)


def test_a_wrong_password_shows_the_form_again_with_the_email_kept(page):
    page.goto("/auth/sign-in")
    page.fill("#email", "reception@demo.returnees.test")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert page.input_value("#email") == "reception@demo.returnees.test"
    assert page.locator(".form-errors").is_visible()


def test_a_tablet_sized_screen_shows_the_whole_header(browser, live_server):
    context = browser.new_context(viewport={"width": 800, "height": 1280}, base_url=live_server)
    page = context.new_page()
    sign_in_by_keyboard(page, "supervisor@demo.returnees.test")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 800, "nothing should scroll sideways on a 10-inch tablet"
    context.close()
