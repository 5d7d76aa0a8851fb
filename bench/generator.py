"""Deterministic, realistic people returned to Guatemala, Honduras and El Salvador.

`Generator(seed).person()` draws one person; `returned_with_error(rng, person, kind)` is the
same person as staff may type them on a later return (RETURN_ERRORS); `passenger_list_csv(people)`
is a flight's list.
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


# What staff type differently when a person comes back (issue 18's mix): one kind of error a
# return, drawn with these weights. An earlier record with only an estimated age is the
# registry's (bench.populate records a sixth of people so).
RETURN_ERRORS = {
    "typo in a name": 1 / 3,
    "family names swapped or second missing": 1 / 5,
    "day and month swapped": 1 / 6,
    "one wrong digit in the date": 1 / 10,
    "only an estimated age": 1 / 6,
    "one wrong digit in the document": 1 / 10,
}
# A key and one beside it on a QWERTY keyboard.
KEYBOARD_NEIGHBOURS = dict(
    zip("abcdefghijklmnopqrstuvwxyz", "svxsrghjoklknmiowtdrybecux", strict=True)
)


def keyboard_typo(rng: random.Random, name: str) -> str:
    """One word of `name` typed with one slip: a sound-alike spelling, a neighbouring key, a
    letter left out or doubled, or two letters swapped."""
    words = name.split()
    index = rng.choice([i for i, word in enumerate(words) if len(word) > 2] or [0])
    word = strip_accents(words[index]).lower()
    kind = rng.choice(("sound", "neighbour", "left out", "doubled", "swapped"))
    at = rng.randrange(1, len(word)) if len(word) > 1 else 0
    if kind == "sound" and (changed := typo(rng, words[index])):
        words[index] = changed
        return " ".join(words)
    if kind == "neighbour" and word[at] in KEYBOARD_NEIGHBOURS:
        word = word[:at] + KEYBOARD_NEIGHBOURS[word[at]] + word[at + 1 :]
    elif kind == "left out" and len(word) > 3:
        word = word[:at] + word[at + 1 :]
    elif kind == "swapped" and at < len(word) - 1:
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    else:
        word = word[:at] + word[at] + word[at:]
    words[index] = word.capitalize()
    return " ".join(words)


def family_name_list(family_names: str) -> list[str]:
    """'de León Pérez' -> ['de León', 'Pérez']: particles stay with the name they precede."""
    names: list[str] = []
    for word in family_names.split():
        if names and names[-1].lower() in ("de", "del"):
            names[-1] = f"{names[-1]} {word}"
        else:
            names.append(word)
    return names


def returned_with_error(rng: random.Random, person: Person, kind: str) -> Person | None:
    """`person` as typed on a later return with one error of `kind` (RETURN_ERRORS), or None
    when the error cannot happen to them (no second family name, a day after the 12th)."""
    born, families = person.birth_date, family_name_list(person.family_names)
    if kind == "typo in a name":
        if rng.random() < 0.5:
            return replace(person, given_names=keyboard_typo(rng, person.given_names))
        return replace(person, family_names=keyboard_typo(rng, person.family_names))
    if kind == "family names swapped or second missing":
        if len(families) != 2:
            return None
        kept = families[::-1] if rng.random() < 0.5 else families[:1]
        return replace(person, family_names=" ".join(kept))
    if kind == "day and month swapped":
        if born.day > 12 or born.day == born.month:
            return None
        return replace(person, birth_date=born.replace(day=born.month, month=born.day))
    if kind == "one wrong digit in the date":
        return replace(person, birth_date=one_digit_off(rng, born))
    if kind == "one wrong digit in the document":
        if not person.document_number:
            return None
        number = person.document_number
        at = rng.randrange(len(number))
        digit = rng.choice([d for d in "0123456789" if d != number[at]])
        return replace(person, document_number=number[:at] + digit + number[at + 1 :])
    return person


def one_digit_off(rng: random.Random, day: date) -> date:
    """`day` written dd/mm/yyyy with one digit wrong (a date still, in the past)."""
    digits = day.strftime("%d%m%Y")
    while True:
        at = rng.randrange(8)
        changed = digits[:at] + rng.choice("0123456789") + digits[at + 1 :]
        try:
            typed = date(int(changed[4:]), int(changed[2:4]), int(changed[:2]))
        except ValueError:
            continue
        if typed != day and typed.year >= 1900 and typed <= date.today():
            return typed


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
