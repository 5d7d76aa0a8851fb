"""Which rows are the demo's own, and moving them to today: an old demo's flight landed weeks
ago, its questions all went out, its tasks are weeks late and the supervisor's week is empty;
`seed-demo --refresh` moves the whole history forward by the days since it was seeded, as if
it had been seeded today. Only the demo's own rows move (those it wrote, as they stood when
seeding finished); what people entered since stays where it happened. The audit log, which
is only ever appended to, keeps when things were really done."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Table, bindparam, or_, select
from sqlalchemy.orm import Session

from returnees.core.db import Base, UTCDateTime
from returnees.core.encryption import phone_index
from returnees.demo.models import DemoSeed
from returnees.demo.offices import DEMO_OFFICES
from returnees.people.identity import normalise_phone
from returnees.reports.facts import mark_stale

ZONE = ZoneInfo("America/Guatemala")
# Where the demo's rows start from; every row that refers to one of theirs is the demo's too.
ROOTS = ("returnees", "manifests")
NEVER_MOVED = {"audit_entries", "demo_seeds"}
# Times still to come (a plan's later questions, a task's deadline, a retry) move with the
# history, into the future; every other time has happened, and is never moved past now.
STILL_TO_COME = {
    ("check_ins", "due_at"),
    ("tasks", "due_at"),
    ("outbound_messages", "next_attempt_at"),
}
# Dates of the history (the flight's day); birth dates are not history.
HISTORY_DATES = {("manifests", "expected_on")}
# Messages to and from the demo's staff phones (on-call alerts, acknowledgements) about no one.
# Sealed numbers: found by their blind index.
BY_PHONE = {"outbound_messages": "phone_index", "inbound_messages": "from_number_index"}


def staff_phones() -> set[str]:
    return {normalise_phone(office.phone, "GT") for office in DEMO_OFFICES}


def demo_rows(
    session: Session, returnee_ids: list[int], manifest_ids: list[int], phones: set[str]
) -> dict[str, list]:
    """{table: primary keys} of the demo's rows with times: its people and its flight, every
    row referring to them (tables in dependency order, so a row of a row counts too), and the
    messages of its staff phones."""
    owned: dict[str, set] = {"returnees": set(returnee_ids), "manifests": set(manifest_ids)}
    for table in Base.metadata.sorted_tables:
        if table.name in ROOTS or table.name in NEVER_MOVED:
            continue
        belongs = [
            column.in_(owned[key.column.table.name])
            for column in table.columns
            for key in column.foreign_keys
            if owned.get(key.column.table.name)
        ]
        if table.name in BY_PHONE and phones:
            indexes = {phone_index(phone) for phone in phones}
            belongs.append(table.c[BY_PHONE[table.name]].in_(indexes))
        if belongs:
            (key,) = table.primary_key.columns
            owned[table.name] = set(session.scalars(select(key).where(or_(*belongs))))
    return {
        name: sorted(keys)
        for name, keys in owned.items()
        if keys and _times(Base.metadata.tables[name])
    }


def move_to_today(session: Session, seed: DemoSeed, now: datetime) -> int:
    """Move the demo's history by the days from the day it was seeded to today (La Aurora's
    days, so that every message keeps its hour); how many days. Nothing moves on the day it
    was seeded."""
    days = (now.astimezone(ZONE).date() - seed.seeded_at.astimezone(ZONE).date()).days
    if days <= 0:
        return 0
    shift = timedelta(days=days)
    for name, keys in seed.rows.items():
        _move(session, Base.metadata.tables[name], keys, shift, now)
    mark_stale(session, seed.rows.get("returnees", []))  # their figures count days from arrival
    seed.seeded_at = min(seed.seeded_at + shift, now)
    session.flush()
    session.expire_all()
    return days


def _times(table: Table) -> list:
    return [
        column
        for column in table.columns
        if isinstance(column.type, UTCDateTime)
        or (isinstance(column.type, Date) and (table.name, column.name) in HISTORY_DATES)
    ]


def _move(session: Session, table: Table, keys: list, shift: timedelta, now: datetime) -> None:
    (key,) = table.primary_key.columns
    times = _times(table)
    rows = session.execute(select(key, *times).where(key.in_(keys))).all()
    if not rows:
        return
    session.execute(
        table.update()
        .where(key == bindparam("row_key", type_=key.type))
        .values({column: bindparam(f"moved_{column.name}", type_=column.type) for column in times}),
        [
            {"row_key": row[0]}
            | {
                f"moved_{column.name}": _moved(value, shift, now, (table.name, column.name))
                for column, value in zip(times, row[1:], strict=True)
            }
            for row in rows
        ],
    )


def _moved(
    value: datetime | date | None, shift: timedelta, now: datetime, column: tuple[str, str]
) -> datetime | date | None:
    if value is None or not isinstance(value, datetime):
        return value + shift if value is not None else None
    moved = value + shift
    return moved if column in STILL_TO_COME else min(moved, now)
