"""Break-glass: a supervisor or social worker opens a record outside their scope only by giving
a reason; the opening lasts BREAK_GLASS_HOURS, is written to the audit trail and flagged there,
and the supervisors of the person's country see it on their home page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from returnees.audit.models import AccessReason, AuditAction, AuditEntry
from returnees.auth.models import Role
from tests.conftest import csrf_token

NAME = "Rosa Amalia"


@pytest.fixture
def person(register):
    """Someone registered at La Aurora (Guatemala)."""
    return register(given_names=NAME, family_names="Ajú Xiloj").returnee_id


@pytest.fixture
def stranger(make_user, sign_in_as):
    """A social worker in Honduras, signed in: the person is outside her scope."""
    user = make_user(Role.SOCIAL_WORKER, "HN-SPS")
    return user, sign_in_as(user)


def open_with(client, returnee_id: int, reason: str):
    token = csrf_token(client)
    return client.post(
        f"/returnees/{returnee_id}/break-glass", data={"csrf_token": token, "reason": reason}
    )


def entries(in_app, **where) -> list[AuditEntry]:
    with in_app() as session:
        query = select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)
        return list(session.scalars(query))


def test_outside_the_scope_the_record_asks_for_a_reason_and_names_nobody(person, stranger):
    _user, client = stranger
    asked = client.get(f"/returnees/{person}")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 403
    assert 'name="reason"' in page and f"/returnees/{person}/break-glass" in page
    assert NAME not in page and "GT-AURORA" not in page


def test_a_number_nobody_has_gets_the_same_answer(person, stranger):
    """The form does not tell whether the person exists: the same status and the same page,
    but for the number."""
    _user, client = stranger
    existing, missing = client.get(f"/returnees/{person}"), client.get("/returnees/999999")
    assert existing.status_code == missing.status_code == 403
    assert same_page(existing, str(person)) == same_page(missing, "999999")


def same_page(response, number: str) -> str:
    """The page with the number asked for and the form's security token blanked out."""
    page = response.get_data(as_text=True).split("</header>")[-1]
    page = re.sub(rf"(/returnees/|\s){number}(?=[/<\s\"])", r"\1N", page)
    return re.sub(r'(csrf[-_]token"[^>]*?(?:content|value)=")[^"]+', r"\1", page)


def test_without_a_reason_nothing_opens(person, stranger, in_app):
    _user, client = stranger
    refused = open_with(client, person, "   ")
    assert refused.status_code == 422 and 'id="reason-error"' in refused.get_data(as_text=True)
    assert client.get(f"/returnees/{person}").status_code == 403
    assert entries(in_app, action=AuditAction.BREAK_GLASS) == []


def test_with_a_reason_the_record_opens_and_the_opening_is_written(person, stranger, in_app):
    user, client = stranger
    opened = open_with(client, person, "She came to our office in San Pedro Sula")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/returnees/{person}"
    assert NAME in client.get(f"/returnees/{person}").get_data(as_text=True)
    [opening] = entries(in_app, action=AuditAction.BREAK_GLASS)
    assert (opening.user_id, opening.record_type, opening.record_id) == (
        user.id,
        "returnee",
        str(person),
    )
    assert opening.detail["hours"] == 24 and "San Pedro" not in str(opening.detail)
    with in_app() as session:
        reason = session.get(AccessReason, opening.detail["reason_id"])
        assert reason.text == "She came to our office in San Pedro Sula"
    [view] = entries(in_app, action=AuditAction.VIEW, record_type="returnee")
    assert view.detail == {"grant_id": opening.detail["grant_id"]}, "the view names the grant"


def test_the_opening_ends_after_break_glass_hours(person, stranger, clock):
    _user, client = stranger
    open_with(client, person, "Emergency call")
    clock.advance(hours=23)
    assert client.get(f"/returnees/{person}").status_code == 200
    clock.advance(hours=2)
    assert client.get(f"/returnees/{person}").status_code == 403


def test_the_opening_reaches_one_record_not_the_lists(person, register, stranger):
    other = register(given_names="Otra", family_names="Persona").returnee_id
    _user, client = stranger
    open_with(client, person, "Emergency call")
    assert client.get(f"/returnees/{other}").status_code == 403
    assert NAME not in client.get("/returnees/?q=Rosa").get_data(as_text=True)


def test_the_supervisors_of_the_persons_country_are_told(person, stranger, make_user, sign_in_as):
    user, client = stranger
    open_with(client, person, "Emergency call")
    guatemala = sign_in_as(make_user(Role.SUPERVISOR, "GT-AURORA")).get("/")
    home = guatemala.get_data(as_text=True)
    assert 'id="break-glass"' in home and NAME in home
    assert user.name in home and "Emergency call" in home
    honduras = sign_in_as(make_user(Role.SUPERVISOR, "HN-SPS")).get("/").get_data(as_text=True)
    assert 'id="break-glass"' not in honduras


def test_the_audit_page_flags_the_opening_and_shows_the_reason(
    person, stranger, make_user, sign_in_as
):
    open_with(stranger[1], person, "Emergency call")
    page = sign_in_as(make_user(Role.ADMIN, "HN-SPS")).get("/audit/").get_data(as_text=True)
    assert "Abierto fuera de su alcance" in page and "fuera de alcance" in page
    assert "Motivo: Emergency call" in page


def test_a_desk_cannot_break_glass(person, make_user, sign_in_as):
    client = sign_in_as(make_user(Role.RECEPTION, "HN-SPS"))
    refused = client.get(f"/returnees/{person}")
    assert refused.status_code == 403 and 'name="reason"' not in refused.get_data(as_text=True)
    assert open_with(client, person, "curiosity").status_code == 403


def test_in_scope_nothing_is_granted(person, make_user, sign_in_as, in_app):
    client = sign_in_as(make_user(Role.SUPERVISOR, "GT-AURORA"))
    assert open_with(client, person, "no need").status_code == 302
    assert entries(in_app, action=AuditAction.BREAK_GLASS) == []
