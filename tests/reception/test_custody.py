"""Children travelling alone: custody, shelter, handover to a verified parent or, with a
supervisor's approval, to someone else; overdue children on the supervisor's home page."""

from __future__ import annotations

import pytest

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.core.encryption import phone_index
from returnees.core.errors import Forbidden
from returnees.reception.models import HandoverStatus
from returnees.reception.services import (
    HandoverEntry,
    approve_handover,
    hand_over_child,
    link_household,
    place_in_shelter,
)
from tests.conftest import csrf_token


@pytest.fixture
def child(demo, register):
    return register(
        given_names="Kevin", family_names="Mejía", estimated_age=14, is_unaccompanied=True
    )


@pytest.fixture
def staff(make_user):
    return {role: make_user(role, "GT-AURORA") for role in Role}


def hand_over(in_app, actor, arrival_id, **entry):
    with in_app() as session:
        return hand_over_child(session, actor, arrival_id, HandoverEntry(**entry))


def test_a_child_travelling_alone_opens_a_custody_record(child, in_app):
    with in_app() as session:
        place_in_shelter(session, Actor.system("t"), child.id, "GT-HOGAR")
    with in_app() as session:
        from returnees.reception.models import Arrival

        custody = session.get(Arrival, child.id).custody
        assert custody.status is HandoverStatus.IN_CUSTODY
        assert custody.shelter.code == "GT-HOGAR"


def test_a_mother_whose_document_was_checked_takes_the_child_at_once(child, staff, in_app):
    desk = Actor.for_user(staff[Role.RECEPTION])
    custody = hand_over(
        in_app,
        desk,
        child.id,
        guardian_name="Rosa Mejía",
        relationship="mother",
        guardian_document="DPI 1234567890101",
        guardian_phone="5555 9876",
        is_document_checked=True,
    )
    assert custody.status is HandoverStatus.HANDED_OVER
    assert custody.checked_by_id == staff[Role.RECEPTION].id
    assert custody.guardian_phone == "+50255559876"
    assert custody.approved_by_id is None


@pytest.mark.parametrize(
    ("relationship", "checked"), [("other_relative", True), ("other", True), ("mother", False)]
)
def test_anyone_else_waits_for_a_supervisors_approval(child, staff, in_app, relationship, checked):
    desk = Actor.for_user(staff[Role.RECEPTION])
    custody = hand_over(
        in_app,
        desk,
        child.id,
        guardian_name="Tía Marta",
        relationship=relationship,
        guardian_document="1234567890101",
        is_document_checked=checked,
    )
    assert custody.status is HandoverStatus.AWAITING_APPROVAL
    assert custody.handed_over_at is None
    with pytest.raises(Forbidden), in_app() as session:
        approve_handover(session, desk, child.id)
    with in_app() as session:
        approved = approve_handover(session, Actor.for_user(staff[Role.SUPERVISOR]), child.id)
    assert approved.status is HandoverStatus.HANDED_OVER
    assert approved.approved_by_id == staff[Role.SUPERVISOR].id


def test_a_handover_without_a_name_is_refused_and_nothing_changes(
    app, child, staff, sign_in_as, in_app
):
    client = sign_in_as(staff[Role.RECEPTION])
    path = f"/reception/arrivals/{child.id}/handover"
    response = client.post(
        path,
        data={
            "guardian_name": "",
            "relationship": "mother",
            "csrf_token": csrf_token(client, path),
        },
    )
    assert response.status_code == 422
    assert 'id="guardian_name-error"' in response.get_data(as_text=True)
    with in_app() as session:
        from returnees.reception.models import Arrival

        assert session.get(Arrival, child.id).custody.status is HandoverStatus.IN_CUSTODY


def test_a_child_not_handed_over_within_72_hours_shows_on_the_supervisors_home(
    app, child, staff, sign_in_as, clock
):
    supervisor = sign_in_as(staff[Role.SUPERVISOR])
    clock.advance(hours=71)
    assert "Kevin Mejía" not in overdue_section(supervisor.get("/").get_data(as_text=True))
    clock.advance(hours=1)
    assert "Kevin Mejía" in overdue_section(supervisor.get("/").get_data(as_text=True))


