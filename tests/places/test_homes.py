"""Where a returnee lives: asked at the desk, in the API and on a passenger list, shown on the
record; a type-ahead over the places of the person's country, the DPI's municipality first."""

from __future__ import annotations

import pytest

from returnees.auth.models import Role
from tests.documents import cui
from tests.reception.test_api import BODY


def test_the_api_lists_places_by_name_department_or_code(api):
    found = api("GET", "/places?country=GT&q=san marcos").get_json()
    assert found[0] == {
        "code": "GT-1201",
        "municipality": "San Marcos",
        "department": "San Marcos",
        "country": "GT",
    }
    assert {place["department"] for place in found[1:30]} == {"San Marcos"}
    assert api("GET", "/places?country=HN&q=SAN PEDRO SULA").get_json()[0]["code"] == "HN-0501"
    assert api("GET", "/places?q=0801&country=HN").get_json()[0]["municipality"] == (
        "Distrito Central"
    )


def test_a_home_given_in_the_api_is_saved_and_returned_with_its_names(api, clock):
    created = api("POST", "/returnees", BODY | {"home": {"municipality": "GT-1201"}})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["home"] == {
        "code": "GT-1201",
        "municipality": "San Marcos",
        "department": "San Marcos",
    }
    person = created.get_json()["id"]
    moved = api("PATCH", f"/returnees/{person}", {"home": {"municipality": "GT-0901"}})
    assert moved.get_json()["home"]["municipality"] == "Quetzaltenango"
    unknown = api("PATCH", f"/returnees/{person}", {"home": None})
    assert unknown.status_code == 200 and unknown.get_json()["home"] is None


@pytest.mark.parametrize("code", ["GT-9999", "HN-0501", "nowhere"])
def test_a_home_that_is_not_a_place_of_the_persons_country_is_refused_by_name(api, clock, code):
    refused = api("POST", "/returnees", BODY | {"home": {"municipality": code}})
    assert refused.status_code == 422
    assert list(refused.get_json()["error"]["fields"]) == ["home"]


def test_the_desks_type_ahead_offers_the_dpis_municipality_first(app, demo, make_user, sign_in_as):
    desk = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    found = desk.get(f"/places/search?country=GT&q=quetz&dpi={cui('23456789', '1217')}").get_json()
    assert found[0]["code"] == "GT-1217" and found[0]["from_dpi"] is True
    assert found[0]["label"] == "Ayutla, San Marcos"
    assert found[1]["code"] == "GT-0901" and found[1]["from_dpi"] is False
    hondurans = desk.get(
        f"/places/search?country=HN&q=san&dpi={cui('23456789', '1217')}"
    ).get_json()
    assert "GT-1217" not in {place["code"] for place in hondurans}


def test_the_desk_registers_a_home_by_its_name_and_the_record_shows_it(
    app, demo, make_user, sign_in_as, clock
):
    from tests.reception.test_registration import submit

    desk = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    response = submit(desk, home_text="Ayutla, San Marcos")
    assert response.status_code == 302, response.get_data(as_text=True)
    record = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ayutla, San Marcos" in record and "GT-1217" in record


def test_a_home_staff_leave_empty_is_unknown(app, demo, make_user, sign_in_as, clock):
    from tests.reception.test_registration import submit

    desk = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    response = submit(desk, home_text="")
    record = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "desconocido" in record


def test_the_upgrade_reads_a_home_from_a_destination_typed_before_homes_had_codes(register, in_app):
    """Migration 0025: a typed destination that names one place becomes the home; one that
    names none, or several, stays unknown, the text kept as typed."""
    from sqlalchemy import select

    from returnees.people.models import Returnee
    from tests.conftest import load_migration

    typed = {"San Marcos": "GT-1201", "mixco": "GT-0108", "Santa Catarina": None, "Gótica": None}
    ids = {
        text: register(given_names=f"Persona {n}", municipality=text).returnee_id
        for n, text in enumerate(typed)
    }
    with in_app() as session:
        read, unknown = load_migration("0025_homes_from_free_text").read_homes(session.connection())
    assert (read, unknown) == (2, 2), "the upgrade says how many went each way"
    with in_app() as session:
        homes = dict(session.execute(select(Returnee.municipality, Returnee.home_code)).all())
    assert {text: homes[text] for text in ids} == typed
