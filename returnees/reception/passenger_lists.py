"""Read the passenger list of an announced flight or bus (CSV or XLSX) into rows and problems.

Every row keeps its raw text, so that staff can correct it; a row without problems also has a
cleaned `Passenger`. A file that cannot be read at all raises `UnreadableList`.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, TypeVar

from flask_babel import lazy_gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from returnees.core.forms import InvalidDate, read_date
from returnees.people.identity import (
    DOCUMENT_RULES,
    DocumentType,
    InvalidValue,
    fold,
    normalise_document,
    normalise_name,
    normalise_phone,
)
from returnees.places.catalogue import read_place

if TYPE_CHECKING:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

PASSENGER_FIELDS = (
    "family_names",
    "given_names",
    "birth_date",
    "sex",
    "nationality",
    "document_type",
    "document_number",
    "phone",
    "unaccompanied",
    "home",
)
REQUIRED_FIELDS = ("family_names", "given_names", "birth_date", "sex", "nationality")
OLDEST_AGE_YEARS = 110
CSV_EXTENSIONS = (".csv", ".txt")
XLSX_EXTENSIONS = (".xlsx",)
ZIP_MAGIC = b"PK\x03\x04"
DELIMITERS = ",;\t"
XLSX_ERRORS = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, OSError)

HEADER_SYNONYMS = {
    "family_names": (
        "family names", "family name", "surname", "surnames", "last name", "last names",
        "apellidos", "apellido",
    ),
    "given_names": (
        "given names", "given name", "first name", "first names", "names", "nombres", "nombre",
    ),
    "birth_date": (
        "birth date", "date of birth", "dob", "fecha de nacimiento", "fecha nacimiento",
        "nacimiento", "f nacimiento",
    ),
    "sex": ("sex", "gender", "sexo", "genero"),
    "nationality": ("nationality", "country", "nacionalidad", "pais"),
    "document_type": (
        "document type", "doc type", "tipo de documento", "tipo documento", "tipo doc",
    ),
    "document_number": (
        "document number", "document", "doc number", "document no", "numero de documento",
        "no de documento", "documento", "numero documento", "no documento", "n documento",
        "num documento", "dpi", "dni", "dui", "pasaporte", "passport",
    ),
    "phone": (
        "phone", "phone number", "mobile", "telephone", "telefono", "celular", "movil",
        "numero de telefono",
    ),
    "unaccompanied": (
        "unaccompanied", "unaccompanied minor", "uam", "uac", "no acompanado",
        "menor no acompanado", "nna no acompanado", "nna",
    ),
    "home": (
        "home", "home municipality", "municipality", "destination", "municipio",
        "municipio de residencia", "municipio de destino", "residencia", "lugar de residencia",
        "destino", "domicilio",
    ),
}  # fmt: skip
HEADERS = {synonym: field for field, synonyms in HEADER_SYNONYMS.items() for synonym in synonyms}

COLUMN_LABELS = {
    "family_names": _("family names"),
    "given_names": _("given names"),
    "birth_date": _("birth date"),
    "sex": _("sex"),
    "nationality": _("nationality"),
}

SEXES = {
    "f": "F", "mujer": "F", "femenino": "F", "female": "F", "woman": "F",
    "m": "M", "hombre": "M", "masculino": "M", "male": "M", "man": "M", "h": "M",
    "x": "X", "otro": "X", "other": "X",
}  # fmt: skip
NATIONALITIES = {
    "gt": "GT", "gtm": "GT", "guatemala": "GT", "guatemalteco": "GT", "guatemalteca": "GT",
    "hn": "HN", "hnd": "HN", "honduras": "HN", "hondureno": "HN", "hondurena": "HN",
    "sv": "SV", "slv": "SV", "el salvador": "SV", "salvador": "SV", "salvadoreno": "SV",
    "salvadorena": "SV",
}  # fmt: skip
NATIONAL_DOCUMENTS = {"GT": DocumentType.DPI, "HN": DocumentType.DNI, "SV": DocumentType.DUI}
DOCUMENT_TYPES = {
    "dpi": DocumentType.DPI, "cui": DocumentType.DPI, "dni": DocumentType.DNI,
    "dui": DocumentType.DUI, "pasaporte": DocumentType.PASSPORT,
    "passport": DocumentType.PASSPORT, "pas": DocumentType.PASSPORT,
}  # fmt: skip
FAMILY_MISSING = _("Write the family names (apellidos).")
GIVEN_MISSING = _("Write the given names (nombres).")
YES = {"si", "s", "yes", "y", "x", "1", "true", "verdadero"}
NO = {"", "no", "n", "0", "false", "falso"}

# Text files have none of these bytes; a file that does is no list, and is never quoted back.
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x19\x1b-\x1f]")
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode text"
FORMULA_TAGS = (b"<f>", b"<f ")
SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?[eE]\+?\d+")
HAS_LETTER = re.compile(r"[^\W\d_]")
PARENTHESES = re.compile(r"\(.*?\)")
T = TypeVar("T")


class UnreadableList(Exception):
    """The whole file cannot be used; `message` (rendered) says why and what to do."""

    def __init__(self, message: object) -> None:
        self.message = str(message)
        super().__init__(self.message)


@dataclass(frozen=True)
class Passenger:
    family_names: str
    given_names: str
    birth_date: date
    sex: str
    nationality: str
    document_type: str | None
    document_number: str | None
    phone: str | None
    is_unaccompanied: bool
    # The code of the place they will live in (the list names it); None: not given.
    home: str | None = None

    def row_key(self) -> str:
        """The same person has the same key in every upload: by document, else by name and birth."""
        if self.document_type and self.document_number:
            return f"doc:{self.document_type}:{self.document_number}"
        return (
            f"name:{fold(self.family_names)}|{fold(self.given_names)}|{self.birth_date.isoformat()}"
        )


@dataclass
class ListRow:
    row_number: int
    values: dict[str, str]
    passenger: Passenger | None
    problems: dict[str, str]


class _Problems(dict[str, str]):
    def check(self, field: str, clean: Callable[[], T]) -> T | None:
        """The cleaned value, or None with the problem recorded under `field` (the first found
        stays: a formula is named as one, not as a bad name or date)."""
        try:
            return clean()
        except InvalidValue as error:
            self.setdefault(field, str(error.message))
            return None


def read_passenger_list(
    filename: str, content: bytes, *, today: date | None = None
) -> list[ListRow]:
    """The list's data rows, each with its spreadsheet row number, raw values and problems."""
    rows = _rows_of(filename, content)
    if not rows:
        raise UnreadableList(_("The file %(filename)s has no rows with text.", filename=filename))
    (header_number, header), data = rows[0], rows[1:]
    columns = _columns(header)
    result = []
    for number, cells in data:
        values = {field: _cell(cells, columns.get(field)) for field in PASSENGER_FIELDS}
        passenger, problems = validate_passenger(values, today=today)
        result.append(ListRow(number, values, passenger, problems))
    if not result:
        raise UnreadableList(
            _("Row %(row)d names the columns, but no passengers follow it.", row=header_number)
        )
    return result


