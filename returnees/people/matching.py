"""Recognise people who came back, when the records disagree.

Candidates come from several blocks (`people.blocks`): the same document or one a typo away,
the same phone, and names that look alike with a birth date alike or an age close to an
estimate. Each candidate is scored field by field in the Fellegi-Sunter way: a field that
agrees (or nearly) adds log2(m/u) bits, where m is how often it does between two records of the
same person and u between two different people, and one that disagrees takes bits away. The
desk sees those at or above MATCH_SHOW_WEIGHT, best first, at most MATCH_SHOWN_AT_MOST; the
nightly duplicate search uses the same score with the higher DUPLICATE_WEIGHT.

Documents and phones are sealed: they are compared by blind index only (a document one digit
off is found by the index of each of the probe's variants). Names and birth dates are not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from itertools import permutations

from flask import current_app
from flask_babel import lazy_gettext as _
from rapidfuzz.distance import OSA
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.centres.models import Country
from returnees.core.clock import utcnow
from returnees.core.encryption import (
    document_index,
    normalise_document,
    one_digit_variants,
    phone_index,
)
from returnees.people.blocks import gather
from returnees.people.identity import DocumentType, name_tokens, sound_key
from returnees.people.models import Returnee, age_on

YEAR_DAYS = 365.2425
OLDEST_BIRTH_YEAR = 1900
# An estimated age agrees with a birth date, or another estimate, this many years apart.
AGE_TOLERANCE = 2


@dataclass(frozen=True)
class IdentityProbe:
    """What is known about someone at the desk, to look for an earlier record. `on` is the day
    it describes (the arrival; today when None), on which `estimated_age` was true."""

    given_names: str
    family_names: str
    birth_date: date | None = None
    document_type: str | None = None
    document_number: str | None = None
    phones: tuple[str, ...] = ()
    sex: str | None = None
    estimated_age: int | None = None
    on: date | None = None
    # A registered record compared by its blind indexes alone (`of_record`): its document's,
    # and those of the phones the caller knows it shares.
    document_index: str | None = None
    known_phone_indexes: frozenset[str] = frozenset()

    @classmethod
    def of(cls, returnee: Returnee) -> IdentityProbe:
        """A registered person as a probe (their document and phones opened), to compare with
        other records: the nightly search for people registered twice."""
        return cls(
            given_names=returnee.given_names,
            family_names=returnee.family_names,
            birth_date=returnee.birth_date,
            document_type=_value(returnee.document_type),
            document_number=returnee.document_number,
            phones=tuple(phone.number for phone in returnee.phones if phone.number),
            sex=_value(returnee.sex),
            estimated_age=returnee.estimated_age,
            on=returnee.age_estimated_on,
        )

    @classmethod
    def of_record(cls, record: MatchRecord) -> IdentityProbe:
        """A registered record as a probe, compared with another by blind index: the nightly
        search scores a million people's pairs without opening a document (a document a digit
        off from the other's counts as different, as no block brings it up)."""
        return cls(
            given_names=record.given_names,
            family_names=record.family_names,
            birth_date=record.birth_date,
            document_type=record.document_type,
            sex=record.sex,
            estimated_age=record.estimated_age,
            on=record.age_estimated_on,
            document_index=record.document_number_index,
            known_phone_indexes=record.phone_indexes,
        )

    @property
    def day(self) -> date:
        return self.on or utcnow().date()

    @cached_property
    def names(self) -> Names:
        return Names.of(self.given_names, self.family_names)

    @cached_property
    def document(self) -> DocumentKeys:
        if self.document_number is None and self.document_index and self.document_type:
            return DocumentKeys(self.document_index)
        return DocumentKeys.of(self.document_type, self.document_number)

    @cached_property
    def phone_indexes(self) -> frozenset[str]:
        return frozenset(filter(None, map(phone_index, self.phones))) | self.known_phone_indexes

    @cached_property
    def birth_dates(self) -> frozenset[date]:
        """The birth date, and the dates it may have been typed as: day and month swapped,
        one digit wrong (those that are dates)."""
        return frozenset(date_variants(self.birth_date)) if self.birth_date else frozenset()


