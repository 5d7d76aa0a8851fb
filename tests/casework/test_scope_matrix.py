"""One scope rule for every route that shows a person: for each route of the access matrix about
a returnee (the record, its referrals, its risk, the API's record) and for search, each kind of
staff reaches the person followed by an office exactly as people.scope says, by web and API."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from returnees.auth.models import Role
from tests.auth.test_access_matrix import MATRIX
from tests.conftest import csrf_token

PERSON_ROUTES = sorted(
    rule
    for (method, rule), allowed in MATRIX.items()
    if method == "GET" and "<int:returnee_id>" in rule
)
# Who reaches someone who arrived at La Aurora and lives in San Marcos (followed by GT-SM-01).
REACHES = {
    "social worker of the office": ("GT-SM-01", Role.SOCIAL_WORKER, True),
    "social worker of another office": ("GT-HUE-01", Role.SOCIAL_WORKER, False),
    "social worker at the airport (Guatemala)": ("GT-AURORA", Role.SOCIAL_WORKER, False),
    "social worker at a centre of San Marcos": ("GT-TECUN", Role.SOCIAL_WORKER, True),
    "the desk that registered them": ("GT-AURORA", Role.RECEPTION, True),
    "another desk": ("GT-TECUN", Role.RECEPTION, False),
    "a supervisor of Guatemala": ("GT-TECUN", Role.SUPERVISOR, True),
    "a supervisor of Honduras": ("HN-SPS", Role.SUPERVISOR, False),
}


def test_the_routes_about_a_person_are_all_checked():
    assert PERSON_ROUTES == [
        "/api/v1/returnees/<int:returnee_id>",
        "/api/v1/returnees/<int:returnee_id>/audit",
        "/api/v1/returnees/<int:returnee_id>/export",
        "/api/v1/returnees/<int:returnee_id>/referrals",
        "/api/v1/returnees/<int:returnee_id>/risk",
        "/api/v1/returnees/<int:returnee_id>/surveys",
        "/returnees/<int:returnee_id>",
        "/returnees/<int:returnee_id>/audit",
        "/returnees/<int:returnee_id>/export",
        "/returnees/<int:returnee_id>/export.json",
        "/returnees/<int:returnee_id>/referrals/new",
        "/returnees/<int:returnee_id>/surveys/<int:wave_id>",
    ]


@pytest.mark.parametrize("who", list(REACHES))
def test_each_route_about_a_person_follows_the_one_rule(
    who, offices, went_home, make_user, sign_in_as, token_for, app, in_app
):
    centre, role, reaches = REACHES[who]
    arrival = went_home("GT-1201")
    person, wave = arrival.returnee_id, survey_wave(in_app, arrival)
    user = make_user(role, centre)
    web, headers = sign_in_as(user), token_for(user)
    for rule in PERSON_ROUTES:
        path = rule.replace("<int:returnee_id>", str(person)).replace("<int:wave_id>", str(wave))
        if role not in MATRIX[("GET", rule)]:
            continue  # the role rule, checked by the access matrix
        if rule.startswith("/api/"):
            status = app.test_client().get(path, headers=headers).status_code
        else:
            status = web.get(path).status_code
        if reaches:
            assert status == 200, f"{who}: {rule} answered {status}"
        else:
            assert status in (403, 404), f"{who}: {rule} answered {status}"
    found = web.get("/returnees/?q=marta").get_data(as_text=True)
    listed = app.test_client().get("/api/v1/returnees?q=marta", headers=headers).get_json()
    assert ("Marta López" in found) is reaches, f"{who}: search"
    assert ([p["id"] for p in listed] == [person]) is reaches, f"{who}: API search"


def survey_wave(in_app, arrival) -> int:
    """A survey wave of the person's arrival, as the wave job opens it."""
    from returnees.core.clock import utcnow
    from returnees.surveys.instrument import active_instrument
    from returnees.surveys.models import SurveyWave

    with in_app() as session:
        wave = SurveyWave(
            returnee_id=arrival.returnee_id,
            arrival_id=arrival.id,
            day=30,
            instrument_id=active_instrument(session).id,
            created_at=utcnow(),
        )
        session.add(wave)
        session.flush()
        return wave.id


ABOUT_A_PERSON = ("returnee_id", "arrival_id", "task_id", "referral_id")
# The one route meant for those outside: without a reason it answers 422 whoever asks and
# whatever the number, and changes nothing (tests/people/test_break_glass.py).
BREAK_GLASS = ("POST", "/returnees/<int:returnee_id>/break-glass")
EVERY_PERSON_ROUTE = sorted(
    (method, rule)
    for method, rule in MATRIX
    if any(f"<int:{name}>" in rule for name in ABOUT_A_PERSON) and (method, rule) != BREAK_GLASS
)
OUTSIDE = [who for who, (_centre, _role, reaches) in REACHES.items() if not reaches]