def validate_passenger(
    values: Mapping[str, str], *, today: date | None = None
) -> tuple[Passenger | None, dict[str, str]]:
    """A cleaned passenger and no problems, or None and each problem by field."""
    raw = {field: (values.get(field) or "").strip() for field in PASSENGER_FIELDS}
    problems = _Problems(
        (field, str(_formula_problem(value))) for field, value in raw.items() if value[:1] == "="
    )
    family = problems.check("family_names", lambda: _name(raw["family_names"], FAMILY_MISSING))
    given = problems.check("given_names", lambda: _name(raw["given_names"], GIVEN_MISSING))
    born = problems.check("birth_date", lambda: _birth_date(raw["birth_date"], today))
    sex = problems.check("sex", lambda: _sex(raw["sex"]))
    nationality = problems.check("nationality", lambda: _nationality(raw["nationality"]))
    document = _document(raw, nationality, problems)
    phone = problems.check("phone", lambda: _phone(raw["phone"], nationality))
    alone = problems.check("unaccompanied", lambda: _unaccompanied(raw["unaccompanied"]))
    home = problems.check("home", lambda: read_place(raw["home"], nationality))
    if problems:
        return None, dict(problems)
    passenger = Passenger(
        family, given, born, sex, nationality, *document, phone, alone, home.code if home else None
    )
    return passenger, {}


def _formula_problem(value: str) -> object:
    return _(
        "%(value)s is a spreadsheet formula, not its value: in the spreadsheet, copy the column "
        "and paste it as values, or type the value here.",
        value=value,
    )


