"""Fixtures for surveys: a person who arrived 30 days before the clock, with an open case, staff
in and out of their region, and helpers to open the waves due and answer them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.surveys.models import SurveyWave
from returnees.surveys.services import answer_item, open_survey_waves


@dataclass
class World:
    returnee_id: int
    arrival_id: int
    worker: User  # social worker in the person's region
    far_worker: User  # social worker in another region
    supervisor: User
    admin: User
    reception: User


@pytest.fixture
def world(register, make_user, clock) -> World:
    arrival = register(
        centre="GT-AURORA",
        given_names="Rosa",
        phones=("5555 4321",),
        arrived_at=clock.at - timedelta(days=30, hours=1),
    )
    return World(
        returnee_id=arrival.returnee_id,
        arrival_id=arrival.id,
        worker=make_user(Role.SOCIAL_WORKER, "GT-AURORA"),
        far_worker=make_user(Role.SOCIAL_WORKER, "GT-TECUN"),
        supervisor=make_user(Role.SUPERVISOR, "GT-AURORA"),
        admin=make_user(Role.ADMIN, "GT-AURORA"),
        reception=make_user(Role.RECEPTION, "GT-AURORA"),
    )


def actor_of(session, user: User) -> Actor:
    return Actor.for_user(session.get(User, user.id))


@pytest.fixture
def open_waves(in_app):
    """Run the job that opens the waves due; how many it opened."""

    def run() -> int:
        with in_app() as session:
            return open_survey_waves(session)

    return run


@pytest.fixture
def wave_id(world, open_waves, in_app) -> int:
    """The person's day-30 wave, opened by the job."""
    assert open_waves() == 1
    with in_app() as session:
        return session.scalar(
            select(SurveyWave.id).where(SurveyWave.returnee_id == world.returnee_id)
        )


@pytest.fixture
def answer(in_app, world):
    """Answer items of a wave as the world's worker: answer(wave_id, working="yes", ...)."""

    def give(wave: int, by: User | None = None, **answers: str) -> None:
        with in_app() as session:
            for code, value in answers.items():
                actor = actor_of(session, by or world.worker)
                answer_item(session, actor, world.returnee_id, wave, code, value)

    return give


# Every item of the default survey with its best answer (score 1 or not scored).
BEST = {
    "economic_satisfaction": "very_satisfied",
    "ate_less": "never",
    "can_borrow": "yes",
    "debt": "none",
    "working": "yes",
    "has_tools": "yes",
    "looking_for_work": "has_work",
    "housing": "yes",
    "children_in_school": "yes",
    "justice_access": "yes",
    "has_id": "yes",
    "safe_water": "yes",
    "health_care": "yes",
    "community_activities": "often",
    "people_to_turn_to": "yes",
    "belonging": "yes",
    "treated_badly": "never",
    "distress": "never",
    "wants_support": "no",
    "feels_safe": "yes",
    "able_to_stay": "yes",
}
