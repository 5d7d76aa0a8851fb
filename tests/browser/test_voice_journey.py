"""A call on the phone simulator in a real browser at a phone's width: it rings, is answered,
its recording loads in the page's player through the signed URL, and a key of the keypad,
found by its accessible name, answers the check-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from returnees.auth.access import Actor
from returnees.auth.services import find_user
from returnees.core.db import unit_of_work
from returnees.core.scheduler import run_once
from returnees.followups.models import CheckIn, CheckInState
from returnees.messaging.prompts import save_voice_prompt
from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry
from returnees.reception.services import register_arrival
from tests.browser.conftest import save_screenshot
from tests.browser.test_messaging_journeys import next_sending_hour
from tests.browser.test_page_fit import OUT_OF_PLACE, PHONE, SCREEN_HEIGHT
from tests.browser.test_sign_in_journeys import sign_in_by_keyboard
from tests.messaging.audio import wav_bytes

pytestmark = pytest.mark.browser
LOADED = """(selector) => {
  const audio = document.querySelector(selector);
  return audio !== null && audio.readyState >= 1 && audio.duration > 0;
}"""


@pytest.fixture
def prompts_in(live_app, tmp_path):
    saved = live_app.config["VOICE_PROMPT_DIR"]
    live_app.config["VOICE_PROMPT_DIR"] = str(tmp_path)
    yield
    live_app.config["VOICE_PROMPT_DIR"] = saved


def test_a_call_is_answered_on_the_simulated_phone_with_its_keypad(
    browser, live_server, live_app, prompts_in
):
    with live_app.app_context(), unit_of_work() as session:
        admin = Actor.for_user(find_user(session, "admin@demo.returnees.test"))
        save_voice_prompt(session, admin, "arrived_safe", "es", wav_bytes(2))
        save_voice_prompt(session, admin, "voice_thanks", "es", wav_bytes(1))
        arrival = register_arrival(
            session,
            Actor.system("test"),
            Intake(
                given_names="Tomasa",
                family_names="Ixcoy Pú",
                estimated_age=40,
                sex="F",
                nationality="GT",
                phones=[PhoneEntry("4123 5555", channel="voice", consent=True)],
                arrival=ArrivalEntry(centre="GT-AURORA"),
            ),
            "new",
        )
        _ask_only(session, arrival.returnee_id, "arrived_safe")
    asked_at = next_sending_hour()
    run_once(live_app, asked_at)

    context = browser.new_context(
        viewport={"width": PHONE, "height": SCREEN_HEIGHT}, base_url=live_server
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in_by_keyboard(page, "reception@demo.returnees.test")
        page.goto("/simulator/")
        phone = page.locator("#phone-50241235555")
        assert "Llamada · sonando" in phone.inner_text()
        with page.expect_navigation():
            phone.get_by_role("button", name="Contestar la llamada").click()
        phone = page.locator("#phone-50241235555")
        assert "Llamada · en curso" in phone.inner_text()
        page.wait_for_function(LOADED, arg="#phone-50241235555 audio")
        duration = page.evaluate("document.querySelector('#phone-50241235555 audio').duration")
        assert abs(duration - 2) < 0.1, "the recording played is the one uploaded"
        assert page.evaluate(OUT_OF_PLACE) == [], "the keypad fits a phone"
        save_screenshot(page, "simulator-call")
        keypad = phone.get_by_role("group", name="Teclado")
        assert keypad.get_by_role("button").count() == 10
        with page.expect_navigation():
            keypad.get_by_role("button", name="Tecla 1").click()
        assert "Llamada · terminada" in page.locator("#phone-50241235555").inner_text()
        assert page.get_by_role("group", name="Teclado").count() == 0
    finally:
        context.close()

    run_once(live_app, asked_at.replace(minute=1))
    with live_app.app_context(), unit_of_work() as session:
        check_in = session.scalars(
            select(CheckIn).where(
                CheckIn.returnee_id == arrival.returnee_id, CheckIn.template == "arrived_safe"
            )
        ).one()
        assert (check_in.state, check_in.answer) == (CheckInState.ANSWERED, "yes")


def _ask_only(session, returnee_id: int, template: str) -> None:
    """Leave only this step of the person's plan to be asked (as tests.followups.test_answers
    does): the steps before it count as answered."""
    steps = session.scalars(
        select(CheckIn).where(CheckIn.returnee_id == returnee_id).order_by(CheckIn.due_at)
    )
    for check_in in steps:
        if check_in.template != template:
            check_in.state = CheckInState.ANSWERED
        else:
            check_in.state, check_in.due_at = (
                CheckInState.SCHEDULED,
                check_in.due_at - timedelta(days=400),
            )
            break
