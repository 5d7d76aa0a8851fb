"""The places shipped as data: every department and municipality of the three countries with
their official codes, found by name, department or code, accents and case ignored."""

from __future__ import annotations

from collections import Counter

import pytest

from returnees.places.catalogue import all_places, find_place, place_of_dpi, search_places


def test_every_country_has_its_departments_and_municipalities():
    places = all_places().values()
    assert Counter(place.country for place in places) == {"GT": 340, "HN": 298, "SV": 262}
    departments = Counter(country for country, _name in {(p.country, p.department) for p in places})
    assert departments == {"GT": 22, "HN": 18, "SV": 14}
    municipalities_of_el_salvador = {p.municipality for p in places if p.country == "SV"}
    assert len(municipalities_of_el_salvador) == 44, "the 2024 reform: 44 municipalities"


@pytest.mark.parametrize(
    ("code", "municipality", "department"),
    [
        ("GT-1201", "San Marcos", "San Marcos"),
        ("GT-1217", "Ayutla", "San Marcos"),
        ("GT-0901", "Quetzaltenango", "Quetzaltenango"),
        ("GT-0101", "Guatemala", "Guatemala"),
        ("HN-0501", "San Pedro Sula", "Cortés"),
        ("HN-0801", "Distrito Central", "Francisco Morazán"),
        ("SV-0614", "San Salvador Centro", "San Salvador"),
    ],
)
def test_known_codes_name_their_municipality(code, municipality, department):
    place = find_place(code)
    assert (place.municipality, place.department) == (municipality, department)


def test_a_home_in_el_salvador_is_a_district_of_a_municipality():
    place = find_place("SV-0614")
    assert (place.district, place.municipality) == ("San Salvador", "San Salvador Centro")
    assert place.as_json() == {
        "code": "SV-0614",
        "district": "San Salvador",
        "municipality": "San Salvador Centro",
        "department": "San Salvador",
        "country": "SV",
    }


def test_san_marcos_offers_the_municipality_first_then_its_department():
    found = search_places("GT", "san marcos")
    assert found[0].code == "GT-1201"
    in_the_department = {p.code for p in all_places().values() if p.department == "San Marcos"}
    assert in_the_department <= {place.code for place in found}
    assert len(in_the_department) == 30


@pytest.mark.parametrize("query", ["QUETZALTENANGO", "quetzaltenango", "Quetzaltenángo", "0901"])
def test_accents_case_and_codes_find_the_same_place(query):
    assert search_places("GT", query)[0].code == "GT-0901"


def test_a_search_keeps_to_the_country_asked():
    assert {place.country for place in search_places("HN", "san")} == {"HN"}
    assert search_places("GT", "") == []


def test_a_dpi_names_the_municipality_where_the_birth_was_registered():
    assert place_of_dpi("2345 67890 1217").code == "GT-1217"
    assert place_of_dpi("2345678901299") is None, "no municipality 99 in San Marcos"
    assert place_of_dpi("12345") is None