@dataclass(frozen=True)
class MatchRecord:
    """What the match compares of a registered person: their document and phones by blind
    index (`phone_indexes`: those known to the caller; none known counts neither way)."""

    id: int
    given_names: str
    family_names: str
    sex: str | None
    birth_date: date | None
    estimated_age: int | None = None
    age_estimated_on: date | None = None
    document_type: str | None = None
    document_number_index: str | None = None
    phone_indexes: frozenset[str] = frozenset()

    @classmethod
    def of(cls, row: object, phone_indexes: Iterable[str] | None = None) -> MatchRecord:
        """From a Returnee (with the indexes of its phones unless given), or a row selecting
        the same names (people.blocks.IDENTITY_COLUMNS)."""
        if phone_indexes is None:
            phone_indexes = [phone.number_index for phone in getattr(row, "phones", ())]
        return cls(
            id=row.id,
            given_names=row.given_names,
            family_names=row.family_names,
            sex=_value(row.sex),
            birth_date=row.birth_date,
            estimated_age=row.estimated_age,
            age_estimated_on=row.age_estimated_on,
            document_type=_value(row.document_type),
            document_number_index=row.document_number_index,
            phone_indexes=frozenset(filter(None, phone_indexes)),
        )


def _value(choice: object) -> str | None:
    return getattr(choice, "value", choice)


@dataclass(frozen=True)
class MatchScore:
    """How strongly two records say they are one person (bits), and why (reason codes)."""

    weight: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class Candidate:
    """An earlier record that may be the person at the desk, its score and its reasons."""

    returnee: Returnee
    reasons: list[str] = field(default_factory=list)
    weight: float = 0.0


def find_candidates(
    session: Session, probe: IdentityProbe, country: Country | None = None
) -> list[Candidate]:
    """Earlier records that may be this person (see `find_candidates_for_many`)."""
    return find_candidates_for_many(session, [probe], country)[0]


def find_candidates_for_many(
    session: Session, probes: list[IdentityProbe], country: Country | None = None
) -> list[list[Candidate]]:
    """For each probe, the earlier records that may be the same person, limited to records held
    in `country` when given: those the blocks bring up that score MATCH_SHOW_WEIGHT or more,
    best first, at most MATCH_SHOWN_AT_MOST.

    A handful of indexed queries serve a whole passenger list (`people.blocks`), so the time
    grows with the list and with the people alike, not with the registry."""
    blocks = gather(session, probes, country)
    threshold, most = show_weight(), shown_at_most()
    ranked = []
    for number, probe in enumerate(probes):
        scored = []
        for record_id in blocks.found[number]:
            shared = blocks.shared_phones[number].get(record_id, ())
            score = score_pair(probe, MatchRecord.of(blocks.rows[record_id], shared))
            if score.weight >= threshold:
                scored.append((score, record_id))
        scored.sort(key=lambda pair: (-pair[0].weight, pair[1]))
        ranked.append(scored[:most])
    wanted = {record_id for found in ranked for _score, record_id in found}
    records = (
        {r.id: r for r in session.scalars(select(Returnee).where(Returnee.id.in_(wanted)))}
        if wanted
        else {}
    )
    return [
        [Candidate(records[record_id], score.reasons, score.weight) for score, record_id in found]
        for found in ranked
    ]


