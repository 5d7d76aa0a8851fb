"""Every refused access is written to the audit trail (who, which route, which record), also
when the refusal answers 404 so as not to tell that the record exists."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from returnees.audit.models import AuditAction, AuditEntry
from returnees.auth.models import Role


def refusals(in_app) -> list[AuditEntry]:
    with in_app() as session:
        query = select(AuditEntry).where(AuditEntry.action == AuditAction.DENIED)
        return list(session.scalars(query.order_by(AuditEntry.id)))


@pytest.fixture
def stranger(make_centre, make_user):
    """A social worker in Honduras: people registered in Guatemala are outside her scope."""
    return make_user(Role.SOCIAL_WORKER, make_centre(country="HN", region="Cortés"))


def test_a_role_refused_a_page_is_written_with_the_route(app, make_user, sign_in_as, in_app):
    desk = make_user(Role.RECEPTION)
    assert sign_in_as(desk).get("/audit/").status_code == 403
    [entry] = refusals(in_app)
    assert (entry.user_id, entry.detail) == (desk.id, {"route": "GET /audit/", "status": 403})


def test_a_person_outside_the_scope_is_written_with_their_id(
    app, register, stranger, token_for, in_app
):
    person = register().returnee_id
    answer = app.test_client().get(f"/api/v1/returnees/{person}", headers=token_for(stranger))
    assert answer.status_code == 403
    [entry] = refusals(in_app)
    assert (entry.user_id, entry.record_type, entry.record_id) == (
        stranger.id,
        "returnee",
        str(person),
    )
    assert entry.detail == {"route": "GET /api/v1/returnees/<int:returnee_id>", "status": 403}


def test_a_refusal_answered_404_is_written_but_a_missing_record_is_not(
    app, register, stranger, token_for, in_app
):
    person = register().returnee_id
    client, headers = app.test_client(), token_for(stranger)
    assert client.get(f"/api/v1/returnees/{person}/referrals", headers=headers).status_code == 404
    assert client.get("/api/v1/returnees/99999/referrals", headers=headers).status_code == 404
    [entry] = refusals(in_app)
    assert (entry.record_type, entry.record_id, entry.detail["status"]) == (
        "returnee",
        str(person),
        404,
    )


def test_a_refused_change_is_written_though_the_request_is_rolled_back(
    app, register, stranger, sign_in_as, in_app
):
    from tests.conftest import csrf_token

    person = register().returnee_id
    client = sign_in_as(stranger)
    answer = client.post(
        f"/returnees/{person}/contacts",
        data={"csrf_token": csrf_token(client), "kind": "call", "outcome": "reached"},
    )
    assert answer.status_code in (403, 404)
    [entry] = refusals(in_app)
    assert entry.record_id == str(person)
    assert entry.detail["route"] == "POST /returnees/<int:returnee_id>/contacts"
