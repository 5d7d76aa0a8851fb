"""The reception desk: register an arrival, screening, custody and handover of children."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from returnees.audit.services import record_list_shown, record_view
from returnees.auth.access import current_actor, requires_role
from returnees.auth.models import Role
from returnees.centres.models import CentreKind
from returnees.centres.services import find_centre, list_centres, list_shelters
from returnees.core.clock import utcnow
from returnees.core.db import committing, get_session
from returnees.core.errors import Conflict, DomainError, InvalidInput
from returnees.core.forms import options, show_errors
from returnees.people.targets import name_people_in_audit
from returnees.places.catalogue import find_place
from returnees.reception.forms import (
    HandoverForm,
    IntakeForm,
    ManifestForm,
    PassengerRowForm,
    PlacementForm,
    ScreeningForm,
)
from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry, check_intake
from returnees.reception.manifests import (
    CHECKLIST_PAGE_SIZE,
    FIELDS_MARKED,
    PREVIEW_PAGE_SIZE,
    ManifestEntry,
    check_upload,
    checklist,
    discard_manifest,
    fix_passenger,
    import_ready_rows,
    keep_pending_upload,
    list_manifests,
    page_of,
    passenger_intake,
    preview_rows,
    require_manifest,
    take_pending_upload,
    upload_passenger_list,
)
from returnees.reception.models import Arrival, PassengerStatus
from returnees.reception.passenger_lists import PASSENGER_FIELDS
from returnees.reception.services import (
    RECEPTION_ROLES,
    HandoverEntry,
    PossibleMatch,
    ScreeningEntry,
    approve_handover,
    children_in_custody,
    hand_over_child,
    link_household,
    place_in_shelter,
    record_candidates_shown,
    record_screening,
    register_arrival,
    require_arrival,
    shown_candidates,
)

bp = Blueprint("reception", __name__, url_prefix="/reception")

INTAKE_ALIASES = {
    "document.type": "document_type",
    "document.number": "document_number",
    "arrival.centre": "centre",
    "arrival.arrived_at": "arrived_at",
    "arrival.mode": "mode",
    "arrival.deporting_country": "deporting_country",
    "arrival.return_type": "return_type",
    "home": "home_text",
}


def local_now(timezone: str) -> datetime:
    return utcnow().astimezone(ZoneInfo(timezone)).replace(tzinfo=None, second=0, microsecond=0)


def intake_from_form(form: IntakeForm) -> Intake:
    centre = find_centre(get_session(), form.centre.data or "")
    arrived_at = form.arrived_at.data
    if arrived_at and centre:
        arrived_at = arrived_at.replace(tzinfo=ZoneInfo(centre.timezone)).astimezone(UTC)
    elif arrived_at:
        arrived_at = arrived_at.replace(tzinfo=UTC)
    return Intake(
        given_names=form.given_names.data or "",
        family_names=form.family_names.data or "",
        birth_date=form.birth_date.data,
        estimated_age=form.estimated_age.data,
        sex=form.sex.data or "",
        nationality=form.nationality.data or "",
        document_type=form.document_type.data or "",
        document_number=form.document_number.data or "",
        phones=[
            PhoneEntry(
                p.number.data or "",
                p.owner.data,
                p.channel.data,
                p.consent.data,
                p.calls_welcome.data,
            )
            for p in form.phones
        ],
        language=form.language.data or "es",
        home=form.home.data or form.home_text.data or "",
        is_unaccompanied=form.is_unaccompanied.data,
        arrival=ArrivalEntry(
            form.centre.data or "",
            arrived_at,
            form.mode.data or "",
            form.deporting_country.data or "",
            form.reference.data or "",
            form.return_type.data or "",
        ),
        passenger_id=int(form.passenger_id.data)
        if (form.passenger_id.data or "").isdigit()
        else None,
    )


def _prepare_intake_form() -> IntakeForm:
    actor = current_actor()
    form = IntakeForm()
    centres = [c for c in list_centres(get_session(), actor) if c.kind is not CentreKind.SHELTER]
    form.centre.choices = options((c.code, f"{c.code} · {c.name}") for c in centres)
    if request.method == "GET":
        own = next((c for c in centres if c.id == actor.centre_id), centres[0] if centres else None)
        if own:
            form.centre.data = own.code
            form.arrived_at.data = local_now(own.timezone)
    return form


def fill_from_passenger(form: IntakeForm, passenger_id: int) -> None:
    """Marking someone as arrived opens the intake filled in from their row of the list."""
    values = passenger_intake(get_session(), current_actor(), passenger_id)
    phone = values.pop("phone", "")
    for name, value in values.items():
        getattr(form, name).data = value
    if phone:
        form.phones[0].number.data = phone
    if home := find_place(form.home.data):
        form.home_text.data = home.label


@bp.route("/register", methods=["GET", "POST"])
@requires_role(*RECEPTION_ROLES)
def register() -> str | tuple[str, int] | Response:
    """The short intake; a likely earlier record is shown for staff to choose."""
    form = _prepare_intake_form()
    if request.method == "GET" and request.args.get("passenger", "").isdigit():
        passenger_id = int(request.args["passenger"])
        fill_from_passenger(form, passenger_id)
        record_list_shown(get_session(), current_actor(), "manifest", (), passengers=[passenger_id])
    candidates, status = [], 200
    if request.method == "POST" and form.validate_on_submit():
        match = request.form.get("match") or None
        if match not in (None, "new") and not match.isdigit():
            match = None
        try:
            arrival = register_arrival(
                get_session(), current_actor(), intake_from_form(form), match
            )
        except PossibleMatch as possible:
            candidates = shown_candidates(get_session(), current_actor(), possible.candidates)
            status = 409
            record_candidates_shown(current_actor(), possible.candidates)
        except DomainError as error:
            show_errors(form, error, INTAKE_ALIASES)
            status = error.status
        else:
            flash(_("Arrival registered: %(name)s.", name=arrival.returnee.full_name), "success")
            return redirect(url_for("people.record", returnee_id=arrival.returnee_id))
    elif request.method == "POST":
        status = 422
        show_every_rule(form)
    return render_template("reception/register.html", form=form, candidates=candidates), status


def show_every_rule(form: IntakeForm) -> None:
    """A form with a field it could not read still names every other field's problem at once."""
    centre = find_centre(get_session(), form.centre.data or "")
    zone = centre.timezone if centre else current_app.config["BABEL_DEFAULT_TIMEZONE"]
    try:
        check_intake(intake_from_form(form), utcnow(), zone)
    except InvalidInput as error:
        show_errors(form, error, INTAKE_ALIASES, beside_unread=False)
    else:
        form.form_errors.append(_("Nothing was saved: correct the fields marked."))


