"""The blocks the match draws candidates from: a few indexed queries for a whole passenger list.

- the same document, or one a digit wrong or two neighbouring digits swapped (blind indexes);
- the same phone (blind index);
- a name alike and a birth date that is the same or may have been typed for it (day and month
  swapped, one digit wrong);
- a name alike and an age close to an estimate: people recorded with an estimated age alone,
  and, for a probe with no birth date, people born within those years.

On PostgreSQL the birth-date block keeps the people of those days whose folded name shares
enough trigrams with the probe's (pg_trgm's similarity), and people alike by an age find each
other by their match keys (people.identity.match_keys: names as they sound, paired, with the
year of birth, known or estimated; a GIN index). SQLite, the embedded default with its few
thousand people, finds the latter by any part of the name and leaves the rest to the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, Integer, Text, and_, bindparam, column, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session, aliased

from returnees.centres.models import Centre, Country
from returnees.core.db import among, among_selected
from returnees.people.identity import fold, match_keys, name_tokens
from returnees.people.models import MATCH_KEY, Phone, Returnee

if TYPE_CHECKING:
    from returnees.people.matching import IdentityProbe

# Only what the score compares: whole records are loaded for the few shown alone.
IDENTITY_COLUMNS = (
    Returnee.id,
    Returnee.given_names,
    Returnee.family_names,
    Returnee.sex,
    Returnee.birth_date,
    Returnee.estimated_age,
    Returnee.age_estimated_on,
    Returnee.document_type,
    Returnee.document_number_index,
    Returnee.merged_into_id,
)
# Trigram similarity of two folded names below which the birth-date block drops a person: a
# family name left out and a typo keep about 0.4 of them.
NAME_FLOOR = 0.3
# SQLite: a passenger list's probes a query at a time (its limits on expressions and values).
PLAIN_BATCH = 50
# Around an estimated age: its tolerance, and a year for the day within the year.
AGE_MARGIN_YEARS = 3


Numbered = list[tuple[int, "IdentityProbe"]]  # probes with their place in the list


@dataclass
class Blocks:
    """What the blocks brought up: each row once, by id; for each probe the ids it brought up
    and, of those, the blind indexes of the numbers they share with the probe."""

    rows: dict[int, Any] = field(default_factory=dict)
    found: list[set[int]] = field(default_factory=list)
    shared_phones: list[dict[int, set[str]]] = field(default_factory=list)

    def add(self, probe: int, row: Any) -> None:
        """A record merged into another is never offered: the person is the kept record."""
        if row.merged_into_id is not None:
            return
        self.rows.setdefault(row.id, row)
        self.found[probe].add(row.id)


def gather(session: Session, probes: list[IdentityProbe], country: Country | None) -> Blocks:
    """Every block, for every probe, limited to records held in `country` when given."""
    blocks = Blocks(found=[set() for _ in probes], shared_phones=[{} for _ in probes])
    numbered = list(enumerate(probes))
    postgres = session.get_bind().dialect.name == "postgresql"
    size = max(len(numbered), 1) if postgres else PLAIN_BATCH
    for start in range(0, len(numbered), size):
        part = numbered[start : start + size]
        _by_document(session, part, country, blocks)
        _by_phone(session, part, country, blocks)
        if postgres:
            _by_birth_date_postgres(session, part, country, blocks)
            _by_keys_postgres(session, part, country, blocks)
        else:
            _by_birth_date_plain(session, part, country, blocks)
            _by_estimate_plain(session, part, country, blocks)
    return blocks


def _numbers_by(numbered: Numbered, keys_of) -> dict[Any, set[int]]:
    """For each key (a blind index, a date), the numbers of the probes that have it."""
    found: dict[Any, set[int]] = {}
    for number, probe in numbered:
        for key in keys_of(probe):
            found.setdefault(key, set()).add(number)
    return found


def _in_country(session: Session, query, country: Country | None, people=Returnee):
    if country is None:
        return query
    centres = select(Centre.id).where(Centre.country == country)
    return query.where(among_selected(session, people.centre_id, centres))


def _rows(session: Session, query, country: Country | None) -> list[Any]:
    # No ORDER BY and no LIMIT: with either, PostgreSQL may walk the table or the primary key in
    # the hope of stopping early, instead of the index. The blocks are narrow by themselves.
    return list(session.execute(_in_country(session, query, country)))


def _by_document(session, numbered: Numbered, country, blocks: Blocks) -> None:
    wanted = _numbers_by(numbered, lambda probe: probe.document.every())
    if not wanted:
        return
    probes = dict(numbered)
    kinds = {probe.document_type for probe in probes.values() if probe.document.exact}
    query = select(*IDENTITY_COLUMNS).where(
        Returnee.document_type.in_(kinds),
        among(session, Returnee.document_number_index, wanted),
    )
    for row in _rows(session, query, country):
        for number in wanted.get(row.document_number_index, ()):
            if row.document_type == probes[number].document_type:
                blocks.add(number, row)


def _by_phone(session, numbered: Numbered, country, blocks: Blocks) -> None:
    wanted = _numbers_by(numbered, lambda probe: probe.phone_indexes)
    if not wanted:
        return
    query = (
        select(Phone.number_index, *IDENTITY_COLUMNS)
        .join(Returnee, Phone.returnee_id == Returnee.id)
        .where(among(session, Phone.number_index, wanted))
    )
    for row in _rows(session, query, country):
        for number in wanted.get(row.number_index, ()):
            blocks.add(number, row)
            blocks.shared_phones[number].setdefault(row.id, set()).add(row.number_index)


def _folded(probe: IdentityProbe) -> str:
    return fold(f"{probe.given_names} {probe.family_names}")


def _unnest(*columns: tuple[str, Any, list]):
    """A table of the probes' values, one row per probe (or per probe and date)."""
    arrays = [bindparam(None, values, type_=ARRAY(kind)) for _name, kind, values in columns]
    names = [column(name, kind) for name, kind, _values in columns]
    return func.unnest(*arrays).table_valued(*names).render_derived(name="probe")


