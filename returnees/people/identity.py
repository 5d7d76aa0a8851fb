"""Rules for what identifies a person: documents by type, phones in E.164, comparable names."""

from __future__ import annotations

import enum
import re
import unicodedata
from functools import lru_cache

import phonenumbers
from flask_babel import lazy_gettext as _


class DocumentType(enum.StrEnum):
    DPI = "DPI"  # Guatemala: Documento Personal de Identificación (CUI), 13 digits
    DNI = "DNI"  # Honduras: Documento Nacional de Identificación, 13 digits
    DUI = "DUI"  # El Salvador: Documento Único de Identidad, 8 digits and a check digit
    PASSPORT = "PASSPORT"


DOCUMENT_RULES = {
    DocumentType.DPI: _("A Guatemalan DPI/CUI has 13 digits."),
    DocumentType.DNI: _("A Honduran DNI has 13 digits."),
    DocumentType.DUI: _("A Salvadoran DUI has 9 digits, the last one a check digit."),
    DocumentType.PASSPORT: _("A passport number has 5 to 20 letters and digits."),
}
SEPARATORS = re.compile(r"[\s\-./]")
# A spreadsheet runs a cell that begins with one of these as a formula (CSV injection).
FORMULA_SIGNS = "=+-@"
# Besides letters and their accents: what names are written with (Mc'Donald, Ruiz-Tagle, Ma.).
NAME_PUNCTUATION = " '\u2019-."


class InvalidValue(ValueError):
    """A value that breaks a rule; the message names the rule."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


def normalise_name(value: str) -> str:
    """A name as stored, its spaces collapsed; "" when none was written.

    Refuses what a spreadsheet would run as a formula when the name is exported, and characters
    no name is written with.
    """
    cleaned = " ".join((value or "").split())
    if cleaned[:1] in tuple(FORMULA_SIGNS):
        raise InvalidValue(
            _(
                "A name cannot begin with %(sign)s: write the name as it is on the document.",
                sign=cleaned[0],
            )
        )
    strange = sorted({char for char in cleaned if not _is_name_character(char)})
    if strange:
        raise InvalidValue(
            _(
                "A name is written with letters, spaces, hyphens and apostrophes: remove "
                "%(found)s.",
                found=" ".join(strange),
            )
        )
    return cleaned


def _is_name_character(char: str) -> bool:
    return char in NAME_PUNCTUATION or unicodedata.category(char)[0] in "LMN"


def normalise_document(kind: DocumentType | str, number: str) -> str:
    """The document number as stored, or InvalidValue naming the rule it breaks."""
    kind = DocumentType(kind)
    value = SEPARATORS.sub("", number or "").upper()
    if kind in (DocumentType.DPI, DocumentType.DNI):
        valid = value.isdigit() and len(value) == 13
        if valid:
            check_issued_number(kind, value)
    elif kind is DocumentType.DUI:
        valid = value.isdigit() and len(value) == 9
        if valid and dui_check_digit(value[:8]) != int(value[8]):
            raise InvalidValue(
                _(
                    "This DUI's check digit is wrong: the last digit should be %(digit)s.",
                    digit=dui_check_digit(value[:8]),
                )
            )
    else:
        valid = value.isalnum() and 5 <= len(value) <= 20
    if not valid:
        raise InvalidValue(DOCUMENT_RULES[kind])
    return value


def dui_check_digit(first_eight: str) -> int:
    """El Salvador's DUI verifier: weights 9 to 2, then 10 minus the sum modulo 10."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_eight, range(9, 1, -1), strict=True)
    )
    return (10 - total % 10) % 10