def _name(value: str, missing: object) -> str:
    cleaned = normalise_name(value)
    if not cleaned:
        raise InvalidValue(missing)
    return cleaned


def _birth_date(value: str, today: date | None) -> date:
    born = _parse_date(value)
    today = today or date.today()
    if born > today:
        raise InvalidValue(
            _("The birth date %(value)s is in the future; check the year.", value=value)
        )
    if born < _years_before(today, OLDEST_AGE_YEARS):
        raise InvalidValue(
            _(
                "The birth date %(value)s is more than %(years)d years ago; check the year.",
                value=value,
                years=OLDEST_AGE_YEARS,
            )
        )
    return born


def _parse_date(value: str) -> date:
    try:
        return read_date(value)
    except InvalidDate as error:
        raise InvalidValue(error.message) from None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _sex(value: str) -> str:
    if fold(value) in SEXES:
        return SEXES[fold(value)]
    raise InvalidValue(_("Write the sex as F, M or X (mujer, hombre or otro)."))


def _nationality(value: str) -> str:
    if fold(value) in NATIONALITIES:
        return NATIONALITIES[fold(value)]
    if not value:
        raise InvalidValue(_("Write the nationality: GT, HN or SV."))
    raise InvalidValue(
        _(
            "%(value)s is not a nationality this system serves: write GT, HN or SV "
            "(Guatemala, Honduras or El Salvador).",
            value=value,
        )
    )


def _document(
    raw: Mapping[str, str], nationality: str | None, problems: _Problems
) -> tuple[str | None, str | None]:
    kind = problems.check("document_type", lambda: _document_type(raw["document_type"]))
    number = raw["document_number"]
    if "document_type" in problems or not (kind or number) or not (kind or nationality):
        return None, None
    found = problems.check("document_number", lambda: _document_number(kind, number, nationality))
    return found or (None, None)


def _document_type(value: str) -> DocumentType | None:
    if not value:
        return None
    kind = DOCUMENT_TYPES.get(fold(value))
    if kind is None:
        raise InvalidValue(
            _("%(value)s is not a document type: write DPI, DNI, DUI or passport.", value=value)
        )
    return kind


def _document_number(
    kind: DocumentType | None, number: str, nationality: str | None
) -> tuple[str, str]:
    """The type and number; without a type, the nationality's document, else a passport."""
    if not number:
        raise InvalidValue(_("Write the document number, or leave the document type empty."))
    if SCIENTIFIC.fullmatch(number):
        raise InvalidValue(_scientific_problem(number))
    if kind:
        return kind.value, normalise_document(kind, number)
    national = NATIONAL_DOCUMENTS[nationality or ""]
    try:
        return national.value, normalise_document(national, number)
    except InvalidValue:
        if not HAS_LETTER.search(number):
            raise
    try:
        return DocumentType.PASSPORT.value, normalise_document(DocumentType.PASSPORT, number)
    except InvalidValue:
        raise InvalidValue(DOCUMENT_RULES[national]) from None


def _phone(value: str, nationality: str | None) -> str | None:
    if not value:
        return None
    if SCIENTIFIC.fullmatch(value):
        raise InvalidValue(_scientific_problem(value))
    return normalise_phone(value, nationality or "GT")


def _scientific_problem(value: str) -> object:
    return _(
        "%(value)s is a number the spreadsheet shortened: format the column as text, "
        "write the number in full and upload the list again.",
        value=value,
    )


def _unaccompanied(value: str) -> bool:
    folded = fold(value)
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise InvalidValue(
        _(
            "%(value)s does not say whether the person travels unaccompanied: write sí or no.",
            value=value,
        )
    )


