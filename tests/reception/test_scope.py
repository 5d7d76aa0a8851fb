"""A returnee's record answers only inside scope, in the web and the API alike."""

from __future__ import annotations

import pytest

from returnees.auth.models import Role

# (role, staff centre) -> can read a record held at GT-AURORA (Guatemala department, GT)?
CASES = [
    (Role.RECEPTION, "GT-AURORA", True),
    (Role.RECEPTION, "GT-TECUN", False),
    (Role.SOCIAL_WORKER, "GT-HOGAR", True),
    (Role.SOCIAL_WORKER, "GT-TECUN", False),
    (Role.SUPERVISOR, "GT-TECUN", True),
    (Role.SUPERVISOR, "HN-SPS", False),
    (Role.ADMIN, "GT-AURORA", False),
]


@pytest.mark.parametrize(
    ("role", "centre", "allowed"), CASES, ids=[f"{r.value}@{c}" for r, c, _ in CASES]
)
def test_a_record_is_reachable_only_inside_scope(
    app, demo, register, make_user, sign_in_as, token_for, role, centre, allowed
):
    arrival = register(given_names="Scoped", family_names="Persona")
    user = make_user(role, centre)
    page = sign_in_as(user).get(f"/returnees/{arrival.returnee_id}")
    api = app.test_client().get(f"/api/v1/returnees/{arrival.returnee_id}", headers=token_for(user))
    listed = app.test_client().get("/api/v1/returnees", headers=token_for(user))
    expected = 200 if allowed else 403
    assert (page.status_code, api.status_code) == (expected, expected)
    assert ("Scoped" in page.get_data(as_text=True)) is allowed
    if listed.status_code == 200:
        assert bool(listed.get_json()) is allowed
