"""Every route, every role: who gets in, who gets 403 and no data, and what anonymous visitors get.

The table below is the rule, written down on its own: a new route fails
`test_every_route_is_in_the_matrix` until its access is decided here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.reception.manifests import ManifestEntry, upload_passenger_list
from returnees.reception.services import HandoverEntry, hand_over_child
from tests.casework.routes import ROUTES as CASEWORK_ROUTES
from tests.conftest import csrf_token
from tests.duplicates.routes import ROUTES as DUPLICATE_ROUTES
from tests.referrals.routes import ROUTES as REFERRAL_ROUTES
from tests.reports.routes import ROUTES as REPORT_ROUTES
from tests.rights.routes import ROUTES as RIGHTS_ROUTES
from tests.risk.routes import ROUTES as RISK_ROUTES
from tests.roles import ADMIN, CASEWORK, DESK, EVERY, OVERSIGHT, PEOPLE, SUPERVISOR
from tests.surveys.routes import ROUTES as SURVEY_ROUTES

PUBLIC = "public"
SIGNED = "signed by Twilio"  # no session or token: tests/messaging/test_webhooks.py checks them

# (method, rule) -> roles allowed, or PUBLIC.
MATRIX: dict[tuple[str, str], frozenset[Role] | str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/auth/sign-in"): PUBLIC,
    ("POST", "/auth/sign-in"): PUBLIC,
    ("POST", "/language"): PUBLIC,
    ("POST", "/auth/sign-out"): EVERY,
    ("GET", "/account/password"): EVERY,
    ("POST", "/account/password"): EVERY,
    ("GET", "/"): EVERY,
    ("GET", "/centres/"): EVERY,
    ("GET", "/centres/<code>"): EVERY,
    ("POST", "/centres/<code>/on-call"): OVERSIGHT,
    ("POST", "/centres/<code>/coverage"): ADMIN,
    ("GET", "/api/v1/centres/<code>/coverage"): EVERY,
    ("PUT", "/api/v1/centres/<code>/coverage"): ADMIN,
    ("GET", "/centres/new"): ADMIN,
    ("POST", "/centres/new"): ADMIN,
    ("GET", "/users"): ADMIN,
    ("GET", "/users/new"): ADMIN,
    ("POST", "/users/new"): ADMIN,
    ("GET", "/users/<int:user_id>"): ADMIN,
    ("POST", "/users/<int:user_id>/disable"): ADMIN,
    ("POST", "/users/<int:user_id>/on-call"): ADMIN,
    ("POST", "/users/<int:user_id>/centre"): ADMIN,
    ("GET", "/audit/"): OVERSIGHT,
    ("GET", "/api/v1/me"): EVERY,
    ("GET", "/api/v1/users"): ADMIN,
    ("GET", "/api/v1/centres"): EVERY,
    ("GET", "/api/v1/centres/<code>"): EVERY,
    ("GET", "/api/v1/places"): EVERY,
    ("GET", "/places/search"): EVERY,
    ("POST", "/api/v1/centres"): ADMIN,
    ("GET", "/api/v1/audit"): OVERSIGHT,
    ("GET", "/reception/"): DESK,
    ("GET", "/reception/register"): DESK,
    ("POST", "/reception/register"): DESK,
    ("GET", "/reception/arrivals/<int:arrival_id>/screening"): PEOPLE,
    ("POST", "/reception/arrivals/<int:arrival_id>/screening"): PEOPLE,
    ("POST", "/reception/arrivals/<int:arrival_id>/placement"): DESK,
    ("GET", "/reception/arrivals/<int:arrival_id>/handover"): DESK,
    ("POST", "/reception/arrivals/<int:arrival_id>/handover"): DESK,
    ("POST", "/reception/arrivals/<int:arrival_id>/approve-handover"): SUPERVISOR,
    ("POST", "/reception/arrivals/<int:arrival_id>/household"): DESK,
    ("GET", "/reception/manifests/new"): DESK,
    ("POST", "/reception/manifests/new"): DESK,
    ("GET", "/reception/manifests/<int:manifest_id>"): DESK,
    ("POST", "/reception/manifests/<int:manifest_id>/rows/<int:row_id>"): DESK,
    ("POST", "/reception/manifests/<int:manifest_id>/import"): DESK,
    ("POST", "/reception/manifests/<int:manifest_id>/household"): DESK,
    ("POST", "/reception/manifests/<int:manifest_id>/discard"): DESK,
    ("GET", "/returnees/"): PEOPLE,
    ("GET", "/returnees/<int:returnee_id>"): PEOPLE,
    ("POST", "/returnees/<int:returnee_id>/break-glass"): CASEWORK,
    ("GET", "/returnees/<int:returnee_id>/audit"): SUPERVISOR,
    ("GET", "/api/v1/returnees/<int:returnee_id>/audit"): SUPERVISOR,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("POST", "/webhooks/twilio/inbound"): SIGNED,
    ("GET", "/simulator/"): PEOPLE,
    ("POST", "/simulator/calls/<int:message_id>/answer"): PEOPLE,
    ("POST", "/simulator/calls/<int:message_id>/decline"): PEOPLE,
    ("POST", "/simulator/calls/<int:message_id>/hang-up"): PEOPLE,
    ("POST", "/simulator/calls/<int:message_id>/key"): PEOPLE,
    ("GET", "/templates/"): ADMIN,
    ("GET", "/templates/new"): ADMIN,
    ("POST", "/templates/new"): ADMIN,
    ("GET", "/templates/<int:template_id>"): ADMIN,
    ("POST", "/templates/<int:template_id>"): ADMIN,
    ("GET", "/templates/voice"): ADMIN,
    ("POST", "/templates/voice"): ADMIN,
    ("POST", "/templates/voice/say"): ADMIN,
    # Twilio fetches a recording at a URL we sign and expire: tests/messaging/test_voice_prompts.py
    ("GET", "/voice-prompts/<int:prompt_id>"): SIGNED,
    ("GET", "/inbox/unmatched"): frozenset({Role.SOCIAL_WORKER, Role.SUPERVISOR}),
    ("POST", "/inbox/unmatched/<int:inbound_id>/attach"): frozenset(
        {Role.SOCIAL_WORKER, Role.SUPERVISOR}
    ),
    ("POST", "/simulator/reply"): PEOPLE,
    ("POST", "/webhooks/twilio/status"): SIGNED,
    ("POST", "/webhooks/twilio/voice"): SIGNED,
    ("POST", "/webhooks/twilio/voice/answer"): SIGNED,
    ("POST", "/webhooks/twilio/voice/status"): SIGNED,
    ("GET", "/api/v1/returnees"): PEOPLE,
    ("POST", "/api/v1/returnees"): DESK,
    ("GET", "/api/v1/returnees/<int:returnee_id>"): PEOPLE,
    ("PATCH", "/api/v1/returnees/<int:returnee_id>"): PEOPLE,
    ("POST", "/api/v1/returnees/<int:returnee_id>/arrivals"): DESK,
    ("POST", "/api/v1/returnees/<int:returnee_id>/handover"): DESK,
    ("POST", "/api/v1/manifests"): DESK,
    ("DELETE", "/api/v1/manifests/<int:manifest_id>"): DESK,
    ("GET", "/plans/"): ADMIN,
    ("GET", "/plans/<profile>"): ADMIN,
    ("POST", "/plans/<profile>"): ADMIN,
    ("GET", "/api/v1/plans"): ADMIN,
    ("GET", "/api/v1/plans/<profile>"): ADMIN,
    ("PUT", "/api/v1/plans/<profile>"): ADMIN,
    **CASEWORK_ROUTES,
    **REFERRAL_ROUTES,
    **RISK_ROUTES,
    **RIGHTS_ROUTES,
    **DUPLICATE_ROUTES,
    **SURVEY_ROUTES,
    **REPORT_ROUTES,
}

GUARDED = [(m, r) for (m, r), allowed in MATRIX.items() if allowed not in (PUBLIC, SIGNED)]


def app_routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_is_in_the_matrix(app):
    missing = app_routes(app) - MATRIX.keys()
    stale = MATRIX.keys() - app_routes(app)
    assert not missing, f"routes with no access rule in the matrix: {sorted(missing)}"
    assert not stale, f"matrix rows for routes that no longer exist: {sorted(stale)}"


@pytest.fixture
def world(make_centre, make_user, register, in_app):
    """A centre with one user per role, an account to look at, and a child travelling alone
    whose handover waits for approval, on a passenger list with a row to fix."""
    centre = make_centre(code="GT-HOME", region="Guatemala")
    make_centre(code="GT-SHELTER", kind="shelter")
    users = {role: make_user(role, centre) for role in Role}
    child = register(
        centre="GT-HOME",
        given_names="Matrix",
        family_names="Niña Secreta",
        estimated_age=12,
        is_unaccompanied=True,
    )
    manifest, row = upload_list(in_app, "GT-HOME")
    with in_app() as session:
        hand_over_child(
            session, Actor.system("test"), child.id, HandoverEntry("Tía Rosa", "other_relative")
        )
    return {
        "centre": centre,
        "users": users,
        "target": make_user(Role.RECEPTION, centre),
        "arrival": child,
        "manifest": manifest,
        "row": row,
    }


def upload_list(in_app, centre_code: str):
    content = "apellidos,nombres,fecha de nacimiento,sexo,nacionalidad\nPérez,Ana,31/02/2000,F,GT\n"
    entry = ManifestEntry(centre_code, "TA-101", "flight", "US", datetime(2026, 12, 1, tzinfo=UTC))
    with in_app() as session:
        result = upload_passenger_list(
            session, Actor.system("test"), entry, "list.csv", content.encode()
        )
        return result.manifest, result.added[0]


def concrete(rule: str, world) -> str:
    values = {
        "<code>": world["centre"].code,
        "<int:user_id>": world["target"].id,
        "<int:arrival_id>": world["arrival"].id,
        "<int:returnee_id>": world["arrival"].returnee_id,
        "<int:manifest_id>": world["manifest"].id,
        "<int:row_id>": world["row"].id,
        "<int:template_id>": 1,
        "<int:inbound_id>": 1,
    }
    for placeholder, value in values.items():
        rule = rule.replace(placeholder, str(value))
    # Any other record number: one that may not exist (allowed roles get 404, never 403).
    return re.sub(r"<int:\w+>", "1", rule.replace("<profile>", "adult"))


def web_body(method: str, rule: str) -> dict[str, str]:
    return {
        ("POST", "/centres/new"): {
            "code": "GT-MATRIX",
            "name": "Matriz",
            "kind": "office",
            "country": "GT",
        },
        ("POST", "/users/new"): {
            "email": "matrix@example.org",
            "role": "reception",
            "centre": "GT-HOME",
            "password": "long enough password",
        },
    }.get((method, rule), {})


def call(client, method: str, path: str, rule: str, headers=None):
    if path.startswith("/api/"):
        body = {"code": "GT-API", "name": "API", "kind": "office", "country": "GT"}
        return client.open(
            path, method=method, headers=headers, json=body if method == "POST" else None
        )
    data = web_body(method, rule)
    if method == "POST":
        data["csrf_token"] = csrf_token(client)
    return client.open(path, method=method, data=data)


ROLE_CASES = [
    pytest.param(method, rule, role, id=f"{method} {rule} as {role.value}")
    for method, rule in GUARDED
    for role in Role
]


@pytest.mark.parametrize(("method", "rule", "role"), ROLE_CASES)
def test_role_rule(app, world, sign_in_as, token_for, method, rule, role):
    user = world["users"][role]
    path = concrete(rule, world)
    if path.startswith("/api/"):
        response = call(app.test_client(), method, path, rule, headers=token_for(user))
    else:
        response = call(sign_in_as(user), method, path, rule)
    body = response.get_data(as_text=True)
    if role in MATRIX[(method, rule)]:
        assert response.status_code not in (401, 403), f"{role} refused: {response.status_code}"
        assert response.status_code < 500, body
    else:
        assert response.status_code == 403, f"{role} let in: {response.status_code}"
        main = body.split("</header>")[-1]
        for secret in (world["target"].email, "GT-HOME", "Niña Secreta", "Pérez"):
            assert secret not in main, f"{role} was shown {secret!r} on a refusal"


@pytest.mark.parametrize(("method", "rule"), GUARDED, ids=[f"{m} {r}" for m, r in GUARDED])
def test_anonymous_visitors_are_sent_to_sign_in_or_get_401(app, world, method, rule):
    client = app.test_client()
    path = concrete(rule, world)
    if path.startswith("/api/"):
        response = client.open(path, method=method, json={})
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "not_authenticated"
    else:
        response = client.open(
            path, method=method, data={"csrf_token": csrf_token(client, "/auth/sign-in")}
        )
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/sign-in")


def test_a_browser_session_does_not_open_the_api(app, world, sign_in_as):
    client = sign_in_as(world["users"][Role.ADMIN])
    assert client.get("/api/v1/me").status_code == 401
