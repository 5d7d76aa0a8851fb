"""Passenger lists of announced flights and buses: preview, fix, import, arrival checklist."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.core.clock import utcnow
from returnees.core.db import get_required
from returnees.core.encryption import keyring
from returnees.core.errors import Conflict, Forbidden, InvalidInput
from returnees.people.services import IdentityProbe, find_candidates_for_many
from returnees.reception.models import (
    ExpectedPassenger,
    Manifest,
    PassengerStatus,
    TravelMode,
)
from returnees.reception.passenger_lists import (
    PASSENGER_FIELDS,
    ListRow,
    UnreadableList,
    read_passenger_list,
    validate_passenger,
)
from returnees.reception.services import RECEPTION_ROLES, desk_centre

MAX_LIST_BYTES = 5 * 1024 * 1024
ON_CHECKLIST = (PassengerStatus.EXPECTED, PassengerStatus.ARRIVED)


@dataclass
class ManifestEntry:
    centre: str = ""
    reference: str = ""
    mode: str = TravelMode.FLIGHT.value
    deporting_country: str = "US"
    expected_at: datetime | None = None


@dataclass
class UploadResult:
    manifest: Manifest
    added: list[ExpectedPassenger] = field(default_factory=list)
    duplicates: int = 0

    @property
    def needs_fixing(self) -> int:
        return sum(1 for row in self.added if row.status is PassengerStatus.NEEDS_FIXING)


def upload_passenger_list(
    session: Session, actor: Actor, entry: ManifestEntry, filename: str, content: bytes
) -> UploadResult:
    """Read a passenger list into the flight's preview; rows already on it are not added again."""
    actor.require_role(*RECEPTION_ROLES)
    manifest_fields = _check_manifest(entry)
    if len(content) > MAX_LIST_BYTES:
        raise InvalidInput(_("The list is too large."), {"file": [_("At most 5 MB.")]})
    try:
        rows = read_passenger_list(filename, content)
    except UnreadableList as error:
        raise InvalidInput(_("The list could not be read."), {"file": [error.message]}) from error
    manifest = _find_or_create_manifest(session, actor, entry, manifest_fields)
    known: set[str] = set()
    for row_key, source_key in session.execute(
        select(ExpectedPassenger.row_key, ExpectedPassenger.source_key).where(
            ExpectedPassenger.manifest_id == manifest.id
        )
    ):
        known.update((row_key, source_key))
    result = UploadResult(manifest)
    for row in rows:
        key = _row_key(row)
        if key in known:
            result.duplicates += 1
            continue
        known.add(key)
        result.added.append(_new_passenger(manifest, row, key))
    session.add_all(result.added)
    _look_for_earlier_records(session, manifest, result.added)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.CREATE,
        "manifest",
        manifest.id,
        rows=len(result.added),
        duplicates=result.duplicates,
        file=filename,
    )
    return result


def _check_manifest(entry: ManifestEntry) -> tuple[str, TravelMode, str, datetime]:
    errors: dict[str, list[object]] = {}
    reference = entry.reference.strip().upper()
    if not reference:
        errors["reference"] = [_("Give the flight number or the bus reference.")]
    try:
        mode = TravelMode(entry.mode)
    except ValueError:
        errors["mode"] = [_("Choose flight, bus or land.")]
        mode = TravelMode.FLIGHT
    deporting = entry.deporting_country.strip().upper()
    if len(deporting) != 2 or not deporting.isalpha():
        errors["deporting_country"] = [_("Give the two-letter country code, such as US or MX.")]
    if entry.expected_at is None:
        errors["expected_at"] = [_("Give the expected arrival time.")]
    if errors:
        raise InvalidInput(_("Nothing was saved: correct the fields marked."), errors)
    return reference, mode, deporting, entry.expected_at