def cui_check_digit(first_eight: str) -> int | None:
    """Guatemala's DPI/CUI verifier, its 9th digit: the first eight digits weighted 2 to 9,
    summed, modulo 11. None for a remainder of 10: no CUI is issued with those eight digits."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_eight, range(2, 10), strict=True)
    )
    return None if total % 11 == 10 else total % 11


def check_issued_number(kind: DocumentType, value: str) -> None:
    """Refuse a DPI/CUI whose check digit or place of registration is wrong, and a DNI whose
    place is: most mistyped documents stop here instead of reaching the registry."""
    if kind is DocumentType.DNI:
        if not _is_municipality("HN", value[:4]):
            raise InvalidValue(
                _(
                    "A Honduran DNI begins with the department and municipality where the birth "
                    "was registered: %(code)s is not one. Check the first four digits.",
                    code=value[:4],
                )
            )
        return
    digit = cui_check_digit(value[:8])
    if digit is None:
        raise InvalidValue(
            _("This DPI/CUI cannot be right: check its first eight digits against the document.")
        )
    if digit != int(value[8]):
        raise InvalidValue(
            _(
                "This DPI/CUI's check digit is wrong: the 9th digit should be %(digit)s.",
                digit=digit,
            )
        )
    if not _is_municipality("GT", value[9:]):
        raise InvalidValue(
            _(
                "A DPI/CUI ends with the department and municipality where the birth was "
                "registered: %(code)s is not one. Check the last four digits.",
                code=value[9:],
            )
        )


def _is_municipality(country: str, code: str) -> bool:
    # places imports this module: read the catalogue when first asked, not at import.
    from returnees.places.catalogue import find_place

    return find_place(f"{country}-{code}") is not None


def format_document(kind: DocumentType | str, value: str) -> str:
    kind = DocumentType(kind)
    if kind is DocumentType.DUI and len(value) == 9:
        return f"{value[:8]}-{value[8]}"
    if kind is DocumentType.DPI and len(value) == 13:
        return f"{value[:4]} {value[4:9]} {value[9:]}"
    if kind is DocumentType.DNI and len(value) == 13:
        return f"{value[:4]}-{value[4:8]}-{value[8:]}"
    return value


def normalise_phone(number: str, default_country: str) -> str:
    """The number in E.164, read as a number of `default_country` when it has no + prefix."""
    text = (number or "").strip().removeprefix("whatsapp:")
    try:
        parsed = phonenumbers.parse(text, default_country)
    except phonenumbers.NumberParseException as error:
        raise InvalidValue(_("%(number)s is not a phone number.", number=number)) from error
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidValue(
            _(
                "%(number)s is not a valid number (Guatemala, Honduras and El Salvador have 8 "
                "digits; give the country code for other countries).",
                number=number,
            )
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def country_of_phone(e164: str) -> str | None:
    """'GT', 'HN' or 'SV' by a number's calling code (+502, +504, +503); None for another."""
    try:
        code = phonenumbers.parse(e164).country_code
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_country_code(code)
    return region if region in ("GT", "HN", "SV") else None


def format_phone(e164: str) -> str:
    """'+502 5555 1234'; an erased number (empty) stays empty."""
    if not e164:
        return ""
    parsed = phonenumbers.parse(e164)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# Spellings that sound alike in Central American Spanish are folded together before comparing.
_SOUND_ALIKE = (
    (re.compile(r"ll"), "y"),
    (re.compile(r"v"), "b"),
    (re.compile(r"z|c(?=[ei])"), "s"),
    (re.compile(r"qu"), "k"),
    (re.compile(r"c"), "k"),
    (re.compile(r"g(?=[ei])"), "j"),
    (re.compile(r"(?<![cs])h"), ""),
    (re.compile(r"i"), "y"),
    (re.compile(r"(.)\1"), r"\1"),
)
PARTICLES = {"de", "del", "la", "las", "los", "y", "e", "van", "da"}


def fold(text: str) -> str:
    """Lower case, no accents or punctuation: 'José Hernández-Pérez' -> 'jose hernandez perez'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^a-z0-9ñ ]+", " ", plain.lower().replace("ñ", "n")).split())


@lru_cache(maxsize=65536)
def name_tokens(text: str) -> tuple[str, ...]:
    return tuple(token for token in fold(text).split() if token not in PARTICLES)


@lru_cache(maxsize=65536)
def sound_key(token: str) -> str:
    for pattern, replacement in _SOUND_ALIKE:
        token = pattern.sub(replacement, token)
    return token


KEY_LENGTH = 40


def family_keys(family_names: str) -> tuple[str | None, str | None]:
    """The sound keys of the first two family names, particles aside: "Hernández de Pérez" ->
    ("ernandes", "peres"). A person registered twice keeps at least one of them, whatever
    the spelling, order or a missing second name."""
    keys = [sound_key(token)[:KEY_LENGTH] for token in name_tokens(family_names)][:2]
    return (*keys, None, None)[0], (*keys, None, None)[1]


def match_keys(
    given_names: str, family_names: str, birth_year: int | None, estimated: bool = False
) -> list[str]:
    """What finds a person among names alike without a birth date to go by: each of the first
    two given names with each of the first two family names, and the two family names
    together, as they sound, with the year of birth, `~` before it when estimated:
    ['ernandes+lopes.1990', 'jose.ernandes.1990', 'jose.lopes.1990']. A typo in one name, two
    family names swapped or one left out still leave a key in common."""
    if birth_year is None:
        return []
    year = f"~{birth_year}" if estimated else str(birth_year)
    given = [sound_key(token) for token in name_tokens(given_names)[:2]]
    family = [sound_key(token) for token in name_tokens(family_names)[:2]]
    keys = {f"{g}.{f}" for g in given for f in family}
    if len(family) == 2:
        keys.add("+".join(sorted(family)))
    return sorted(f"{key}.{year}" for key in keys)
