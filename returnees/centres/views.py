"""Centres: the list a user's scope reaches, one centre, and the admin's form."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from returnees.audit.targets import Target, link_for, names_in_audit
from returnees.auth.access import EVERY_ROLE, Actor, current_actor, requires_role
from returnees.auth.models import Role
from returnees.auth.on_call import (
    can_alert,
    may_change_rota,
    rearrange_rota,
    rota_candidates,
    rota_of,
)
from returnees.centres.coverage import PROFILE_LABELS, coverage_of, set_coverage
from returnees.centres.forms import CentreForm
from returnees.centres.models import Centre, CentreKind
from returnees.centres.services import (
    NewCentre,
    create_centre,
    find_centre,
    list_centres,
    view_centre,
)
from returnees.core.db import get_session
from returnees.core.errors import DomainError, InvalidInput
from returnees.core.forms import show_errors
from returnees.people.identity import InvalidValue, format_phone
from returnees.places.catalogue import read_place

bp = Blueprint("centres", __name__, url_prefix="/centres")
bp.add_app_template_test(can_alert, "alertable")


@bp.get("/")
@requires_role(*EVERY_ROLE)
def index() -> str:
    """The centres inside the user's scope."""
    return render_template(
        "centres/index.html", centres=list_centres(get_session(), current_actor())
    )


@bp.get("/<code>")
@requires_role(*EVERY_ROLE)
def detail(code: str) -> str:
    """One centre, when it is inside the user's scope, and the on-call rota of its region."""
    session, actor = get_session(), current_actor()
    centre = view_centre(session, actor, code)
    editable = may_change_rota(actor, centre.country)
    rota = rota_of(session, centre.country, centre.region)
    candidates = rota_candidates(session, centre.country, centre.region) if editable else []
    return render_template(
        "centres/detail.html",
        centre=centre,
        coverage=coverage_of(session, centre) if centre.kind is CentreKind.OFFICE else None,
        profile_labels=PROFILE_LABELS,
        rota=rota,
        may_change_rota=editable,
        candidates=[user for user in candidates if user not in rota],
        fallback=bool(current_app.config.get("ON_CALL_FALLBACK_PHONE")),
        format_phone=format_phone,
    )


@bp.post("/<code>/on-call")
@requires_role(Role.SUPERVISOR, Role.ADMIN)
def change_on_call(code: str) -> Response:
    """Add someone to the region's on-call rota, move them up or down, or take them off."""
    session, actor = get_session(), current_actor()
    centre = view_centre(session, actor, code)
    form = request.form
    try:
        rearrange_rota(
            session,
            actor,
            centre.country,
            centre.region,
            form.get("action", ""),
            form.get("user_id", type=int),
            form.get("phone", ""),
        )
        flash(_("On-call rota saved."), "success")
    except DomainError as error:
        session.rollback()
        flash(error.in_words(), "error")
    return redirect(url_for("centres.detail", code=centre.code, _anchor="on-call"))


@bp.route("/new", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def new() -> str | tuple[str, int] | Response:
    """Add a centre."""
    form = CentreForm()
    if request.method == "POST" and form.validate_on_submit():
        fields = {name: (getattr(form, name).data or "") for name in NewCentre.__dataclass_fields__}
        try:
            centre = create_centre(get_session(), current_actor(), NewCentre(**fields))
        except DomainError as error:
            show_errors(form, error)
            return render_template("centres/new.html", form=form), error.status
        flash(_("Centre %(code)s created.", code=centre.code), "success")
        return redirect(url_for("centres.detail", code=centre.code))
    return render_template("centres/new.html", form=form)


@bp.post("/<code>/coverage")
@requires_role(Role.ADMIN)
def change_coverage(code: str) -> Response:
    """Set the places an office covers (a code or "municipality, department" a line) and for
    whom."""
    session, form = get_session(), request.form
    try:
        places = [_place_code(line, code) for line in form.get("places", "").splitlines()]
        set_coverage(session, current_actor(), code, places, form.getlist("profiles"))
        flash(_("Coverage saved."), "success")
    except DomainError as error:
        session.rollback()
        flash(error.in_words(), "error")
    return redirect(url_for("centres.detail", code=code, _anchor="coverage"))


def _place_code(line: str, office_code: str) -> str:
    """The code of a place as an admin wrote it: a code, or its name as the list shows it."""
    office = find_centre(get_session(), office_code)
    try:
        place = read_place(line, office.country.value if office else None)
    except InvalidValue as error:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."), {"municipalities": [error.message]}
        ) from error
    return place.code if place else ""


@names_in_audit(bp, "centre", "office_coverage")
def _centres_in_audit(session: Session, reader: Actor, codes: set[str]) -> dict[str, Target]:
    """Centres are written under their code."""
    query = select(Centre.code, Centre.name).where(Centre.code.in_(codes))
    return {
        code: Target(name, link_for(reader, "centres.detail", code=code))
        for code, name in session.execute(query)
    }