def _find_or_create_manifest(
    session: Session,
    actor: Actor,
    entry: ManifestEntry,
    fields: tuple[str, TravelMode, str, datetime],
) -> Manifest:
    reference, mode, deporting, expected_at = fields
    centre = desk_centre(session, actor, entry.centre)
    expected_on = expected_at.astimezone(ZoneInfo(centre.timezone)).date()
    manifest = session.scalar(
        select(Manifest).where(
            Manifest.centre_id == centre.id,
            Manifest.reference == reference,
            Manifest.expected_on == expected_on,
        )
    )
    if manifest is None:
        manifest = Manifest(
            centre=centre,
            reference=reference,
            mode=mode,
            deporting_country=deporting,
            expected_at=expected_at,
            expected_on=expected_on,
            uploaded_by_id=actor.user_id,
            created_at=utcnow(),
        )
        session.add(manifest)
        session.flush()
    return manifest


def _row_key(row: ListRow) -> str:
    if row.passenger is not None:
        return passenger_key(row.passenger.row_key())
    digest = hashlib.sha1(json.dumps(row.values, sort_keys=True).encode()).hexdigest()[:16]
    return passenger_key(f"unreadable:{digest}")


def passenger_key(key: str) -> str:
    """What recognises a row (its document, or its names and birth date) as a keyed digest:
    the row's values are sealed, and so must be what is compared of them."""
    return keyring().index("passenger", key)


def _new_passenger(manifest: Manifest, row: ListRow, key: str) -> ExpectedPassenger:
    ready = row.passenger is not None
    return ExpectedPassenger(
        manifest=manifest,
        row_number=row.row_number,
        row_key=key,
        source_key=key,
        values=dict(row.values),
        problems=dict(row.problems),
        status=PassengerStatus.READY if ready else PassengerStatus.NEEDS_FIXING,
        is_unaccompanied=bool(row.passenger and row.passenger.is_unaccompanied),
    )


def _look_for_earlier_records(
    session: Session, manifest: Manifest, passengers: list[ExpectedPassenger]
) -> None:
    """On import as at the desk: note who on the list may have been registered before."""
    probes, valid = [], []
    for passenger in passengers:
        cleaned, _problems = validate_passenger(passenger.values)
        passenger.earlier_record_ids = []
        if cleaned is not None:
            valid.append(passenger)
            probes.append(
                IdentityProbe(
                    given_names=cleaned.given_names,
                    family_names=cleaned.family_names,
                    birth_date=cleaned.birth_date,
                    document_type=cleaned.document_type,
                    document_number=cleaned.document_number,
                    phones=(cleaned.phone,) if cleaned.phone else (),
                    sex=cleaned.sex,
                )
            )
    with session.no_autoflush:
        found = find_candidates_for_many(session, probes, country=manifest.centre.country)
    for passenger, candidates in zip(valid, found, strict=True):
        passenger.earlier_record_ids = [candidate.returnee.id for candidate in candidates]


def require_manifest(session: Session, actor: Actor, manifest_id: int) -> Manifest:
    actor.require_role(*RECEPTION_ROLES)
    missing = _("No passenger list has the number %(id)s.", id=manifest_id)
    manifest = get_required(session, Manifest, manifest_id, missing)
    if not actor.covers_centre(manifest.centre):
        raise Forbidden(_("This passenger list belongs to a centre outside your scope."))
    return manifest


def fix_passenger(
    session: Session, actor: Actor, passenger_id: int, values: dict[str, str]
) -> ExpectedPassenger:
    """Correct a row of the preview; it becomes ready once nothing is wrong with it."""
    passenger = _require_passenger(session, actor, passenger_id)
    if passenger.status in ON_CHECKLIST:
        raise Conflict(_("This passenger is already on the checklist."))
    merged = {
        name: str(values.get(name, passenger.values.get(name, ""))).strip()
        for name in PASSENGER_FIELDS
    }
    cleaned, problems = validate_passenger(merged)
    passenger.values, passenger.problems = merged, problems
    if cleaned is None:
        passenger.status = PassengerStatus.NEEDS_FIXING
        return passenger
    key = passenger_key(cleaned.row_key())
    twin = session.scalar(
        select(ExpectedPassenger).where(
            ExpectedPassenger.manifest_id == passenger.manifest_id,
            ExpectedPassenger.row_key == key,
            ExpectedPassenger.id != passenger.id,
        )
    )
    if twin is not None:
        raise Conflict(
            _("This passenger is already on the list (row %(row)d).", row=twin.row_number)
        )
    passenger.row_key, passenger.status = key, PassengerStatus.READY
    passenger.is_unaccompanied = cleaned.is_unaccompanied
    _look_for_earlier_records(session, passenger.manifest, [passenger])
    session.flush()
    return passenger


