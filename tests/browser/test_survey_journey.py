"""A social worker takes a reintegration survey wave on a call, on a phone's screen: the call
drops half-way and nothing is lost, the form resumes at the first unanswered question, and the
scores show on the person's record once the wave is completed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from returnees.auth.access import Actor
from returnees.core.db import unit_of_work
from returnees.reception.intake import ArrivalEntry, Intake
from returnees.reception.services import register_arrival
from returnees.surveys.models import SurveyWave
from returnees.surveys.services import open_survey_waves
from tests.browser.conftest import save_screenshot
from tests.browser.test_page_fit import OUT_OF_PLACE, PHONE, on_screen

pytestmark = pytest.mark.browser
WORKER = "social_worker@demo.returnees.test"
# Answers given other than the first option (which scores 1): "often" scores 0, "declined" is
# not scored. Economic 6/7, social 1, psychosocial 1: composite (6/7 + 2) / 3.
OTHER_ANSWERS = {"ate_less": "often", "distress": "declined"}


def arrived_31_days_ago(live_app) -> int:
    """A person registered at La Aurora 31 days ago (a case opens), and the waves due opened."""
    intake = Intake(
        given_names="Lidia Marisol",
        family_names="Coc Tiul",
        birth_date=date(1994, 3, 2),
        sex="F",
        nationality="GT",
        home="",
        is_unaccompanied=False,
        phones=[],  # no check-ins: the other journeys count the ones sent
        arrival=ArrivalEntry(centre="GT-AURORA", arrived_at=datetime.now(UTC) - timedelta(days=31)),
    )
    with live_app.app_context(), unit_of_work() as session:
        arrival = register_arrival(session, Actor.system("journey"), intake, "new")
        open_survey_waves(session)
        wave = session.scalar(
            select(SurveyWave).where(SurveyWave.returnee_id == arrival.returnee_id)
        )
        assert wave is not None and wave.task_id is not None
        return arrival.returnee_id


def answer_current_question(page) -> str:
    """Answer the question on screen: its first option by keyboard (the focus starts on it),
    or another answer by a tap; the item's code."""
    code = page.locator("input[name=item]").get_attribute("value")
    other = OTHER_ANSWERS.get(code)
    with page.expect_navigation():
        if other:
            page.locator(f"label:has(input[name=value][value={other}])").click()
            page.get_by_role("button", name="Guardar y seguir").click()
        else:
            page.keyboard.press("Space")
            page.keyboard.press("Enter")
    return code


def test_a_wave_taken_on_a_call_resumes_after_a_drop_and_scores_on_the_record(
    browser, live_server, live_app
):
    returnee_id = arrived_31_days_ago(live_app)
    with on_screen(browser, live_server, PHONE, WORKER) as page:
        page.goto("/queue")
        assert page.get_by_text("encuesta del día 30 después de la llegada").count() >= 1
        page.goto(f"/returnees/{returnee_id}")
        page.get_by_role("link", name="Hacer la encuesta en una llamada").click()
        page.wait_for_url(re.compile(r"/surveys/\d+$"))
        question = page.get_by_role("group")
        assert question.locator("legend").inner_text().startswith("Pregunta 1 de 21")
        assert page.get_by_role("radio", name="No quiso responder").count() == 1
        assert page.get_by_role("radio", name="No sabe").count() == 1
        assert page.evaluate(OUT_OF_PLACE) == []
        given = [answer_current_question(page) for _ in range(5)]
        assert given[:2] == ["economic_satisfaction", "ate_less"]
        save_screenshot(page, "survey-call-question-6")
    # The call dropped; the social worker calls back later from another device.
    with on_screen(browser, live_server, PHONE, WORKER) as page:
        page.goto(f"/returnees/{returnee_id}")
        page.get_by_role("link", name="Continuar la encuesta").click()
        assert page.locator("legend").inner_text().startswith("Pregunta 6 de 21")
        assert "5 de 21 respondidas" in page.locator("main").inner_text()
        while page.locator("input[name=item]").count():
            answer_current_question(page)
        with page.expect_navigation():
            page.get_by_role("button", name="Terminar la encuesta").click()
        assert page.url.endswith(f"/returnees/{returnee_id}#surveys")
        panel = page.locator("#surveys")
        scores = panel.locator("table.scores").inner_text()
        assert re.search(r"Dimensión económica\s+0\.86", scores), scores
        assert re.search(r"Dimensión psicosocial\s+1\.00", scores), scores
        assert re.search(r"Compuesto\s+0\.95", scores), scores
        assert page.evaluate(OUT_OF_PLACE) == []
        save_screenshot(page, "survey-scores-on-the-record")