@pytest.fixture
def followed(offices, went_home, in_app) -> dict[str, int]:
    """The person GT-SM-01 follows, with an open task and a referral: the ids routes take."""
    from returnees.auth.access import Actor
    from returnees.auth.models import User
    from returnees.referrals.services import PartnerEntry, create_partner, make_referral
    from returnees.tasks.models import Task

    arrival = went_home("GT-1201")
    wave_id = survey_wave(in_app, arrival)
    with in_app() as session:
        partner = create_partner(
            session,
            Actor.system("test"),
            PartnerEntry("Clínica Luz", "health", "GT", ("psychosocial",), "San Marcos"),
        )
        worker = Actor.for_user(session.get(User, offices["san_marcos"].id))
        referral = make_referral(
            session, worker, arrival.returnee_id, partner.id, "psychosocial", has_consent=True
        )
        task = session.scalar(select(Task.id).where(Task.returnee_id == arrival.returnee_id))
        return {
            "returnee_id": arrival.returnee_id,
            "arrival_id": arrival.id,
            "task_id": task,
            "referral_id": referral.id,
            "wave_id": wave_id,
        }


def path_of(rule: str, ids: dict[str, int]) -> str:
    for name, value in ids.items():
        rule = rule.replace(f"<int:{name}>", str(value))
    return rule


def state_of(in_app, ids: dict[str, int]) -> tuple:
    """What any route about the person could change."""
    from returnees.casework.models import Case, CaseOfficeChange, Transfer
    from returnees.people.models import Returnee
    from returnees.referrals.models import Referral
    from returnees.risk.models import RiskFlag
    from returnees.surveys.models import SurveyAnswer, SurveyWave
    from returnees.tasks.models import Task

    with in_app() as session:
        person = session.get(Returnee, ids["returnee_id"])
        case = session.scalar(select(Case).where(Case.returnee_id == person.id))
        return (
            person.given_names,
            person.updated_at,
            len(person.phones),
            (case.status, case.office_id, case.assigned_to_id),
            session.get(Task, ids["task_id"]).status,
            session.get(Referral, ids["referral_id"]).status,
            session.scalar(select(func.count()).select_from(RiskFlag)),
            session.scalar(select(func.count(Transfer.id))),
            session.scalar(select(func.count(CaseOfficeChange.id))),
            session.get(SurveyWave, ids["wave_id"]).status,
            session.scalar(select(func.count(SurveyAnswer.id))),
        )


@pytest.mark.parametrize("who", OUTSIDE)
def test_no_route_about_a_person_answers_or_acts_for_someone_outside_the_rule(
    who, followed, make_user, sign_in_as, token_for, app, in_app
):
    """Every route of the access matrix that names a person, an arrival, a task or a referral,
    read or write, web or API: refused to those the rule leaves out, and nothing changes."""
    centre, role, _reaches = REACHES[who]
    user = make_user(role, centre)
    web, headers = sign_in_as(user), token_for(user)
    token = csrf_token(web)
    before = state_of(in_app, followed)
    tried = 0
    for method, rule in EVERY_PERSON_ROUTE:
        if role not in MATRIX[(method, rule)]:
            continue
        path, tried = path_of(rule, followed), tried + 1
        if rule.startswith("/api/"):
            answer = app.test_client().open(path, method=method, json={}, headers=headers)
        else:
            answer = web.open(path, method=method, data={"csrf_token": token})
        assert answer.status_code in (403, 404), f"{who}: {method} {rule} answered {answer.status}"
    assert tried >= 5, f"{who}: the matrix gave too few routes to try"
    assert state_of(in_app, followed) == before, f"{who}: something changed"
    if role in MATRIX[("GET", "/queue")]:
        assert "Marta López" not in web.get("/queue").get_data(as_text=True)
        queue = app.test_client().get("/api/v1/queue", headers=headers).get_json()
        assert followed["returnee_id"] not in {item["returnee_id"] for item in queue}
        cases = app.test_client().get("/api/v1/cases?office=GT-SM-01", headers=headers)
        assert followed["returnee_id"] not in {c["returnee_id"] for c in cases.get_json()}


@pytest.mark.parametrize("who", [who for who in REACHES if who not in OUTSIDE])
def test_those_the_rule_lets_in_find_the_person_in_their_lists(
    who, followed, make_user, sign_in_as, token_for, app
):
    centre, role, _reaches = REACHES[who]
    user = make_user(role, centre)
    web, headers = sign_in_as(user), token_for(user)
    screening = f"/reception/arrivals/{followed['arrival_id']}/screening"
    assert web.get(screening).status_code == 200, f"{who}: {screening}"
    if role not in MATRIX[("GET", "/queue")]:
        return
    for rule in ("/referrals/<int:referral_id>", "/api/v1/referrals/<int:referral_id>"):
        client = web if rule.startswith("/referrals") else app.test_client()
        answer = client.get(path_of(rule, followed), headers=headers)
        assert answer.status_code == 200, f"{who}: {rule} answered {answer.status}"
    assert "Marta López" in web.get("/queue").get_data(as_text=True), f"{who}: /queue"
    queue = app.test_client().get("/api/v1/queue", headers=headers).get_json()
    assert followed["returnee_id"] in {item["returnee_id"] for item in queue}
    cases = app.test_client().get("/api/v1/cases?office=GT-SM-01", headers=headers).get_json()
    assert followed["returnee_id"] in {c["returnee_id"] for c in cases}