# Scoring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One way a field of two records compares: `m`, how often between two records of one
    person, `u`, between records of two people; it weighs log2(m/u) bits, and is named by
    `reason` when it speaks for the match."""

    m: float
    u: float
    reason: str | None = None

    @property
    def weight(self) -> float:
        return math.log2(self.m / self.u)


# The u of a field is the chance agreement between two people of the registry (a birth date:
# one day in about 25,000; a pair of family names: one in a few thousand), its m how often
# staff write the same person so (a day and month swapped: about one return in sixteen).
DOCUMENT_SAME = Level(0.9, 1e-6, "document")
DOCUMENT_ONE_DIGIT = Level(0.05, 1e-4, "document_one_digit")
DOCUMENT_SWAPPED_DIGITS = Level(0.02, 4e-5, "document_swapped_digits")
# A national document (DPI/CUI, DNI, DUI) keeps its number for life: two of one person written
# otherwise than a digit wrong or two swapped is rare; a passport's number changes with each one.
DOCUMENT_OTHER = Level(0.0003, 1.0)
PASSPORT_OTHER = Level(0.1, 1.0)
PHONE_SAME = Level(0.3, 0.003, "phone")
GIVEN_SAME = Level(0.8, 0.01)
GIVEN_ALIKE = Level(0.12, 0.004)  # a letter apart, or written as they sound
GIVEN_LEFT_OUT = Level(0.08, 0.05)  # one of two given names, the other left out
GIVEN_ONE_DIFFERS = Level(0.005, 0.05)  # one the same, each with another
GIVEN_OTHER = Level(0.005, 0.94)
FAMILY_SAME = Level(0.65, 0.0003)  # both, in order
FAMILY_SWAPPED = Level(0.06, 0.0003)
FAMILY_ONE_SAME = Level(0.9, 0.016)  # each written with one, the same
FAMILY_ONE_OF_TWO = Level(0.1, 0.03)  # one written with one, the other with it and another
FAMILY_ONE_DIFFERS = Level(0.01, 0.06)  # one of two the same, the other not
FAMILY_OTHER = Level(0.005, 0.9)
FAMILY_TYPO = 1.5  # bits less for each family name only alike, not the same
BIRTH_SAME = Level(0.7, 1 / 25_000, "birth_date")
BIRTH_DAY_MONTH_SWAPPED = Level(0.06, 1 / 25_000, "day_month_swapped")
BIRTH_ONE_DIGIT = Level(0.06, 30 / 25_000, "birth_date_one_digit")
BIRTH_OTHER = Level(0.1, 1.0)
AGE_CLOSE = Level(0.9, 0.08, "age_close")
AGE_FAR = Level(0.1, 0.92)
SEX_SAME = Level(0.97, 0.5)
SEX_OTHER = Level(0.005, 0.5)


def score_pair(probe: IdentityProbe, record: MatchRecord) -> MatchScore:
    """How strongly `record` says it is the person of `probe`: the weights of the fields that
    both hold, and the reasons of those that speak for it."""
    parts = [
        _bits(_document(probe, record)),
        _bits(_phone(probe, record)),
        _names(
            probe.names,
            Names.of(record.given_names, record.family_names),
            same_sex=not (probe.sex and record.sex and probe.sex != record.sex),
        ),
        _bits(_birth(probe, record)),
        _bits(_sex(probe, record)),
    ]
    reasons = [reason for bits, reason in parts if reason and bits > 0]
    return MatchScore(round(sum(bits for bits, _reason in parts), 2), reasons)


def _bits(level: Level | None) -> tuple[float, str | None]:
    return (0.0, None) if level is None else (level.weight, level.reason)


def _document(probe: IdentityProbe, record: MatchRecord) -> Level | None:
    keys = probe.document
    if not (keys.exact and record.document_number_index):
        return None
    if record.document_type != probe.document_type:
        return None
    if record.document_number_index == keys.exact:
        return DOCUMENT_SAME
    if record.document_number_index in keys.one_digit:
        return DOCUMENT_ONE_DIGIT
    if record.document_number_index in keys.swapped:
        return DOCUMENT_SWAPPED_DIGITS
    return PASSPORT_OTHER if probe.document_type == DocumentType.PASSPORT else DOCUMENT_OTHER


def _phone(probe: IdentityProbe, record: MatchRecord) -> Level | None:
    """A shared number speaks for the match; numbers change and families share one, so a
    different number says nothing."""
    return PHONE_SAME if probe.phone_indexes & record.phone_indexes else None


def _sex(probe: IdentityProbe, record: MatchRecord) -> Level | None:
    if not (probe.sex and record.sex):
        return None
    return SEX_SAME if probe.sex == record.sex else SEX_OTHER


def _birth(probe: IdentityProbe, record: MatchRecord) -> Level | None:
    if probe.birth_date and record.birth_date:
        return _birth_dates(probe.birth_date, record.birth_date)
    gap = age_gap(probe, record)
    if gap is None:
        return None
    return AGE_CLOSE if gap <= AGE_TOLERANCE else AGE_FAR


def _birth_dates(typed: date, recorded: date) -> Level:
    if typed == recorded:
        return BIRTH_SAME
    if (typed.year, typed.day, typed.month) == (recorded.year, recorded.month, recorded.day):
        return BIRTH_DAY_MONTH_SWAPPED
    if sum(a != b for a, b in zip(_digits(typed), _digits(recorded), strict=True)) == 1:
        return BIRTH_ONE_DIGIT
    return BIRTH_OTHER


def _digits(day: date) -> str:
    return f"{day.day:02d}{day.month:02d}{day.year:04d}"


def age_gap(probe: IdentityProbe, record: MatchRecord) -> float | None:
    """Years between the ages of the two on one day, when one is known by an estimate alone."""
    if record.birth_date is None and record.estimated_age is not None:
        then = record.age_estimated_on or probe.day
        probe_age = _age_then(probe, then)
        return None if probe_age is None else abs(probe_age - record.estimated_age)
    if probe.birth_date is None and probe.estimated_age is not None and record.birth_date:
        recorded = age_on(probe.day, record.birth_date, None)
        return abs(recorded - probe.estimated_age)
    return None


def _age_then(probe: IdentityProbe, then: date) -> float | None:
    if probe.birth_date:
        return age_on(then, probe.birth_date, None)
    if probe.estimated_age is None:
        return None
    return probe.estimated_age - (probe.day - then).days / YEAR_DAYS


def date_variants(day: date) -> Iterator[date]:
    """`day`, with day and month swapped, and with one digit of dd/mm/yyyy changed: the dates a
    birth date may have been typed as (those that are dates of the last 120 years or so)."""
    yield day
    digits = _digits(day)
    typed = {f"{day.month:02d}{day.day:02d}{day.year:04d}"}
    for position, digit in enumerate(digits):
        typed.update(
            digits[:position] + other + digits[position + 1 :]
            for other in "0123456789"
            if other != digit
        )
    for text in typed:
        try:
            variant = date(int(text[4:]), int(text[2:4]), int(text[:2]))
        except ValueError:
            continue
        if variant.year >= OLDEST_BIRTH_YEAR:
            yield variant


# Names -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """A person's names as compared: folded, particles left out ("de", "la")."""

    given: tuple[str, ...]
    family: tuple[str, ...]

    @classmethod
    def of(cls, given_names: str, family_names: str) -> Names:
        return cls(name_tokens(given_names), name_tokens(family_names))


