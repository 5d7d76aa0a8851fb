"""One scope rule for every route that shows a person: for each route of the access matrix about
a returnee (the record, its referrals, its risk, the API's record) and for search, each kind of
staff reaches the person followed by an office exactly as people.scope says, by web and API."""

from __future__ import annotations

import pytest

from returnees.auth.models import Role
from tests.auth.test_access_matrix import MATRIX

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
        "/api/v1/returnees/<int:returnee_id>/referrals",
        "/api/v1/returnees/<int:returnee_id>/risk",
        "/returnees/<int:returnee_id>",
        "/returnees/<int:returnee_id>/referrals/new",
    ]


@pytest.mark.parametrize("who", list(REACHES))
def test_each_route_about_a_person_follows_the_one_rule(
    who, offices, went_home, make_user, sign_in_as, token_for, app
):
    centre, role, reaches = REACHES[who]
    person = went_home("GT-1201").returnee_id
    user = make_user(role, centre)
    web, headers = sign_in_as(user), token_for(user)
    for rule in PERSON_ROUTES:
        path = rule.replace("<int:returnee_id>", str(person))
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
