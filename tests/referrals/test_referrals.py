"""A referral needs the person's consent and a service the organisation offers; it moves along
its status machine, each move in its history; only staff in the person's scope reach it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from returnees.audit.models import AuditAction, AuditEntry
from returnees.core.errors import Conflict, InvalidInput, NotFound
from returnees.referrals.models import Referral, ReferralChange, ReferralStatus
from returnees.referrals.services import change_referral_status, make_referral
from tests.conftest import csrf_token
from tests.referrals.conftest import actor_of, referral_row


def count_referrals(in_app) -> int:
    with in_app() as session:
        return len(session.scalars(select(Referral.id)).all())


def post_referral(client, world, **fields: str):
    """The record's "new referral" form, sent with these fields."""
    path = f"/returnees/{world.returnee_id}/referrals/new"
    return client.post(path, data={"csrf_token": csrf_token(client, path)} | fields)


def test_a_referral_without_consent_is_refused_on_the_consent_field(app, in_app, world, partner):
    with pytest.raises(InvalidInput) as refused, in_app() as session:
        make_referral(
            session,
            actor_of(session, world.worker),
            world.returnee_id,
            partner.id,
            "psychosocial",
            has_consent=False,
        )
    assert list(refused.value.fields) == ["has_consent"]
    assert "consent" in str(refused.value.fields["has_consent"][0])
    assert count_referrals(in_app) == 0