SAME, ALIKE, OTHER = 2, 1, 0
LONG_NAME = 7
MOST_NAMES = 3  # given names compared; a fourth is rare, and pairing them all costly


def alike(left: str, right: str) -> int:
    """SAME when two name parts are equal or sound alike (Yesenia, Llesenia), ALIKE one typo
    apart (a letter changed, added, left out, or two swapped; in a long name, a spelling a typo
    from one that sounds alike: Jessenia, Yesenia), else OTHER."""
    if left == right or sound_key(left) == sound_key(right):
        return SAME
    if min(len(left), len(right)) < 4:
        return OTHER
    typos = OSA.distance(left, right, score_cutoff=2)
    if typos <= 1:
        return ALIKE
    long = min(len(left), len(right)) >= LONG_NAME
    sounds = OSA.distance(sound_key(left), sound_key(right), score_cutoff=1)
    return ALIKE if long and typos == 2 and sounds <= 1 else OTHER


def _names(probe: Names, record: Names, same_sex: bool) -> tuple[float, str | None]:
    """The bits of the given names and the family names (a typo in a family name costs some),
    and "same_name" or "similar_name" when they speak for the match. Between a man and a woman
    given names a letter apart are two names (Daniel, Daniela)."""
    given = _given(probe.given, record.given, ALIKE if same_sex else SAME)
    family, family_bits = _family(probe.family, record.family)
    bits = (given.weight if given else 0.0) + (family_bits or 0.0)
    if given is None or family is None:
        return bits, None
    exact = family in (FAMILY_SAME, FAMILY_ONE_SAME) and family_bits == family.weight
    if given is GIVEN_SAME and exact:
        return bits, "same_name"
    return bits, "similar_name"


def _given(probe: tuple[str, ...], record: tuple[str, ...], enough: int) -> Level | None:
    """How the given names compare, each of one paired with at most one of the other, a pair
    counting when at least `enough` alike."""
    if not (probe and record):
        return None
    pairs = _paired(probe, record, enough)
    matched = [level for level in pairs if level >= ALIKE]
    if not matched:
        return GIVEN_OTHER
    if len(matched) < min(len(probe), len(record)):
        return GIVEN_ONE_DIFFERS
    if len(probe) != len(record):
        return GIVEN_LEFT_OUT
    return GIVEN_SAME if min(matched) == SAME else GIVEN_ALIKE


