"""The demo's survey waves: three adults from San Marcos came back by bus through Tecún Umán
five weeks before the seeding; the survey job opened their day-30 waves, and San Marcos's
social worker took each on a call, so that a record and /reports/ show scores from the first
`make run`. Told like the rest of the living demo: through the services, at their moments."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from returnees.auth.access import Actor
from returnees.demo.flight import BORDER, DemoPassenger
from returnees.reception.intake import ArrivalEntry, Intake
from returnees.reception.services import register_arrival
from returnees.surveys.models import DECLINED, SurveyItem, SurveyWave, WaveStatus
from returnees.surveys.services import answer_item, complete_wave, open_survey_waves

if TYPE_CHECKING:
    from returnees.demo.living import Story

ARRIVED_DAYS_AGO = 35
SURVEYED_DAYS_AGO = 3
# Who came on the bus, and how their first month went: every answer is the option whose
# score is nearest this share of the best (1.0 all well, 0.3 struggling).
SURVEYED = (
    (DemoPassenger("Rosa Elvira", "Chilel Fuentes", 32, "F", "San Marcos, San Marcos"), 1.0),
    (DemoPassenger("Juan Carlos", "Pérez Bámaca", 27, "M", "Malacatán, San Marcos"), 0.6),
    (DemoPassenger("Marta Lidia", "Orozco Tojil", 44, "F", "Tejutla, San Marcos"), 0.3),
)
# She would not say what she owes.
DECLINES = {"Marta Lidia Orozco Tojil": "debt"}
SURVEY_OFFICE = "GT-OF-SM"


def bus_before(story: Story) -> None:
    """Five weeks before the seeding, a bus from Tapachula brings the three to Tecún Umán."""
    arrived = story.at(ARRIVED_DAYS_AGO, 11)
    for position, (person, _level) in enumerate(SURVEYED):
        with story.moment(arrived + timedelta(minutes=5 * position)):
            intake = Intake(
                given_names=person.given,
                family_names=person.family,
                birth_date=person.birth_date(story.today),
                sex=person.sex,
                nationality="GT",
                home=person.home,
                arrival=ArrivalEntry(BORDER, arrived, "bus", "MX", "BUS TAPACHULA"),
            )
            story.arrivals[person.name] = register_arrival(
                story.session, Actor.system("seed-demo"), intake, "new"
            )


def take_surveys(story: Story) -> None:
    """Their day-30 waves are open (the job opens any it has not yet); San Marcos's social
    worker calls each in turn and takes the survey to the end."""
    worker = story.office_worker(SURVEY_OFFICE)
    for position, (person, level) in enumerate(SURVEYED):
        with story.moment(story.at(SURVEYED_DAYS_AGO, 10, 20 * position)):
            open_survey_waves(story.session)
            returnee_id = story.arrivals[person.name].returnee_id
            wave = story.session.scalar(
                select(SurveyWave).where(
                    SurveyWave.returnee_id == returnee_id, SurveyWave.status == WaveStatus.OPEN
                )
            )
            if wave is None:
                raise RuntimeError(f"the demo's day-30 survey of {person.name} did not open")
            for item in wave.instrument.items:
                value = DECLINED if DECLINES.get(person.name) == item.code else _answer(item, level)
                answer_item(story.session, worker, returnee_id, wave.id, item.code, value)
            complete_wave(story.session, worker, returnee_id, wave.id)


def _answer(item: SurveyItem, level: float) -> str:
    """The option scored nearest `level` (an option without a score only when none has one)."""
    scored = [option for option in item.options if option["score"] is not None]
    if not scored:
        return item.options[0]["value"]
    nearest = min(scored, key=lambda option: (abs(option["score"] - level), -option["score"]))
    return nearest["value"]
