"""The places of /api/v1: where a returnee may live, by name, department or code."""

from __future__ import annotations

from flask import Response, jsonify, request

from returnees.api import bp
from returnees.auth.access import EVERY_ROLE, requires_role
from returnees.places.catalogue import search_places


@bp.get("/places")
@requires_role(*EVERY_ROLE)
def places() -> Response:
    """Places matching q (name, department or code; accents and case ignored), in a country."""
    country = request.args.get("country", "").upper()
    found = search_places(country or None, request.args.get("q", ""))
    return jsonify([place.as_json() for place in found])