def _by_birth_date_postgres(session, numbered: Numbered, country, blocks: Blocks) -> None:
    """The people of the days a probe's birth date may have been typed as, whose names share
    enough trigrams with the probe's: compared in the birth-date index alone (it holds the
    folded name and the centre), then only the rows of those alike read."""
    pairs = [(n, day, _folded(p)) for n, p in numbered for day in p.birth_dates]
    if not pairs:
        return
    wanted = _unnest(
        ("number", Integer, [n for n, _d, _f in pairs]),
        ("day", Date, [d for _n, d, _f in pairs]),
        ("name", Text, [f for _n, _d, f in pairs]),
    )
    born = aliased(Returnee, name="born")
    alike = _in_country(
        session,
        select(wanted.c.number, born.id)
        .select_from(wanted)
        .join(born, born.birth_date == wanted.c.day)
        .where(func.similarity(born.folded_name, wanted.c.name) >= NAME_FLOOR),
        country,
        born,
    ).subquery("alike")
    query = select(alike.c.number, *IDENTITY_COLUMNS).join(Returnee, Returnee.id == alike.c.id)
    for row in session.execute(query):
        blocks.add(row.number, row)


def _by_keys_postgres(session, numbered: Numbered, country, blocks: Blocks) -> None:
    """People alike by their match keys (names as they sound, paired, with the year of birth):
    recorded with an estimated age alone, for a probe with a birth date; anyone born within the
    years an estimate allows, for a probe without one. One lookup of the GIN index a key: an
    overlap with all of a passenger list's keys at once would be planned as a scan of the
    table, comparing each person's keys with thousands."""
    pairs = [(number, key) for number, probe in numbered for key in _keys(probe)]
    if not pairs:
        return
    wanted = _unnest(
        ("number", Integer, [number for number, _key in pairs]),
        ("key", MATCH_KEY, [key for _number, key in pairs]),
    )
    query = (
        select(wanted.c.number, *IDENTITY_COLUMNS)
        .select_from(wanted)
        .join(Returnee, Returnee.match_keys.contains(array([wanted.c.key])))
    )
    probes = dict(numbered)
    for row in _rows(session, query, country):
        if _within_estimate(probes[row.number], row):
            blocks.add(row.number, row)


def _keys(probe: IdentityProbe) -> set[str]:
    """The match keys of the people a probe may be: recorded with an estimated age alone, born
    in a year it allows (a probe with a birth date has found the others by their dates)."""
    if probe.birth_date:
        born, kinds = probe.birth_date.year, (True,)
    elif probe.estimated_age is not None:
        born, kinds = probe.day.year - probe.estimated_age, (True, False)
    else:
        return set()
    given, family = probe.given_names, probe.family_names
    return {
        key
        for year in range(born - AGE_MARGIN_YEARS, born + AGE_MARGIN_YEARS + 1)
        for estimated in kinds
        for key in match_keys(given, family, year, estimated)
    }


def _birth_window(probe: IdentityProbe) -> tuple[date, date] | None:
    """The birth dates an estimated age allows, with its tolerance (None with a birth date)."""
    if probe.birth_date or probe.estimated_age is None:
        return None
    latest = _years_before(probe.day, probe.estimated_age - AGE_MARGIN_YEARS)
    earliest = _years_before(probe.day, probe.estimated_age + AGE_MARGIN_YEARS + 1)
    return earliest, latest


def _years_before(day: date, years: int) -> date:
    return day - timedelta(days=round(max(years, 0) * 365.2425))


def _age_may_agree(probe: IdentityProbe, row: Any) -> bool:
    from returnees.people.matching import AGE_TOLERANCE, MatchRecord, age_gap

    gap = age_gap(probe, MatchRecord.of(row))
    return gap is not None and gap <= AGE_TOLERANCE + 1


def _by_birth_date_plain(session, numbered: Numbered, country, blocks: Blocks) -> None:
    wanted = _numbers_by(numbered, lambda probe: probe.birth_dates)
    if not wanted:
        return
    query = select(*IDENTITY_COLUMNS).where(Returnee.birth_date.in_(wanted))
    for row in _rows(session, query, country):
        for number in wanted.get(row.birth_date, ()):
            blocks.add(number, row)


def _by_estimate_plain(session, numbered: Numbered, country, blocks: Blocks) -> None:
    """Without pg_trgm: people sharing a part of the name with a probe, recorded with an
    estimated age alone or born within a probe's estimated years."""
    parts = {
        part
        for _n, p in numbered
        for part in (*name_tokens(p.given_names), *name_tokens(p.family_names))
        if len(part) >= 3
    }
    windows = [window for _n, p in numbered if (window := _birth_window(p))]
    if not parts:
        return
    ages = [and_(Returnee.birth_date.is_(None), Returnee.estimated_age.is_not(None))]
    ages += [Returnee.birth_date.between(earliest, latest) for earliest, latest in windows]
    query = select(*IDENTITY_COLUMNS).where(
        or_(*ages), or_(*(Returnee.folded_name.contains(part) for part in parts))
    )
    for row in _rows(session, query, country):
        for number, probe in numbered:
            if _within_estimate(probe, row):
                blocks.add(number, row)


def _within_estimate(probe: IdentityProbe, row: Any) -> bool:
    if row.birth_date is None:
        return _age_may_agree(probe, row)
    window = _birth_window(probe)
    return window is not None and window[0] <= row.birth_date <= window[1]