def _paired(probe: tuple[str, ...], record: tuple[str, ...], enough: int) -> tuple[int, ...]:
    """The levels of the best pairing of the names of the shorter list with those of the
    longer (each used once)."""
    shorter, longer = (probe, record) if len(probe) <= len(record) else (record, probe)
    return max(
        (
            tuple(_at_least(alike(a, b), enough) for a, b in zip(shorter, chosen, strict=False))
            for chosen in permutations(longer[:MOST_NAMES], len(shorter[:MOST_NAMES]))
        ),
        key=sum,
    )


def _at_least(level: int, enough: int) -> int:
    return level if level >= enough else OTHER


def _family(probe: tuple[str, ...], record: tuple[str, ...]) -> tuple[Level | None, float | None]:
    if not (probe and record):
        return None, None
    if len(probe) >= 2 and len(record) >= 2:
        return _two_family_names(probe[:2], record[:2])
    if len(probe) == len(record) == 1:
        level = alike(probe[0], record[0])
        return (FAMILY_ONE_SAME, _typo_bits(FAMILY_ONE_SAME, [level])) if level else _other()
    single, pair = (probe, record) if len(probe) == 1 else (record, probe)
    level = max(alike(single[0], name) for name in pair)
    return (FAMILY_ONE_OF_TWO, _typo_bits(FAMILY_ONE_OF_TWO, [level])) if level else _other()


def _two_family_names(probe: tuple[str, ...], record: tuple[str, ...]) -> tuple[Level, float]:
    in_order = [alike(probe[0], record[0]), alike(probe[1], record[1])]
    swapped = [alike(probe[0], record[1]), alike(probe[1], record[0])]
    if min(in_order):
        return FAMILY_SAME, _typo_bits(FAMILY_SAME, in_order)
    if min(swapped):
        return FAMILY_SWAPPED, _typo_bits(FAMILY_SWAPPED, swapped)
    if max(in_order + swapped):
        return FAMILY_ONE_DIFFERS, FAMILY_ONE_DIFFERS.weight
    return _other()


def _typo_bits(level: Level, found: list[int]) -> float:
    return level.weight - FAMILY_TYPO * sum(1 for each in found if each == ALIKE)


def _other() -> tuple[Level, float]:
    return FAMILY_OTHER, FAMILY_OTHER.weight


# Documents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentKeys:
    """The blind index of a document, and those of the numbers it may have been typed as:
    one digit wrong, or two neighbouring digits swapped."""

    exact: str | None = None
    one_digit: frozenset[str] = frozenset()
    swapped: frozenset[str] = frozenset()

    @classmethod
    def of(cls, kind: str | None, number: str | None) -> DocumentKeys:
        if not (kind and number):
            return cls()
        number = normalise_document(number)
        return cls(
            document_index(number),
            frozenset(map(document_index, one_digit_variants(number))),
            frozenset(map(document_index, swapped_digit_variants(number))),
        )

    def every(self) -> set[str]:
        return {self.exact, *self.one_digit, *self.swapped} - {None}


def swapped_digit_variants(number: str) -> Iterator[str]:
    """Every value with two neighbouring, different digits of `number` swapped."""
    for position in range(len(number) - 1):
        left, right = number[position], number[position + 1]
        if left != right and left.isdigit() and right.isdigit():
            yield number[:position] + right + left + number[position + 2 :]


# Thresholds and words ----------------------------------------------------------------------


def show_weight() -> float:
    return float(current_app.config["MATCH_SHOW_WEIGHT"])


def duplicate_weight() -> float:
    return float(current_app.config["DUPLICATE_WEIGHT"])


def shown_at_most() -> int:
    return int(current_app.config["MATCH_SHOWN_AT_MOST"])


REASON_WORDS = {
    "document": _("same document"),
    "document_one_digit": _("document one digit apart"),
    "document_swapped_digits": _("document with two digits swapped"),
    "phone": _("same phone"),
    "same_name": _("same name"),
    "similar_name": _("similar name"),
    "birth_date": _("same birth date"),
    "day_month_swapped": _("day and month swapped"),
    "birth_date_one_digit": _("birth date one digit apart"),
    "age_close": _("age close to the estimate"),
}


def reasons_in_words(reasons: Iterable[str]) -> str:
    """'similar name, day and month swapped' (in the language of the request)."""
    return ", ".join(str(REASON_WORDS[reason]) for reason in reasons)
