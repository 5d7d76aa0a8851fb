from __future__ import annotations

from flask import Response, jsonify
from flask_babel import lazy_gettext as _

from returnees.api import bp, load_body, load_form
from returnees.auth.access import current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session
from returnees.core.errors import Conflict
from returnees.people.schemas import ReturneeSchema
from returnees.people.services import require_returnee
from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry
from returnees.reception.manifests import (
    ManifestEntry,
    discard_manifest,
    import_ready_rows,
    upload_passenger_list,
)
from returnees.reception.models import Arrival
from returnees.reception.schemas import (
    HandoverSchema,
    ManifestFormSchema,
    NewArrivalSchema,
    PassengerRowSchema,
    ReturneeCreateSchema,
    ReturneePatchSchema,
)
from returnees.reception.services import (
    RECEPTION_ROLES,
    HandoverEntry,
    PossibleMatch,
    add_return,
    arrivals_of,
    hand_over_child,
    intake_for,
    join_household,
    record_candidates_shown,
    register_arrival,
    shown_candidates,
    update_returnee,
)


def _phones(entries: list[dict]) -> list[PhoneEntry]:
    return [
        PhoneEntry(p["number"], p["owner"], p["channel"], p["consent"], p["calls_welcome"])
        for p in entries
    ]


def _arrival(body: dict) -> ArrivalEntry:
    return ArrivalEntry(
        body["centre"],
        body["arrived_at"],
        body["mode"],
        body["deporting_country"],
        body["reference"],
        body["return_type"],
    )


def home_code(home: dict | None) -> str:
    """The code of `"home": {"municipality": "GT-1201"}`; "" for `null` (unknown)."""
    return (home or {}).get("municipality", "") or ""


def intake_from_body(body: dict) -> Intake:
    document = body["document"] or {}
    return Intake(
        given_names=body["given_names"],
        family_names=body["family_names"],
        birth_date=body["birth_date"],
        estimated_age=body["estimated_age"],
        sex=body["sex"],
        nationality=body["nationality"],
        document_type=document.get("type", ""),
        document_number=document.get("number", ""),
        phones=_phones(body["phones"]),
        language=body["language"],
        municipality=body["municipality"],
        home=home_code(body["home"]),
        is_unaccompanied=body["unaccompanied"],
        arrival=_arrival(body["arrival"]),
    )


def possible_match_response(possible: PossibleMatch) -> tuple[Response, int]:
    record_candidates_shown(current_actor(), possible.candidates)
    body = possible.as_json()
    shown = shown_candidates(get_session(), current_actor(), possible.candidates)
    body["error"]["candidates"] = [candidate.as_json() for candidate in shown]
    return jsonify(body), 409


@bp.post("/returnees")
@requires_role(*RECEPTION_ROLES)
def create_returnee() -> tuple[Response, int]:
    """Register a returnee with their first arrival; 409 with candidates for an earlier record."""
    body = load_body(ReturneeCreateSchema())
    try:
        arrival = register_arrival(
            get_session(), current_actor(), intake_from_body(body), body["match"]
        )
    except PossibleMatch as possible:
        return possible_match_response(possible)
    _join_household(arrival, body["household_with"])
    return jsonify(ReturneeSchema().dump(arrival.returnee)), 201


def _join_household(arrival: Arrival, returnee_id: int | None) -> None:
    if returnee_id is not None:
        join_household(get_session(), current_actor(), arrival, returnee_id)


@bp.patch("/returnees/<int:returnee_id>")
@requires_role(*RECEPTION_ROLES, Role.SOCIAL_WORKER)
def patch_returnee(returnee_id: int) -> Response:
    """Change a record's identity, phones, language or destination."""
    body = load_body(ReturneePatchSchema())
    changes = {
        name: value for name, value in body.items() if name not in ("document", "phones", "home")
    }
    if "home" in body:
        changes["home"] = home_code(body["home"])
    if "document" in body:
        document = body["document"] or {}
        changes |= {
            "document_type": document.get("type", ""),
            "document_number": document.get("number", ""),
        }
    if "phones" in body:
        changes["phones"] = _phones(body["phones"])
    returnee = update_returnee(get_session(), current_actor(), returnee_id, changes)
    return jsonify(ReturneeSchema().dump(returnee))


@bp.post("/returnees/<int:returnee_id>/arrivals")
@requires_role(*RECEPTION_ROLES)
def add_arrival(returnee_id: int) -> tuple[Response, int]:
    """Record a new return of a known person."""
    returnee = require_returnee(get_session(), current_actor(), returnee_id)
    body = load_body(NewArrivalSchema())
    intake = intake_for(
        returnee,
        arrival=_arrival(body["arrival"]),
        is_unaccompanied=body["unaccompanied"],
        phones=_phones(body["phones"]),
    )
    arrival = add_return(get_session(), current_actor(), returnee.id, intake)
    _join_household(arrival, body["household_with"])
    return jsonify(ReturneeSchema().dump(arrival.returnee)), 201


@bp.post("/returnees/<int:returnee_id>/handover")
@requires_role(*RECEPTION_ROLES)
def handover(returnee_id: int) -> Response:
    """Hand a child travelling alone to a parent or guardian (or ask a supervisor to approve)."""
    body = load_body(HandoverSchema())
    returnee = require_returnee(get_session(), current_actor(), returnee_id)
    in_custody = [a for a in arrivals_of(get_session(), returnee) if a.custody]
    arrival_id = body["arrival_id"] or (in_custody[0].id if in_custody else None)
    if arrival_id not in {arrival.id for arrival in in_custody}:
        raise Conflict(_("This person has no arrival as a child travelling alone."))
    entry = HandoverEntry(
        body["guardian_name"],
        body["relationship"],
        body["document"],
        body["phone"],
        body["document_checked"],
        body["phone_consent"],
    )
    hand_over_child(get_session(), current_actor(), arrival_id, entry)
    return jsonify(ReturneeSchema().dump(returnee))


@bp.post("/manifests")
@requires_role(*RECEPTION_ROLES)
def manifests() -> tuple[Response, int]:
    """Upload a passenger list (multipart: file, centre, reference, expected_at, mode,
    deporting_country, import): answers with the preview, or with the import's result."""
    form = load_form(ManifestFormSchema())
    upload = form["file"]
    entry = ManifestEntry(
        form["centre"],
        form["reference"],
        form["mode"],
        form["deporting_country"],
        form["expected_at"],
    )
    session, actor = get_session(), current_actor()
    result = upload_passenger_list(session, actor, entry, upload.filename or "", upload.read())
    imported = import_ready_rows(session, actor, result.manifest.id) if form["confirm"] else 0
    body = {
        "manifest_id": result.manifest.id,
        "added": len(result.added),
        "duplicates": result.duplicates,
        "needs_fixing": result.needs_fixing,
        "imported": imported,
        "rows": PassengerRowSchema(many=True).dump(result.added),
    }
    return jsonify(body), 201 if form["confirm"] else 200


@bp.delete("/manifests/<int:manifest_id>")
@requires_role(*RECEPTION_ROLES)
def discard_list(manifest_id: int) -> tuple[str, int]:
    """Discard a passenger list nobody on it was imported from (409 once someone was)."""
    discard_manifest(get_session(), current_actor(), manifest_id)
    return "", 204
