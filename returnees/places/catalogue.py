"""The departments and municipalities of Guatemala, Honduras and El Salvador with their official
codes, shipped as data (data/*.csv, sources in data/SOURCES.md) and read once per process. A
home is a place: a municipality in Guatemala and Honduras, a district in El Salvador (one of
the 262 former municipalities, which the 2024 reform made districts of 44 municipalities)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from flask_babel import lazy_gettext as _

from returnees.people.identity import InvalidValue, fold

COUNTRIES = ("GT", "HN", "SV")


@dataclass(frozen=True)
class Place:
    """Where someone lives: `code` (GT-1201), its name, municipality and department; `district`
    is the name people still use in El Salvador, else empty."""

    code: str
    country: str
    municipality: str
    department: str
    department_code: str
    district: str = ""

    @property
    def name(self) -> str:
        return self.district or self.municipality

    @property
    def label(self) -> str:
        """'San Marcos, San Marcos'; 'San Salvador (San Salvador Centro), San Salvador'."""
        within = f" ({self.municipality})" if self.district else ""
        return f"{self.name}{within}, {self.department}"

    def as_json(self) -> dict[str, str]:
        found = {
            "code": self.code,
            "municipality": self.municipality,
            "department": self.department,
            "country": self.country,
        }
        return found | ({"district": self.district} if self.district else {})


@cache
def all_places() -> dict[str, Place]:
    """Every place by its code, in the order of the files (department, then municipality)."""
    places: dict[str, Place] = {}
    for country in COUNTRIES:
        with (
            files("returnees.places")
            .joinpath(f"data/{country.lower()}.csv")
            .open(encoding="utf-8") as data
        ):
            for row in csv.DictReader(data):
                place = _place(country, row)
                places[place.code] = place
    return places


def _place(country: str, row: dict[str, str]) -> Place:
    if country == "SV":
        return Place(
            row["district_code"],
            country,
            row["municipality"],
            row["department"],
            row["department_code"],
            row["district"],
        )
    return Place(
        row["code"], country, row["municipality"], row["department"], row["department_code"]
    )


def find_place(code: str | None) -> Place | None:
    return all_places().get((code or "").strip().upper())


def places_of(country: str) -> list[Place]:
    return [place for place in all_places().values() if place.country == country]


def search_places(country: str | None, query: str, limit: int = 50) -> list[Place]:
    """The places whose name, municipality or department holds every word of `query`, accents
    and case ignored ("san marcos" offers San Marcos and each municipality of the department of
    San Marcos); the closest first: the name itself, then the department's, then names that
    start so, then the rest.
    A code (GT-1201, 1201) finds its place."""
    words = fold(query).split()
    if not words:
        return []
    candidates = [p for p in all_places().values() if country in (None, "", p.country)]
    if (code := _as_code(query, country)) and (exact := find_place(code)) in candidates:
        return [exact]
    found = [(rank, place) for place in candidates if (rank := _rank(place, words)) is not None]
    return [place for _rank_, place in sorted(found, key=lambda pair: pair[0])][:limit]


def _as_code(query: str, country: str | None) -> str | None:
    text = query.strip().upper()
    if len(text) == 4 and text.isdecimal() and country:
        return f"{country}-{text}"
    return text if len(text) == 7 and text[2] == "-" else None


@cache
def _folded(place: Place) -> tuple[str, str]:
    names = " ".join(filter(None, (place.district, place.municipality)))
    return fold(place.name), f"{fold(names)} {fold(place.department)}"


def _rank(place: Place, words: list[str]) -> tuple | None:
    name, everything = _folded(place)
    if not all(word in everything for word in words):
        return None
    query = " ".join(words)
    if name == query:
        closeness = 0
    elif fold(place.department) == query:
        closeness = 1  # every municipality of the department asked for
    else:
        closeness = 2 if name.startswith(query) else 3
    return (closeness, place.country, place.code)


def place_of_dpi(document_number: str) -> Place | None:
    """The municipality a Guatemalan DPI/CUI's last four digits name: where the birth was
    registered. A suggestion for the home, never the home itself."""
    digits = "".join(char for char in document_number or "" if char.isdecimal())
    return find_place(f"GT-{digits[-4:]}") if len(digits) == 13 else None


def read_place(value: str, country: str | None) -> Place | None:
    """A home as staff gave it: a place's code, or its name as the list shows it ("San Marcos,
    San Marcos"), or one only place's name; None for unknown. InvalidValue says what is wrong:
    an unknown code, a name that matches none or several, a place in another country."""
    text = " ".join((value or "").split())
    if fold(text) in UNKNOWN_HOME:
        return None
    found = find_place(text) or _by_name(text, country)
    if found is None:
        raise InvalidValue(
            _(
                "No municipality matches “%(text)s”: choose one from the list, or “unknown”.",
                text=text,
            )
        )
    if country and found.country != country:
        raise InvalidValue(_("%(place)s is not in the person's country.", place=found.label))
    return found


UNKNOWN_HOME = {"", "desconocido", "desconocida", "no sabe", "unknown", "-"}


def _by_name(text: str, country: str | None) -> Place | None:
    """The place whose label is the text, or the only place of that name."""
    wanted = fold(text)
    matches = [p for p in search_places(country, text, limit=400) if fold(p.label) == wanted]
    if not matches:
        matches = [p for p in search_places(country, text, limit=400) if fold(p.name) == wanted]
    return matches[0] if len(matches) == 1 else None
