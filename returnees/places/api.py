"""The places of /api/v1: where a returnee may live, by name, department or code."""

from __future__ import annotations

from flask import Response, jsonify

from returnees.api import bp, load_query
from returnees.auth.access import EVERY_ROLE, requires_role
from returnees.places.catalogue import search_places
from returnees.places.schemas import PlaceQuerySchema


@bp.get("/places")
@requires_role(*EVERY_ROLE)
def places() -> Response:
    """Places matching q (name, department or code; accents and case ignored), in a country."""
    query = load_query(PlaceQuerySchema())
    found = search_places(query["country"] or None, query["q"])
    return jsonify([place.as_json() for place in found])
