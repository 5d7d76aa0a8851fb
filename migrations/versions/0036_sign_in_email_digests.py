"""sign-in attempts keep the e-mail typed only as its keyed digest

The lock-out counts failed attempts per e-mail; what was typed may be a stranger's address or a
password typed in the wrong field, so it is kept as an HMAC under BLIND_INDEX_KEY (the same
digest the audit trail uses for an e-mail no account has). Existing attempts are digested in
place, so locks in force stay; the keys come from the app running the upgrade.

Revision ID: 0036_sign_in_email_digests
Revises: 0035_encryption_at_rest
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa

from returnees.auth.services import email_digest

revision = '0036_sign_in_email_digests'
down_revision = '0035_encryption_at_rest'
branch_labels = None
depends_on = None

ATTEMPTS = sa.table(
    'sign_in_attempts',
    sa.column('id', sa.Integer),
    sa.column('email', sa.String),
    sa.column('email_digest', sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_digest', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(ATTEMPTS.c.id, ATTEMPTS.c.email)).all()
    if rows:
        connection.execute(
            ATTEMPTS.update().where(ATTEMPTS.c.id == sa.bindparam('row_id')),
            [{'row_id': row.id, 'email_digest': email_digest(row.email)} for row in rows],
        )
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.alter_column('email_digest', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_index(batch_op.f('ix_sign_in_attempts_email'))
        batch_op.drop_column('email')
        batch_op.create_index(
            batch_op.f('ix_sign_in_attempts_email_digest'), ['email_digest'], unique=False
        )


def downgrade() -> None:
    """The e-mails cannot be read back from their digests: the attempts are dropped."""
    op.execute(ATTEMPTS.delete())
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_attempts_email_digest'))
        batch_op.drop_column('email_digest')
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=False))
        batch_op.create_index(batch_op.f('ix_sign_in_attempts_email'), ['email'], unique=False)