def test_a_child_handed_over_leaves_the_supervisors_list(
    app, child, staff, sign_in_as, clock, in_app
):
    hand_over(
        in_app,
        Actor.for_user(staff[Role.RECEPTION]),
        child.id,
        guardian_name="Rosa",
        relationship="father",
        guardian_document="1234567890101",
        is_document_checked=True,
    )
    clock.advance(hours=80)
    page = sign_in_as(staff[Role.SUPERVISOR]).get("/").get_data(as_text=True)
    assert "Kevin Mejía" not in overdue_section(page)


def overdue_section(page: str) -> str:
    """The supervisor's list of children waiting past 72 hours, found by its heading (a bare
    "72" also turns up in the page's random CSRF token, now and then)."""
    return page.split("no entregados en 72 horas")[1].split("</section>")[0]


def test_people_on_the_same_arrival_are_linked_as_one_household(
    demo, register, in_app, app, staff, sign_in_as
):
    mother = register(given_names="Rosa", family_names="Chen")
    son = register(given_names="Brayan", family_names="Chen", estimated_age=9)
    with in_app() as session:
        link_household(session, Actor.for_user(staff[Role.RECEPTION]), [mother.id, son.id])
    page = sign_in_as(staff[Role.RECEPTION]).get(f"/returnees/{mother.returnee_id}")
    assert "Brayan Chen" in page.get_data(as_text=True).split("Núcleo familiar")[1]


def test_a_handover_waiting_for_approval_cannot_be_resubmitted(child, staff, in_app):
    from returnees.core.errors import Conflict

    desk = Actor.for_user(staff[Role.RECEPTION])
    hand_over(in_app, desk, child.id, guardian_name="Vecino", relationship="other")
    with pytest.raises(Conflict):
        hand_over(
            in_app,
            desk,
            child.id,
            guardian_name="Vecino",
            relationship="mother",
            guardian_document="1234567890101",
            is_document_checked=True,
        )


def test_the_api_refuses_another_persons_arrival(app, child, register, staff, token_for):
    other = register(
        given_names="Otro", family_names="Niño", estimated_age=10, is_unaccompanied=True
    )
    response = app.test_client().post(
        f"/api/v1/returnees/{child.returnee_id}/handover",
        headers=token_for(staff[Role.RECEPTION]),
        json={"arrival_id": other.id, "guardian_name": "X", "relationship": "mother"},
    )
    assert response.status_code == 409


def test_a_supervisor_approves_only_the_handover_they_saw(child, staff, in_app, clock):
    from datetime import timedelta

    from returnees.core.errors import Conflict

    desk = Actor.for_user(staff[Role.RECEPTION])
    custody = hand_over(
        in_app, desk, child.id, guardian_name="Tía Marta", relationship="other_relative"
    )
    supervisor = Actor.for_user(staff[Role.SUPERVISOR])
    with pytest.raises(Conflict), in_app() as session:
        approve_handover(session, supervisor, child.id, custody.requested_at - timedelta(minutes=1))
    with in_app() as session:
        approved = approve_handover(session, supervisor, child.id, custody.requested_at)
    assert approved.status is HandoverStatus.HANDED_OVER


