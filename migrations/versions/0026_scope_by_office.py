"""scope follows the office: a person's office on their record, and existing cases routed

A social worker reaches the people their office follows up (and those assigned to them). The
record keeps what the rule reads: the office of the current case (casework.routing sets it).
Each open case goes to the office covering its person's home (as 0025 read it from the typed
destination) for its profile; the others wait on the supervisors' "to route". None is lost:
the upgrade says how many went each way.

Revision ID: 0026_scope_by_office
Revises: 0025_homes_from_free_text
Create Date: 2026-12-07
"""

import logging
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0026_scope_by_office"
down_revision = "0025_homes_from_free_text"
branch_labels = None
depends_on = None


def route_existing(connection) -> tuple[int, int]:
    """Give each open case the office covering its person's home (read from the typed
    destination by 0025) for its profile, noted in its history; the rest wait to be routed.
    How many went to an office, and how many wait. Run by upgrade() and by its test."""
    now = datetime.now(timezone.utc)
    rows = connection.execute(sa.text(
        "SELECT c.id, c.returnee_id, oc.centre_id FROM cases c "
        "JOIN returnees r ON r.id = c.returnee_id "
        "JOIN office_coverage oc ON oc.place_code = r.home_code AND oc.profile = "
        "CASE WHEN c.is_child THEN 'child' ELSE 'adult' END "
        "WHERE c.status <> 'closed' AND c.office_id IS NULL"
    )).all()
    for case, person, office in rows:
        connection.execute(
            sa.text("UPDATE cases SET office_id = :office WHERE id = :case"),
            {"office": office, "case": case},
        )
        connection.execute(
            sa.text("UPDATE returnees SET office_id = :office WHERE id = :person"),
            {"office": office, "person": person},
        )
        connection.execute(
            sa.text(
                "INSERT INTO case_office_changes (case_id, from_office_id, to_office_id, "
                "reason, at, by_id) VALUES (:case, NULL, :office, 'home', :at, NULL)"
            ).bindparams(sa.bindparam("at", type_=sa.DateTime(timezone=True))),
            {"case": case, "office": office, "at": now},
        )
    waiting = connection.scalar(sa.text(
        "SELECT count(*) FROM cases WHERE status <> 'closed' AND office_id IS NULL"
    ))
    return len(rows), waiting


def upgrade() -> None:
    with op.batch_alter_table("returnees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_returnees_office_id"), ["office_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_returnees_office_id_centres"), "centres", ["office_id"], ["id"]
        )
    routed, waiting = route_existing(op.get_bind())
    logging.getLogger("alembic.runtime.migration").info(
        "0026: %s open cases went to the office covering their home, %s wait to be routed "
        "(home unknown, or no office covers it yet)", routed, waiting,
    )


def downgrade() -> None:
    with op.batch_alter_table("returnees", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_returnees_office_id_centres"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_returnees_office_id"))
        batch_op.drop_column("office_id")
