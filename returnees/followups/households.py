"""A family's children followed on one guardian's number are asked each step's question
together, in one message that names them all ("¿Ana y Luis están bien? Responda 1 si todos, 2
si alguno no"), not one message each. The household the desk records (reception's
link_household) says who is a family; a question is asked together when its template has a
family wording: the same key followed by FAMILY_SUFFIX."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from returnees.core.db import among
from returnees.core.encryption import open_rows
from returnees.followups.models import CheckIn
from returnees.messaging.models import MessageTemplate
from returnees.messaging.window import local_zone, start_of_day
from returnees.reception.models import Arrival

FAMILY_SUFFIX = "_household"
# A group of check-ins asked together: one number, one question, one family.
FamilyKey = tuple[str, str, int]


def family_template(key: str) -> str:
    return f"{key}{FAMILY_SUFFIX}"


@dataclass(frozen=True)
class Families:
    """The check-ins of a batch that are asked together, by number, question and family; and
    the families one of whose check-ins another worker holds (asked next run, all together)."""

    groups: dict[FamilyKey, list[Row]]
    busy: frozenset[FamilyKey] = frozenset()

    def is_busy(self, check_in: Row) -> bool:
        return check_in.household_id is not None and _key(check_in) in self.busy

    def of(self, check_in: Row) -> list[Row]:
        """The check-ins asked together with this one, itself first; [] when it is asked alone."""
        group = self.groups.get(_key(check_in), [])
        if len(group) < 2 or check_in.id not in {c.id for c in group}:
            return []
        return [check_in, *(c for c in group if c.id != check_in.id)]

    @property
    def returnee_ids(self) -> set[int]:
        return {c.returnee_id for group in self.groups.values() for c in group}


def _key(check_in: Row) -> FamilyKey:
    return (check_in.phone, check_in.template, check_in.household_id)


def asked_with_family(
    session: Session,
    due: list[Row],
    people: dict[int, Row],
    now: datetime,
    query: Callable[[bool], Select],
) -> Families:
    """Group the due check-ins of a family that ask the same question on the same number with
    those of their brothers and sisters due the same local day (registered a little later at
    the desk, or past this batch's limit), which `query(locked)` finds: scheduled check-ins,
    locked by this worker, or all of them."""
    worded = _family_worded(session)
    candidates = [
        c for c in due if c.household_id is not None and family_template(c.template) in worded
    ]
    if not candidates:
        return Families({})
    households = {c.household_id for c in candidates}
    ends = {c.household_id: _end_of_day(now, people[c.returnee_id]) for c in candidates}
    taken = {c.id for c in due}

    def siblings(locked: bool) -> list[Row]:
        found = open_rows(
            session.execute(
                query(locked)
                .where(
                    among(session, Arrival.household_id, households),
                    CheckIn.due_at < max(ends.values()),
                    CheckIn.id.not_in(taken),
                )
                .order_by(CheckIn.due_at, CheckIn.id)
            ),
            CheckIn,
        )
        return [c for c in found if c.due_at < ends[c.household_id]]

    later = siblings(locked=True)
    held = {c.id for c in later}
    groups: dict[FamilyKey, list[Row]] = {}
    for check_in in [*candidates, *later]:
        groups.setdefault(_key(check_in), []).append(check_in)
    busy = {_key(c) for c in siblings(locked=False) if c.id not in held} & groups.keys()
    return Families(
        {key: group for key, group in groups.items() if len(group) > 1}, frozenset(busy)
    )


def _family_worded(session: Session) -> set[str]:
    """The templates that have a family wording."""
    keys = session.scalars(
        select(MessageTemplate.key).where(MessageTemplate.key.endswith(FAMILY_SUFFIX)).distinct()
    )
    return set(keys)


def _end_of_day(now: datetime, person: Row) -> datetime:
    return start_of_day(now, local_zone(person.nationality), days_later=1)
