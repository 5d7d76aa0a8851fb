"""Scope: reception sees its centre, social workers their region, supervisors their country."""

from __future__ import annotations

import pytest

from returnees.auth.models import Role

# Demo centres: GT-AURORA and GT-HOGAR (Guatemala dept.), GT-TECUN (San Marcos), HN-SPS (Honduras).
SCOPE = {
    Role.RECEPTION: {"GT-AURORA"},
    Role.SOCIAL_WORKER: {"GT-AURORA", "GT-HOGAR"},
    Role.SUPERVISOR: {"GT-AURORA", "GT-HOGAR", "GT-TECUN"},
    Role.ADMIN: {
        "GT-AURORA",
        "GT-HOGAR",
        "GT-TECUN",
        "HN-SPS",
        "HN-OMOA",
        "HN-BELEN",
        "SV-SANSALVADOR",
        "SV-NINEZ",
    },
}
PROBES = ["GT-AURORA", "GT-HOGAR", "GT-TECUN", "HN-SPS", "SV-NINEZ"]


@pytest.fixture
def staff(demo, make_user):
    return {role: make_user(role, "GT-AURORA") for role in Role}


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
@pytest.mark.parametrize("code", PROBES)
def test_a_centre_page_answers_only_inside_scope(app, staff, sign_in_as, role, code):
    response = sign_in_as(staff[role]).get(f"/centres/{code}")
    expected = 200 if code in SCOPE[role] else 403
    assert response.status_code == expected, f"{role.value} on {code}"


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
@pytest.mark.parametrize("code", PROBES)
def test_the_api_applies_the_same_scope(app, staff, token_for, role, code):
    response = app.test_client().get(f"/api/v1/centres/{code}", headers=token_for(staff[role]))
    expected = 200 if code in SCOPE[role] else 403
    assert response.status_code == expected, f"{role.value} on {code}"
    if expected == 403:
        assert set(response.get_json()) == {"error"}


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_the_centre_list_holds_exactly_the_scope(app, staff, token_for, role):
    response = app.test_client().get("/api/v1/centres", headers=token_for(staff[role]))
    assert {centre["code"] for centre in response.get_json()} == SCOPE[role]
