"""homes read from the destination typed as free text, where it names one place

Before homes had codes the desk typed where the person was going ("San Marcos", "Mixco"). Each
such text that names exactly one place of the person's country (by its name, or "name,
department") becomes the home; the rest stay unknown, the text kept as typed. The upgrade says
how many went each way; 0026 then routes the open cases by these homes.

Revision ID: 0025_homes_from_free_text
Revises: 0024_offices
Create Date: 2026-12-07
"""

import logging

import sqlalchemy as sa
from alembic import op

from returnees.people.identity import InvalidValue
from returnees.places.catalogue import read_place

revision = "0025_homes_from_free_text"
down_revision = "0024_offices"
branch_labels = None
depends_on = None


def read_homes(connection) -> tuple[int, int]:
    """Give a home to each person whose typed destination names one place of their country;
    how many got one, and how many were left unknown. Run by upgrade() and by its test."""
    typed = connection.execute(sa.text(
        "SELECT id, nationality, municipality FROM returnees "
        "WHERE home_code IS NULL AND municipality <> ''"
    )).all()
    found = {}
    for person, country, text in typed:
        try:
            place = read_place(text, country)
        except InvalidValue:
            continue  # no place, or several, of that name in the person's country
        if place is not None:
            found[person] = place.code
    for person, code in found.items():
        connection.execute(
            sa.text("UPDATE returnees SET home_code = :code WHERE id = :id"),
            {"code": code, "id": person},
        )
    return len(found), len(typed) - len(found)


def upgrade() -> None:
    read, unknown = read_homes(op.get_bind())
    logging.getLogger("alembic.runtime.migration").info(
        "0025: %s homes read from the destination typed at the desk, %s left unknown "
        "(no place or several of that name)", read, unknown,
    )


def downgrade() -> None:
    pass  # the free text was kept: nothing to undo
