"""What the nightly search for people registered twice costs at BENCH_PEOPLE returnees (default
1,000,000; target: under 10 minutes on this machine), and what it finds.

The people come from bench.populate (returnees and phones by COPY; a sixth of them recorded with
an estimated age alone). Among them, once, the bench registers BENCH_TWICE people a second time
(default 3,000), in the same country, as a desk may type them again: a spelling variant with the
same birth date (or estimate), the same document with the names spelt otherwise, day and month
of the birth date swapped, or the same phone with one digit of the date wrong. They are marked
by their `municipality` ("bench-twice:<id of the first>"), so a run knows which pairs are real.

a. The job `find-duplicates` (find_duplicates_everywhere: every country, committed after each),
   first with no pair stored, then again (a night later: every pair is known).
b. The baseline, in the same run: a self-join of the registry on birth date alone, counted in
   the database (no pair leaves PostgreSQL, none is scored).

Reported: the time of each, their ratio, the candidate pairs scored against the pairs a
birth-date self-join holds, the pairs found, and the share of the people registered twice
whose pair was found (recall). The database is BENCH_DUPLICATES_DATABASE_URL (default
postgresql://127.0.0.1:5432/returnees_bench_duplicates), populated once and reused.
`python -m bench duplicates`; BENCH_PEOPLE=100000 scales it down.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import replace
from datetime import UTC, date, datetime

from flask import Flask
from sqlalchemy import func, select, text

from bench.generator import Person, strip_accents, typo
from bench.populate import bench_app, count_people, people_wanted, populate
from bench.sizes import sized
from returnees.core.db import EXTENSION, get_session, unit_of_work
from returnees.duplicates.finding import find_duplicates_everywhere
from returnees.duplicates.models import DuplicatePair
from returnees.people.identity import fold
from returnees.people.models import Channel, Phone, PhoneOwner, Returnee

DEFAULT_URL = "postgresql://127.0.0.1:5432/returnees_bench_duplicates"
MARK = "bench-twice:"
TARGET_S = 600.0
KINDS = ("spelling", "spelling", "document", "day_month_swapped", "phone_and_one_digit")
BASELINE = (
    "SELECT count(*) FROM returnees a JOIN returnees b "
    "ON a.birth_date = b.birth_date AND a.id < b.id"
)


def twice_wanted() -> int:
    return int(os.environ.get("BENCH_TWICE", sized(3000, 10)))


def person_of(returnee: Returnee) -> Person:
    return Person(
        returnee.given_names,
        returnee.family_names,
        returnee.birth_date,
        returnee.sex.value,
        returnee.nationality.value,
        returnee.document_type.value if returnee.document_type else None,
        returnee.document_number,
        returnee.phones[0].number if returnee.phones else None,
    )


def respelt(rng: random.Random, person: Person) -> Person:
    """The names as another desk may type them: without accents, one sound-alike letter
    changed, family names swapped or the second left out; as they were when none applies
    (generator.spelling_variant looks for one for ever)."""
    families = person.family_names.split()
    ways = [
        (strip_accents(person.given_names), strip_accents(person.family_names)),
        (typo(rng, person.given_names), person.family_names),
        (person.given_names, typo(rng, person.family_names)),
    ]
    if len(families) == 2:
        ways += [(person.given_names, families[0]), (person.given_names, " ".join(families[::-1]))]
    changed = [
        (given, family)
        for given, family in ways
        if given and family and (given, family) != (person.given_names, person.family_names)
    ]
    if not changed:
        return person
    given, family = rng.choice(changed)
    return replace(person, given_names=given, family_names=family)


def again(rng: random.Random, first: Person, kind: str) -> Person:
    """The same person as a desk may register them a second time."""
    variant = respelt(rng, first)
    born = first.birth_date
    if kind == "document" and first.document_number:
        return variant
    variant = replace(variant, document_type=None, document_number=None)
    if born is None:  # recorded with an estimated age alone: the names and the estimate
        return replace(variant, phone=None)
    if kind == "day_month_swapped" and born.day <= 12 and born.day != born.month:
        return replace(variant, birth_date=date(born.year, born.day, born.month), phone=None)
    if kind == "phone_and_one_digit" and first.phone:
        return replace(first, birth_date=one_digit_off(born), document_number=None)
    return replace(variant, phone=None)


def one_digit_off(born: date) -> date:
    """The birth date with the last digit of its day typed wrong."""
    tens = born.day - born.day % 10
    for day in (tens + digit for digit in range(10)):
        if day != born.day and 1 <= day <= 28:
            return born.replace(day=day)
    return born


def register_twice(app: Flask, count: int, seed: int = 18) -> int:
    """Register `count` people of the registry a second time (once per database)."""
    rng = random.Random(seed)
    with app.app_context(), unit_of_work() as session:
        done = session.scalar(select(func.count()).where(Returnee.municipality.like(f"{MARK}%")))
        if done:
            return done
        last = session.scalar(select(func.max(Returnee.id)))
        chosen = rng.sample(range(1, last + 1), count)
        firsts = session.scalars(select(Returnee).where(Returnee.id.in_(chosen))).all()
        now = datetime.now(UTC)
        for returnee in firsts:
            second = again(rng, person_of(returnee), rng.choice(KINDS))
            session.add(new_record(returnee, second, now))
        session.flush()
        return len(firsts)


def new_record(first: Returnee, second: Person, now: datetime) -> Returnee:
    record = Returnee(
        given_names=second.given_names,
        family_names=second.family_names,
        folded_name=fold(f"{second.given_names} {second.family_names}"),
        birth_date=second.birth_date,
        # One recorded with an estimated age alone is registered again with the same estimate.
        estimated_age=None if second.birth_date else first.estimated_age,
        age_estimated_on=None if second.birth_date else first.age_estimated_on,
        sex=second.sex,
        nationality=second.nationality,
        document_type=second.document_type,
        language="es",
        municipality=f"{MARK}{first.id}",
        centre_id=first.centre_id,
        arrivals_count=1,
        created_at=now,
        updated_at=now,
    )
    record.document_number = second.document_number
    if second.phone:
        record.phones.append(
            Phone(
                number=second.phone, owner=PhoneOwner.SELF, channel=Channel.SMS,
                has_consent=True, consent_at=now, created_at=now,
            )
        )  # fmt: skip
    return record


def pairs_planted(app: Flask) -> set[tuple[int, int]]:
    with app.app_context():
        rows = get_session().execute(
            select(Returnee.id, Returnee.municipality).where(Returnee.municipality.like(f"{MARK}%"))
        )
        return {tuple(sorted((int(mark.removeprefix(MARK)), id_))) for id_, mark in rows}


def pairs_found(app: Flask) -> dict[tuple[int, int], int]:
    """The pairs stored, with their weight."""
    with app.app_context():
        rows = get_session().execute(
            select(DuplicatePair.first_id, DuplicatePair.second_id, DuplicatePair.weight)
        )
        return {(first, second): weight for first, second, weight in rows}


def by_threshold(found: dict[tuple[int, int], int], planted: set, lowest: int) -> None:
    """What a higher DUPLICATE_WEIGHT would have proposed: recall, and pairs alike by chance."""
    for threshold in (lowest, lowest + 2, lowest + 4):
        kept = {pair for pair, weight in found.items() if weight >= threshold}
        share = len(kept & planted) / max(len(planted), 1)
        print(
            f"     from weight {threshold:>2}                : recall {share:.3f}, "
            f"{len(kept - planted):,} alike by chance"
        )


def timed_job(app: Flask) -> float:
    """Run the job as a worker does; its seconds. What it did per country is printed."""
    started = time.perf_counter()
    with app.app_context(), unit_of_work() as session:
        results = find_duplicates_everywhere(session)
    elapsed = time.perf_counter() - started
    for done in results:
        print(
            f"       {done.country.value}: {done.people:>9,} people, {done.candidates:>11,} "
            f"candidate pairs scored, {done.found:>6,} found ({done.added:,} added, "
            f"{done.updated:,} updated, {done.removed:,} removed)"
        )
    return elapsed


def baseline(app: Flask) -> tuple[float, int]:
    engine = app.extensions[EXTENSION].engine
    with engine.connect() as connection:
        started = time.perf_counter()
        pairs = connection.execute(text(BASELINE)).scalar()
        return time.perf_counter() - started, pairs


def main() -> None:
    url = os.environ.get("BENCH_DUPLICATES_DATABASE_URL", DEFAULT_URL)
    app = bench_app(url)
    engine = app.extensions[EXTENSION].engine
    wanted = people_wanted()
    existing = count_people(engine)
    if existing < wanted:
        with app.app_context():
            rate = populate(engine, wanted - existing)
        print(f"duplicates: populated {wanted - existing:,} people at {rate:,.0f} people/s")
    twice = register_twice(app, twice_wanted())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE returnees")
        connection.exec_driver_sql("ANALYZE phones")
        connection.exec_driver_sql("DELETE FROM duplicate_pairs")
    people = count_people(engine)
    print(f"duplicates (postgresql, {people:,} people, {twice:,} of them registered twice)")
    print("  a. the job find-duplicates (every country, committed after each)")
    print("     first run, no pair stored:")
    first_s = timed_job(app)
    found = pairs_found(app)
    print("     again, a night later (every pair known):")
    again_s = timed_job(app)
    base_s, base_pairs = baseline(app)
    planted = pairs_planted(app)
    print(f"     first run                   : {first_s:8.1f} s")
    print(f"     again                       : {again_s:8.1f} s")
    print(f"     against the {TARGET_S / 60:.0f}-minute target : {first_s / TARGET_S:8.2f} of it")
    print("  b. self-join on birth date alone (counted in the database)")
    print(f"     time                        : {base_s:8.1f} s  ({base_pairs:,} pairs)")
    print(f"     ratio, first run to it      : {first_s / base_s:8.1f}")
    recalled = len(planted & set(found))
    share = recalled / max(len(planted), 1)
    print(f"  registered twice, pair found  : {recalled:,}/{len(planted):,} ({share:.3f})")
    chance = len(set(found) - planted)
    print(f"  pairs found in all            : {len(found):,} ({chance:,} alike by chance)")
    by_threshold(found, planted, app.config["DUPLICATE_WEIGHT"])
    engine.dispose()
