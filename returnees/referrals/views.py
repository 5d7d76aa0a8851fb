"""Referrals from a person's record, a referral's page and its moves, and partner organisations."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from returnees.audit.services import record_view
from returnees.audit.targets import Target, link_for, names_in_audit, number_ids
from returnees.auth.access import Actor, current_actor, requires_role
from returnees.core.clock import utcnow
from returnees.core.db import get_session
from returnees.core.errors import Conflict, DomainError, InvalidInput
from returnees.core.forms import options, show_errors
from returnees.people.identity import format_phone
from returnees.people.models import Returnee
from returnees.people.targets import people_in_audit, people_of_records
from returnees.referrals.forms import (
    ORGANISATION_KIND_LABELS,
    SERVICE_LABELS,
    STATUS_ACTIONS,
    STATUS_LABELS,
    PartnerFilterForm,
    PartnerForm,
    ReasonForm,
    ReferralForm,
    StatusForm,
)
from returnees.referrals.models import PartnerOrganisation, Referral
from returnees.referrals.services import (
    PARTNER_MANAGERS,
    PARTNER_READERS,
    REFERRAL_ROLES,
    PartnerEntry,
    change_partner,
    change_referral_status,
    changes_of,
    check_restricted_opening,
    create_partner,
    list_partners,
    make_referral,
    next_statuses,
    record_referral_shown,
    referrals_of,
    require_partner,
    require_referral,
    require_restricted_right,
    returnee_for_referral,
    set_partner_active,
    view_referral,
)

bp = Blueprint("referrals", __name__)

# A protection referral opened with a reason stays open this long in this browser; each page
# shown meanwhile is written to the audit trail with that reason.
GRANTS = "restricted_referrals"
GRANT_MINUTES = 15
LABELS = {
    "status_labels": STATUS_LABELS,
    "status_actions": STATUS_ACTIONS,
    "service_labels": SERVICE_LABELS,
    "organisation_kind_labels": ORGANISATION_KIND_LABELS,
    "format_phone": format_phone,
}


def record_panel(session: Session, actor: Actor, returnee: Returnee) -> dict | None:
    """The referrals panel of a person's record, for social workers and supervisors."""
    if actor.role not in REFERRAL_ROLES:
        return None
    return {"returnee": returnee, "referrals": referrals_of(session, actor, returnee), **LABELS}


# Referrals


@bp.route("/returnees/<int:returnee_id>/referrals/new", methods=["GET", "POST"])
@requires_role(*REFERRAL_ROLES)
def new_referral(returnee_id: int) -> str | tuple[str, int] | Response:
    """Refer a person to a partner's service, with their consent."""
    session, actor = get_session(), current_actor()
    returnee = returnee_for_referral(session, actor, returnee_id)
    form = ReferralForm()
    form.organisation_id.choices = _organisation_choices(list_partners(session, actor))
    if request.method == "POST" and form.validate_on_submit():
        try:
            make_referral(session, actor, returnee.id, *_referral_values(form))
        except DomainError as error:
            show_errors(form, error)
            return _render_new(returnee, form), error.status
        flash(_("Referral made."), "success")
        return redirect(url_for("people.record", returnee_id=returnee.id))
    record_view(session, actor, "returnee", returnee.id, page="new_referral")
    return _render_new(returnee, form)


def _referral_values(form: ReferralForm) -> tuple:
    organisation = (form.organisation_id.data or "").strip()
    return (
        int(organisation) if organisation.isdigit() else None,
        form.service.data or "",
        bool(form.has_consent.data),
        bool(form.is_protection.data),
        form.note.data or "",
    )


def _organisation_choices(partners: list[PartnerOrganisation]) -> list:
    def label(organisation: PartnerOrganisation) -> str:
        offered = ", ".join(str(SERVICE_LABELS[s.kind]) for s in organisation.services)
        place = organisation.region or _("whole country")
        return f"{organisation.name} · {place} · {offered}"

    pairs = [(str(organisation.id), label(organisation)) for organisation in partners]
    return options([("", _("Choose an organisation")), *pairs])


def _render_new(returnee: Returnee, form: ReferralForm) -> str:
    return render_template("referrals/new.html", returnee=returnee, form=form)