def _require_passenger(session: Session, actor: Actor, passenger_id: int) -> ExpectedPassenger:
    missing = _("No passenger has the number %(id)s.", id=passenger_id)
    passenger = get_required(session, ExpectedPassenger, passenger_id, missing)
    require_manifest(session, actor, passenger.manifest_id)
    return passenger


def import_ready_rows(session: Session, actor: Actor, manifest_id: int) -> int:
    """Put every valid row of the preview on the arrival checklist; rows to fix stay behind."""
    manifest = require_manifest(session, actor, manifest_id)
    ready = [row for row in manifest.passengers if row.status is PassengerStatus.READY]
    for row in ready:
        row.status = PassengerStatus.EXPECTED
    record_event(session, actor, AuditAction.UPDATE, "manifest", manifest.id, imported=len(ready))
    return len(ready)


PREVIEW_PAGE_SIZE = 50
CHECKLIST_PAGE_SIZE = 200


@dataclass(frozen=True)
class RowsPage:
    """One page of a list's rows: a 5,000-row list is read a page at a time (a page of it
    all was 1.24 MB)."""

    rows: list[ExpectedPassenger]
    number: int
    pages: int


def page_of(rows: list[ExpectedPassenger], number: int, size: int) -> RowsPage:
    """The page `number` (1 first; out of range: the nearest) of `size` rows."""
    pages = max(1, -(-len(rows) // size))
    number = min(max(number, 1), pages)
    start = (number - 1) * size
    return RowsPage(rows[start : start + size], number, pages)


def preview_rows(manifest: Manifest) -> list[ExpectedPassenger]:
    """Rows not yet imported: those to fix first, then those ready."""
    pending = [row for row in manifest.passengers if row.status not in ON_CHECKLIST]
    return sorted(pending, key=lambda row: (row.status is PassengerStatus.READY, row.row_number))


def checklist(manifest: Manifest) -> list[ExpectedPassenger]:
    """Children travelling alone first, then everyone still expected, then those arrived."""
    rows = [row for row in manifest.passengers if row.status in ON_CHECKLIST]
    return sorted(
        rows,
        key=lambda row: (
            row.status is PassengerStatus.ARRIVED,
            not row.is_unaccompanied,
            row.row_number,
        ),
    )


def list_manifests(session: Session, actor: Actor, limit: int = 20) -> list[Manifest]:
    from returnees.centres.models import Centre

    actor.require_role(*RECEPTION_ROLES)
    query = (
        select(Manifest)
        .join(Centre, Manifest.centre_id == Centre.id)
        .where(actor.centre_clause())
        .order_by(Manifest.expected_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def passenger_intake(session: Session, actor: Actor, passenger_id: int) -> dict[str, object]:
    """The intake form's values for a passenger on the checklist, from their row of the list."""
    passenger = _require_passenger(session, actor, passenger_id)
    if passenger.status is not PassengerStatus.EXPECTED:
        raise Conflict(_("Only a passenger still expected can be marked as arrived."))
    cleaned, _problems = validate_passenger(passenger.values)
    manifest = passenger.manifest
    values: dict[str, object] = {
        "passenger_id": str(passenger.id),
        "centre": manifest.centre.code,
        "mode": manifest.mode.value,
        "deporting_country": manifest.deporting_country,
        "reference": manifest.reference,
    }
    if cleaned is not None:
        values |= {
            "given_names": cleaned.given_names,
            "family_names": cleaned.family_names,
            "birth_date": cleaned.birth_date,
            "sex": cleaned.sex,
            "nationality": cleaned.nationality,
            "document_type": cleaned.document_type or "",
            "document_number": cleaned.document_number or "",
            "phone": cleaned.phone or "",
            "is_unaccompanied": cleaned.is_unaccompanied,
            "home": cleaned.home or "",
        }
    return values
