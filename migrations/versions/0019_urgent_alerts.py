"""urgent tasks: alerted down a chain until acknowledged, from any number, and answered

Each alert about an urgent task is kept (the step of the chain, who, which number) so that the
next one is alerted when nobody acknowledges it, and so that a reply with the task's number
from a phone alerted acknowledges it. A task from a number nobody holds keeps the number and
the country its prefix names; the sender of a danger signal gets one discreet line back.

Revision ID: 0019_urgent_alerts
Revises: 0018_on_call_rotas
Create Date: 2026-12-07
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0019_urgent_alerts"
down_revision = "0018_on_call_rotas"
branch_labels = None
depends_on = None

COUNTRY = sa.Enum("GT", "HN", "SV", name="country", native_enum=False, length=2)
# Discreet, as every template: nothing tells whoever holds the phone what was said, or to whom.
TEMPLATES = {
    "danger_ack": {
        "es": "Gracias. Alguien le llamará pronto.",
        "en": "Thank you. Someone will call you soon.",
    },
    "on_call_acknowledged": {
        "es": "Returnees: ref. {options} recibido. Gracias.",
        "en": "Returnees: ref. {options} acknowledged. Thank you.",
    },
    "on_call_not_understood": {
        "es": "Returnees: para confirmar, responda con el número del caso.",
        "en": "Returnees: to acknowledge, reply with the case's number.",
    },
}


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else now


def upgrade() -> None:
    op.create_table(
        "urgent_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["outbound_messages.id"],
            name=op.f("fk_urgent_alerts_message_id_outbound_messages"),
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_urgent_alerts_task_id_tasks")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_urgent_alerts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urgent_alerts")),
    )
    with op.batch_alter_table("urgent_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_urgent_alerts_phone"), ["phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_urgent_alerts_task_id"), ["task_id"], unique=False)
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=20), server_default="", nullable=False))
        batch_op.add_column(sa.Column("country", COUNTRY, nullable=True))
        batch_op.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_tasks_acknowledged_by_id_users"), "users", ["acknowledged_by_id"], ["id"]
        )
    templates = sa.table(
        "message_templates", sa.column("key", sa.String), sa.column("language", sa.String),
        sa.column("body", sa.Text), sa.column("whatsapp_content_sid", sa.String),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(templates, [
        {"key": key, "language": language, "body": body, "whatsapp_content_sid": "",
         "updated_at": _now()}
        for key, bodies in TEMPLATES.items()
        for language, body in bodies.items()
    ])


def downgrade() -> None:
    keys = ", ".join(f"'{key}'" for key in TEMPLATES)
    op.execute(f"DELETE FROM message_templates WHERE key IN ({keys})")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tasks_acknowledged_by_id_users"), type_="foreignkey")
        batch_op.drop_column("acknowledged_by_id")
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("country")
        batch_op.drop_column("phone")
    with op.batch_alter_table("urgent_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_urgent_alerts_task_id"))
        batch_op.drop_index(batch_op.f("ix_urgent_alerts_phone"))
    op.drop_table("urgent_alerts")
