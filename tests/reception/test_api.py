"""POST /api/v1/returnees and friends: the same rules and scope as the desk."""

from __future__ import annotations

import pytest

BODY = {
    "given_names": "José",
    "family_names": "Hernández Pérez",
    "birth_date": "1990-05-04",
    "sex": "M",
    "nationality": "GT",
    "document": {"type": "DPI", "number": "1234567890101"},
    "phones": [{"number": "5555 1234", "owner": "self", "channel": "whatsapp", "consent": True}],
    "language": "es",
    "unaccompanied": False,
    "municipality": "Mixco",
    "arrival": {
        "centre": "GT-AURORA",
        "arrived_at": "2026-12-01T08:10:00-06:00",
        "mode": "flight",
        "deporting_country": "US",
        "reference": "ICE-512",
    },
}
ARRIVAL = {"arrival.arrived_at"}


def test_a_returnee_is_created_with_the_first_arrival_and_found_again(api, clock):
    created = api("POST", "/returnees", BODY)
    assert created.status_code == 201, created.get_json()
    record = created.get_json()
    assert record["returns_count"] == 0 and len(record["arrivals"]) == 1
    assert record["phones"][0]["number"] == "+50255551234"
    assert record["arrivals"][0]["arrived_at"].startswith("2026-12-01T14:10")
    fetched = api("GET", f"/returnees/{record['id']}").get_json()
    assert fetched["document"] == {"type": "DPI", "number": "1234567890101"}
    listed = api("GET", "/returnees?q=hernandez").get_json()
    assert [person["id"] for person in listed] == [record["id"]]


def test_a_likely_earlier_record_is_a_409_with_candidates_and_match_decides(api, clock):
    first = api("POST", "/returnees", BODY).get_json()
    again = api(
        "POST",
        "/returnees",
        BODY | {"given_names": "Jose", "family_names": "Hernandez", "document": None, "phones": []},
    )
    error = again.get_json()["error"]
    assert again.status_code == 409 and error["code"] == "possible_match"
    assert error["candidates"][0]["id"] == first["id"]
    assert error["candidates"][0]["reasons"] == ["similar_name", "birth_date"]
    assert error["candidates"][0]["arrivals"][0]["centre"] == "GT-AURORA"

    same = api("POST", "/returnees", BODY | {"match": first["id"], "document": None})
    assert same.status_code == 201 and same.get_json()["id"] == first["id"]
    assert same.get_json()["returns_count"] == 1
    other = api("POST", "/returnees", BODY | {"match": "new", "document": None, "phones": []})
    assert other.status_code == 201 and other.get_json()["id"] != first["id"]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"document": {"type": "DUI", "number": "00016297-4"}}, {"document.number"}),
        ({"phones": [{"number": "12"}]}, {"phones.0.number"}),
        ({"sex": "Q"}, {"sex"}),
        ({"birth_date": None, "estimated_age": None}, {"birth_date"}),
        ({"arrival": {"centre": "NOWHERE"}}, {"arrival.centre"}),
        ({"match": "perhaps"}, {"match"}),
        ({"given_names": ""}, {"given_names"}),
        ({"family_names": "@SUM(1+1)"}, {"family_names"}),
        ({"given_names": "=HYPERLINK(1)"}, {"given_names"}),
        ({"arrival": BODY["arrival"] | {"arrived_at": "1900-01-01T10:00:00-06:00"}}, ARRIVAL),
        ({"arrival": BODY["arrival"] | {"arrived_at": "1990-05-03T10:00:00-06:00"}}, ARRIVAL),
        ({"arrival": BODY["arrival"] | {"arrived_at": "2026-12-03T08:00:00-06:00"}}, ARRIVAL),
    ],
    ids=[
        "bad-dui",
        "bad-phone",
        "bad-sex",
        "no-age",
        "unknown-centre",
        "bad-match",
        "no-name",
        "formula-surname",
        "formula-given-name",
        "arrived-in-1900",
        "arrived-before-birth",
        "arrives-in-two-days",
    ],
)
def test_bad_input_is_a_422_naming_each_field_and_nothing_is_created(api, clock, changes, fields):
    response = api("POST", "/returnees", BODY | changes)
    assert response.status_code == 422, response.get_json()
    assert set(response.get_json()["error"]["fields"]) == fields
    assert api("GET", "/returnees").get_json() == []


