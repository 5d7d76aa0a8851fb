"""the audit trail as a hash chain, with the people each entry names, and no TRUNCATE

Each entry gets its place in one chain, the hash of the entry before it and its own hash (the
entries already written are chained here, oldest first); the people an entry is about or
showed get an indexed table, so "who looked at this person" is one read. On PostgreSQL the
append-only trigger now lets the chain's columns be written once (NULL to a value, nothing else
changed), and a statement trigger refuses TRUNCATE of either table.

Revision ID: 0033_audit_chain
Revises: 0032_erasures
Create Date: 2026-12-09
"""

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0033_audit_chain"
down_revision = "0032_erasures"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
BATCH = 1000
PERSON_RECORDS = {"returnee", "returnee_referrals", "risk_flag"}

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- The chain's columns are written once, when the inserting transaction commits.
        IF OLD.hash IS NULL AND NEW.hash IS NOT NULL
           AND ROW(NEW.id, NEW.at, NEW.user_id, NEW.actor, NEW.address, NEW.action,
                   NEW.record_type, NEW.record_id, NEW.detail::text)
               IS NOT DISTINCT FROM
               ROW(OLD.id, OLD.at, OLD.user_id, OLD.actor, OLD.address, OLD.action,
                   OLD.record_type, OLD.record_id, OLD.detail::text) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_entries is append-only';
END $$
"""
PEOPLE_APPEND_ONLY = """
CREATE FUNCTION audit_entry_people_append_only() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'audit_entry_people is append-only'; END $$
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("previous_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_audit_entries_position"), ["position"])
    op.create_table(
        "audit_entry_people",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("returnee_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["audit_entries.id"],
            name=op.f("fk_audit_entry_people_entry_id_audit_entries"),
        ),
        sa.PrimaryKeyConstraint("entry_id", "returnee_id", name=op.f("pk_audit_entry_people")),
    )
    with op.batch_alter_table("audit_entry_people", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_entry_people_returnee", ["returnee_id", "entry_id"], unique=False
        )
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(APPEND_ONLY)
    chain_existing_entries(op.get_bind())
    if postgresql:
        op.execute(
            "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()"
        )
        op.execute(PEOPLE_APPEND_ONLY)
        op.execute(
            "CREATE TRIGGER audit_entry_people_append_only "
            "BEFORE UPDATE OR DELETE ON audit_entry_people "
            "FOR EACH ROW EXECUTE FUNCTION audit_entry_people_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_entry_people_no_truncate BEFORE TRUNCATE ON audit_entry_people "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_people_append_only()"
        )


def chain_existing_entries(connection) -> None:
    """Chain the entries not in the chain yet (all of them, at the upgrade) in id order after
    its last one, and index the people each names, in batches."""
    entries = sa.table(
        "audit_entries",
        *(sa.column(name) for name in ("id", "at", "user_id", "actor", "address", "action")),
        *(sa.column(name) for name in ("record_type", "record_id", "position")),
        sa.column("detail", sa.JSON()),
        sa.column("previous_hash"),
        sa.column("hash"),
    )
    people = sa.table("audit_entry_people", sa.column("entry_id"), sa.column("returnee_id"))
    head = connection.execute(
        sa.select(entries.c.position, entries.c.hash)
        .where(entries.c.position.is_not(None))
        .order_by(entries.c.position.desc())
        .limit(1)
    ).first()
    after, (position, previous) = 0, head or (0, GENESIS)
    while True:
        rows = connection.execute(
            sa.select(entries)
            .where(entries.c.id > after, entries.c.hash.is_(None))
            .order_by(entries.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        chained, named = [], []
        for row in rows:
            position += 1
            digest = entry_hash(previous, row, position)
            chained.append({"entry_id": row.id, "p": position, "prev": previous, "h": digest})
            named += [{"entry_id": row.id, "returnee_id": p} for p in people_named(row)]
            previous = digest
        connection.execute(
            entries.update()
            .where(entries.c.id == sa.bindparam("entry_id"))
            .values(
                position=sa.bindparam("p"),
                previous_hash=sa.bindparam("prev"),
                hash=sa.bindparam("h"),
            ),
            chained,
        )
        if named:
            connection.execute(people.insert(), named)
        after = rows[-1].id


def entry_hash(previous_hash: str, row, position: int) -> str:
    """returnees.audit.chain.entry_hash as it stood when this migration was written."""
    at = row.at
    if isinstance(at, str):  # SQLite gives the stored text
        at = datetime.fromisoformat(at)
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    detail = json.loads(row.detail) if isinstance(row.detail, str) else row.detail
    content = {
        "id": row.id,
        "position": position,
        "at": at.isoformat(),
        "user_id": row.user_id,
        "actor": row.actor,
        "address": row.address,
        "action": row.action,
        "record_type": row.record_type,
        "record_id": row.record_id,
        "detail": detail,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((previous_hash + canonical).encode()).hexdigest()


def people_named(row) -> list[int]:
    """The people an entry is about or showed (a search listed them under "shown")."""
    detail = json.loads(row.detail) if isinstance(row.detail, str) else row.detail or {}
    named = set()
    if row.record_type in PERSON_RECORDS and str(row.record_id).isdigit():
        named.add(int(row.record_id))
    for key in ("returnee", "returnee_id"):
        if isinstance(detail.get(key), int):
            named.add(detail[key])
    if row.record_type == "returnee_search":
        named.update(value for value in detail.get("shown", ()) if isinstance(value, int))
    return sorted(named)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_entry_people_no_truncate ON audit_entry_people")
        op.execute("DROP TRIGGER audit_entry_people_append_only ON audit_entry_people")
        op.execute("DROP FUNCTION audit_entry_people_append_only()")
        op.execute("DROP TRIGGER audit_entries_no_truncate ON audit_entries")
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_entries is append-only'; END $$"
        )
    with op.batch_alter_table("audit_entry_people", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_people_returnee")
    op.drop_table("audit_entry_people")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_entries_position"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("previous_hash")
        batch_op.drop_column("position")
