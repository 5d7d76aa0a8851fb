"""an ordered on-call rota per region, in place of a yes/no on each account

An urgent case alerted every social worker marked on call in the region at once, and nobody
after them. Each region now has a rota, first to last: the alert goes to the first, and to the
next when nobody acknowledges it. Those on call today become the rota of their region, in the
order their accounts were made.

Revision ID: 0018_on_call_rotas
Revises: 0017_outbound_status_index
Create Date: 2026-12-07
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0018_on_call_rotas"
down_revision = "0017_outbound_status_index"
branch_labels = None
depends_on = None

COUNTRY = sa.Enum("GT", "HN", "SV", name="country", native_enum=False, length=2)


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else now


def upgrade() -> None:
    op.create_table(
        "on_call_places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", COUNTRY, nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_on_call_places_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_on_call_places")),
        sa.UniqueConstraint(
            "country", "region", "position", name=op.f("uq_on_call_places_country_region_position")
        ),
        sa.UniqueConstraint("user_id", name=op.f("uq_on_call_places_user_id")),
    )
    on_call = op.get_bind().execute(sa.text(
        "SELECT u.id, c.country, c.region FROM users u JOIN centres c ON c.id = u.centre_id "
        "WHERE u.is_on_call ORDER BY u.id"
    )).all()
    places, positions = [], {}
    for user_id, country, region in on_call:
        positions[(country, region)] = positions.get((country, region), 0) + 1
        places.append({"country": country, "region": region, "user_id": user_id,
                       "position": positions[(country, region)], "created_at": _now()})
    table = sa.table("on_call_places", *(sa.column(name) for name in
                     ("country", "region", "position", "user_id", "created_at")))
    if places:
        op.bulk_insert(table, places)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_on_call")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_on_call", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute("UPDATE users SET is_on_call = (id IN (SELECT user_id FROM on_call_places))")
    op.drop_table("on_call_places")
