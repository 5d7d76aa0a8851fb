"""A returnee's record, and finding one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from itertools import chain

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from returnees.audit.queries import PAGE_SIZE
from returnees.audit.services import record_list_shown
from returnees.audit.targets import Target, audit_names, names_in_audit, number_ids
from returnees.auth.access import Actor, current_actor, requires_role
from returnees.auth.models import Role
from returnees.centres.services import list_shelters
from returnees.core.clock import utcnow
from returnees.core.db import get_session
from returnees.core.errors import InvalidInput, NotFound, OutOfScope
from returnees.core.forms import options, show_errors
from returnees.core.web import answers_merged_itself, checks_own_scope, remember_refusal
from returnees.messaging.queries import conversation
from returnees.messaging.window import sending_hold
from returnees.people.break_glass import break_glass
from returnees.people.forms import BreakGlassForm
from returnees.people.identity import format_document, format_phone
from returnees.people.models import Returnee
from returnees.people.scope import BREAK_GLASS_ROLES
from returnees.people.services import (
    MAX_PAGE,
    PEOPLE_ROLES,
    ReturneeSearch,
    looks_at,
    search_returnees,
    shared_numbers,
    view_returnee,
)
from returnees.people.targets import people_in_audit
from returnees.reception.forms import HandoverForm, PlacementForm, ReturneeSearchForm
from returnees.reception.services import (
    RECEPTION_ROLES,
    arrivals_of,
    household_members,
    same_trip_arrivals,
)
from returnees.tasks.services import open_tasks_of

bp = Blueprint("people", __name__, url_prefix="/returnees")

# (template, function(session, actor, returnee) -> its context, or None to show nothing): each
# package that has something to show on a person's record (the case, referrals, the risk flag)
# adds its panel in create_app, so that this page does not import them.
RecordPanel = tuple[str, Callable[[Session, Actor, Returnee], dict | None]]
RECORD_PANELS: list[RecordPanel] = []


def add_record_panel(
    template: str, build: Callable[[Session, Actor, Returnee], dict | None]
) -> None:
    if (template, build) not in RECORD_PANELS:
        RECORD_PANELS.append((template, build))


def _panels(session: Session, actor: Actor, returnee: Returnee) -> list[tuple[str, dict]]:
    built = ((template, build(session, actor, returnee)) for template, build in RECORD_PANELS)
    return [(template, context) for template, context in built if context is not None]


@bp.get("/")
@requires_role(*PEOPLE_ROLES)
def index() -> tuple[str, int]:
    """Find returnees by name, document or phone, centre and arrival date."""
    form = ReturneeSearchForm(request.args)
    found = []
    if form.validate():
        found = search_returnees(get_session(), current_actor(), search_from(form))
    status = 422 if form.errors else 200
    return render_template("people/index.html", form=form, returnees=found), status


def _sending_hold(returnee: Returnee) -> str | None:
    """Why nothing is written to this person now, when they have a phone to be written on."""
    if not any(phone.is_usable and phone.has_consent for phone in returnee.phones):
        return None
    return sending_hold(utcnow(), returnee.nationality)


def search_from(form: ReturneeSearchForm) -> ReturneeSearch:
    day = timedelta(days=1)
    start = form.arrived_from.data and datetime.combine(form.arrived_from.data, time(), UTC)
    end = form.arrived_to.data and datetime.combine(form.arrived_to.data, time(), UTC) + day
    return ReturneeSearch(
        text=form.q.data or "",
        centre=form.centre.data or "",
        arrived_from=start or None,
        arrived_to=end or None,
    )


@bp.get("/<int:returnee_id>")
@requires_role(*PEOPLE_ROLES)
@checks_own_scope
def record(returnee_id: int) -> str | tuple[str, int]:
    """A returnee's record: identity, phones, every arrival, screening, custody, household.
    Outside the reader's scope, and for a number nobody has alike, a supervisor or social
    worker is asked for a reason to open it (break-glass)."""
    try:
        return record_page(returnee_id)[0]
    except (OutOfScope, NotFound):
        if current_actor().role not in BREAK_GLASS_ROLES:
            raise
    remember_refusal(("returnee", str(returnee_id)))
    return break_glass_page(returnee_id, BreakGlassForm(), 403)


@bp.post("/<int:returnee_id>/break-glass")
@requires_role(*BREAK_GLASS_ROLES)
@checks_own_scope
def break_glass_view(returnee_id: int) -> Response | tuple[str, int]:
    """Open a record outside the reader's scope, with the reason they give."""
    form = BreakGlassForm()
    if form.validate_on_submit():
        try:
            break_glass(get_session(), current_actor(), returnee_id, form.reason.data or "")
        except InvalidInput as error:
            show_errors(form, error)
            return break_glass_page(returnee_id, form, error.status)
        return redirect(url_for("people.record", returnee_id=returnee_id))
    return break_glass_page(returnee_id, form, 422)


@bp.get("/<int:returnee_id>/audit")
@requires_role(Role.SUPERVISOR)
@answers_merged_itself
def who_looked(returnee_id: int) -> str:
    """Who has looked at or changed this person's record, a page at a time."""
    session, actor, page = get_session(), current_actor(), audit_page_asked()
    returnee, entries = looks_at(session, actor, returnee_id, page)
    return render_template(
        "people/who_looked.html",
        returnee=returnee,
        entries=entries,
        page=page,
        page_size=PAGE_SIZE,
        **audit_names(session, actor, entries),
    )


def audit_page_asked() -> int:
    """The page of entries asked for: a whole number from 1 (anything else is the first)."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def break_glass_page(returnee_id: int, form: BreakGlassForm, status: int) -> tuple[str, int]:
    """The reason form: it names only the number asked for, never the person."""
    hours = current_app.config["BREAK_GLASS_HOURS"]
    page = render_template(
        "people/break_glass.html", returnee_id=returnee_id, form=form, hours=hours
    )
    return page, status


def record_page(
    returnee_id: int, failed_contact: dict | None = None, status: int = 200
) -> tuple[str, int]:
    """The record; a call or visit that could not be saved shows its errors and what was
    typed, so nothing is lost."""
    session, actor = get_session(), current_actor()
    returnee = view_returnee(session, actor, returnee_id)
    arrivals = arrivals_of(session, returnee)
    placement = PlacementForm()
    placement.shelter.choices = options((c.code, c.name) for c in list_shelters(session, actor))
    households = {a.id: household_members(session, actor, a) for a in arrivals}
    companions = (
        {a.id: same_trip_arrivals(session, actor, a) for a in arrivals[:1]}
        if actor.role in RECEPTION_ROLES
        else {}
    )
    others = [a.returnee_id for shown in (households, companions) for a in chain(*shown.values())]
    record_list_shown(session, actor, "household", others)
    return render_template(
        "people/record.html",
        returnee=returnee,
        arrivals=arrivals,
        shared=shared_numbers(session, returnee),
        households=households,
        companions=companions,
        placement=placement,
        handover=HandoverForm(),
        today=utcnow().date(),
        conversation=conversation(session, returnee_id=returnee.id),
        sending_hold=_sending_hold(returnee),
        tasks=open_tasks_of(session, returnee.id),
        panels=_panels(session, actor, returnee),
        format_document=format_document,
        format_phone=format_phone,
        failed_contact=failed_contact or {},
    ), status


@names_in_audit(bp, "returnee")
def _returnees_in_audit(session: Session, reader: Actor, ids: set[str]) -> dict[str, Target]:
    return people_in_audit(session, reader, number_ids(ids))