def test_a_new_arrival_and_a_patch_keep_what_was_recorded(api, clock):
    person = api("POST", "/returnees", BODY).get_json()
    returned = api(
        "POST",
        f"/returnees/{person['id']}/arrivals",
        {
            "arrival": {"centre": "GT-AURORA", "mode": "bus", "deporting_country": "MX"},
            "phones": [{"number": "5555 4321"}],
        },
    )
    assert returned.status_code == 201
    body = returned.get_json()
    assert body["returns_count"] == 1 and len(body["phones"]) == 2
    patched = api("PATCH", f"/returnees/{person['id']}", {"municipality": "Villa Nueva"})
    assert patched.get_json()["municipality"] == "Villa Nueva"
    assert patched.get_json()["document"]["number"] == "1234567890101"
    refused = api("PATCH", f"/returnees/{person['id']}", {"birth_date": "2999-01-01"})
    assert refused.status_code == 422
    assert api("GET", f"/returnees/{person['id']}").get_json()["birth_date"] == "1990-05-04"


def test_a_child_is_handed_over_through_the_api(api, clock):
    child = api(
        "POST",
        "/returnees",
        BODY | {"birth_date": "2012-01-01", "unaccompanied": True, "document": None},
    ).get_json()
    assert child["arrivals"][0]["custody"]["status"] == "in_custody"
    handed = api(
        "POST",
        f"/returnees/{child['id']}/handover",
        {"guardian_name": "Rosa Pérez", "relationship": "grandparent"},
    ).get_json()
    assert handed["arrivals"][0]["custody"]["status"] == "awaiting_approval"


def test_the_openapi_document_describes_the_returnee_endpoints(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    create = spec["paths"]["/api/v1/returnees"]["post"]
    assert "requestBody" in create and "201" in create["responses"]
    assert "ReturneeCreate" in spec["components"]["schemas"]


def test_a_patch_refuses_a_name_a_spreadsheet_would_run(api, clock):
    created = api("POST", "/returnees", BODY).get_json()
    response = api("PATCH", f"/returnees/{created['id']}", {"family_names": "+1-555"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"family_names"}
    assert api("GET", f"/returnees/{created['id']}").get_json()["family_names"] == "Hernández Pérez"


def test_an_estimated_age_puts_a_bound_on_the_arrival_date(api, clock):
    body = BODY | {"birth_date": None, "estimated_age": 30, "document": None, "phones": []}
    arrival = body["arrival"] | {"arrived_at": "1990-01-01T10:00:00-06:00"}
    refused = api("POST", "/returnees", body | {"arrival": arrival})
    assert refused.status_code == 422
    assert (
        "antes de que la persona naciera"
        in refused.get_json()["error"]["fields"]["arrival.arrived_at"][0]
    )
    arrival = body["arrival"] | {"arrived_at": "2026-11-30T10:00:00-06:00"}
    assert api("POST", "/returnees", body | {"arrival": arrival}).status_code == 201


def test_the_type_of_return_is_taken_and_shown_and_a_wrong_one_refused(api, clock):
    voluntary = BODY | {"arrival": BODY["arrival"] | {"return_type": "voluntary"}}
    created = api("POST", "/returnees", voluntary)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["arrivals"][0]["return_type"] == "voluntary"
    wrong = BODY | {"arrival": BODY["arrival"] | {"return_type": "expelled"}}
    refused = api("POST", "/returnees", wrong | {"document": None})
    assert refused.status_code == 422
    assert "arrival.return_type" in refused.get_json()["error"]["fields"]
    other = {"given_names": "Juan", "birth_date": "2001-02-03", "document": None, "phones": []}
    plain = api("POST", "/returnees", BODY | other)
    assert plain.get_json()["arrivals"][0]["return_type"] == "deported"


def test_the_api_records_whether_calls_are_welcome(api, clock):
    phones = [
        {"number": "5555 1234", "channel": "sms", "consent": True, "calls_welcome": True},
        {"number": "5555 9876", "channel": "voice", "consent": True},
        {"number": "5555 4321", "channel": "whatsapp", "consent": True},
    ]
    created = api("POST", "/returnees", BODY | {"phones": phones})
    assert created.status_code == 201, created.get_json()
    welcome = {
        p["number"]: (p["channel"], p["calls_welcome"]) for p in created.get_json()["phones"]
    }
    assert welcome == {
        "+50255551234": ("sms", True),
        "+50255559876": ("voice", True),
        "+50255554321": ("whatsapp", False),
    }
    refused = api(
        "POST", "/returnees", BODY | {"phones": [{"number": "5555 1234", "channel": "fax"}]}
    )
    assert (
        refused.status_code == 422 and "phones.0.channel" in refused.get_json()["error"]["fields"]
    )
