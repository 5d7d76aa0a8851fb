"""A small cohort built by hand: March 2026 at La Aurora, children and adults, answers,
referrals, a closed case, a return before and a return after."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from returnees.auth.models import Role
from returnees.casework.models import Case, CaseStatus, CloseReason
from returnees.followups.models import CheckIn, CheckInState, Indicator, IndicatorReading
from returnees.referrals.models import (
    OrganisationKind,
    PartnerOrganisation,
    Referral,
    ReferralStatus,
    ServiceKind,
)
from returnees.surveys.instrument import active_instrument
from returnees.surveys.models import SurveyWave, WaveStatus

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@dataclass
class Built:
    people: dict[str, int]
    arrivals: dict[str, int]


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 16, 0, tzinfo=UTC)


@pytest.fixture
def arrive(register, clock):
    """Register an arrival as the desk would have on that day (its case opens then)."""

    def make(when: datetime, phone: str = "", **fields: object):
        clock.at = when
        arrival = register(arrived_at=when, phones=(phone or next_phone(),), **fields)
        clock.at = NOW
        return arrival

    return make


_phones = iter(range(1, 9_999_999))


def next_phone() -> str:
    """A Guatemalan mobile number not given before."""
    return f"4{next(_phones):07d}"


@pytest.fixture
def cohort(arrive, in_app, make_user, clock) -> Built:
    """Five arrivals in March 2026 (A girl 10 alone, B boy 15, C woman 25, D man 40 who comes
    back in May, E man 31 who came before in June 2025): the README's figures, by hand."""
    a = arrive(at(3, 5), given_names="Ana", sex="F", estimated_age=10, is_unaccompanied=True)
    b = arrive(at(3, 10), given_names="Beto", sex="M", estimated_age=15)
    c = arrive(at(3, 12), given_names="Carla", sex="F", estimated_age=25)
    d = arrive(
        at(3, 15), "55550001", given_names="Dario", sex="M", estimated_age=40, home="GT-1201"
    )
    e_before = arrive(at(6, 10, 2025), "55550002", given_names="Edgar", sex="M", estimated_age=31)
    e = arrive(
        at(3, 20),
        "55550002",
        given_names="Edgar",
        sex="M",
        estimated_age=31,
        match=e_before.returnee_id,
    )
    worker = make_user(Role.SUPERVISOR, "GT-AURORA")
    with in_app() as session:
        partner = PartnerOrganisation(
            name="Escuela", kind=OrganisationKind.SCHOOL, country="GT", created_at=NOW
        )
        session.add(partner)
        session.flush()
        _answer(session, a, at(3, 7))
        _answer(session, b, at(3, 15))
        _answer(session, c, at(4, 1))
        _read(session, a, Indicator.SAFE, True, at(3, 7))
        _read(session, b, Indicator.SAFE, True, at(3, 15))
        _read(session, b, Indicator.SAFE, False, at(4, 19))
        _read(session, a, Indicator.IN_SCHOOL, True, at(3, 5) + timedelta(days=30))
        _read(session, a, Indicator.IN_SCHOOL, False, at(3, 5) + timedelta(days=90))
        _read(session, b, Indicator.IN_SCHOOL, True, at(3, 10) + timedelta(days=80))
        _read(session, c, Indicator.WORKING, True, at(4, 1))
        _refer(
            session, a, partner, worker.id, ServiceKind.SCHOOL, ReferralStatus.ATTENDED, at(3, 8)
        )
        _refer(session, d, partner, worker.id, ServiceKind.JOBS, ReferralStatus.MADE, at(3, 18))
        case = session.scalar(select(Case).where(Case.returnee_id == d.returnee_id))
        case.status, case.close_reason, case.closed_at = (
            CaseStatus.CLOSED,
            CloseReason.MIGRATED_AGAIN,
            at(4, 20),
        )
    d_again = arrive(
        at(5, 1), "55550001", given_names="Dario", sex="M", estimated_age=40, match=d.returnee_id
    )
    with in_app() as session:
        # After D's second return: counts for May, not for March.
        _refer(
            session, d_again, partner, worker.id, ServiceKind.JOBS, ReferralStatus.MADE, at(5, 2)
        )
    people = {k: v.returnee_id for k, v in zip("abcde", (a, b, c, d, e), strict=True)}
    arrivals = {k: v.id for k, v in zip("abcde", (a, b, c, d, e), strict=True)}
    return Built(people, arrivals | {"d_again": d_again.id, "e_before": e_before.id})


# Two follow-up offices of Guatemala and the homes each covers: {office code: (places, people)}.
OFFICES = {
    "GT-SM-01": (("GT-1201", "GT-1217"), "Marta"),  # San Marcos, Ayutla
    "GT-HUE-01": (("GT-1301",), "Hilda"),  # Huehuetenango
}