def _rows_of(filename: str, content: bytes) -> list[tuple[int, list[str]]]:
    extension = "." + filename.lower().rpartition(".")[2] if "." in filename else ""
    if not filename and not content:
        raise UnreadableList(_("No file was chosen: choose the passenger list (CSV or XLSX)."))
    if extension not in CSV_EXTENSIONS + XLSX_EXTENSIONS:
        raise UnreadableList(
            _(
                "%(filename)s is not a list this system can read: upload a CSV (.csv or .txt) "
                "or Excel (.xlsx) file.",
                filename=filename,
            )
        )
    if not content.strip():
        raise UnreadableList(_("The file %(filename)s is empty.", filename=filename))
    rows: Iterable[tuple[int, list[str]]]
    if content.startswith(ZIP_MAGIC):
        rows = _xlsx_rows(filename, content)
    elif extension in XLSX_EXTENSIONS:
        raise UnreadableList(_not_a_workbook(filename))
    elif not content.startswith(UTF16_MARKS) and CONTROL_BYTES.search(content[:65536]):
        raise UnreadableList(
            _(
                "%(filename)s is not a passenger list in CSV or XLSX: it holds no text. Save the "
                "list as .csv or .xlsx and upload it again.",
                filename=filename,
            )
        )
    else:
        rows = _csv_rows(content)
    return [(number, cells) for number, cells in rows if any(cells)]


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    for number, cells in enumerate(reader, start=1):
        yield number, [cell.strip() for cell in cells]


def _decode(content: bytes) -> str:
    if content.startswith(UTF16_MARKS):
        return content.decode("utf-16", errors="replace")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def _delimiter(text: str) -> str:
    """The sniffed delimiter, unless another one splits the header into more known columns."""
    lines = [line for line in text.splitlines() if line.strip(DELIMITERS + " ")]
    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","
    header = lines[0] if lines else ""
    return max(DELIMITERS, key=lambda each: (_known_columns(header, each), each == sniffed))


def _known_columns(line: str, delimiter: str) -> int:
    cells = next(csv.reader([line], delimiter=delimiter), [])
    return len({_field_of(cell) for cell in cells} - {None})


def _xlsx_rows(filename: str, content: bytes) -> list[tuple[int, list[str]]]:
    """Each cell as the spreadsheet last showed it: a formula's saved value. A formula that was
    never calculated (a file written by a program, not saved from Excel) has no value: its text
    is kept, so that the row names the formula instead of an empty cell."""
    try:
        values = _sheet_rows(content, data_only=True)
        if not _has_formulas(content):
            return values
        formulas = _sheet_rows(content, data_only=False)
    except XLSX_ERRORS as error:
        raise UnreadableList(_not_a_workbook(filename)) from error
    return [
        (
            number,
            [value or _uncalculated(formulas, index, column) for column, value in enumerate(cells)],
        )
        for index, (number, cells) in enumerate(values)
    ]


def _has_formulas(content: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        return any(tag in archive.read(name) for name in sheets for tag in FORMULA_TAGS)


def _uncalculated(formulas: list[tuple[int, list[str]]], row: int, column: int) -> str:
    cells = formulas[row][1]
    text = cells[column] if column < len(cells) else ""
    return text if text.startswith("=") else ""


def _sheet_rows(content: bytes, *, data_only: bool) -> list[tuple[int, list[str]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
        try:
            sheet: ReadOnlyWorksheet = workbook.worksheets[0]
            rows = sheet.iter_rows(min_row=1, values_only=True)
            return [(number, [_text(value) for value in row]) for number, row in enumerate(rows, 1)]
        finally:
            workbook.close()


def _not_a_workbook(filename: str) -> object:
    return _(
        "%(filename)s could not be opened as an Excel workbook: save it again as .xlsx or .csv.",
        filename=filename,
    )


def _text(value: object) -> str:
    """A cell as staff see it: whole numbers without '.0' or exponent, dates as day/month/year."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time | timedelta):
        return str(value)
    return str(value).strip()


def _columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        field = _field_of(name)
        if field:
            columns.setdefault(field, index)
    found = ", ".join(name for name in header if name) or "-"
    if not columns:
        raise UnreadableList(
            _(
                "The first filled row must name the columns (family names, given names, birth "
                "date, sex, nationality...), but none of its cells is a known column name. "
                "Found: %(found)s.",
                found=found,
            )
        )
    missing = [field for field in REQUIRED_FIELDS if field not in columns]
    if missing:
        raise UnreadableList(
            _(
                "The list has no column for %(missing)s. Columns found: %(found)s.",
                missing=_labels(missing),
                found=found,
            )
        )
    return columns


def _field_of(header: str) -> str | None:
    return HEADERS.get(fold(PARENTHESES.sub(" ", header)))


def _labels(fields: Iterable[str]) -> str:
    return ", ".join(str(COLUMN_LABELS[field]) for field in fields)


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index]
