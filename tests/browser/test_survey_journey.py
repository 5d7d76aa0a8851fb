"""A social worker takes a reintegration survey wave on a call, on a phone's screen: the form
places the call, the person's phone rings on the phone simulator (a second page) and, answered,
is put through to the worker's phone; the call drops half-way and nothing is lost, the worker
calls back from another device and the form resumes at the first unanswered question; the
scores show on the person's record once the wave is completed, and in the report of their
arrival's cohort, whose supervisor sees the count of people surveyed go from 4 to 5 and the
medians appear."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from returnees.auth.access import Actor
from returnees.auth.on_call import set_on_call
from returnees.auth.services import find_user
from returnees.core.db import unit_of_work
from returnees.core.scheduler import periodic_jobs, run_job
from returnees.followups.services import cancel_pending_for_number
from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry
from returnees.reception.services import register_arrival
from returnees.surveys.models import SurveyItem, SurveyWave, WaveStatus
from returnees.surveys.services import answer_item, complete_wave, open_survey_waves
from tests.browser.conftest import save_screenshot
from tests.browser.test_page_fit import OUT_OF_PLACE, PHONE, on_screen

pytestmark = pytest.mark.browser
WORKER = "social_worker@demo.returnees.test"
SUPERVISOR = "supervisor@demo.returnees.test"
ADMIN = "admin@demo.returnees.test"
WORKER_PHONE = "+50250100009"  # the worker's own phone, where the call is put through
PERSON_PHONE = "#phone-50241237788"
# Answers given other than the first option (which scores 1): "often" scores 0, "declined" is
# not scored. Economic 6/7, social 1, psychosocial 1: composite (6/7 + 2) / 3.
OTHER_ANSWERS = {"ate_less": "often", "distress": "declined"}
# The four others of her cohort surveyed before her: two doing well, two struggling, so that
# the medians of the five are her own economic and composite scores.
COHORT_LEVELS = (1.0, 1.0, 0.0, 0.0)
SURVEY_PEOPLE = "Día 30: personas encuestadas"
ECONOMIC_MEDIAN = "Día 30: mediana de la puntuación económica"
COMPOSITE_MEDIAN = "Día 30: mediana de la puntuación compuesta"


def arrived_31_days_ago(live_app, arrived_at: datetime) -> int:
    """A person registered at La Aurora 31 days ago with a phone she agreed to be called on
    (a case opens), and the waves due opened. Her check-ins are cancelled: the other journeys
    count the ones sent, and this one places a call of its own."""
    intake = Intake(
        given_names="Lidia Marisol",
        family_names="Coc Tiul",
        birth_date=date(1994, 3, 2),
        sex="F",
        nationality="GT",
        home="",
        is_unaccompanied=False,
        phones=[PhoneEntry("4123 7788", consent=True)],
        arrival=ArrivalEntry(centre="GT-AURORA", arrived_at=arrived_at),
    )
    with live_app.app_context(), unit_of_work() as session:
        arrival = register_arrival(session, Actor.system("journey"), intake, "new")
        cancel_pending_for_number(session, "+50241237788", arrival.returnee_id)
        open_survey_waves(session)
        wave = session.scalar(
            select(SurveyWave).where(SurveyWave.returnee_id == arrival.returnee_id)
        )
        assert wave is not None and wave.task_id is not None
        return arrival.returnee_id


def surveyed_with_her(live_app, arrived_at: datetime) -> None:
    """Four others who arrived at La Aurora with her, their day-30 waves taken by the worker
    (through the services, every answer the option scored nearest their level)."""
    with live_app.app_context(), unit_of_work() as session:
        worker = Actor.for_user(find_user(session, WORKER))
        for position, level in enumerate(COHORT_LEVELS):
            intake = Intake(
                given_names="Persona",
                family_names=f"Cohorte {position + 1}",
                estimated_age=30,
                sex="M",
                nationality="GT",
                arrival=ArrivalEntry(centre="GT-AURORA", arrived_at=arrived_at),
            )
            arrival = register_arrival(session, Actor.system("journey"), intake, "new")
            open_survey_waves(session)
            wave = session.scalars(
                select(SurveyWave).where(
                    SurveyWave.returnee_id == arrival.returnee_id,
                    SurveyWave.status == WaveStatus.OPEN,
                )
            ).one()
            for item in wave.instrument.items:
                value = nearest_answer(item, level)
                answer_item(session, worker, arrival.returnee_id, wave.id, item.code, value)
            complete_wave(session, worker, arrival.returnee_id, wave.id)


def nearest_answer(item: SurveyItem, level: float) -> str:
    scored = [option for option in item.options if option["score"] is not None]
    if not scored:
        return item.options[0]["value"]
    return min(scored, key=lambda option: abs(option["score"] - level))["value"]


def with_a_phone_of_her_own(live_app) -> None:
    """The worker's account has the phone a call she places is put through to (an admin
    keeps it, as for on-call alerts)."""
    with live_app.app_context(), unit_of_work() as session:
        admin = Actor.for_user(find_user(session, ADMIN))
        set_on_call(session, admin, WORKER, False, WORKER_PHONE)


def send_due_messages(live_app) -> None:
    """The worker's send job, which the call placed wakes (it runs every 15 seconds)."""
    [job] = [job for job in periodic_jobs(live_app) if job.id == "send-due-messages"]
    run_job(live_app, job)


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