@pytest.fixture
def followed(app, arrive, make_centre, make_user, token_for) -> dict[str, list[int]]:
    """The two OFFICES, their coverage set as an admin sets it, and March arrivals living there
    (five followed by San Marcos, six by Huehuetenango): {office code: their people}."""
    admin = token_for(make_user(Role.ADMIN, "GT-AURORA"))
    people: dict[str, list[int]] = {}
    for (code, (places, name)), count in zip(OFFICES.items(), (5, 6), strict=True):
        make_centre(code=code, kind="office")
        answer = app.test_client().put(
            f"/api/v1/centres/{code}/coverage", json={"municipalities": places}, headers=admin
        )
        assert answer.status_code == 200, answer.get_json()
        people[code] = [
            arrive(
                at(3, 2 + n),
                given_names=f"{name}{'abcdef'[n]}",
                sex="F",
                estimated_age=33,
                home=places[n % len(places)],
            ).returnee_id
            for n in range(count)
        ]
    return people


@pytest.fixture
def outcomes_api(app, demo, make_user, token_for):
    """GET /api/v1/reports/outcomes as a supervisor of Guatemala, for March 2026 unless told."""
    client = app.test_client()
    headers = token_for(make_user(Role.SUPERVISOR, "GT-AURORA"))

    def get(**params: str):
        query = MARCH | params
        return client.get("/api/v1/reports/outcomes", query_string=query, headers=headers)

    return get


@pytest.fixture
def export_as(app, demo, make_user, token_for):
    """GET /api/v1/exports/<what> with a token: export_as(role, centre)(what, **params);
    buffered=False keeps the answer's pieces as the app yields them."""

    def as_role(role: Role = Role.SUPERVISOR, centre: str = "GT-AURORA"):
        client = app.test_client()
        headers = token_for(make_user(role, centre))

        def get(what: str, buffered: bool = True, **params: str):
            path = f"/api/v1/exports/{what}"
            return client.get(path, query_string=params, headers=headers, buffered=buffered)

        return get

    return as_role


def read_csv(answer) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))


def _answer(session, arrival, when: datetime) -> None:
    check_in = session.scalar(
        select(CheckIn).where(CheckIn.arrival_id == arrival.id).order_by(CheckIn.id).limit(1)
    )
    assert check_in is not None, "registration with a phone schedules check-ins"
    check_in.state, check_in.answered_at, check_in.answer = CheckInState.ANSWERED, when, "1"


def _read(session, arrival, indicator: Indicator, value: bool, when: datetime) -> None:
    session.add(
        IndicatorReading(
            returnee_id=arrival.returnee_id, indicator=indicator, value=value, observed_at=when
        )
    )


def _refer(session, arrival, partner, user_id, service, status, when: datetime) -> None:
    session.add(
        Referral(
            returnee_id=arrival.returnee_id,
            organisation_id=partner.id,
            service=service,
            status=status,
            has_consent=True,
            made_by_id=user_id,
            made_at=when,
            updated_at=when,
        )
    )


# (economic, social, psychosocial, composite) of each woman's day-30 wave.
DAY_30 = [
    (0.2, 0.5, 0.6, 0.4333),
    (0.4, 0.5, 0.7, 0.5333),
    (0.6, 0.7, None, None),
    (0.8, 0.9, 0.9, 0.8667),
    (1.0, 0.3, 0.5, 0.6),
    (0.5, 0.4, 0.8, 0.5667),
]


@pytest.fixture
def surveyed(arrive, cohort, in_app):
    """Five more adult women in March (women 7, men 3); six women have a completed day-30
    wave, two a day-180 one, and one an open day-180 wave (not counted)."""
    women = [
        arrive(at(3, 2 + number), given_names=f"Rosa{'abcde'[number]}", sex="F", estimated_age=33)
        for number in range(5)
    ]
    with in_app() as session:
        instrument = active_instrument(session).id
        first_wave = [cohort.arrivals["c"], *(woman.id for woman in women)]
        people = {cohort.arrivals["c"]: cohort.people["c"]} | {w.id: w.returnee_id for w in women}
        for arrival_id, scores in zip(first_wave, DAY_30, strict=True):
            session.add(_wave(arrival_id, people[arrival_id], 30, instrument, scores))
        for arrival_id in first_wave[:2]:
            session.add(_wave(arrival_id, people[arrival_id], 180, instrument, (0.9,) * 4))
        session.add(
            _wave(first_wave[2], people[first_wave[2]], 180, instrument, (None,) * 4, done=False)
        )
    return women


def _wave(arrival_id, returnee_id, day, instrument, scores, done=True) -> SurveyWave:
    economic, social, psychosocial, composite = scores
    return SurveyWave(
        returnee_id=returnee_id,
        arrival_id=arrival_id,
        day=day,
        instrument_id=instrument,
        status=WaveStatus.COMPLETED if done else WaveStatus.OPEN,
        created_at=NOW - timedelta(days=200),
        completed_at=NOW - timedelta(days=100) if done else None,
        economic_score=economic,
        social_score=social,
        psychosocial_score=psychosocial,
        composite_score=composite,
    )
