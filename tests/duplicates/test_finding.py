"""The nightly search: pairs of one country's records that are likely one person, for the kinds
of error a person registered twice shows, and none for near-misses that are different people;
a run repeated finds what it found, and a pair decided "different" is never proposed again."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from returnees.auth.access import Actor
from returnees.core.scheduler import periodic_jobs
from returnees.duplicates.jobs import find_duplicates
from returnees.duplicates.merging import merge_returnees
from returnees.duplicates.services import decide_different, pairs_to_review
from tests.conftest import load_migration


def cui(first_eight: str, place: str = "0101") -> str:
    """A Guatemalan CUI with a right check digit (first eight weighted 2 to 9, modulo 11)."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_eight, range(2, 10), strict=True)
    )
    assert total % 11 < 10, "choose other digits: this check digit would be 10"
    return f"{first_eight}{total % 11}{place}"


def person(**fields):
    return {
        "given_names": "Marvin Estuardo",
        "family_names": "Tzoc Chavajay",
        "birth_date": date(1994, 3, 8),
        "estimated_age": None,
        "sex": "M",
    } | fields


FOUND = {
    "the same document, names spelt otherwise": (
        person(document_type="DPI", document_number=cui("12345678")),
        person(
            given_names="Marbin", family_names="Tzok", birth_date=None, estimated_age=32,
            document_type="DPI", document_number=cui("12345678"),
        ),
        "document",
    ),
    "the same name and birth date": (person(), person(), "birth_date"),
    "accents and a sound-alike spelling": (
        person(given_names="José Ángel"), person(given_names="Jose Angel"), "birth_date"
    ),
    "family names swapped": (
        person(), person(family_names="Chavajay Tzoc"), "birth_date"
    ),
    "the second family name missing": (
        person(), person(family_names="Tzoc"), "similar_name"
    ),
    "day and month swapped": (
        person(), person(birth_date=date(1994, 8, 3)), "day_month_swapped"
    ),
    "day and month swapped, family names too": (
        person(), person(family_names="Chavajay Tzoc", birth_date=date(1994, 8, 3)),
        "day_month_swapped",
    ),
    "a single family name spelt as it sounds": (
        person(family_names="Vásquez"), person(family_names="Basques"), "same_name"
    ),
    "one digit of the date wrong, the same phone": (
        person(phones=("+50255550180",)),
        person(birth_date=date(1994, 3, 9), phones=("+50255550180",)),
        "birth_date_one_digit",
    ),
}  # fmt: skip

NOT_FOUND = {
    "twins: same birth date and family, other given names": (
        person(), person(given_names="Selvin Alexander")
    ),
    "siblings on one family phone": (
        person(phones=("+50255550190",)),
        person(given_names="Wilmer", birth_date=date(1999, 11, 2), phones=("+50255550190",)),
    ),
    "a common name, another birth date": (person(), person(birth_date=date(1987, 6, 21))),
    "a given and a family name in common, the others different": (
        person(given_names="José Luis", family_names="López Pérez"),
        person(given_names="José Antonio", family_names="López García"),
    ),
    "the same name and date, other documents": (
        person(document_type="DPI", document_number=cui("12345678")),
        person(document_type="DPI", document_number=cui("23456789")),
    ),
    "the same name and date, another sex": (
        person(given_names="Santos", sex="M"), person(given_names="Santos", sex="F")
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", FOUND)
def test_a_person_registered_twice_is_proposed(register, search, kind):
    first, second, reason = FOUND[kind]
    ids = (register(**first).returnee_id, register(**second).returnee_id)
    pairs = search()
    assert [(a, b, status) for a, b, status, _w, _r in pairs] == [(*ids, "pending")], pairs
    assert reason in pairs[0][4]


@pytest.mark.parametrize("kind", NOT_FOUND)
def test_near_misses_that_are_different_people_are_not_proposed(register, search, kind):
    first, second = NOT_FOUND[kind]
    register(**first)
    register(**second)
    assert search() == []


def test_a_record_of_another_country_is_never_paired_with_this_one(register, search):
    register(**person())
    register(**person(), centre="HN-SPS", nationality="HN")
    assert search("GT") == [] and search("HN") == []


def test_a_run_repeated_finds_what_it_found_and_adds_nothing(register, search, in_app):
    register(**person())
    register(**person())
    first_run = search()
    with in_app() as session:
        assert find_duplicates(session) == {"GT": 1, "HN": 0, "SV": 0}
    assert search() == first_run


def test_a_pair_decided_different_is_never_proposed_again(register, search, in_app, supervisor):
    register(**person())
    register(**person())
    pair_id = None
    search()
    actor = Actor.for_user(supervisor)
    with in_app() as session:
        pair_id = pairs_to_review(session, actor)[0].id
        decide_different(session, actor, pair_id)
    assert [status for *_ids, status, _w, _r in search()] == ["different"]
    with in_app() as session:
        assert pairs_to_review(session, actor) == []


def test_a_pending_pair_whose_record_was_merged_since_is_withdrawn(
    register, search, in_app, supervisor
):
    first = register(**person()).returnee_id
    second = register(**person()).returnee_id
    third = register(**person()).returnee_id
    assert len(search()) == 3
    with in_app() as session:
        merge_returnees(session, Actor.for_user(supervisor), third, first)
    statuses = sorted((a, b, status) for a, b, status, _w, _r in search())
    assert statuses == [(first, second, "pending"), (first, third, "same")]


def test_the_search_is_one_of_the_workers_periodic_jobs(app):
    assert "find-duplicates" in {job.id for job in periodic_jobs(app)}


def test_the_people_already_held_get_the_keys_of_their_family_names(in_app, register):
    register(family_names="Hernández de Pérez")
    with in_app() as session:
        session.execute(text("UPDATE returnees SET family_key = NULL, second_family_key = NULL"))
        assert load_migration("0047_merging").fill_family_keys(session.connection()) == 1
        keys = session.execute(text("SELECT family_key, second_family_key FROM returnees")).one()
    assert tuple(keys) == ("ernandes", "peres")