@bp.route("/referrals/<int:referral_id>", methods=["GET", "POST"])
@requires_role(*REFERRAL_ROLES)
def referral(referral_id: int) -> str | tuple[str, int] | Response:
    """A referral, its history and its next moves; a protection referral first asks why it is
    opened (POST the reason), and each page of it is logged with that reason."""
    session, actor = get_session(), current_actor()
    found = require_referral(session, actor, referral_id)
    if request.method == "POST":
        return _open_restricted(found)
    reason = _granted_reason(found.id) if found.is_protection else ""
    if found.is_protection and not reason:
        require_restricted_right(session, actor, found)
        return render_template("referrals/open.html", referral=found, form=ReasonForm())
    return _render_referral(view_referral(session, actor, found.id, reason), StatusForm(), reason)


def _open_restricted(found: Referral) -> tuple[str, int] | Response:
    if not found.is_protection:
        return redirect(url_for("referrals.referral", referral_id=found.id))
    form = ReasonForm()
    try:
        reason = check_restricted_opening(
            get_session(), current_actor(), found.id, form.reason.data or ""
        )
    except InvalidInput as error:
        show_errors(form, error)
        return render_template("referrals/open.html", referral=found, form=form), error.status
    _grant(found.id, reason)
    return redirect(url_for("referrals.referral", referral_id=found.id))


@bp.post("/referrals/<int:referral_id>/status")
@requires_role(*REFERRAL_ROLES)
def status(referral_id: int) -> tuple[str, int] | Response:
    """Move a referral to its next status, with the outcome and a note."""
    session, actor = get_session(), current_actor()
    form, reason = StatusForm(), _granted_reason(referral_id)
    values = (form.status.data or "", form.outcome.data or "", form.note.data or "")
    try:
        changed = change_referral_status(session, actor, referral_id, *values, reason=reason)
    except (InvalidInput, Conflict) as error:
        if "reason" in error.fields:
            flash(_("Give the reason for opening this restricted referral again."), "error")
            return redirect(url_for("referrals.referral", referral_id=referral_id))
        show_errors(form, error)
        found = require_referral(session, actor, referral_id)
        record_referral_shown(actor, found.id, found.returnee_id, reason)
        return _render_referral(found, form, reason), error.status
    flash(_("The referral is now %(status)s.", status=STATUS_LABELS[changed.status]), "success")
    return redirect(url_for("referrals.referral", referral_id=changed.id))


def _render_referral(found: Referral, form: StatusForm, reason: str) -> str:
    session = get_session()
    return render_template(
        "referrals/referral.html",
        referral=found,
        returnee=returnee_for_referral(session, current_actor(), found.returnee_id),
        changes=changes_of(session, found),
        moves=next_statuses(found),
        form=form,
        reason=reason,
        **LABELS,
    )


def _granted_reason(referral_id: int) -> str:
    """The reason this user gave, within the last GRANT_MINUTES, to open this referral."""
    grant = cookie.get(GRANTS, {}).get(str(referral_id))
    if not grant or grant.get("user") != current_actor().user_id:
        return ""
    return grant["reason"] if datetime.fromisoformat(grant["until"]) > utcnow() else ""


def _grant(referral_id: int, reason: str) -> None:
    now = utcnow()
    kept = {
        key: grant
        for key, grant in cookie.get(GRANTS, {}).items()
        if datetime.fromisoformat(grant["until"]) > now
    }
    until = now + timedelta(minutes=GRANT_MINUTES)
    kept[str(referral_id)] = {
        "reason": reason,
        "until": until.isoformat(),
        "user": current_actor().user_id,
    }
    cookie[GRANTS] = kept


# Partner organisations


@bp.get("/partners/")
@requires_role(*PARTNER_READERS)
def partners() -> str | tuple[str, int]:
    """Partner organisations and the services they offer, by service and region."""
    form = PartnerFilterForm(request.args)
    try:
        found = list_partners(
            get_session(),
            current_actor(),
            service=form.service.data or "",
            region=form.region.data or "",
            include_inactive=bool(form.inactive.data),
        )
    except InvalidInput as error:
        show_errors(form, error)
        return render_template("referrals/partners.html", form=form, partners=[], **LABELS), 422
    return render_template("referrals/partners.html", form=form, partners=found, **LABELS)


