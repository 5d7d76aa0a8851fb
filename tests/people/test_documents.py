"""Identity documents are checked at the door: a mistyped DPI/CUI or DNI never reaches the
registry, where it would hide an earlier record."""

from __future__ import annotations

import pytest

from bench.generator import Generator
from returnees.people.identity import (
    DocumentType,
    InvalidValue,
    cui_check_digit,
    normalise_document,
)
from tests.documents import cui, dni


def test_a_cui_check_digit_is_its_first_eight_digits_weighted_2_to_9_modulo_11():
    # 1*2 + 2*3 + 3*4 + 4*5 + 5*6 + 6*7 + 7*8 + 8*9 = 240 = 21 * 11 + 9
    assert cui_check_digit("12345678") == 9
    assert normalise_document("DPI", "1234 56789 0101") == "1234567890101"


def test_eight_digits_leaving_a_remainder_of_ten_begin_no_cui():
    # 1*2 + 7*9 = 65 = 5 * 11 + 10
    assert cui_check_digit("10000007") is None
    with pytest.raises(InvalidValue, match="first eight digits"):
        normalise_document("DPI", "1000000700101")


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("2345 67890 0101", "9th digit should be 9"),
        ("2346 67899 0101", "9th digit should be"),
        ("2354 67899 0101", "9th digit should be"),
    ],
    ids=["wrong-check-digit", "one-digit-mistyped", "two-digits-swapped"],
)
def test_a_mistyped_cui_is_refused_naming_the_check_digit(typed, why):
    assert normalise_document("DPI", "2345 67899 0101") == cui("23456789", "0101")
    with pytest.raises(InvalidValue, match=why):
        normalise_document("DPI", typed)


def test_a_cui_ends_with_a_real_department_and_municipality():
    assert normalise_document("DPI", cui("23456789", "1217")) == "2345678991217"
    # No department 23; San Marcos (12) has 30 municipalities, Guatemala (01) 17.
    for place in ("0000", "2301", "1299", "0118"):
        with pytest.raises(InvalidValue, match=f"{place} is not one"):
            normalise_document("DPI", cui("23456789", place))


def test_a_dni_begins_with_a_real_department_and_municipality():
    assert normalise_document("DNI", "0801-1990-12345") == dni("0801", 1990, "12345")
    # Honduras has 18 departments; Francisco Morazán (08) 28 municipalities.
    for place in ("0000", "1901", "0829"):
        with pytest.raises(InvalidValue, match=f"{place} is not one"):
            normalise_document("DNI", dni(place))


def test_the_bench_makes_documents_the_desk_accepts():
    generator = Generator(seed=7)
    people = [generator.person() for _ in range(500)]
    documents = [(p.document_type, p.document_number) for p in people if p.document_number]
    assert {kind for kind, _number in documents} == {"DPI", "DNI", "DUI"}
    for kind, number in documents:
        assert normalise_document(DocumentType(kind), number) == number
