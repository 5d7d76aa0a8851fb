"""Deterministic, realistic people returned to Guatemala, Honduras and El Salvador.

`Generator(seed).person()` draws one person; `spelling_variant(rng, person)` is the same person
as staff may type them on a later return; `passenger_list_csv(people)` is a flight's list.
"""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta

from returnees.people.identity import (
    InvalidValue,
    cui_check_digit,
    dui_check_digit,
    normalise_phone,
)
from returnees.places.catalogue import places_of

FEMALE = (
    "María", "Ana", "Rosa", "Marta", "Carmen", "Gloria", "Sandra", "Yesenia", "Karla", "Brenda",
    "Wendy", "Lesly", "Sonia", "Blanca", "Claudia", "Glenda", "Iris", "Dilcia", "Reina", "Lidia",
    "Ingrid", "Mirna", "Olga", "Silvia", "Juana", "Francisca", "Dulce", "Fátima", "Jennifer",
    "Evelyn", "Heidy", "Yolanda", "Marisol", "Yaneth", "Sofía", "Valeria", "Lucía", "Nohemí",
    "Delmy", "Xiomara", "Elsa", "Esperanza", "Josefina", "Alejandra", "Mónica", "Verónica",
)  # fmt: skip
MALE = (
    "José", "Juan", "Luis", "Carlos", "Jorge", "Mario", "Miguel", "Pedro", "Francisco", "Manuel",
    "Jesús", "Antonio", "Marvin", "Nelson", "Wilmer", "Edwin", "Elmer", "Byron", "Selvin",
    "Kevin", "Brayan", "Óscar", "Erick", "Mynor", "Walter", "Rigoberto", "Fredy", "Santos",
    "Ángel", "Jerónimo", "Andrés", "Tomás", "Domingo", "Diego", "Cristian", "Julio", "César",
    "Héctor", "Rubén", "Víctor", "Efraín", "Abel", "Lester", "Denis", "Wilson", "Gerson",
)  # fmt: skip
COMPOUND_FEMALE = (
    "María José",
    "María Fernanda",
    "Ana María",
    "María de los Ángeles",
    "Rosa Elena",
)
COMPOUND_MALE = ("José Luis", "Juan Carlos", "José Antonio", "Luis Fernando", "Juan José")
FAMILY = (
    "Hernández", "López", "Pérez", "García", "Martínez", "Rodríguez", "González", "Ramírez",
    "Gómez", "Chávez", "Flores", "Reyes", "Cruz", "Morales", "Díaz", "Ortiz", "Castillo",
    "Méndez", "Vásquez", "Aguilar", "Juárez", "Mejía", "Rivera", "Sánchez", "Ramos", "Castro",
    "Guzmán", "Alvarado", "Velásquez", "Orellana", "Argueta", "Ayala", "Cardona", "Escobar",
    "Portillo", "Zelaya", "Matute", "Bonilla", "Fuentes", "Menjívar", "Quintanilla", "Interiano",
    "de León", "Ajú", "Tzoc", "Xicará", "Cux", "Chavajay", "Tzul", "Chiquín", "Coc", "Caal",
    "Pop", "Ixcoy", "Tum", "Sic", "Chub", "Quej", "Mucía", "Batz", "Yax", "Ixcot", "Choc",
)  # fmt: skip
NATIONALITIES = ("GT", "HN", "SV")
NATIONALITY_WEIGHTS = (5, 3, 2)
DOCUMENT_TYPES = {"GT": "DPI", "HN": "DNI", "SV": "DUI"}
PHONE_PREFIXES = {"GT": "345", "HN": "389", "SV": "67"}
# One-letter spellings staff type for the same name: Yesenia/Jessenia, Jerónimo/Gerónimo.
SOUND_SWAPS = (
    ("Yes", "Jess"), ("Ye", "Je"), ("Je", "Ge"), ("Ge", "Je"), ("Gi", "Ji"), ("H", ""),
    ("v", "b"), ("b", "v"), ("s", "z"), ("z", "s"), ("ll", "y"), ("y", "ll"), ("ei", "ey"),
    ("ai", "ay"), ("ce", "se"), ("ci", "si"), ("qu", "k"), ("n", "nn"), ("l", "ll"),
)  # fmt: skip
LIST_HEADER = (
    "Apellidos", "Nombres", "Fecha de nacimiento", "Sexo", "Nacionalidad", "No. documento",
    "Teléfono", "NNA no acompañado",
)  # fmt: skip


