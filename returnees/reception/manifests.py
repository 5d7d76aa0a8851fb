"""Passenger lists of announced flights and buses: preview, fix, import, arrival checklist."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.core.clock import utcnow
from returnees.core.db import get_required
from returnees.core.encryption import keyring
from returnees.core.errors import Conflict, Forbidden, InvalidInput
from returnees.people.matching import IdentityProbe, find_candidates_for_many
from returnees.reception.models import (
    ExpectedPassenger,
    Manifest,
    PassengerStatus,
    PendingUpload,
    TravelMode,
)
from returnees.reception.passenger_lists import (
    PASSENGER_FIELDS,
    ListRow,
    Passenger,
    UnreadableList,
    read_passenger_list,
    validate_passenger,
)
from returnees.reception.services import RECEPTION_ROLES, desk_centre

MAX_LIST_BYTES = 5 * 1024 * 1024
# A list announces a flight or bus of these days; a date further off is a typo (1900, 2062).
EXPECTED_WITHIN = timedelta(days=366)
# A list kept while staff correct the other fields of its upload is erased after this.
PENDING_FOR = timedelta(days=1)
FIELDS_MARKED = _("Nothing was saved: correct the fields marked.")
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
    manifest_fields, rows = check_upload(entry, filename, content)
    manifest = _find_or_create_manifest(session, actor, entry, manifest_fields)
    known: set[str] = set()
    for row_key, source_key in session.execute(
        select(ExpectedPassenger.row_key, ExpectedPassenger.source_key).where(
            ExpectedPassenger.manifest_id == manifest.id
        )
    ):
        known.update((row_key, source_key))
    result, read = UploadResult(manifest), []
    for row in rows:
        key = _row_key(row)
        if key in known:
            result.duplicates += 1
            continue
        known.add(key)
        result.added.append(_new_passenger(manifest, row, key))
        read.append(row.passenger)
    session.add_all(result.added)
    _look_for_earlier_records(session, manifest, list(zip(result.added, read, strict=True)))
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.CREATE,
        "manifest",
        manifest.id,
        rows=len(result.added),
        duplicates=result.duplicates,
    )
    return result


def check_upload(
    entry: ManifestEntry, filename: str, content: bytes
) -> tuple[tuple[str, TravelMode, str, datetime], list[ListRow]]:
    """The upload's clean fields and rows, or InvalidInput naming every problem at once; one
    without "file" among its fields means the list itself was read well."""
    errors = _ManifestErrors()
    manifest_fields = _check_manifest(entry, errors)
    rows = _read_list(filename, content, errors)
    if errors:
        message = _("The list could not be read.") if list(errors) == ["file"] else FIELDS_MARKED
        raise InvalidInput(message, errors)
    return manifest_fields, rows


class _ManifestErrors(dict[str, list[object]]):
    def add(self, name: str, message: object) -> None:
        self.setdefault(name, []).append(message)


def _read_list(filename: str, content: bytes, errors: _ManifestErrors) -> list[ListRow]:
    if len(content) > MAX_LIST_BYTES:
        errors.add("file", _("The list is too large: at most 5 MB."))
        return []
    try:
        return read_passenger_list(filename, content)
    except UnreadableList as error:
        errors.add("file", error.message)
        return []


def _check_manifest(
    entry: ManifestEntry, errors: _ManifestErrors
) -> tuple[str, TravelMode, str, datetime]:
    reference = entry.reference.strip().upper()
    if not reference:
        errors.add("reference", _("Give the flight number or the bus reference."))
    try:
        mode = TravelMode(entry.mode)
    except ValueError:
        errors.add("mode", _("Choose flight, bus or land."))
        mode = TravelMode.FLIGHT
    deporting = entry.deporting_country.strip().upper()
    if len(deporting) != 2 or not deporting.isalpha():
        errors.add("deporting_country", _("Give the two-letter country code, such as US or MX."))
    expected_at = entry.expected_at
    if expected_at is None:
        errors.add("expected_at", _("Give the expected arrival time."))
    elif abs(expected_at - utcnow()) > EXPECTED_WITHIN:
        errors.add(
            "expected_at", _("The expected arrival is more than a year from today: check the year.")
        )
    return reference, mode, deporting, expected_at or utcnow()


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
    session: Session,
    manifest: Manifest,
    passengers: list[tuple[ExpectedPassenger, Passenger | None]],
) -> None:
    """On import as at the desk: note who on the list may have been registered before. Each
    row comes with what reading it made of it (None: a row to fix), not read a second time."""
    probes, valid = [], []
    for passenger, cleaned in passengers:
        passenger.earlier_record_ids, passenger.earlier_match_reasons = [], []
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
                    on=manifest.expected_on,
                )
            )
    with session.no_autoflush:
        found = find_candidates_for_many(session, probes, country=manifest.centre.country)
    for passenger, candidates in zip(valid, found, strict=True):
        passenger.earlier_record_ids = [candidate.returnee.id for candidate in candidates]
        passenger.earlier_match_reasons = candidates[0].reasons if candidates else []


def keep_pending_upload(session: Session, actor: Actor, filename: str, content: bytes) -> str:
    """Keep a list read well while its upload waits for another field; the token names it.

    Lists older than `PENDING_FOR` are erased at the same time: they hold the names of the
    people on a flight, and serve only the upload they were sent with.
    """
    token = secrets.token_urlsafe(24)
    session.execute(delete(PendingUpload).where(PendingUpload.created_at < utcnow() - PENDING_FOR))
    session.add(
        PendingUpload(
            token=token,
            user_id=actor.user_id,
            filename=filename[:255],
            content=content,
            created_at=utcnow(),
        )
    )
    session.flush()
    return token


def take_pending_upload(session: Session, actor: Actor, token: str) -> PendingUpload | None:
    """The list this user's refused upload kept under `token`, erased once its upload is saved."""
    if not token or actor.user_id is None:
        return None
    pending = session.scalar(
        select(PendingUpload).where(
            PendingUpload.token == token,
            PendingUpload.user_id == actor.user_id,
            PendingUpload.created_at >= utcnow() - PENDING_FOR,
        )
    )
    if pending is not None:
        session.delete(pending)
    return pending


def discard_manifest(session: Session, actor: Actor, manifest_id: int) -> Manifest:
    """Erase a passenger list nobody on it was imported from, with its rows (a wrong file, a
    flight that did not come); once someone is on the checklist the list stays."""
    manifest = require_manifest(session, actor, manifest_id)
    if any(row.status in ON_CHECKLIST for row in manifest.passengers):
        raise Conflict(
            _("People of this list are on the arrival checklist: the list cannot be discarded.")
        )
    record_event(
        session, actor, AuditAction.DISCARD, "manifest", manifest.id, rows=len(manifest.passengers)
    )
    for row in manifest.passengers:
        session.delete(row)
    session.delete(manifest)
    session.flush()
    return manifest


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
    _look_for_earlier_records(session, passenger.manifest, [(passenger, cleaned)])
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
