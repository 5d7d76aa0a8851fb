"""A protection referral (danger at home) shows to others only as "a restricted referral
exists"; supervisors, the social worker assigned to the person and the one who made it open it,
each time with a reason that goes to the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from returnees.audit.models import AuditAction, AuditEntry
from returnees.audit.services import reasons_given
from returnees.auth.models import Role
from returnees.casework.models import Case, CaseStatus
from tests.conftest import csrf_token
from tests.referrals.conftest import referral_row

SECRETS = ("Defensoría de la Niñez", "Amenazas del padrastro")


@pytest.fixture
def agency(make_partner):
    return make_partner(
        name="Defensoría de la Niñez", kind="protection", services=("legal_aid", "protection")
    )


@pytest.fixture
def protection(world, agency, refer, assign, make_user):
    """A protection referral of the world's person, whose case is assigned to world.worker;
    made by a third worker of the region."""
    assign(world.returnee_id, world.worker)
    return refer(
        by=make_user(Role.SOCIAL_WORKER, "GT-AURORA"),
        organisation_id=agency.id,
        service="legal_aid",
        is_protection=True,
        note="Amenazas del padrastro",
    )


def views_of(in_app, referral_id: int) -> list[AuditEntry]:
    with in_app() as session:
        query = select(AuditEntry).where(
            AuditEntry.action == AuditAction.VIEW,
            AuditEntry.record_type == "referral",
            AuditEntry.record_id == str(referral_id),
        )
        return list(session.scalars(query.order_by(AuditEntry.id)))


def reasons_of(in_app, referral_id: int) -> list[str]:
    """The reasons given for each opening: kept apart, the entry names them by id."""
    with in_app() as session:
        entries = views_of(in_app, referral_id)
        given = reasons_given(session, entries)
        return [given[entry.detail["reason_id"]] for entry in entries]


def open_with(client, referral_id: int, reason: str):
    path = f"/referrals/{referral_id}"
    return client.post(path, data={"csrf_token": csrf_token(client), "reason": reason})


def test_an_unassigned_worker_sees_only_that_a_restricted_referral_exists(
    app, in_app, world, protection, sign_in_as, token_for
):
    client = sign_in_as(world.other_worker)  # same region, but neither assigned nor its maker
    record = client.get(f"/returnees/{world.returnee_id}").get_data(as_text=True)
    assert "Existe una referencia restringida" in record  # the Spanish interface
    for secret in SECRETS:
        assert secret not in record
    refused = client.get(f"/referrals/{protection.id}")
    assert refused.status_code == 403
    assert open_with(client, protection.id, "curiosity").status_code == 403
    api, headers = app.test_client(), token_for(world.other_worker)
    listed = api.get(f"/api/v1/returnees/{world.returnee_id}/referrals", headers=headers)
    assert listed.get_json() == [
        {
            "id": protection.id,
            "restricted": True,
            "made_at": protection.made_at.isoformat(),
            "can_open": False,
        }
    ]
    opened = api.get(f"/api/v1/referrals/{protection.id}?reason=curiosity", headers=headers)
    assert opened.status_code == 403
    for secret in SECRETS:
        assert secret not in refused.get_data(as_text=True) + opened.get_data(as_text=True)
    assert views_of(in_app, protection.id) == []


def test_the_assigned_worker_opens_it_with_a_reason_that_is_logged(
    app, in_app, world, protection, sign_in_as
):
    client = sign_in_as(world.worker)
    asked = client.get(f"/referrals/{protection.id}").get_data(as_text=True)
    assert 'name="reason"' in asked
    assert all(secret not in asked for secret in SECRETS)
    assert open_with(client, protection.id, "Home visit tomorrow").status_code == 302
    page = client.get(f"/referrals/{protection.id}").get_data(as_text=True)
    assert all(secret in page for secret in SECRETS)
    [view] = views_of(in_app, protection.id)
    assert view.user_id == world.worker.id
    assert reasons_of(in_app, protection.id) == ["Home visit tomorrow"]
    assert "Home visit" not in str(view.detail), "the trail names the reason by its id"


def test_each_opening_is_logged_and_the_web_asks_again_after_15_minutes(
    app, in_app, world, clock, protection, sign_in_as
):
    client = sign_in_as(world.worker)
    open_with(client, protection.id, "Calling the agency")
    clock.advance(minutes=10)
    assert "Amenazas del padrastro" in client.get(f"/referrals/{protection.id}").get_data(
        as_text=True
    )
    clock.advance(minutes=4)
    client.get(f"/referrals/{protection.id}")
    assert reasons_of(in_app, protection.id) == [
        "Calling the agency",
        "Calling the agency",
    ]
    clock.advance(minutes=2)
    again = client.get(f"/referrals/{protection.id}").get_data(as_text=True)
    assert 'name="reason"' in again and "Amenazas del padrastro" not in again


def test_opening_without_a_reason_is_refused(app, in_app, world, protection, sign_in_as, token_for):
    client = sign_in_as(world.worker)
    response = open_with(client, protection.id, "   ")
    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    assert 'name="reason"' in client.get(f"/referrals/{protection.id}").get_data(as_text=True)
    api, headers = app.test_client(), token_for(world.worker)
    refused = api.get(f"/api/v1/referrals/{protection.id}", headers=headers)
    assert refused.status_code == 422
    assert "reason" in refused.get_json()["error"]["fields"]
    assert "Amenazas" not in refused.get_data(as_text=True)
    assert views_of(in_app, protection.id) == []


def test_the_api_asks_for_the_reason_every_time(app, in_app, world, protection, token_for):
    api, headers = app.test_client(), token_for(world.worker)
    path = f"/api/v1/referrals/{protection.id}"
    opened = api.get(path, query_string={"reason": "Court hearing"}, headers=headers)
    assert opened.status_code == 200
    assert opened.get_json()["organisation"]["name"] == "Defensoría de la Niñez"
    assert api.get(path, headers=headers).status_code == 422
    in_body = api.get(path, json={"reason": "Agency asked"}, headers=headers)
    assert in_body.status_code == 200
    assert reasons_of(in_app, protection.id) == [
        "Court hearing",
        "Agency asked",
    ]


def test_moving_a_protection_referral_needs_the_reason_too(
    app, in_app, world, protection, token_for
):
    api, headers = app.test_client(), token_for(world.worker)
    path = f"/api/v1/referrals/{protection.id}/status"
    assert api.post(path, json={"status": "accepted"}, headers=headers).status_code == 422
    moved = api.post(
        path, json={"status": "accepted", "reason": "Agency called back"}, headers=headers
    )
    assert moved.status_code == 200
    assert referral_row(in_app, protection.id).status.value == "accepted"
    assert reasons_of(in_app, protection.id)[-1] == "Agency called back"


def test_a_supervisor_in_scope_opens_it_and_one_outside_does_not_find_it(
    app, world, protection, token_for, make_user
):
    api = app.test_client()
    path = f"/api/v1/referrals/{protection.id}?reason=Case+review"
    assert api.get(path, headers=token_for(world.supervisor)).status_code == 200
    honduran = make_user("supervisor", "HN-SPS")
    assert api.get(path, headers=token_for(honduran)).status_code == 404
    assert api.get(path, headers=token_for(world.far_worker)).status_code == 404


def test_the_worker_of_a_closed_case_can_no_longer_open_it(
    app, in_app, world, protection, token_for
):
    with in_app() as session:
        session.execute(
            update(Case)
            .where(Case.returnee_id == world.returnee_id)
            .values(status=CaseStatus.CLOSED)
        )
    path = f"/api/v1/referrals/{protection.id}?reason=Old+case"
    assert app.test_client().get(path, headers=token_for(world.worker)).status_code == 403


def test_the_audit_of_making_it_says_neither_service_nor_organisation(app, in_app, protection):
    with in_app() as session:
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.CREATE,
                AuditEntry.record_type == "referral",
                AuditEntry.record_id == str(protection.id),
            )
        )
    assert entry.detail == {"returnee_id": protection.returnee_id, "is_protection": True}


def test_the_worker_who_made_it_follows_it_up_before_anyone_assigns_her_the_case(
    app, in_app, world, agency, refer, sign_in_as, token_for
):
    made = refer(
        by=world.other_worker,
        organisation_id=agency.id,
        service="protection",
        note="Amenazas del padrastro",
    )
    assert made.is_protection
    client = sign_in_as(world.other_worker)
    record = client.get(f"/returnees/{world.returnee_id}").get_data(as_text=True)
    assert f'href="/referrals/{made.id}"' in record, "she may open it from the record"
    assert client.get(f"/referrals/{made.id}").status_code == 200, "asked why, not refused"
    assert open_with(client, made.id, "Calling the agency").status_code == 302
    assert "Amenazas del padrastro" in client.get(f"/referrals/{made.id}").get_data(as_text=True)
    api, path = app.test_client(), f"/api/v1/referrals/{made.id}/status"
    moved = api.post(
        path,
        json={"status": "accepted", "reason": "Agency called"},
        headers=token_for(world.other_worker),
    )
    assert moved.status_code == 200, moved.get_json()
    unassigned = api.get(f"/api/v1/referrals/{made.id}?reason=x", headers=token_for(world.worker))
    assert unassigned.status_code == 403, "still restricted for other workers of the region"
    with in_app() as session:
        session.execute(
            update(Case)
            .where(Case.returnee_id == world.returnee_id)
            .values(status=CaseStatus.CLOSED)
        )
    closed = api.get(f"/api/v1/referrals/{made.id}?reason=x", headers=token_for(world.other_worker))
    assert closed.status_code == 403, "a closed case closes it to its maker as to its worker"