def test_the_supervisor_approves_from_the_record(app, child, staff, sign_in_as, in_app):
    hand_over(
        in_app,
        Actor.for_user(staff[Role.RECEPTION]),
        child.id,
        guardian_name="Tía",
        relationship="other",
    )
    client = sign_in_as(staff[Role.SUPERVISOR])
    page = client.get(f"/returnees/{child.returnee_id}").get_data(as_text=True)
    seen = page.split('name="requested_at" value="')[1].split('"')[0]
    response = client.post(
        f"/reception/arrivals/{child.id}/approve-handover",
        data={"requested_at": seen, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    with in_app() as session:
        from returnees.reception.models import Arrival

        assert session.get(Arrival, child.id).custody.status is HandoverStatus.HANDED_OVER


# A mother whose document was checked, with a phone: the handover completes at once.
A_CHECKED_MOTHER = {
    "guardian_name": "Rosa Mejía",
    "relationship": "mother",
    "guardian_document": "DPI 1234567890101",
    "guardian_phone": "5555 9876",
    "is_document_checked": True,
}


def guardian_follow_up(in_app, arrival_id: int) -> list[tuple[str, str, str]]:
    from sqlalchemy import select

    from returnees.followups.models import CheckIn

    with in_app() as session:
        rows = session.scalars(
            select(CheckIn).where(CheckIn.arrival_id == arrival_id).order_by(CheckIn.due_at)
        )
        return [(r.phone, r.template, r.state.value) for r in rows]


def test_a_guardian_who_agrees_is_asked_about_the_child_from_the_handover_on(
    child, staff, in_app, clock
):
    """A child travelling alone often has no phone: the plan starts with the handover, on the
    guardian's number, the days already past within the grace period or marked missed."""
    assert guardian_follow_up(in_app, child.id) == []
    clock.advance(days=2)
    hand_over(
        in_app,
        Actor.for_user(staff[Role.RECEPTION]),
        child.id,
        **A_CHECKED_MOTHER,
        guardian_consents=True,
    )
    plan = guardian_follow_up(in_app, child.id)
    assert len(plan) == 12 and {phone for phone, _t, _s in plan} == {"+50255559876"}
    assert plan[0] == ("+50255559876", "guardian_confirm_number", "scheduled")
    assert plan[1][1:] == ("guardian_arrived_safe", "scheduled")
    with in_app() as session:
        from returnees.people.models import Phone, PhoneOwner

        phone = session.query(Phone).filter_by(number_index=phone_index("+50255559876")).one()
        assert (phone.returnee_id, phone.owner, phone.has_consent) == (
            child.returnee_id,
            PhoneOwner.RELATIVE,
            True,
        )
        from returnees.messaging.models import ConsentChange

        logged = (
            session.query(ConsentChange).filter_by(phone_index=phone_index("+50255559876")).one()
        )
        assert (logged.returnee_id, logged.has_consent, logged.source) == (
            child.returnee_id,
            True,
            "handover",
        )


def test_a_guardian_who_does_not_agree_is_not_asked(child, staff, in_app):
    hand_over(
        in_app,
        Actor.for_user(staff[Role.RECEPTION]),
        child.id,
        **A_CHECKED_MOTHER,
    )
    assert guardian_follow_up(in_app, child.id) == []


def test_a_handover_awaiting_approval_asks_the_guardian_once_approved(child, staff, in_app):
    hand_over(
        in_app,
        Actor.for_user(staff[Role.RECEPTION]),
        child.id,
        guardian_name="Tía Marta",
        relationship="other_relative",
        guardian_phone="5555 9876",
        guardian_consents=True,
    )
    assert guardian_follow_up(in_app, child.id) == []
    with in_app() as session:
        approve_handover(session, Actor.for_user(staff[Role.SUPERVISOR]), child.id)
    assert {phone for phone, _t, _s in guardian_follow_up(in_app, child.id)} == {"+50255559876"}


def test_a_child_followed_on_their_own_phone_is_then_asked_through_the_guardian(
    demo, register, staff, in_app
):
    arrival = register(
        given_names="Kevin", estimated_age=15, is_unaccompanied=True, phones=("5555 1111",)
    )
    hand_over(
        in_app,
        Actor.for_user(staff[Role.RECEPTION]),
        arrival.id,
        **A_CHECKED_MOTHER,
        guardian_consents=True,
    )
    assert {phone for phone, _t, _s in guardian_follow_up(in_app, arrival.id)} == {"+50255559876"}


def test_consent_without_a_number_is_refused_and_nothing_changes(child, staff, in_app):
    from returnees.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        hand_over(
            in_app,
            Actor.for_user(staff[Role.RECEPTION]),
            child.id,
            guardian_name="Rosa Mejía",
            relationship="mother",
            guardian_consents=True,
        )
    assert "guardian_phone" in refused.value.fields
    with in_app() as session:
        from returnees.reception.models import Arrival

        assert session.get(Arrival, child.id).custody.status is HandoverStatus.IN_CUSTODY
