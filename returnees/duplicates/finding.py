"""Find people registered twice within each country's registry: the nightly search.

Candidate pairs come from blocks the database joins: the same document; the same phone; the
same birth date and sex and a family name that sounds the same (its sound key, in either
place: swapped or missing family names are found); the same year, sex and family name with day
and month swapped; the same written name and sex. Only the pairs of a block are compared,
never the whole registry with itself (a million people are half a million million pairs; a
birth date alone, 26 million; these blocks, a few hundred thousand). Each pair is scored as the
desk scores an earlier record (`people.matching.score_pair`, in bits) and kept when it reaches
DUPLICATE_WEIGHT, on the same scale as the desk's MATCH_SHOW_WEIGHT but higher: a supervisor
is asked to merge only what is near certain.

The pairs found are stored for the country's supervisors: a new pair waits for a decision, a
pending pair no longer found goes, and a decided pair is left as decided, so a pair of
"different people" is never proposed again and a run repeated finds what it found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import CompoundSelect, Select, and_, extract, func, null, select, text, union_all
from sqlalchemy.orm import Session

from returnees.centres.models import Centre, Country
from returnees.core.clock import utcnow
from returnees.duplicates.models import DuplicatePair, PairStatus
from returnees.people.matching import IdentityProbe, MatchRecord, duplicate_weight, score_pair
from returnees.people.models import Phone, Returnee

# The namespace of the advisory locks that keep two workers from searching one country at once.
SEARCH_LOCK = 0x64757073  # "dups"
STREAM_ROWS = 20_000


@dataclass(frozen=True)
class PairScore:
    """The desk's score of a pair: bits, and the codes of what speaks for it."""

    weight: float
    reasons: tuple[str, ...]

    @property
    def stored(self) -> int:
        """The weight as a pair keeps it: whole bits, enough to rank pairs for review."""
        return round(self.weight)


@dataclass(frozen=True)
class SearchResult:
    """One country's run: people compared, candidate pairs scored, pairs at the threshold, and
    what changed among the stored pairs."""

    country: Country
    people: int = 0
    candidates: int = 0
    found: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: bool = False


PERSON_COLUMNS = (
    Returnee.id,
    Returnee.given_names,
    Returnee.family_names,
    Returnee.folded_name,
    Returnee.birth_date,
    Returnee.estimated_age,
    Returnee.age_estimated_on,
    Returnee.sex,
    Returnee.document_type,
    Returnee.document_number_index,
    Returnee.family_key,
    Returnee.second_family_key,
)


def registry(country: Country) -> Select:
    """The records of a country's registry that may be compared: not merged into another, and
    with a name (an erased person has none)."""
    return (
        select(*PERSON_COLUMNS)
        .join(Centre, Returnee.centre_id == Centre.id)
        .where(
            Centre.country == country,
            Returnee.merged_into_id.is_(None),
            Returnee.folded_name != "",
        )
    )


def candidate_blocks(country: Country, limit: int) -> dict[str, Select | CompoundSelect]:
    """Each block's query of (lower id, higher id, shared phone's index or NULL) pairs of
    records of the country."""
    people = registry(country).cte("people")
    a, b = people.alias("a"), people.alias("b")

    def pairs(*agree) -> Select:
        return select(a.c.id, b.c.id, null()).join(b, and_(a.c.id < b.c.id, *agree))

    common_names = (
        select(people.c.folded_name)
        .group_by(people.c.folded_name)
        .having(func.count() > limit)
        .scalar_subquery()
    )
    same_day = (a.c.birth_date == b.c.birth_date,)
    swapped = (
        extract("year", a.c.birth_date) == extract("year", b.c.birth_date),
        extract("month", a.c.birth_date) == extract("day", b.c.birth_date),
        extract("day", a.c.birth_date) == extract("month", b.c.birth_date),
        extract("day", a.c.birth_date) != extract("month", a.c.birth_date),
    )
    # A family name in common, in either place (swapped, or the other one missing or misspelt).
    keys = [
        (mine, theirs)
        for mine in (a.c.family_key, a.c.second_family_key)
        for theirs in (b.c.family_key, b.c.second_family_key)
    ]
    return {
        "document": pairs(
            a.c.document_type == b.c.document_type,
            a.c.document_number_index == b.c.document_number_index,
        ),
        **{
            dates: union_all(
                *(pairs(*agree, a.c.sex == b.c.sex, mine == theirs) for mine, theirs in keys)
            )
            for dates, agree in (("birth_date", same_day), ("day_month_swapped", swapped))
        },
        "name": pairs(
            a.c.folded_name == b.c.folded_name,
            a.c.sex == b.c.sex,
            a.c.birth_date.is_distinct_from(b.c.birth_date),
            a.c.folded_name.not_in(common_names),
        ),
        "phone": _phone_pairs(people, limit),
    }


