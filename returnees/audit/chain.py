"""The audit trail as one hash chain, so that a changed, removed or reordered entry shows.

Each entry carries its place in the chain, the hash of the entry before it and its own hash
over both and its content. The chain is written when the transaction that added entries
commits, not when they are added: on PostgreSQL under a transaction-scoped advisory lock taken
after the transaction's last flush, so concurrent writers append one after the other while the
lock is held only for a few updates and the commit (SQLite has one writer at a time already).
Holding a lock from the first entry of a request to its commit would put every request in line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import bindparam, event, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from returnees.audit.models import AuditEntry

GENESIS = "0" * 64  # the "previous hash" of the first entry
UNSEALED = "returnees.audit.unsealed"  # session.info key: entries added in this transaction
CHAIN_LOCK = 0x61756469  # pg_advisory_xact_lock key ("audi")
VERIFY_BATCH = 2000


def entry_hash(previous_hash: str, entry: AuditEntry) -> str:
    """The hash of an entry: SHA-256 over the previous hash and the entry's content as
    canonical JSON (migration 0030 keeps a frozen copy of this function)."""
    content = {
        "id": entry.id,
        "position": entry.position,
        "at": entry.at.isoformat(),
        "user_id": entry.user_id,
        "actor": entry.actor,
        "address": entry.address,
        "action": str(getattr(entry.action, "value", entry.action)),
        "record_type": entry.record_type,
        "record_id": entry.record_id,
        "detail": entry.detail,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((previous_hash + canonical).encode()).hexdigest()


def track(session: Session, entry: AuditEntry) -> None:
    """Have this new entry chained when its transaction commits."""
    session.info.setdefault(UNSEALED, []).append(entry)


@event.listens_for(Session, "before_commit")
def _seal(session: Session) -> None:
    """Chain the entries this transaction added, last thing before it commits. An entry whose
    savepoint was rolled back has left the session and is not chained."""
    tracked = session.info.pop(UNSEALED, [])
    if not tracked:
        return
    session.flush()
    entries = sorted((e for e in tracked if e in session and e.id is not None), key=_id)
    if not entries:
        return
    position, previous = _head(session)
    rows = []
    for entry in entries:
        position += 1
        set_committed_value(entry, "position", position)
        set_committed_value(entry, "previous_hash", previous)
        digest = entry_hash(previous, entry)
        set_committed_value(entry, "hash", digest)
        rows.append({"entry_id": entry.id, "p": position, "prev": previous, "h": digest})
        previous = digest
    table = AuditEntry.__table__
    session.execute(
        table.update()
        .where(table.c.id == bindparam("entry_id"))
        .values(position=bindparam("p"), previous_hash=bindparam("prev"), hash=bindparam("h")),
        rows,
    )


def _id(entry: AuditEntry) -> int:
    return entry.id


def _head(session: Session) -> tuple[int, str]:
    """The last place and hash of the chain, once this transaction may append to it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    last = session.execute(
        select(AuditEntry.position, AuditEntry.hash)
        .where(AuditEntry.position.is_not(None))
        .order_by(AuditEntry.position.desc())
        .limit(1)
    ).first()
    return (last.position, last.hash) if last else (0, GENESIS)


@dataclass(frozen=True)
class BrokenLink:
    """Where the chain first breaks, and how."""

    entry_id: int
    position: int | None
    problem: str


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head: str
    broken: BrokenLink | None = None


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain from its first entry; report the first entry that does not follow from
    the one before it (changed, removed, inserted, reordered), or that was never chained."""
    unchained = session.scalar(select(AuditEntry.id).where(AuditEntry.hash.is_(None)).limit(1))
    count, previous = 0, GENESIS
    for entry in _in_chain_order(session):
        expected = count + 1
        problem = _problem(entry, expected, previous)
        if problem:
            return ChainReport(count, previous, BrokenLink(entry.id, entry.position, problem))
        count, previous = expected, entry.hash
    if unchained is not None:
        return ChainReport(count, previous, BrokenLink(unchained, None, "not in the chain"))
    return ChainReport(count, previous)


def _problem(entry: AuditEntry, expected_position: int, previous: str) -> str:
    if entry.position != expected_position:
        return f"expected position {expected_position}: entries before it are missing"
    if entry.previous_hash != previous:
        return "its previous hash is not the hash of the entry before it"
    if entry.hash != entry_hash(previous, entry):
        return "its content does not match its hash: it was changed"
    return ""


def _in_chain_order(session: Session) -> Iterator[AuditEntry]:
    """Every chained entry by position, read in batches (a long trail never sits in memory)."""
    after = 0
    while True:
        batch = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.position > after)
                .order_by(AuditEntry.position)
                .limit(VERIFY_BATCH)
                .execution_options(populate_existing=True)
            )
        )
        yield from batch
        if len(batch) < VERIFY_BATCH:
            return
        after = batch[-1].position
        session.expunge_all()