@bp.route("/partners/new", methods=["GET", "POST"])
@requires_role(*PARTNER_MANAGERS)
def new_partner() -> str | tuple[str, int] | Response:
    """Add a partner organisation."""
    actor = current_actor()
    form = PartnerForm()
    if request.method == "GET" and actor.country:
        form.country.data = actor.country.value
    if request.method == "POST" and form.validate_on_submit():
        try:
            created = create_partner(get_session(), actor, _partner_entry(form))
        except DomainError as error:
            show_errors(form, error)
            return _render_partner(form, None), error.status
        flash(_("%(name)s added.", name=created.name), "success")
        return redirect(url_for("referrals.partners"))
    return _render_partner(form, None)


@bp.route("/partners/<int:organisation_id>", methods=["GET", "POST"])
@requires_role(*PARTNER_MANAGERS)
def edit_partner(organisation_id: int) -> str | tuple[str, int] | Response:
    """Change a partner organisation and the services it offers."""
    session, actor = get_session(), current_actor()
    organisation = require_partner(session, actor, organisation_id)
    form = PartnerForm() if request.method == "POST" else _filled(organisation)
    if request.method == "POST" and form.validate_on_submit():
        try:
            change_partner(session, actor, organisation.id, _partner_entry(form))
        except DomainError as error:
            show_errors(form, error)
            return _render_partner(form, organisation), error.status
        flash(_("%(name)s saved.", name=organisation.name), "success")
        return redirect(url_for("referrals.partners"))
    return _render_partner(form, organisation)


@bp.post("/partners/<int:organisation_id>/deactivate")
@requires_role(*PARTNER_MANAGERS)
def deactivate_partner(organisation_id: int) -> Response:
    """Stop new referrals to an organisation; its referrals are kept."""
    found = set_partner_active(get_session(), current_actor(), organisation_id, False)
    return _back_to_partner(found, _("%(name)s no longer takes referrals.", name=found.name))


@bp.post("/partners/<int:organisation_id>/reactivate")
@requires_role(*PARTNER_MANAGERS)
def reactivate_partner(organisation_id: int) -> Response:
    """Take referrals to an organisation again."""
    found = set_partner_active(get_session(), current_actor(), organisation_id, True)
    return _back_to_partner(found, _("%(name)s takes referrals again.", name=found.name))


def _back_to_partner(organisation, message) -> Response:
    flash(message, "success")
    return redirect(url_for("referrals.edit_partner", organisation_id=organisation.id))


def _partner_entry(form: PartnerForm) -> PartnerEntry:
    return PartnerEntry(
        name=form.name.data or "",
        kind=form.kind.data or "",
        country=form.country.data or "",
        services=tuple(form.services.data or ()),
        region=form.region.data or "",
        municipality=form.municipality.data or "",
        phone=form.phone.data or "",
    )


def _filled(organisation: PartnerOrganisation) -> PartnerForm:
    return PartnerForm(
        formdata=None,
        data={
            "name": organisation.name,
            "kind": organisation.kind.value,
            "country": organisation.country.value,
            "services": [service.kind.value for service in organisation.services],
            "region": organisation.region,
            "municipality": organisation.municipality,
            "phone": organisation.phone,
        },
    )


def _render_partner(form: PartnerForm, organisation: PartnerOrganisation | None) -> str:
    return render_template(
        "referrals/partner_edit.html", form=form, organisation=organisation, **LABELS
    )


@names_in_audit(bp, "referral")
def _referrals_in_audit(session: Session, reader: Actor, ids: set[str]) -> dict[str, Target]:
    """A referral reads as its person's name and opens the referral (a protection one asks
    why first)."""
    people = people_of_records(session, reader, ids, Referral.id, Referral.returnee_id)
    return {
        found: Target(person.label, link_for(reader, "referrals.referral", referral_id=found))
        for found, person in people.items()
    }


@names_in_audit(bp, "returnee_referrals")
def _people_referred_in_audit(session: Session, reader: Actor, ids: set[str]) -> dict[str, Target]:
    return people_in_audit(session, reader, number_ids(ids))


@names_in_audit(bp, "partner_organisation")
def _partners_in_audit(session: Session, reader: Actor, ids: set[str]) -> dict[str, Target]:
    query = select(PartnerOrganisation.id, PartnerOrganisation.name).where(
        PartnerOrganisation.id.in_(number_ids(ids).values())
    )
    return {
        str(found): Target(name, link_for(reader, "referrals.edit_partner", organisation_id=found))
        for found, name in session.execute(query)
    }