def place_the_call(page, live_app):
    """Call her from the form; the send job places the call, and a second page, the phone
    simulator, shows it ringing on her phone and answers it: put through to the worker's
    phone. The simulator's page, to hang up on."""
    with page.expect_navigation():
        page.get_by_role("button", name="Llamar al +502 4123 7788").click()
    assert "Llamando al +502 4123 7788" in page.locator("main").inner_text()
    assert last_call(page).endswith(": a punto de hacerse.")
    send_due_messages(live_app)
    phone = page.context.new_page()
    phone.goto("/simulator/")
    assert "Llamada · sonando" in phone.locator(PERSON_PHONE).inner_text()
    with phone.expect_navigation():
        phone.locator(PERSON_PHONE).get_by_role("button", name="Contestar la llamada").click()
    call = phone.locator(PERSON_PHONE).inner_text()
    assert "Llamada · en curso" in call
    assert f"Comunicada con el teléfono del personal {WORKER_PHONE}" in call
    return phone


def last_call(page) -> str:
    """What the form says of the last call placed from it."""
    return page.get_by_role("status").filter(has_text="Última llamada").inner_text()


def hang_up(phone) -> None:
    with phone.expect_navigation():
        phone.locator(PERSON_PHONE).get_by_role("button", name="Colgar").click()
    assert "Llamada · terminada" in phone.locator(PERSON_PHONE).inner_text()


def survey_report(page, arrived_at: datetime) -> dict[str, str]:
    """The report of La Aurora's arrivals on her day of arrival (Guatemala's day): each survey
    figure for the whole cohort."""
    day = (arrived_at - timedelta(hours=6)).strftime("%d/%m/%Y")
    page.goto(f"/reports/?from={day}&to={day}&centre=GT-AURORA")
    rows = page.locator("table[aria-labelledby=survey-heading] tbody tr")
    return {
        row.locator("th").inner_text().strip(): row.locator("td").last.inner_text().strip()
        for row in rows.all()
    }


def test_a_wave_taken_on_a_simulated_call_scores_on_the_record_and_in_the_report(
    browser, live_server, live_app
):
    arrived_at = datetime.now(UTC) - timedelta(days=31)
    surveyed_with_her(live_app, arrived_at)
    returnee_id = arrived_31_days_ago(live_app, arrived_at)
    with_a_phone_of_her_own(live_app)
    with on_screen(browser, live_server, PHONE, SUPERVISOR) as report:
        before = survey_report(report, arrived_at)
        assert (before[SURVEY_PEOPLE], before[ECONOMIC_MEDIAN]) == ("<5", "<5"), before

        with on_screen(browser, live_server, PHONE, WORKER) as page:
            page.goto("/queue")
            assert page.get_by_text("encuesta del día 30 después de la llegada").count() >= 1
            page.goto(f"/returnees/{returnee_id}")
            page.get_by_role("link", name="Hacer la encuesta en una llamada").click()
            page.wait_for_url(re.compile(r"/surveys/\d+$"))
            phone = place_the_call(page, live_app)
            assert phone.evaluate(OUT_OF_PLACE) == [], "the call fits the simulated phone"
            save_screenshot(phone, "survey-call-on-the-simulated-phone")
            question = page.get_by_role("group")
            assert question.locator("legend").inner_text().startswith("Pregunta 1 de 21")
            assert page.get_by_role("radio", name="No quiso responder").count() == 1
            assert page.get_by_role("radio", name="No sabe").count() == 1
            assert page.evaluate(OUT_OF_PLACE) == []
            given = [answer_current_question(page) for _ in range(5)]
            assert given[:2] == ["economic_satisfaction", "ate_less"]
            assert "contestada, comunicada con su teléfono" in last_call(page)
            save_screenshot(page, "survey-call-question-6")
            hang_up(phone)  # the call dropped
        # The social worker calls back later from another device.
        with on_screen(browser, live_server, PHONE, WORKER) as page:
            page.goto(f"/returnees/{returnee_id}")
            page.get_by_role("link", name="Continuar la encuesta").click()
            assert page.locator("legend").inner_text().startswith("Pregunta 6 de 21")
            assert "5 de 21 respondidas" in page.locator("main").inner_text()
            assert last_call(page).endswith(": terminada.")
            phone = place_the_call(page, live_app)
            while page.locator("input[name=item]").count():
                answer_current_question(page)
            with page.expect_navigation():
                page.get_by_role("button", name="Terminar la encuesta").click()
            hang_up(phone)
            assert page.url.endswith(f"/returnees/{returnee_id}#surveys")
            panel = page.locator("#surveys")
            scores = panel.locator("table.scores").inner_text()
            assert re.search(r"Dimensión económica\s+0\.86", scores), scores
            assert re.search(r"Dimensión psicosocial\s+1\.00", scores), scores
            assert re.search(r"Compuesto\s+0\.95", scores), scores
            assert page.evaluate(OUT_OF_PLACE) == []
            save_screenshot(page, "survey-scores-on-the-record")

        after = survey_report(report, arrived_at)
        assert after[SURVEY_PEOPLE] == "5", after
        assert (after[ECONOMIC_MEDIAN], after[COMPOSITE_MEDIAN]) == ("0.86", "0.95"), after
        assert report.evaluate(OUT_OF_PLACE) == [], "the report fits a phone"
        report.locator("#survey-heading").scroll_into_view_if_needed()
        save_screenshot(report, "survey-scores-in-the-report")
