"""Today's matcher before issue 18, kept as the baseline `bench reception` measures the new
one against (returnees.people.matching): one block for the same document or one digit off,
one for the same phone, one for the same birth date and sex with a matching name; found or not,
never scored. Not used by the app."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.centres.models import Centre, Country
from returnees.core.db import among
from returnees.core.encryption import (
    document_index,
    normalise_document,
    one_digit_variants,
    phone_index,
)
from returnees.people.identity import name_tokens, sound_key
from returnees.people.matching import Candidate, IdentityProbe
from returnees.people.models import Phone, Returnee

MAX_CANDIDATES = 10
BIRTH_DATE_SCAN = 2000


def find_candidates(
    session: Session, probe: IdentityProbe, country: Country | None = None
) -> list[Candidate]:
    return find_candidates_for_many(session, [probe], country)[0]


def find_candidates_for_many(
    session: Session, probes: list[IdentityProbe], country: Country | None = None
) -> list[list[Candidate]]:
    """For each probe, earlier records that may be the same person: the same document, the same
    phone, or the same birth date, the same sex and a matching name; limited to records held in
    `country` when given. Ranked by the strength of the evidence (document, then name and birth
    date or a document one digit apart, then a phone alone).

    Three indexed queries serve a whole passenger list, so the time grows with the list and
    with the people who share a birth date, not with the registry. Documents are sealed: a
    document typed with one wrong digit is found by looking up the blind index of each of its
    one-digit variants (117 for a 13-digit DPI).
    """
    keys = [DocumentKeys.of(p) for p in probes]
    documents = {index for key in keys for index in key.every()}
    kinds = {p.document_type for p in probes if p.document_type and p.document_number}
    numbers = {phone_index(number) for p in probes for number in p.phones}
    dates = {p.birth_date for p in probes if p.birth_date}
    identity = select(*IDENTITY_COLUMNS)
    by_document = (
        _group(
            session,
            identity.where(
                Returnee.document_type.in_(kinds),
                among(session, Returnee.document_number_index, documents),
            ),
            "document_number_index",
            country,
        )
        if documents
        else {}
    )
    by_date = (
        _group(session, identity.where(Returnee.birth_date.in_(dates)), "birth_date", country)
        if dates
        else {}
    )
    by_phone = (
        _group(
            session,
            select(Phone.number_index, *IDENTITY_COLUMNS)
            .join(Returnee, Phone.returnee_id == Returnee.id)
            .where(Phone.number_index.in_(numbers)),
            "number_index",
            country,
        )
        if numbers
        else {}
    )
    reasons = [
        _reasons_for(p, k, by_document, by_date, by_phone)
        for p, k in zip(probes, keys, strict=True)
    ]
    wanted = {returnee_id for found in reasons for returnee_id in found}
    records = {r.id: r for r in session.scalars(select(Returnee).where(Returnee.id.in_(wanted)))}
    return [[Candidate(records[i], why) for i, why in found.items()] for found in reasons]


# Only what matching compares: whole records are loaded for the few candidates alone.
IDENTITY_COLUMNS = (
    Returnee.id,
    Returnee.given_names,
    Returnee.family_names,
    Returnee.sex,
    Returnee.birth_date,
    Returnee.document_type,
    Returnee.document_number_index,
)


def _in_country(query, country: Country | None):
    if country is None:
        return query
    return query.join(Centre, Returnee.centre_id == Centre.id).where(Centre.country == country)


def _group(session: Session, query, key: str, country: Country | None) -> dict:
    grouped: dict = {}
    # No ORDER BY: with one, PostgreSQL may walk the primary key instead of the index.
    for row in session.execute(_in_country(query, country).limit(BIRTH_DATE_SCAN * 50)):
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


@dataclass(frozen=True)
class DocumentKeys:
    """The blind index of a probe's document, and those of its one-digit variants."""

    exact: str | None = None
    variants: frozenset[str] = frozenset()

    @classmethod
    def of(cls, probe: IdentityProbe) -> DocumentKeys:
        if not (probe.document_type and probe.document_number):
            return cls()
        number = normalise_document(probe.document_number)
        variants = frozenset(map(document_index, one_digit_variants(number)))
        return cls(document_index(number), variants)

    def every(self) -> set[str]:
        return {self.exact, *self.variants} - {None}


def _reasons_for(
    probe: IdentityProbe,
    keys: DocumentKeys,
    by_document: dict,
    by_date: dict,
    by_phone: dict,
) -> dict[int, list[str]]:
    """Candidate ids with the reasons each may be this person, strongest evidence first."""
    found: dict[int, list[str]] = {}

    def add(returnee_id: int, reason: str) -> None:
        reasons = found.setdefault(returnee_id, [])
        if reason not in reasons:
            reasons.append(reason)

    for row in by_document.get(keys.exact, []):
        if row.document_type == probe.document_type:
            add(row.id, "document")
    for variant in keys.variants:
        for row in by_document.get(variant, []):
            if row.document_type == probe.document_type:
                add(row.id, "document_one_digit")
    for row in by_date.get(probe.birth_date, [])[:BIRTH_DATE_SCAN]:
        if probe.sex and row.sex != probe.sex:
            continue
        if compare_names(
            probe.given_names, probe.family_names, row.given_names, row.family_names
        ).is_match:
            add(row.id, "name_and_birth_date")
    for number in probe.phones:
        for row in by_phone.get(phone_index(number), []):
            add(row.id, "phone")
    strength = {"document": 3, "name_and_birth_date": 2, "document_one_digit": 2, "phone": 1}
    ranked = sorted(found.items(), key=lambda item: -sum(strength[r] for r in item[1]))
    return dict(ranked[:MAX_CANDIDATES])


def tokens_match(left: str, right: str) -> bool:
    """Two name parts are the same when equal, alike in sound, or one small spelling apart."""
    if left == right or sound_key(left) == sound_key(right):
        return True
    if min(len(left), len(right)) < 4 or abs(len(left) - len(right)) > 2:
        return False
    return SequenceMatcher(None, left, right).ratio() >= 0.8


@dataclass(frozen=True)
class NameComparison:
    given_matches: bool
    family_matches: int

    @property
    def is_match(self) -> bool:
        return self.given_matches and self.family_matches >= 1


def compare_names(given_a: str, family_a: str, given_b: str, family_b: str) -> NameComparison:
    """Compare two names, ignoring accents, case, the order of names and small typos.

    "Jose Hernandez" and "José Hernández Pérez" match: a given name matches ("Luis José" and
    "José" too), and one family name matches whatever its position.
    """
    families_b = name_tokens(family_b)
    matched = sum(
        1
        for token in name_tokens(family_a)
        if any(tokens_match(token, other) for other in families_b)
    )
    if not matched:
        return NameComparison(False, 0)
    givens_b = name_tokens(given_b)
    given = any(tokens_match(token, other) for token in name_tokens(given_a) for other in givens_b)
    return NameComparison(given, matched)
