"""The survey endpoints of /api/v1."""

from __future__ import annotations

from flask import Response, jsonify

from returnees.api import bp, load_body
from returnees.auth.access import current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session
from returnees.surveys.instrument import ItemEntry, change_instrument, require_instrument
from returnees.surveys.models import Instrument
from returnees.surveys.schemas import InstrumentSchema, WaveSchema
from returnees.surveys.services import SURVEY_ROLES, read_waves


@bp.get("/returnees/<int:returnee_id>/surveys")
@requires_role(*SURVEY_ROLES)
def returnee_surveys(returnee_id: int) -> Response:
    """A person's survey waves, latest first, with their answers and scores."""
    readings = read_waves(get_session(), current_actor(), returnee_id)
    return jsonify(WaveSchema(many=True).dump([reading.wave for reading in readings]))


def _dump(instrument: Instrument) -> dict:
    dumped = InstrumentSchema().dump(instrument)
    for item, found in zip(dumped["items"], instrument.items, strict=True):
        item["dimension"], item["kind"] = found.dimension.value, found.kind.value
        item["indicator"] = found.indicator.value if found.indicator else ""
    return dumped


@bp.get("/surveys/instrument")
@requires_role(Role.ADMIN)
def survey_instrument() -> Response:
    """The version of the survey asked in new waves, with its items."""
    return jsonify(_dump(require_instrument(get_session(), current_actor())))


@bp.get("/surveys/instrument/<int:version>")
@requires_role(Role.ADMIN)
def survey_instrument_version(version: int) -> Response:
    """One version of the survey, in use or not."""
    return jsonify(_dump(require_instrument(get_session(), current_actor(), version)))


@bp.put("/surveys/instrument")
@requires_role(Role.ADMIN)
def replace_survey_instrument() -> Response:
    """Replace the survey's items: a change makes a new version that new waves ask; the same
    items as now change nothing. Waves already opened keep their version."""
    require_instrument(get_session(), current_actor())
    body = load_body(InstrumentSchema())
    entries = [
        ItemEntry(**(item | {"indicator": item.get("indicator") or ""})) for item in body["items"]
    ]
    changed = change_instrument(get_session(), current_actor(), entries)
    return jsonify(_dump(changed))
