"""sessions kept on the server, and API tokens that expire

A signed-in browser is a row of signed_in_sessions (the cookie carries its key, the row its
SHA-256), so signing out, a password change, idleness and age end it on the server. Every API
token gets an expiry; the tokens already issued get 90 days from this upgrade, so that no
integration stops without notice.

Revision ID: 0031_sessions_and_token_expiry
Revises: 0030_pending_uploads
Create Date: 2026-12-09
"""

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "0031_sessions_and_token_expiry"
down_revision = "0030_pending_uploads"
branch_labels = None
depends_on = None

EXISTING_TOKEN_DAYS = 90


def upgrade() -> None:
    op.create_table(
        "signed_in_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_signed_in_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signed_in_sessions")),
        sa.UniqueConstraint("digest", name=op.f("uq_signed_in_sessions_digest")),
    )
    with op.batch_alter_table("signed_in_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signed_in_sessions_user_id"), ["user_id"])
        batch_op.create_index(batch_op.f("ix_signed_in_sessions_ended_at"), ["ended_at"])

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    expires = datetime.now(timezone.utc) + timedelta(days=EXISTING_TOKEN_DAYS)
    if op.get_bind().dialect.name == "sqlite":  # stored without its zone, as UTCDateTime does
        expires = expires.replace(tzinfo=None)
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    op.execute(tokens.update().values(expires_at=expires))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("signed_in_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signed_in_sessions_ended_at"))
        batch_op.drop_index(batch_op.f("ix_signed_in_sessions_user_id"))
    op.drop_table("signed_in_sessions")
