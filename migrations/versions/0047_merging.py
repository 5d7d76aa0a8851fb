"""merging people registered twice: the pairs found, merges and what each changed

The nightly search stores the pairs of records that may be one person (duplicate_pairs) for
supervisors to decide. A merge (merges) keeps one record; every value it changed is a row of
merge_moves (table, row, column, the value before), which its undo writes back. A merged
record points to the kept one (returnees.merged_into_id). An arrival moved to another record
takes its check-ins along: their key to it now cascades on update. The search blocks on the
birth date and the sound keys of the first two family names (returnees.family_key and
second_family_key, people.identity.family_keys), computed here for the people already held:
once per distinct family name, then written in one UPDATE.

Revision ID: 0047_merging
Revises: 0046_earlier_match_reasons
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa

from returnees.people.identity import KEY_LENGTH, family_keys

BATCH = 5000


def fill_family_keys(connection) -> int:
    """Give every person the sound keys of their family names; how many distinct family names
    there were. Run by upgrade() and by its test."""
    names = [
        row[0] for row in connection.execute(sa.text("SELECT DISTINCT family_names FROM returnees"))
    ]
    connection.execute(
        sa.text(
            "CREATE TEMPORARY TABLE family_keys_known "
            "(family_names VARCHAR(120) PRIMARY KEY, family_key VARCHAR(40), second_key VARCHAR(40))"
        )
    )
    insert = sa.text("INSERT INTO family_keys_known VALUES (:names, :first, :second)")
    for start in range(0, len(names), BATCH):
        connection.execute(
            insert,
            [
                dict(zip(("names", "first", "second"), (name, *family_keys(name)), strict=True))
                for name in names[start : start + BATCH]
            ],
        )
    connection.execute(
        sa.text(
            "UPDATE returnees SET family_key = known.family_key, second_family_key = known.second_key "
            "FROM family_keys_known AS known WHERE known.family_names = returnees.family_names"
        )
    )
    connection.execute(sa.text("DROP TABLE family_keys_known"))
    return len(names)


revision = "0047_merging"
down_revision = "0046_earlier_match_reasons"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kept_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("merged_by_id", sa.Integer(), nullable=True),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("high_water", sa.JSON(), nullable=False),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stayed", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kept_id"], ["returnees.id"], name=op.f("fk_merges_kept_id_returnees")
        ),
        sa.ForeignKeyConstraint(
            ["merged_by_id"], ["users.id"], name=op.f("fk_merges_merged_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["merged_id"], ["returnees.id"], name=op.f("fk_merges_merged_id_returnees")
        ),
        sa.ForeignKeyConstraint(
            ["undone_by_id"], ["users.id"], name=op.f("fk_merges_undone_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merges")),
    )
    with op.batch_alter_table("merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_merges_kept_id"), ["kept_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_merges_merged_id"), ["merged_id"], unique=False)

    op.create_table(
        "duplicate_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "country", sa.Enum("GT", "HN", "SV", name="country", native_enum=False), nullable=False
        ),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("second_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "same", "different", name="pairstatus", native_enum=False, length=10
            ),
            nullable=False,
        ),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merge_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_duplicate_pairs_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["first_id"], ["returnees.id"], name=op.f("fk_duplicate_pairs_first_id_returnees")
        ),
        sa.ForeignKeyConstraint(
            ["merge_id"], ["merges.id"], name=op.f("fk_duplicate_pairs_merge_id_merges")
        ),
        sa.ForeignKeyConstraint(
            ["second_id"], ["returnees.id"], name=op.f("fk_duplicate_pairs_second_id_returnees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_pairs")),
        sa.UniqueConstraint(
            "first_id", "second_id", name=op.f("uq_duplicate_pairs_first_id_second_id")
        ),
    )
    with op.batch_alter_table("duplicate_pairs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_duplicate_pairs_review", ["country", "status", "weight"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_duplicate_pairs_second_id"), ["second_id"], unique=False
        )

    op.create_table(
        "merge_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merge_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("column_name", sa.String(length=63), nullable=False),
        sa.Column("from_value", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merge_id"], ["merges.id"], name=op.f("fk_merge_moves_merge_id_merges")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_moves")),
    )
    with op.batch_alter_table("merge_moves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_merge_moves_merge_id"), ["merge_id"], unique=False)

    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_constraint("fk_check_ins_arrival_id_arrivals", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_check_ins_arrival_id_arrivals",
            "arrivals",
            ["arrival_id", "returnee_id"],
            ["id", "returnee_id"],
            onupdate="CASCADE",
        )

    with op.batch_alter_table("returnees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("family_key", sa.String(KEY_LENGTH), nullable=True))
        batch_op.add_column(sa.Column("second_family_key", sa.String(KEY_LENGTH), nullable=True))
        batch_op.create_foreign_key(
            "fk_returnees_merged_into_id_returnees", "returnees", ["merged_into_id"], ["id"]
        )
        batch_op.create_index(
            "ix_returnees_merged_into",
            ["merged_into_id"],
            unique=False,
            postgresql_where=sa.text("merged_into_id IS NOT NULL"),
            sqlite_where=sa.text("merged_into_id IS NOT NULL"),
        )
    fill_family_keys(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("returnees", schema=None) as batch_op:
        batch_op.drop_index("ix_returnees_merged_into")
        batch_op.drop_constraint("fk_returnees_merged_into_id_returnees", type_="foreignkey")
        batch_op.drop_column("second_family_key")
        batch_op.drop_column("family_key")
        batch_op.drop_column("merged_into_id")

    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_constraint("fk_check_ins_arrival_id_arrivals", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_check_ins_arrival_id_arrivals",
            "arrivals",
            ["arrival_id", "returnee_id"],
            ["id", "returnee_id"],
        )

    op.drop_table("merge_moves")
    op.drop_table("duplicate_pairs")
    op.drop_table("merges")