@bp.route("/arrivals/<int:arrival_id>/screening", methods=["GET", "POST"])
@requires_role(*RECEPTION_ROLES, Role.SOCIAL_WORKER)
def screening(arrival_id: int) -> str | tuple[str, int] | Response:
    """The screening section, completed later the same day."""
    arrival = require_arrival(get_session(), current_actor(), arrival_id)
    if request.method == "GET":
        record_view(
            get_session(), current_actor(), "screening", arrival.id, returnee=arrival.returnee_id
        )
    form = ScreeningForm(
        obj=_screening_values(arrival.screening) if request.method == "GET" else None
    )
    if request.method == "POST" and form.validate_on_submit():
        try:
            record_screening(get_session(), current_actor(), arrival_id, screening_from_form(form))
        except DomainError as error:
            show_errors(form, error)
            return render_template("reception/screening.html", form=form, arrival=arrival), 422
        flash(_("Screening saved."), "success")
        return redirect(url_for("people.record", returnee_id=arrival.returnee_id))
    status = 422 if request.method == "POST" else 200
    return render_template("reception/screening.html", form=form, arrival=arrival), status


def _tristate(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def screening_from_form(form: ScreeningForm) -> ScreeningEntry:
    return ScreeningEntry(
        reasons_for_leaving=form.reasons_for_leaving.data or [],
        was_crime_victim=_tristate(form.was_crime_victim.data),
        was_threatened=_tristate(form.was_threatened.data),
        family_abroad=form.family_abroad.data or [],
        reported_deportations=form.reported_deportations.data,
        months_abroad=form.months_abroad.data,
        has_journey_debt=_tristate(form.has_journey_debt.data),
        intends_to_migrate_again=_tristate(form.intends_to_migrate_again.data),
        health_needs=form.health_needs.data or "",
        psychosocial_needs=form.psychosocial_needs.data or "",
        trafficking_indicators=form.trafficking_indicators.data or [],
        school_status=form.school_status.data or "",
        occupation=form.occupation.data or "",
        skills=form.skills.data or "",
        notes=form.notes.data or "",
    )


class _ScreeningValues:
    """A saved screening as the form's `obj`: yes/no/unknown shown as the select's values."""

    def __init__(self, screening) -> None:
        self._screening = screening

    def __getattr__(self, name: str) -> object:
        value = getattr(self._screening, name)
        return {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value


def _screening_values(screening) -> _ScreeningValues | None:
    return _ScreeningValues(screening) if screening else None


@bp.post("/arrivals/<int:arrival_id>/placement")
@requires_role(*RECEPTION_ROLES)
def placement(arrival_id: int) -> Response:
    """Record the shelter a child travelling alone was placed in."""
    form = PlacementForm()
    form.shelter.choices = options(
        (c.code, c.name) for c in list_shelters(get_session(), current_actor())
    )
    arrival = require_arrival(get_session(), current_actor(), arrival_id)
    if form.validate_on_submit():
        place_in_shelter(get_session(), current_actor(), arrival_id, form.shelter.data)
        flash(_("Shelter recorded."), "success")
    return redirect(url_for("people.record", returnee_id=arrival.returnee_id))


@bp.route("/arrivals/<int:arrival_id>/handover", methods=["GET", "POST"])
@requires_role(*RECEPTION_ROLES)
def handover(arrival_id: int) -> str | tuple[str, int] | Response:
    """Hand a child travelling alone to the parent or guardian who collects them."""
    arrival = require_arrival(get_session(), current_actor(), arrival_id)
    if request.method == "GET":
        record_view(
            get_session(), current_actor(), "custody", arrival.id, returnee=arrival.returnee_id
        )
    form = HandoverForm()
    if request.method == "POST" and form.validate_on_submit():
        entry = HandoverEntry(
            form.guardian_name.data or "",
            form.relationship.data or "",
            form.guardian_document.data or "",
            form.guardian_phone.data or "",
            form.is_document_checked.data,
            form.guardian_consents.data,
        )
        try:
            custody = hand_over_child(get_session(), current_actor(), arrival_id, entry)
        except DomainError as error:
            show_errors(form, error)
            return render_template(
                "reception/handover.html", form=form, arrival=arrival
            ), error.status
        if custody.handed_over_at:
            flash(
                _("The child was handed over to %(name)s.", name=custody.guardian_name), "success"
            )
        else:
            flash(
                _(
                    "A supervisor must approve this handover: the child stays in custody "
                    "until then."
                ),
                "info",
            )
        return redirect(url_for("people.record", returnee_id=arrival.returnee_id))
    return render_template("reception/handover.html", form=form, arrival=arrival)


@bp.post("/arrivals/<int:arrival_id>/approve-handover")
@requires_role(Role.SUPERVISOR)
def approve(arrival_id: int) -> Response:
    """A supervisor approves a handover to someone who is not a verified parent or guardian."""
    arrival = require_arrival(get_session(), current_actor(), arrival_id)
    seen = request.form.get("requested_at", "")
    try:
        requested_at = datetime.fromisoformat(seen) if seen else None
        approve_handover(get_session(), current_actor(), arrival_id, requested_at)
    except (ValueError, DomainError) as error:
        get_session().rollback()
        flash(str(getattr(error, "message", error)), "error")
        return redirect(url_for("people.record", returnee_id=arrival.returnee_id))
    flash(_("Handover approved."), "success")
    return redirect(url_for("people.record", returnee_id=arrival.returnee_id))


@bp.post("/arrivals/<int:arrival_id>/household")
@requires_role(*RECEPTION_ROLES)
def household(arrival_id: int) -> Response:
    """Link this arrival with another person's as one household."""
    arrival = require_arrival(get_session(), current_actor(), arrival_id)
    other = request.form.get("other", "")
    if not other.isdigit():
        flash(_("Choose another person."), "error")
    else:
        try:
            link_household(get_session(), current_actor(), [arrival_id, int(other)])
            flash(_("Household linked."), "success")
        except DomainError as error:
            get_session().rollback()
            flash(str(error.message), "error")
    return redirect(url_for("people.record", returnee_id=arrival.returnee_id))


def _manifest_form() -> ManifestForm:
    actor = current_actor()
    form = ManifestForm()
    centres = [c for c in list_centres(get_session(), actor) if c.kind is not CentreKind.SHELTER]
    form.centre.choices = options((c.code, f"{c.code} · {c.name}") for c in centres)
    if request.method == "GET" and centres:
        own = next((c for c in centres if c.id == actor.centre_id), centres[0])
        form.centre.data = own.code
    return form


def manifest_entry_from(form: ManifestForm) -> ManifestEntry:
    centre = find_centre(get_session(), form.centre.data or "")
    expected_at = form.expected_at.data
    if expected_at:
        zone = ZoneInfo(centre.timezone) if centre else UTC
        expected_at = expected_at.replace(tzinfo=zone).astimezone(UTC)
    return ManifestEntry(
        form.centre.data or "",
        form.reference.data or "",
        form.mode.data or "",
        form.deporting_country.data or "",
        expected_at,
    )


@bp.route("/manifests/new", methods=["GET", "POST"])
@requires_role(*RECEPTION_ROLES)
def new_manifest() -> str | tuple[str, int] | Response:
    """Upload the passenger list of an announced flight or bus; a preview follows."""
    form = _manifest_form()
    if request.method == "GET":
        return render_template("reception/manifest_new.html", form=form)
    is_read = form.validate_on_submit()
    filename, content = _chosen_list(form)
    try:
        if not is_read:  # a field could not be read: name every other problem with it
            check_upload(manifest_entry_from(form), filename, content)
            raise InvalidInput(FIELDS_MARKED)
        result = upload_passenger_list(
            get_session(), current_actor(), manifest_entry_from(form), filename, content
        )
    except DomainError as error:
        return _refused_upload(form, error, filename, content)
    flash(
        _(
            "%(added)d rows read, %(fix)d to fix, %(dup)d already on the list.",
            added=len(result.added),
            fix=result.needs_fixing,
            dup=result.duplicates,
        ),
        "success",
    )
    return redirect(url_for("reception.manifest", manifest_id=result.manifest.id))


def _refused_upload(
    form: ManifestForm, error: DomainError, filename: str, content: bytes
) -> tuple[str, int]:
    """The form again with every problem; a list read well is kept, not chosen again."""
    show_errors(form, error, beside_unread=False)
    is_list_read = "file" not in error.fields and bool(content)
    if is_list_read and not form.pending.data:
        # The refused upload leaves nothing behind but the list, committed though the answer
        # is an error (which rolls the request back).
        session = get_session()
        session.rollback()
        with committing(session):
            form.pending.data = keep_pending_upload(session, current_actor(), filename, content)
    kept = filename if is_list_read else ""
    return render_template("reception/manifest_new.html", form=form, kept=kept), error.status


def _chosen_list(form: ManifestForm) -> tuple[str, bytes]:
    """The file chosen now, else the one a refused upload of this user kept."""
    upload = request.files.get("file")
    if upload and upload.filename:
        form.pending.data = ""
        return upload.filename, upload.read()
    kept = take_pending_upload(get_session(), current_actor(), form.pending.data or "")
    if kept is None:
        form.pending.data = ""
        return "", b""
    return kept.filename, kept.content


@bp.post("/manifests/<int:manifest_id>/discard")
@requires_role(*RECEPTION_ROLES)
def discard(manifest_id: int) -> Response:
    """Discard a passenger list nobody on it was imported from."""
    try:
        manifest = discard_manifest(get_session(), current_actor(), manifest_id)
    except Conflict as error:
        flash(str(error.message), "error")
        return redirect(url_for("reception.manifest", manifest_id=manifest_id))
    flash(
        _("The passenger list %(reference)s was discarded.", reference=manifest.reference),
        "success",
    )
    return redirect(url_for("reception.index"))


@bp.get("/manifests/<int:manifest_id>")
@requires_role(*RECEPTION_ROLES)
def manifest(manifest_id: int) -> str:
    """The preview of rows still to import, and the arrival checklist."""
    found = require_manifest(get_session(), current_actor(), manifest_id)
    preview, expected = preview_rows(found), checklist(found)
    preview_page = page_of(preview, request.args.get("page", 1, type=int), PREVIEW_PAGE_SIZE)
    checklist_page = page_of(
        expected, request.args.get("checklist", 1, type=int), CHECKLIST_PAGE_SIZE
    )
    forms = {
        row.id: PassengerRowForm(data=row.values, prefix=f"row{row.id}")
        for row in preview_page.rows
        if row.status is PassengerStatus.NEEDS_FIXING
    }
    shown = [*preview_page.rows, *checklist_page.rows]
    record_list_shown(
        get_session(),
        current_actor(),
        "manifest",
        (row.arrival.returnee_id for row in checklist_page.rows if row.arrival),
        record_id=found.id,
        passengers=[row.id for row in shown],
    )
    return render_template(
        "reception/manifest.html",
        manifest=found,
        preview=preview_page,
        ready=sum(row.status is PassengerStatus.READY for row in preview),
        to_fix=sum(row.status is PassengerStatus.NEEDS_FIXING for row in preview),
        forms=forms,
        checklist=checklist_page,
        arrived=sum(row.status is PassengerStatus.ARRIVED for row in expected),
        expected=sum(row.status is not PassengerStatus.ARRIVED for row in expected),
    )


@bp.post("/manifests/<int:manifest_id>/rows/<int:row_id>")
@requires_role(*RECEPTION_ROLES)
def fix_row(manifest_id: int, row_id: int) -> str | tuple[str, int] | Response:
    """Correct one row of the preview."""
    found = require_manifest(get_session(), current_actor(), manifest_id)
    form = PassengerRowForm(prefix=f"row{row_id}")
    values = {name: getattr(form, name).data or "" for name in PASSENGER_FIELDS}
    try:
        row = fix_passenger(get_session(), current_actor(), row_id, values)
    except DomainError as error:
        get_session().rollback()
        flash(str(error.message), "error")
        return redirect(url_for("reception.manifest", manifest_id=found.id))
    if row.problems:
        flash(_("Row %(row)d still has problems.", row=row.row_number), "error")
    else:
        flash(_("Row %(row)d is ready to import.", row=row.row_number), "success")
    return redirect(url_for("reception.manifest", manifest_id=found.id, _anchor=f"row-{row.id}"))


@bp.post("/manifests/<int:manifest_id>/household")
@requires_role(*RECEPTION_ROLES)
def manifest_household(manifest_id: int) -> Response:
    """Link the passengers ticked on the checklist as one family, in one step."""
    found = require_manifest(get_session(), current_actor(), manifest_id)
    on_list = {str(p.arrival_id): p.arrival_id for p in found.passengers if p.arrival_id}
    ticked = request.form.getlist("arrival")
    chosen = [on_list[value] for value in ticked if value in on_list]
    try:
        if len(chosen) != len(ticked):
            raise InvalidInput(_("Tick people who arrived on this list."))
        link_household(get_session(), current_actor(), chosen)
        flash(_("%(count)d people linked as one family.", count=len(set(chosen))), "success")
    except DomainError as error:
        get_session().rollback()
        flash(str(error.message), "error")
    return redirect(url_for("reception.manifest", manifest_id=manifest_id, _anchor="checklist"))


@bp.post("/manifests/<int:manifest_id>/import")
@requires_role(*RECEPTION_ROLES)
def import_rows(manifest_id: int) -> Response:
    """Put the valid rows on the checklist; the rest wait to be fixed."""
    count = import_ready_rows(get_session(), current_actor(), manifest_id)
    flash(_("%(count)d passengers added to the arrival checklist.", count=count), "success")
    return redirect(url_for("reception.manifest", manifest_id=manifest_id))


@bp.get("/")
@requires_role(*RECEPTION_ROLES)
def index() -> str:
    """Passenger lists and children in custody at the desk's centres."""
    session, actor = get_session(), current_actor()
    children = children_in_custody(session, actor)
    record_list_shown(session, actor, "desk", (child.returnee_id for child in children))
    return render_template(
        "reception/index.html", manifests=list_manifests(session, actor), children=children
    )


name_people_in_audit(bp, "arrival", Arrival)