def _phone_pairs(people, limit: int) -> Select:
    """Records sharing a number, with its index, but a number more than `limit` people share
    (a shelter's)."""
    mine, theirs = Phone.__table__.alias("mine"), Phone.__table__.alias("theirs")
    a, b = people.alias("pa"), people.alias("pb")
    crowded = (
        select(Phone.number_index)
        .where(Phone.number_index.is_not(None))
        .group_by(Phone.number_index)
        .having(func.count(func.distinct(Phone.returnee_id)) > limit)
        .scalar_subquery()
    )
    return (
        select(mine.c.returnee_id, theirs.c.returnee_id, mine.c.number_index)
        .join(
            theirs,
            and_(
                mine.c.number_index == theirs.c.number_index,
                mine.c.returnee_id < theirs.c.returnee_id,
            ),
        )
        .join(a, a.c.id == mine.c.returnee_id)
        .join(b, b.c.id == theirs.c.returnee_id)
        .where(mine.c.number_index.not_in(crowded))
        .distinct()
    )


def _score(first: Any, second: Any, phone: str | None = None) -> PairScore:
    """How strongly two records say they are one person, and why: the desk's score
    (`people.matching.score_pair`), the first record as the probe, both compared by blind
    index. `phone` is the index of the number the phone block found them sharing (the other
    blocks do not say, and a shared number only adds to a pair they found)."""
    shared = frozenset({phone}) if phone else frozenset()
    score = score_pair(
        IdentityProbe.of_record(MatchRecord.of(first, shared)), MatchRecord.of(second, shared)
    )
    return PairScore(score.weight, tuple(score.reasons))


def find_duplicate_pairs(session: Session, country: Country | str) -> SearchResult:
    """Search one country's registry for people registered twice and store the pairs found
    (flushed: the caller commits). On PostgreSQL a country another worker is searching is
    left to it."""
    country = Country(country)
    if not _hold_country(session, country):
        return SearchResult(country, skipped=True)
    threshold = duplicate_weight()
    people = {row.id: row for row in session.execute(registry(country))}
    best: dict[tuple[int, int], PairScore] = {}
    candidates = 0
    for query in candidate_blocks(country, current_app.config["DUPLICATE_BLOCK_LIMIT"]).values():
        for first, second, phone in _stream(session, query):
            candidates += 1
            score = _score(people[first], people[second], phone)
            held = best.get((first, second))
            if score.weight >= threshold and (held is None or score.weight > held.weight):
                best[(first, second)] = score
    added, updated, removed = _store(session, country, best)
    return SearchResult(country, len(people), candidates, len(best), added, updated, removed)


def _hold_country(session: Session, country: Country) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(
        session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:space, hashtext(:country))"),
            {"space": SEARCH_LOCK, "country": country.value},
        )
    )


def _stream(
    session: Session, query: Select | CompoundSelect
) -> Iterator[tuple[int, int, str | None]]:
    """The pairs of a block (with the number they share, for the phone block), read a few
    thousand at a time (a block may hold millions)."""
    result = session.execute(query, execution_options={"yield_per": STREAM_ROWS})
    for partition in result.partitions():
        yield from partition


def _store(
    session: Session, country: Country, found: dict[tuple[int, int], PairScore]
) -> tuple[int, int, int]:
    """Add the new pairs, update the pending ones, remove the pending ones not found again;
    a decided pair stays as it was decided. How many were added, updated and removed."""
    stored = {
        (pair.first_id, pair.second_id): pair
        for pair in session.scalars(select(DuplicatePair).where(DuplicatePair.country == country))
    }
    now, added, updated = utcnow(), [], 0
    for key, score in found.items():
        pair = stored.get(key)
        if pair is None:
            added.append(_new_pair(country, key, score, now))
        elif pair.status is PairStatus.PENDING and (pair.weight, pair.reasons) != (
            score.stored,
            list(score.reasons),
        ):
            pair.weight, pair.reasons, updated = score.stored, list(score.reasons), updated + 1
    stale = [
        pair
        for key, pair in stored.items()
        if pair.status is PairStatus.PENDING and key not in found
    ]
    for pair in stale:
        session.delete(pair)
    session.add_all(added)
    session.flush()
    return len(added), updated, len(stale)


def _new_pair(country: Country, key: tuple[int, int], score: PairScore, now) -> DuplicatePair:
    return DuplicatePair(
        country=country,
        first_id=key[0],
        second_id=key[1],
        weight=score.stored,
        reasons=list(score.reasons),
        status=PairStatus.PENDING,
        found_at=now,
    )


def find_duplicates_everywhere(
    session: Session, countries: Iterable[Country] = Country
) -> list[SearchResult]:
    """Search every country's registry, committing after each (the nightly job)."""
    results = []
    for country in countries:
        results.append(find_duplicate_pairs(session, country))
        session.commit()
    return results