@dataclass(frozen=True)
class Person:
    given_names: str
    family_names: str
    birth_date: date
    sex: str
    nationality: str
    document_type: str | None
    document_number: str | None
    phone: str | None  # E.164

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Generator:
    """People drawn from a seeded `random.Random`: the same seed gives the same people."""

    def __init__(self, seed: int = 1, today: date | None = None) -> None:
        self.rng = random.Random(seed)
        self.today = today or date.today()
        self.places = {
            country: [p.code[3:] for p in places_of(country)] for country in ("GT", "HN")
        }

    def person(self) -> Person:
        rng = self.rng
        sex = rng.choice("FM")
        nationality = rng.choices(NATIONALITIES, NATIONALITY_WEIGHTS)[0]
        has_document = rng.random() < 0.7
        given, family, born = self.given_names(sex), self.family_names(), self.birth_date()
        return Person(
            given_names=given,
            family_names=family,
            birth_date=born,
            sex=sex,
            nationality=nationality,
            document_type=DOCUMENT_TYPES[nationality] if has_document else None,
            document_number=self.document(nationality, born) if has_document else None,
            phone=self.phone(nationality) if rng.random() < 0.8 else None,
        )

    def given_names(self, sex: str) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            return rng.choice(COMPOUND_FEMALE if sex == "F" else COMPOUND_MALE)
        names = FEMALE if sex == "F" else MALE
        return " ".join(rng.sample(names, 2 if rng.random() < 0.55 else 1))

    def family_names(self) -> str:
        return " ".join(self.rng.sample(FAMILY, 2 if self.rng.random() < 0.85 else 1))

    def birth_date(self) -> date:
        rng = self.rng
        age = rng.choices(
            (rng.randint(0, 14), rng.randint(15, 40), rng.randint(41, 70)), (15, 65, 20)
        )[0]
        return self.today - timedelta(days=age * 365 + rng.randint(0, 364))

    def document(self, nationality: str, born: date) -> str:
        """A number that passes the desk's checks: a DUI's or a CUI's check digit, the place
        of registration a CUI ends with and a DNI begins with (then the DNI's year of birth)."""
        rng = self.rng
        if nationality == "SV":
            first = f"{rng.randrange(10**8):08d}"
            return f"{first}{dui_check_digit(first)}"
        place = rng.choice(self.places[nationality])
        if nationality == "HN":
            return f"{place}{born.year}{rng.randrange(10**5):05d}"
        while (check := cui_check_digit(first := f"{rng.randrange(10**7, 10**8)}")) is None:
            pass
        return f"{first}{check}{place}"

    def phone(self, nationality: str) -> str:
        while True:
            local = f"{self.rng.choice(PHONE_PREFIXES[nationality])}{self.rng.randrange(10**7):07d}"
            try:
                return normalise_phone(local, nationality)
            except InvalidValue:
                continue


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(char for char in decomposed if not unicodedata.combining(char))
    )


def typo(rng: random.Random, name: str) -> str | None:
    """One sound-alike letter changed in one word of `name`, or None when none applies."""
    words = name.split()
    index = rng.randrange(len(words))
    plain = strip_accents(words[index])
    swaps = [(old, new) for old, new in SOUND_SWAPS if old in plain]
    if not swaps:
        return None
    old, new = rng.choice(swaps)
    changed = plain.replace(old, new, 1)
    words[index] = changed[:1].upper() + changed[1:]
    return " ".join(words)


def spelling_variant(rng: random.Random, person: Person) -> tuple[Person, str]:
    """The same person as typed on a later return, and what was changed."""
    families = person.family_names.split()
    kinds = ["accents", "typo_given", "typo_family"]
    if len(families) == 2:
        kinds += ["drop_second_family", "swap_families"]
    while True:
        kind = rng.choice(kinds)
        if kind == "accents":
            given, family = strip_accents(person.given_names), strip_accents(person.family_names)
            if (given, family) == (person.given_names, person.family_names):
                continue
        elif kind == "drop_second_family":
            given, family = person.given_names, families[0]
        elif kind == "swap_families":
            given, family = person.given_names, f"{families[1]} {families[0]}"
        elif kind == "typo_given":
            given, family = typo(rng, person.given_names), person.family_names
        else:
            given, family = person.given_names, typo(rng, person.family_names)
        if given and family:
            return replace(person, given_names=given, family_names=family), kind


def passenger_list_csv(people: list[Person], encoding: str = "cp1252") -> bytes:
    """A passenger list as airlines and border posts send it: ';'-separated, dates d/m/Y."""
    out, today = io.StringIO(), date.today()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(LIST_HEADER)
    for person in people:
        number = person.document_number or ""
        if person.document_type == "DUI":
            number = f"{number[:8]}-{number[8:]}"
        writer.writerow(
            (
                person.family_names,
                person.given_names,
                person.birth_date.strftime("%d/%m/%Y"),
                person.sex,
                person.nationality,
                number,
                (person.phone or "")[4:],
                "Sí"
                if person.age_on(today) < 18 and person.birth_date.toordinal() % 4 == 0
                else "No",
            )
        )
    return out.getvalue().encode(encoding)
