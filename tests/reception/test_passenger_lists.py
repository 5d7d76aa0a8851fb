"""Reading an announced flight's or bus's passenger list (CSV or XLSX) into rows and problems."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from flask import Flask
from openpyxl import Workbook

from returnees import create_app
from returnees.core.db import EXTENSION as DB
from returnees.reception.passenger_lists import (
    PASSENGER_FIELDS,
    ListRow,
    Passenger,
    UnreadableList,
    read_passenger_list,
    validate_passenger,
)
from tests.documents import dni

TODAY = date(2026, 6, 1)
SPANISH_HEADER = ["Apellidos", "Nombres", "Fecha de nacimiento", "Sexo", "Nacionalidad"]
ENGLISH_HEADER = ["Family names", "Given names", "Date of birth", "Sex", "Nationality"]
ANA = ["Pérez López", "Ana María", "31/12/2008", "F", "SV"]
ENGLISH_NAMES = dict(zip(PASSENGER_FIELDS, ENGLISH_HEADER, strict=False))
SAMPLE = dict(
    zip(PASSENGER_FIELDS, [*ANA, "DUI", "00016297-5", "7012 3456", "sí", "SV-0614"], strict=True)
)
JOSE = ["Hernández", "José", "2001-05-04", "hombre", "Guatemala"]


@pytest.fixture(scope="module")
def flask_app() -> Iterator[Flask]:
    # Messages are asserted in English, the language the rules are written in.
    application = create_app(
        {"RETURNEES_ENV": "test", "DATABASE_URL": "sqlite://", "BABEL_DEFAULT_LOCALE": "en"}
    )
    yield application
    application.extensions[DB].engine.dispose()


@pytest.fixture(autouse=True)
def request_context(flask_app: Flask) -> Iterator[None]:
    """Messages are lazy translations: rendering them needs a request."""
    with flask_app.test_request_context():
        yield


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    return "\r\n".join(delimiter.join(row) for row in rows).encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read(filename: str, content: bytes) -> list[ListRow]:
    return read_passenger_list(filename, content, today=TODAY)


def row(**values: str) -> dict[str, str]:
    """A valid Guatemalan row, with `values` replacing its fields."""
    base = ["Hernández", "José", "04/05/2001", "M", "GT", "", "", "", "", ""]
    return dict(zip(PASSENGER_FIELDS, base, strict=True)) | values


def problems_of(**values: str) -> dict[str, str]:
    passenger, problems = validate_passenger(row(**values), today=TODAY)
    assert passenger is None
    return problems


def cleaned(**values: str) -> Passenger:
    passenger, problems = validate_passenger(row(**values), today=TODAY)
    assert problems == {}
    assert passenger is not None
    return passenger


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        pytest.param(
            "vuelo.csv",
            "\ufeff".encode() + csv_bytes([SPANISH_HEADER, ANA, JOSE]),
            id="utf8-bom-spanish-headers",
        ),
        pytest.param(
            "vuelo.csv", csv_bytes([SPANISH_HEADER, ANA, JOSE], encoding="cp1252"), id="latin-1"
        ),
        pytest.param("vuelo.csv", csv_bytes([SPANISH_HEADER, ANA, JOSE], ";"), id="semicolon"),
        pytest.param("vuelo.txt", csv_bytes([SPANISH_HEADER, ANA, JOSE], "\t"), id="tab"),
        pytest.param("flight.CSV", csv_bytes([ENGLISH_HEADER, ANA, JOSE]), id="english-headers"),
        pytest.param(
            "vuelo.csv",
            csv_bytes(
                [
                    ["No.", *SPANISH_HEADER[:2], "Vuelo", *SPANISH_HEADER[2:], "Observaciones"],
                    ["1", *ANA[:2], "GT-123", *ANA[2:], "llega con su madre"],
                    ["2", *JOSE[:2], "GT-123", *JOSE[2:], ""],
                ]
            ),
            id="extra-columns-ignored",
        ),
        pytest.param("vuelo.xlsx", xlsx_bytes([SPANISH_HEADER, ANA, JOSE]), id="xlsx"),
    ],
)
def test_a_list_is_read_whatever_its_format(filename: str, content: bytes) -> None:
    rows = read(filename, content)
    assert [(each.row_number, each.problems) for each in rows] == [(2, {}), (3, {})]
    ana, jose = (each.passenger for each in rows)
    assert ana == Passenger(
        "Pérez López", "Ana María", date(2008, 12, 31), "F", "SV", None, None, None, False
    )
    assert (jose.family_names, jose.birth_date, jose.sex, jose.nationality) == (
        "Hernández",
        date(2001, 5, 4),
        "M",
        "GT",
    )


def test_a_latin_1_file_keeps_its_accents() -> None:
    content = csv_bytes([SPANISH_HEADER, ["Peña Núñez", "Sofía", "01/01/1990", "F", "HN"]], ";")
    (only,) = read("lista.csv", content.decode().encode("latin-1"))
    assert only.values["family_names"] == "Peña Núñez"
    assert only.passenger.given_names == "Sofía"


def test_a_workbook_named_csv_is_still_read_and_quoted_cells_keep_their_delimiters() -> None:
    (mislabelled,) = read("lista.csv", xlsx_bytes([SPANISH_HEADER, ANA]))
    assert mislabelled.passenger.family_names == "Pérez López"
    quoted = (
        b'Apellidos;Nombres;Fecha de nacimiento;Sexo;Nacionalidad\n"Ruiz; de";Eva;1/1/1990;F;GT\n'
    )
    (only,) = read("lista.csv", quoted)
    assert only.values["family_names"] == "Ruiz; de"
    assert "remove ;" in only.problems["family_names"], "no name is written with a semicolon"


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("APELLIDOS", "family_names"),
        ("Apellido", "family_names"),
        ("Last name", "family_names"),
        ("Surnames", "family_names"),
        ("Nombre", "given_names"),
        ("First names", "given_names"),
        ("Fecha de nacimiento (dd/mm/aaaa)", "birth_date"),
        ("F. Nacimiento", "birth_date"),
        ("DOB", "birth_date"),
        ("Género", "sex"),
        ("Gender", "sex"),
        ("País", "nationality"),
        ("Country", "nationality"),
        ("Tipo de documento", "document_type"),
        ("Doc. type", "document_type"),
        ("No. de documento", "document_number"),
        ("Nº documento", "document_number"),
        ("Pasaporte", "document_number"),
        ("DPI", "document_number"),
        ("Teléfono", "phone"),
        ("Celular", "phone"),
        ("Móvil", "phone"),
        ("Mobile", "phone"),
        ("NNA no acompañado", "unaccompanied"),
        ("Menor no acompañado", "unaccompanied"),
        ("UAC", "unaccompanied"),
    ],
)
def test_column_names_are_matched_in_spanish_or_english(header: str, field: str) -> None:
    fields = list(dict.fromkeys([*ENGLISH_NAMES, field]))
    names = [header if each == field else ENGLISH_NAMES[each] for each in fields]
    (only,) = read("lista.csv", csv_bytes([names, [SAMPLE[each] for each in fields]]))
    assert only.values[field] == SAMPLE[field]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/12/2008", date(2008, 12, 31)),
        ("1/2/2008", date(2008, 2, 1)),
        ("31-12-2008", date(2008, 12, 31)),
        ("31.12.2008", date(2008, 12, 31)),
        ("2008-12-31", date(2008, 12, 31)),
        ("2008-12-31 00:00:00", date(2008, 12, 31)),
        ("31122008", date(2008, 12, 31)),
        (" 04/05/2001 ", date(2001, 5, 4)),
    ],
)
def test_birth_dates_are_day_month_year_or_iso(text: str, expected: date) -> None:
    assert cleaned(birth_date=text).birth_date == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("12/31/2000", "day/month/year", id="us-style-refused"),
        pytest.param("31/12/08", "four digits", id="two-digit-year"),
        pytest.param("31/02/2008", "does not exist", id="no-such-day"),
        pytest.param("31/02/1992", "The date 31/02/1992 does not exist", id="no-31-february"),
        pytest.param("", "day/month/year", id="blank"),
        pytest.param("ayer", "31/12/2008", id="not-a-date"),
        pytest.param("02/06/2026", "future", id="future"),
        pytest.param("31/05/1916", "110 years", id="too-old"),
    ],
)
def test_a_bad_birth_date_is_a_problem_saying_what_to_write(text: str, expected: str) -> None:
    assert expected in problems_of(birth_date=text)["birth_date"]


def test_the_oldest_accepted_birth_date_is_110_years_ago() -> None:
    assert cleaned(birth_date="01/06/1916").birth_date == date(1916, 6, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("F", "F"),
        ("m", "M"),
        ("X", "X"),
        ("Mujer", "F"),
        ("femenino", "F"),
        ("Female", "F"),
        ("woman", "F"),
        ("HOMBRE", "M"),
        ("masculino", "M"),
        ("male", "M"),
        ("man", "M"),
        ("H", "M"),
        ("otro", "X"),
        ("other", "X"),
    ],
)
def test_sex_is_read_in_spanish_or_english(text: str, expected: str) -> None:
    assert cleaned(sex=text).sex == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GT", "GT"),
        ("gtm", "GT"),
        ("Guatemala", "GT"),
        ("guatemalteca", "GT"),
        ("Guatemalteco", "GT"),
        ("HN", "HN"),
        ("HND", "HN"),
        ("Honduras", "HN"),
        ("hondureño", "HN"),
        ("Hondureña", "HN"),
        ("SV", "SV"),
        ("SLV", "SV"),
        ("El Salvador", "SV"),
        ("salvador", "SV"),
        ("Salvadoreño", "SV"),
        ("salvadoreña", "SV"),
    ],
)
def test_nationality_is_one_of_the_three_countries(text: str, expected: str) -> None:
    assert cleaned(nationality=text).nationality == expected


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("sex", "?", "F, M or X"),
        ("sex", "", "F, M or X"),
        ("nationality", "México", "GT, HN or SV"),
        ("nationality", "", "GT, HN or SV"),
        ("family_names", "  ", "family names"),
        ("given_names", "", "given names"),
        ("unaccompanied", "quizás", "sí or no"),
        ("phone", "1234", "not a valid number"),
        ("phone", "teléfono", "not a phone number"),
    ],
)
def test_a_bad_value_is_a_problem_under_its_field(field: str, text: str, expected: str) -> None:
    problems = problems_of(**{field: text})
    assert set(problems) == {field}
    assert expected in problems[field]


@pytest.mark.parametrize(
    ("nationality", "kind", "number", "expected"),
    [
        pytest.param("GT", "", "1234567890101", ("DPI", "1234567890101"), id="gt-13-digits-dpi"),
        pytest.param("GT", "", "1234 56789 0101", ("DPI", "1234567890101"), id="gt-spaced"),
        pytest.param("GT", "CUI", "1234567890101", ("DPI", "1234567890101"), id="cui-is-dpi"),
        pytest.param("HN", "", "0801-1990-12345", ("DNI", "0801199012345"), id="hn-dni"),
        pytest.param("SV", "", "00016297-5", ("DUI", "000162975"), id="sv-dui"),
        pytest.param("SV", "dui", "000162975", ("DUI", "000162975"), id="sv-dui-typed"),
        pytest.param("GT", "", "A1234567", ("PASSPORT", "A1234567"), id="letters-passport"),
        pytest.param("HN", "Pasaporte", "1234567", ("PASSPORT", "1234567"), id="pasaporte"),
        pytest.param("SV", "PAS", "b1234567", ("PASSPORT", "B1234567"), id="pas"),
        pytest.param("GT", "passport", "G123456", ("PASSPORT", "G123456"), id="passport"),
        pytest.param("GT", "", "", (None, None), id="no-document"),
    ],
)
def test_a_document_is_normalised_and_its_type_inferred(
    nationality: str, kind: str, number: str, expected: tuple[str | None, str | None]
) -> None:
    passenger = cleaned(nationality=nationality, document_type=kind, document_number=number)
    assert (passenger.document_type, passenger.document_number) == expected


@pytest.mark.parametrize(
    ("nationality", "kind", "number", "field", "expected"),
    [
        pytest.param(
            "SV", "", "00016297-4", "document_number", "last digit should be 5", id="dui-check"
        ),
        pytest.param(
            "SV", "DUI", "00016297-4", "document_number", "check digit", id="dui-typed-check"
        ),
        pytest.param("GT", "", "12345", "document_number", "DPI/CUI has 13 digits", id="gt"),
        pytest.param("HN", "", "12-34", "document_number", "Honduran DNI has 13", id="hn"),
        pytest.param("GT", "", "A1", "document_number", "DPI/CUI has 13 digits", id="short"),
        pytest.param("GT", "DPI", "A1234567", "document_number", "13 digits", id="typed-dpi"),
        pytest.param("GT", "DPI", "", "document_number", "document number", id="type-only"),
        pytest.param("GT", "licencia", "123", "document_type", "DPI, DNI, DUI", id="bad-type"),
        pytest.param("GT", "", "1.23457E+12", "document_number", "shortened", id="exponent"),
    ],
)
def test_a_bad_document_is_a_problem_naming_the_rule(
    nationality: str, kind: str, number: str, field: str, expected: str
) -> None:
    problems = problems_of(nationality=nationality, document_type=kind, document_number=number)
    assert set(problems) == {field}
    assert expected in problems[field]


@pytest.mark.parametrize(
    ("nationality", "phone", "expected"),
    [
        ("GT", "5555 1234", "+50255551234"),
        ("HN", "9988 7766", "+50499887766"),
        ("SV", "7012 3456", "+50370123456"),
        ("GT", "+504 9988 7766", "+50499887766"),
        ("GT", "", None),
    ],
)
def test_a_phone_is_read_in_the_passengers_country(
    nationality: str, phone: str, expected: str | None
) -> None:
    assert cleaned(nationality=nationality, phone=phone).phone == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sí", True),
        ("SI", True),
        ("s", True),
        ("Yes", True),
        ("y", True),
        ("x", True),
        ("1", True),
        ("TRUE", True),
        ("verdadero", True),
        ("", False),
        ("no", False),
        ("N", False),
        ("0", False),
        ("FALSE", False),
    ],
)
def test_unaccompanied_is_a_yes_or_no(text: str, expected: bool) -> None:
    assert cleaned(unaccompanied=text).is_unaccompanied is expected


def test_an_xlsx_list_reads_date_and_number_cells() -> None:
    content = xlsx_bytes(
        [
            [*SPANISH_HEADER, "DPI", "Celular", "NNA"],
            ["Hernández", "José", datetime(2001, 5, 4), "M", "GT", 1234567890101, 55551234.0, "no"],
            [None, None, None, None, None, None, None, None],
            ["Peña", "Luz", date(2012, 3, 9), "F", "HN", 801201212345.0, 99887766, True],
        ]
    )
    jose, luz = read("lista.xlsx", content)
    assert jose.values == {
        "family_names": "Hernández",
        "given_names": "José",
        "birth_date": "04/05/2001",
        "sex": "M",
        "nationality": "GT",
        "document_type": "",
        "document_number": "1234567890101",
        "phone": "55551234",
        "unaccompanied": "no",
        "home": "",
    }
    assert jose.passenger == Passenger(
        "Hernández", "José", date(2001, 5, 4), "M", "GT", "DPI", "1234567890101", "+50255551234",
        False,
    )  # fmt: skip
    assert luz.row_number == 4
    assert luz.values["document_number"] == "801201212345"
    assert luz.problems == {"document_number": "A Honduran DNI has 13 digits."}
    assert (luz.values["phone"], luz.values["unaccompanied"]) == ("99887766", "TRUE")


def test_empty_rows_are_skipped_and_rows_keep_their_spreadsheet_numbers() -> None:
    content = csv_bytes(
        [[], [";;;;"], SPANISH_HEADER, ANA, [], ["", "", "", "", ""], JOSE, ["", "Sin apellido"]],
    ).replace(b";;;;", b",,,,")
    rows = read("lista.csv", content)
    assert [each.row_number for each in rows] == [4, 7, 8]
    assert [bool(each.passenger) for each in rows] == [True, True, False]
    assert rows[2].values["given_names"] == "Sin apellido"
    assert set(rows[2].problems) == set(PASSENGER_FIELDS[:5]) - {"given_names"}


def test_problems_are_keyed_by_field_and_raw_values_kept_for_correction() -> None:
    content = csv_bytes([SPANISH_HEADER, ["Ruiz", "Eva", "12/31/2000", "mujer", "Mexico"]])
    (only,) = read("lista.csv", content)
    assert only.passenger is None
    assert set(only.problems) == {"birth_date", "nationality"}
    assert only.values["birth_date"] == "12/31/2000"
    assert "this system serves" in only.problems["nationality"]
    assert all(isinstance(message, str) for message in only.problems.values())


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        pytest.param(
            "lista.csv",
            csv_bytes([["Apellidos", "Nombres", "Sexo", "País", "Vuelo"], ["Ruiz", "Eva", "F"]]),
            ["no column for birth date", "Apellidos, Nombres, Sexo, País, Vuelo"],
            id="missing-required-column",
        ),
        pytest.param(
            "lista.xlsx",
            xlsx_bytes([["Apellidos", "Nombres"], ["Ruiz", "Eva"]]),
            ["birth date, sex, nationality"],
            id="xlsx-missing-columns",
        ),
        pytest.param("lista.pdf", b"%PDF-1.4", ["lista.pdf", ".csv", ".xlsx"], id="pdf-refused"),
        pytest.param("lista.xls", b"\xd0\xcf\x11\xe0", [".xlsx"], id="old-excel-refused"),
        pytest.param("lista", b"a,b", [".csv"], id="no-extension"),
        pytest.param("lista.xlsx", b"not a zip", ["Excel workbook"], id="not-a-workbook"),
        pytest.param("lista.csv", b"", ["empty"], id="empty"),
        pytest.param("lista.csv", b"\r\n,,,\r\n", ["no rows"], id="only-empty-rows"),
        pytest.param(
            "lista.csv",
            csv_bytes([["Vuelo GT-123", "19/05/2026"], SPANISH_HEADER]),
            ["none of its cells", "Vuelo GT-123"],
            id="no-header-row",
        ),
        pytest.param("lista.csv", csv_bytes([SPANISH_HEADER]), ["no passengers"], id="header-only"),
    ],
)
def test_an_unusable_file_is_refused_saying_why(
    filename: str, content: bytes, expected: list[str]
) -> None:
    with pytest.raises(UnreadableList) as refused:
        read(filename, content)
    assert isinstance(refused.value.message, str)
    for text in expected:
        assert text in refused.value.message


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            ["Pérez", "Ana", "31/12/2008", "F", "SV", "DUI", "00016297-5"],
            ["PEREZ", "ANA", "2008-12-31", "mujer", "El Salvador", "", "000162975"],
            id="by-document",
        ),
        pytest.param(
            ["Hernández  Pérez", "José Luis", "04/05/2001", "M", "GT", "", ""],
            ["HERNANDEZ PEREZ", "jose luis", "4.5.2001", "hombre", "guatemalteco", "", ""],
            id="by-name-and-birth-date",
        ),
    ],
)
def test_the_same_person_has_the_same_row_key_in_two_uploads(
    first: list[str], second: list[str]
) -> None:
    header = [*SPANISH_HEADER, "Tipo de documento", "Número de documento"]
    (monday,) = read("lunes.csv", csv_bytes([header, first], ";"))
    (tuesday,) = read("martes.xlsx", xlsx_bytes([header, second]))
    assert monday.passenger.row_key() == tuesday.passenger.row_key()


def test_row_keys_name_the_document_or_the_name_and_birth_date() -> None:
    with_document = cleaned(document_number="00016297-5", nationality="SV")
    assert with_document.row_key() == "doc:DUI:000162975"
    assert cleaned(family_names="Hernández-Pérez").row_key() == (
        "name:hernandez perez|jose|2001-05-04"
    )


def test_a_list_of_twenty_with_two_bad_rows_gives_eighteen_passengers() -> None:
    people = [
        [
            f"Apellido{n}",
            f"Nombre{n}",
            f"{n:02d}/01/2000",
            "F",
            "HN",
            "",
            dni(year=2000, serial=f"{n:05d}"),
        ]
        for n in range(1, 21)
    ]
    people[4][2] = "01/13/2000"
    people[11][4] = "Nicaragua"
    header = [*SPANISH_HEADER, "Tipo doc", "DNI"]
    rows = read("lista.csv", csv_bytes([header, *people]))
    assert len(rows) == 20
    assert len([each for each in rows if each.passenger]) == 18
    assert [(each.row_number, set(each.problems)) for each in rows if each.problems] == [
        (6, {"birth_date"}),
        (13, {"nationality"}),
    ]
    assert len({each.passenger.row_key() for each in rows if each.passenger}) == 18


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("San Marcos, San Marcos", "GT-1201"),
        ("Ayutla", "GT-1217"),
        ("GT-0901", "GT-0901"),
        ("quetzaltenango, QUETZALTENANGO", "GT-0901"),
        ("", None),
        ("desconocido", None),
    ],
)
def test_the_home_column_names_a_municipality_of_the_persons_country(text, code) -> None:
    assert cleaned(home=text).home == code


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Ciudad Gótica", "No municipality matches"),
        ("San Pedro Sula", "No municipality matches"),  # of Honduras, not of Guatemala
        ("HN-0501", "is not in the person's country"),
    ],
)
def test_a_home_that_is_not_one_place_of_the_country_is_a_problem_of_the_row(text, problem):
    passenger, problems = validate_passenger(row(home=text), today=TODAY)
    assert passenger is None and problem in problems["home"]


def test_a_home_column_is_read_by_its_spanish_name() -> None:
    content = (
        "Apellidos;Nombres;Fecha de nacimiento;Sexo;Nacionalidad;Municipio\n"
        "Pérez;Ana;01/02/1990;F;GT;San Marcos, San Marcos\n"
    ).encode()
    [ana] = read("lista.csv", content)
    assert ana.passenger.home == "GT-1201"


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        pytest.param("family_names", "@SUM(1+1)", "cannot begin with @", id="at-formula"),
        pytest.param("family_names", "=1+1", "spreadsheet formula", id="equals-formula"),
        pytest.param("given_names", "+Ana", "cannot begin with +", id="plus"),
        pytest.param("given_names", "-Ana", "cannot begin with -", id="minus"),
        pytest.param("family_names", "Pérez <b>", "remove < >", id="markup"),
        pytest.param("given_names", "Ana;José", "remove ;", id="semicolon"),
        pytest.param("birth_date", "=DATE(1990,1,1)", "spreadsheet formula", id="formula-date"),
    ],
)
def test_a_formula_or_a_character_no_name_has_is_refused_under_its_field(
    field: str, text: str, expected: str
) -> None:
    problems = problems_of(**{field: text})
    assert set(problems) == {field}
    assert expected in problems[field]


@pytest.mark.parametrize(
    "name", ["Ruiz-Tagle", "O'Connor", "Nuñez Ávila", "Mª José", "N\u2019Diaye", "Ma. Luisa"]
)
def test_names_keep_their_hyphens_apostrophes_and_accents(name: str) -> None:
    assert cleaned(family_names=name).family_names == name


def formula_workbook(cached: str | None) -> bytes:
    """A list whose family name is a formula; `cached` is the value Excel saved with it (a file
    written by a program has none)."""
    content = xlsx_bytes([SPANISH_HEADER, ['=CONCATENATE("Pé","rez")', *ANA[1:]]])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = {item.filename: archive.read(item.filename) for item in archive.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    if cached is not None:
        sheet = re.sub(
            r'<c r="A2"[^>]*><f>(.*?)</f><v\s*/>',
            rf'<c r="A2" t="str"><f>\1</f><v>{cached}</v>',
            sheet,
        )
        assert cached in sheet
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_formula_cell_is_read_as_the_value_excel_saved() -> None:
    (ana,) = read("lista.xlsx", formula_workbook(cached="Pérez"))
    assert ana.passenger.family_names == "Pérez"


def test_a_formula_never_calculated_is_named_not_read_as_an_empty_cell() -> None:
    (ana,) = read("lista.xlsx", formula_workbook(cached=None))
    assert ana.values["family_names"] == '=CONCATENATE("Pé","rez")'
    assert "spreadsheet formula" in ana.problems["family_names"]


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        pytest.param("lista.csv", bytes(range(256)) * 8, id="bytes"),
        pytest.param(
            "foto.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00\x10" * 40, id="png"
        ),
    ],
)
def test_a_binary_file_is_refused_without_quoting_its_content(
    filename: str, content: bytes
) -> None:
    with pytest.raises(UnreadableList) as refused:
        read(filename, content)
    message = refused.value.message
    assert "is not a passenger list in CSV or XLSX" in message and filename in message
    assert message.isprintable() and "PNG" not in message and "IHDR" not in message


def test_no_file_chosen_is_said_so() -> None:
    with pytest.raises(UnreadableList) as refused:
        read("", b"")
    assert refused.value.message.startswith("No file was chosen")


def test_a_utf16_list_saved_by_excel_as_unicode_text_is_read() -> None:
    content = "\ufeff".encode("utf-16-le").join(
        [b"", csv_bytes([SPANISH_HEADER, ANA], "\t", "utf-16-le")]
    )
    (ana,) = read("lista.txt", content)
    assert ana.passenger.family_names == "Pérez López"