def test_the_web_form_without_consent_keeps_every_value_with_the_error_beside_it(
    app, world, partner, sign_in_as, in_app
):
    client = sign_in_as(world.worker)
    response = post_referral(
        client,
        world,
        organisation_id=str(partner.id),
        service="health",
        is_protection="y",
        note="Dolor de muelas desde hace semanas",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="has_consent-error"' in page
    assert "Dolor de muelas desde hace semanas" in page
    assert f'<option selected value="{partner.id}">' in page
    assert '<option selected value="health">' in page
    assert 'id="is_protection" name="is_protection" type="checkbox" value="y"' in page
    assert 'checked id="is_protection"' in page
    assert count_referrals(in_app) == 0


def test_a_referral_made_on_the_web_shows_on_the_record(app, world, partner, sign_in_as, in_app):
    client = sign_in_as(world.worker)
    response = post_referral(
        client, world, organisation_id=str(partner.id), service="psychosocial", has_consent="y"
    )
    assert response.status_code == 302
    record = client.get(f"/returnees/{world.returnee_id}").get_data(as_text=True)
    assert "Clínica Comunitaria Luz" in record
    assert "Psychosocial support" in record or "Apoyo psicosocial" in record
    with in_app() as session:
        made = session.scalars(select(Referral)).one()
        assert (made.status, made.has_consent, made.made_by_id) == (
            ReferralStatus.MADE,
            True,
            world.worker.id,
        )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"service": "jobs"}, "service"),
        ({"service": "dance"}, "service"),
        ({"organisation_id": 999_999}, "organisation_id"),
        ({"organisation_id": None}, "organisation_id"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_a_referral_must_go_to_a_service_the_organisation_offers(
    app, in_app, world, partner, refer, overrides, field
):
    with pytest.raises(InvalidInput) as refused:
        refer(**overrides)
    assert field in refused.value.fields
    assert count_referrals(in_app) == 0


def test_an_inactive_organisation_takes_no_referrals(app, in_app, world, partner, refer):
    from returnees.auth.access import Actor
    from returnees.referrals.services import set_partner_active

    with in_app() as session:
        set_partner_active(session, Actor.system("test"), partner.id, False)
    with pytest.raises(InvalidInput) as refused:
        refer()
    assert "no longer takes referrals" in str(refused.value.fields["organisation_id"][0])


def test_an_organisation_of_another_country_is_not_offered(app, world, make_partner, refer):
    honduran = make_partner(name="Clínica Cortés", country="HN", region="Cortés")
    with pytest.raises(InvalidInput) as refused:
        refer(organisation_id=honduran.id)
    assert "organisation_id" in refused.value.fields


def test_a_protection_service_always_makes_a_protection_referral(app, world, make_partner, refer):
    agency = make_partner(name="Defensoría", kind="protection", services=("protection",))
    made = refer(organisation_id=agency.id, service="protection", is_protection=False)
    assert made.is_protection


# The status machine: (from, to, allowed)
MOVES = [
    ("made", "accepted", True),
    ("made", "declined", True),
    ("made", "withdrawn", True),
    ("made", "attended", False),
    ("made", "no_show", False),
    ("made", "made", False),
    ("accepted", "attended", True),
    ("accepted", "no_show", True),
    ("accepted", "withdrawn", True),
    ("accepted", "declined", False),
    ("accepted", "accepted", False),
    ("accepted", "made", False),
    *[(final, to, False) for final in ("attended", "no_show") for to in ("accepted", "withdrawn")],
    ("declined", "accepted", False),
    ("withdrawn", "accepted", False),
    ("withdrawn", "made", False),
]
PATH_TO = {
    "made": [],
    "accepted": ["accepted"],
    "attended": ["accepted", "attended"],
    "no_show": ["accepted", "no_show"],
    "declined": ["declined"],
    "withdrawn": ["withdrawn"],
}


def move(in_app, user, referral_id: int, status: str, **values) -> Referral:
    values.setdefault("outcome", "No places this month" if status == "declined" else "")
    with in_app() as session:
        return change_referral_status(
            session, actor_of(session, user), referral_id, status, **values
        )


@pytest.mark.parametrize(("start", "target", "allowed"), MOVES)
def test_the_status_machine(app, in_app, world, clock, refer, start, target, allowed):
    referral = refer()
    for step in PATH_TO[start]:
        move(in_app, world.worker, referral.id, step)
    if not allowed:
        with pytest.raises(Conflict) as refused:
            move(in_app, world.worker, referral.id, target)
        assert "cannot become" in str(refused.value.message)
        assert referral_row(in_app, referral.id).status == ReferralStatus(start)
        return
    clock.advance(days=2)
    moved = move(in_app, world.worker, referral.id, target, note="Phoned the clinic")
    assert moved.status == ReferralStatus(target)
    with in_app() as session:
        last = session.scalars(
            select(ReferralChange)
            .where(ReferralChange.referral_id == referral.id)
            .order_by(ReferralChange.id.desc())
        ).first()
    assert (last.from_status, last.to_status, last.note, last.changed_by) == (
        ReferralStatus(start),
        ReferralStatus(target),
        "Phoned the clinic",
        world.worker.email,
    )
    stored = referral_row(in_app, referral.id)
    assert (stored.accepted_at is not None) == (target == "accepted" or start == "accepted")
    assert (stored.closed_at == clock.now()) == (target not in ("accepted",))


def test_an_unknown_status_is_invalid_input(app, in_app, world, refer):
    referral = refer()
    with pytest.raises(InvalidInput) as refused:
        move(in_app, world.worker, referral.id, "lost")
    assert "status" in refused.value.fields


def test_a_decline_says_why_and_the_outcome_is_kept(app, in_app, world, refer):
    referral = refer()
    with pytest.raises(InvalidInput) as refused:
        move(in_app, world.worker, referral.id, "declined", outcome="  ")
    assert "outcome" in refused.value.fields
    move(in_app, world.worker, referral.id, "declined", outcome="Full until March")
    assert referral_row(in_app, referral.id).outcome == "Full until March"


def test_a_referral_page_moves_it_with_a_button(app, in_app, world, refer, sign_in_as):
    referral = refer()
    client = sign_in_as(world.worker)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert 'name="status" value="accepted"' in page and 'value="attended"' not in page
    response = client.post(
        f"/referrals/{referral.id}/status",
        data={"csrf_token": csrf_token(client), "status": "accepted", "note": "Cita el lunes"},
    )
    assert response.status_code == 302
    assert referral_row(in_app, referral.id).status is ReferralStatus.ACCEPTED
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Cita el lunes" in page and 'value="attended"' in page


def test_an_invalid_move_on_the_web_keeps_the_text_and_says_why(
    app, in_app, world, refer, sign_in_as
):
    referral = refer()
    client = sign_in_as(world.worker)
    response = client.post(
        f"/referrals/{referral.id}/status",
        data={"csrf_token": csrf_token(client), "status": "declined", "note": "Llamé dos veces"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Llamé dos veces" in page and 'class="form-errors"' in page
    assert referral_row(in_app, referral.id).status is ReferralStatus.MADE


def test_making_and_moving_a_referral_is_audited(app, in_app, world, refer):
    referral = refer()
    move(in_app, world.worker, referral.id, "accepted")
    with in_app() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.record_type == "referral", AuditEntry.record_id == str(referral.id))
            .order_by(AuditEntry.id)
        ).all()
    assert [(e.action, e.user_id) for e in entries] == [
        (AuditAction.CREATE, world.worker.id),
        (AuditAction.UPDATE, world.worker.id),
    ]
    assert entries[1].detail["to_status"] == "accepted"


def test_a_worker_from_another_region_gets_404_everywhere(
    app, in_app, world, refer, sign_in_as, token_for
):
    referral = refer()
    with pytest.raises(NotFound), in_app() as session:
        make_referral(
            session,
            actor_of(session, world.far_worker),
            world.returnee_id,
            referral.organisation_id,
            "psychosocial",
            True,
        )
    with pytest.raises(NotFound):
        move(in_app, world.far_worker, referral.id, "accepted")
    client = sign_in_as(world.far_worker)
    assert client.get(f"/returnees/{world.returnee_id}/referrals/new").status_code == 404
    assert client.get(f"/referrals/{referral.id}").status_code == 404
    headers = token_for(world.far_worker)
    api = app.test_client()
    assert api.get(f"/api/v1/referrals/{referral.id}", headers=headers).status_code == 404
    listed = api.get(f"/api/v1/returnees/{world.returnee_id}/referrals", headers=headers)
    assert listed.status_code == 404
    assert "Clínica" not in listed.get_data(as_text=True)
    assert referral_row(in_app, referral.id).status is ReferralStatus.MADE


def test_reception_and_admins_are_refused_before_any_lookup(app, world, sign_in_as, token_for):
    for user in (world.reception, world.admin):
        assert sign_in_as(user).get("/referrals/999999").status_code == 403
        headers = token_for(user)
        response = app.test_client().get(
            f"/api/v1/returnees/{world.returnee_id}/referrals", headers=headers
        )
        assert response.status_code == 403


def test_the_record_shows_referrals_to_casework_only(app, world, refer, sign_in_as):
    refer()
    worker_page = sign_in_as(world.worker).get(f"/returnees/{world.returnee_id}")
    reception_page = sign_in_as(world.reception).get(f"/returnees/{world.returnee_id}")
    assert "Clínica Comunitaria Luz" in worker_page.get_data(as_text=True)
    assert reception_page.status_code == 200
    assert "Clínica Comunitaria Luz" not in reception_page.get_data(as_text=True)


def test_the_api_makes_lists_and_moves_referrals(app, world, partner, token_for, in_app):
    headers, api = token_for(world.worker), app.test_client()
    base = f"/api/v1/returnees/{world.returnee_id}/referrals"
    body = {"organisation_id": partner.id, "service": "health", "has_consent": False}
    refused = api.post(base, json=body, headers=headers)
    assert refused.status_code == 422
    assert "has_consent" in refused.get_json()["error"]["fields"]
    made = api.post(base, json=body | {"has_consent": True}, headers=headers)
    assert made.status_code == 201, made.get_json()
    referral = made.get_json()
    assert (referral["status"], referral["organisation"]["name"]) == ("made", partner.name)
    listed = api.get(base, headers=headers).get_json()
    assert [item["id"] for item in listed] == [referral["id"]]
    path = f"/api/v1/referrals/{referral['id']}/status"
    moved = api.post(path, json={"status": "accepted", "note": "Cita"}, headers=headers)
    assert moved.status_code == 200
    assert moved.get_json()["next_statuses"] == ["attended", "no_show", "withdrawn"]
    again = api.post(path, json={"status": "declined", "outcome": "x"}, headers=headers)
    assert again.status_code == 409
    assert "no puede pasar a" in again.get_json()["error"]["message"]  # the Spanish default
    shown = api.get(f"/api/v1/referrals/{referral['id']}", headers=headers).get_json()
    assert [c["to_status"] for c in shown["changes"]] == ["made", "accepted"]


def test_every_view_of_a_referral_is_audited(app, in_app, world, refer, sign_in_as, token_for):
    referral = refer()
    sign_in_as(world.worker).get(f"/referrals/{referral.id}")
    app.test_client().get(f"/api/v1/referrals/{referral.id}", headers=token_for(world.supervisor))
    with in_app() as session:
        viewers = session.scalars(
            select(AuditEntry.user_id)
            .where(
                AuditEntry.action == AuditAction.VIEW,
                AuditEntry.record_type == "referral",
                AuditEntry.record_id == str(referral.id),
            )
            .order_by(AuditEntry.id)
        ).all()
    assert viewers == [world.worker.id, world.supervisor.id]
