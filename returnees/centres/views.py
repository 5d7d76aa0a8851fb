"""Centres: the list a user's scope reaches, one centre, and the admin's form."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from returnees.auth.access import EVERY_ROLE, current_actor, requires_role
from returnees.auth.models import Role
from returnees.centres.forms import CentreForm
from returnees.centres.services import NewCentre, create_centre, list_centres, view_centre
from returnees.core.db import get_session
from returnees.core.errors import DomainError
from returnees.core.forms import show_errors

bp = Blueprint("centres", __name__, url_prefix="/centres")


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
    """One centre, when it is inside the user's scope."""
    return render_template(
        "centres/detail.html", centre=view_centre(get_session(), current_actor(), code)
    )


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
