"""The type-ahead of the intake's home field: the places matching what staff type."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from returnees.auth.access import EVERY_ROLE, requires_role
from returnees.core.db import reads_only
from returnees.places.catalogue import place_of_dpi, search_places

bp = Blueprint("places", __name__, url_prefix="/places")
SHOWN = 12


@bp.get("/search")
@requires_role(*EVERY_ROLE)
@reads_only
def search() -> Response:
    """Places for the home field: the DPI's municipality first, when one is given; then those
    matching q in the person's country."""
    country = request.args.get("country", "").upper() or None
    found = search_places(country, request.args.get("q", ""), limit=SHOWN)
    suggested = place_of_dpi(request.args.get("dpi", ""))
    if suggested and country in (None, "GT"):
        found = [suggested, *(place for place in found if place != suggested)][:SHOWN]
    return jsonify(
        [
            place.as_json() | {"label": place.label, "from_dpi": place == suggested}
            for place in found
        ]
    )
