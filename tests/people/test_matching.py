"""Knowing who came back when the records disagree: each error staff make at the desk still
finds the earlier record, and people who only look alike are not shown."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from flask_babel import force_locale

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.people.matching import (
    IdentityProbe,
    MatchRecord,
    find_candidates,
    find_candidates_for_many,
    reasons_in_words,
    score_pair,
)
from returnees.people.models import Returnee
from tests.documents import cui

DPI = cui("23456789", "0101")
EARLIER = {
    "given_names": "José Luis",
    "family_names": "Hernández Pérez",
    "birth_date": date(1990, 5, 4),
    "sex": "M",
}
TODAY = date(2026, 12, 1)  # the clock fixture's


def probe(**changes: object) -> IdentityProbe:
    return IdentityProbe(**(EARLIER | changes))


def found(in_app, person: IdentityProbe) -> dict[int, list[str]]:
    with in_app() as session:
        return {c.returnee.id: c.reasons for c in find_candidates(session, person)}


@pytest.mark.parametrize(
    ("earlier", "typed", "reasons"),
    [
        ({}, {"given_names": "Jose Lius"}, ["similar_name", "birth_date"]),
        ({}, {"family_names": "Hernádez Pérez"}, ["similar_name", "birth_date"]),
        ({}, {"family_names": "Pérez Hernández"}, ["similar_name", "birth_date"]),
        ({}, {"family_names": "Hernández"}, ["similar_name", "birth_date"]),
        ({}, {"birth_date": date(1990, 4, 5)}, ["same_name", "day_month_swapped"]),
        ({}, {"birth_date": date(1990, 5, 7)}, ["same_name", "birth_date_one_digit"]),
        ({}, {"birth_date": date(1980, 5, 4)}, ["same_name", "birth_date_one_digit"]),
        (
            {"birth_date": None, "estimated_age": 35},
            {"on": TODAY},
            ["same_name", "age_close"],
        ),
        ({}, {"birth_date": None, "estimated_age": 38, "on": TODAY}, ["same_name", "age_close"]),
        (
            {"document_type": "DPI", "document_number": DPI},
            {"document_type": "DPI", "document_number": DPI[:3] + "7" + DPI[4:]},
            ["document_one_digit", "same_name", "birth_date"],
        ),
        (
            {"document_type": "DPI", "document_number": DPI, "birth_date": None},
            {"document_type": "DPI", "document_number": DPI[:4] + DPI[5] + DPI[4] + DPI[6:]},
            ["document_swapped_digits", "same_name"],
        ),
        (
            {"phones": ("5555 1234",), "birth_date": None},
            {"given_names": "José", "phones": ("+50255551234",), "birth_date": None},
            ["phone", "similar_name"],
        ),
    ],
    ids=[
        "typo-in-a-given-name",
        "typo-in-a-family-name",
        "family-names-swapped",
        "second-family-name-missing",
        "day-and-month-swapped",
        "one-wrong-digit-in-the-day",
        "one-wrong-digit-in-the-year",
        "earlier-record-with-an-estimated-age",
        "estimated-age-at-the-desk",
        "one-wrong-digit-in-the-document",
        "two-digits-of-the-document-swapped",
        "same-phone-and-a-name-alike",
    ],
)
def test_each_kind_of_error_still_finds_the_earlier_record(
    register, in_app, earlier, typed, reasons
):
    values = EARLIER | earlier
    if values["birth_date"] is None:
        values.pop("birth_date")
    first = register(**values)
    assert found(in_app, probe(**typed)) == {first.returnee_id: reasons}


def test_an_age_estimated_years_ago_is_compared_on_the_day_it_was_estimated(
    register, in_app, clock
):
    first = register(**(EARLIER | {"estimated_age": 30}) | {"birth_date": None})
    with in_app() as session:
        assert session.get(Returnee, first.returnee_id).age_estimated_on == TODAY
    years_later = TODAY + timedelta(days=6 * 365)
    # Born 1990: 36 when the age 30 was estimated, not close to it.
    assert found(in_app, probe(on=years_later)) == {}
    born = date(1996, 5, 4)  # 30 when it was estimated, 36 six years on
    assert found(in_app, probe(birth_date=born, on=years_later)) == {
        first.returnee_id: ["same_name", "age_close"]
    }


@pytest.mark.parametrize(
    ("other", "why"),
    [
        (
            {"given_names": "Marvin", "birth_date": date(1990, 9, 17)},
            "a brother: the same family names and year, another name and day",
        ),
        (
            {"family_names": "García López", "birth_date": date(1990, 5, 4)},
            "the same given names and birth date, other family names",
        ),
        (
            {"birth_date": date(1985, 11, 20)},
            "a common name, another birth date",
        ),
        (
            {"given_names": "María José", "sex": "F"},
            "a twin sister, one given name in common",
        ),
        (
            {"given_names": "Luis Fernando", "family_names": "Hernández López"},
            "one given name and one family name in common",
        ),
        (
            {"birth_date": None, "estimated_age": 20},
            "the same name, an estimated age fifteen years off",
        ),
    ],
    ids=["brother", "other-family-names", "other-birth-date", "sister", "cousin", "far-age"],
)
def test_people_who_only_look_alike_are_not_shown(register, in_app, other, why):
    values = EARLIER | other
    if values["birth_date"] is None:
        values.pop("birth_date")
    register(**values)
    assert found(in_app, probe()) == {}, why


def test_a_familys_shared_phone_does_not_make_a_sister_the_same_person(register, in_app):
    register(**EARLIER, phones=("5555 1234",))
    sister = probe(
        given_names="María José", sex="F", birth_date=date(1993, 8, 21), phones=("+50255551234",)
    )
    assert found(in_app, sister) == {}


def test_the_desk_sees_at_most_five_best_first(register, in_app):
    exact = register(**EARLIER)
    for day in (7, 14, 24, 1, 3, 6):
        register(**EARLIER | {"birth_date": date(1990, 5, day)})
    with in_app() as session:
        candidates = find_candidates(session, probe())
    assert len(candidates) == 5
    assert candidates[0].returnee.id == exact.returnee_id
    weights = [candidate.weight for candidate in candidates]
    assert weights == sorted(weights, reverse=True)


def test_a_passenger_list_is_matched_in_one_go_as_at_the_desk(register, in_app):
    first = register(**EARLIER)
    second = register(given_names="Wendy", family_names="Tzoc Ajú", birth_date=date(2001, 2, 3))
    probes = [
        probe(family_names="Hernández"),
        probe(given_names="Wendy", family_names="Ajú Tzoc", birth_date=date(2001, 3, 2), sex="F"),
        probe(given_names="Nadie", family_names="Conocido", birth_date=date(1970, 1, 1)),
    ]
    with in_app() as session:
        lists = find_candidates_for_many(session, probes)
    assert [[c.returnee.id for c in candidates] for candidates in lists] == [
        [first.returnee_id],
        [second.returnee_id],
        [],
    ]


def test_a_name_changed_on_the_record_is_found_by_its_new_spelling(register, in_app, clock):
    from returnees.reception.services import update_returnee

    first = register(**(EARLIER | {"estimated_age": 36}) | {"birth_date": None})
    with in_app() as session:
        update_returnee(
            session, Actor.system("test"), first.returnee_id, {"family_names": "Chavajay Tum"}
        )
    renamed = probe(family_names="Chavajay Tum")
    assert found(in_app, renamed) == {first.returnee_id: ["same_name", "age_close"]}
    assert found(in_app, probe()) == {}


def test_score_pair_compares_a_probe_with_any_record_by_blind_index(app, in_app, register):
    """The nightly search for people registered twice scores two records as the desk does."""
    first = register(**EARLIER, document_type="DPI", document_number=DPI)
    with in_app() as session:
        record = MatchRecord.of(session.get(Returnee, first.returnee_id))
        twice = IdentityProbe.of(session.get(Returnee, first.returnee_id))
    assert record.document_number_index and DPI not in repr(record)
    score = score_pair(twice, record)
    assert score.reasons == ["document", "same_name", "birth_date"]
    assert score.weight > app.config["MATCH_SHOW_WEIGHT"]
    stranger = probe(given_names="Ana", family_names="Pop", sex="F", birth_date=date(2000, 1, 1))
    assert score_pair(stranger, record).weight < 0


def test_another_national_document_weighs_against_more_than_a_renewed_passport(app):
    """A DPI is one number for life: the same name and birth date with another DPI is still
    shown at the desk, but not proposed to merge; a passport's number changes when renewed."""
    record = MatchRecord(
        1, "Marvin", "Tzoc Chavajay", "M", date(1994, 3, 8),
        document_type="DPI", document_number_index="index-of-one",
    )  # fmt: skip

    def other_number(kind: str) -> float:
        mine = replace(record, document_type=kind)
        return score_pair(
            IdentityProbe.of_record(replace(mine, document_number_index="index-of-another")),
            mine,
        ).weight

    desk, search = app.config["MATCH_SHOW_WEIGHT"], app.config["DUPLICATE_WEIGHT"]
    assert desk < other_number("DPI") < search < other_number("PASSPORT")


def test_reasons_are_said_in_words_in_the_language_of_the_desk(app):
    reasons = ["similar_name", "day_month_swapped"]
    with app.test_request_context():
        assert reasons_in_words(reasons) == "nombre parecido, día y mes invertidos"
        with force_locale("en"):
            assert reasons_in_words(["document"]) == "same document"


def test_the_desk_form_shows_why_an_earlier_record_is_proposed(
    app, demo, make_user, sign_in_as, register, in_app
):
    from tests.reception.test_registration import INTAKE, submit

    register(given_names="María José", family_names="Ajú Tzoc", birth_date=date(1994, 12, 3))
    desk = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    page = submit(desk, **{"document_number": "", "document_type": "", "phones-0-number": ""})
    text = page.get_data(as_text=True)
    assert page.status_code == 409, text
    assert INTAKE["birth_date"] == "1994-03-12"
    assert "mismo nombre, día y mes invertidos" in text
