"""The call form (one question a screen, each answer saved as it is given), a person's waves on
their record, and the admins' page of the instrument."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from returnees.auth.access import Actor, current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session
from returnees.core.errors import Conflict, DomainError
from returnees.messaging.labels import CALL_STATUS_LABELS
from returnees.people.identity import format_phone
from returnees.people.models import Returnee
from returnees.people.services import require_returnee
from returnees.surveys import labels
from returnees.surveys.instrument import (
    ItemEntry,
    change_instrument,
    entry_of,
    list_instruments,
    require_instrument,
)
from returnees.surveys.models import UNSCORED_ANSWERS, Dimension, SurveyItem, SurveyWave
from returnees.surveys.services import (
    SURVEY_ROLES,
    answer_item,
    answers_by_item,
    complete_wave,
    latest_survey_call,
    next_item,
    open_wave,
    phones_to_call,
    place_survey_call,
    staff_phone_of,
    waves_of,
)

bp = Blueprint("surveys", __name__)
LABELS = {
    "dimensions": list(Dimension),
    "dimension_labels": labels.DIMENSION_LABELS,
    "unscored_labels": labels.UNSCORED_LABELS,
    "kind_labels": labels.KIND_LABELS,
    "question": labels.question,
    "answer_label": labels.answer_label,
    "score_text": labels.score_text,
}


def record_panel(session: Session, actor: Actor, returnee: Returnee) -> dict | None:
    """The survey panel of a person's record: each wave, completed ones against the one
    before with the answers that moved them, and the open one to take."""
    if actor.role not in SURVEY_ROLES:
        return None
    return {"returnee": returnee, "readings": waves_of(session, actor, returnee.id), **LABELS}


@bp.get("/returnees/<int:returnee_id>/surveys/<int:wave_id>")
@requires_role(*SURVEY_ROLES)
def take(returnee_id: int, wave_id: int) -> str:
    """The call form: the question asked (`?item=<code>`), or the first unanswered one, or
    the summary to complete the wave when every item has an answer."""
    session, actor = get_session(), current_actor()
    wave = open_wave(session, actor, returnee_id, wave_id)
    return _render(wave, _item(wave, request.args.get("item", "")) or next_item(wave))


@bp.post("/returnees/<int:returnee_id>/surveys/<int:wave_id>")
@requires_role(*SURVEY_ROLES)
def answer(returnee_id: int, wave_id: int) -> str | tuple[str, int] | Response:
    """Save one answer now, then show the next question not yet answered."""
    session, actor = get_session(), current_actor()
    code, value = request.form.get("item", ""), request.form.get("value", "")
    try:
        answer_item(session, actor, returnee_id, wave_id, code, value)
    except DomainError as error:
        session.rollback()
        wave = open_wave(session, actor, returnee_id, wave_id)
        problems = [str(m) for messages in error.fields.values() for m in messages]
        asked = _item(wave, code) or next_item(wave)
        return _render(wave, asked, problems or [str(error.message)]), error.status
    return redirect(url_for("surveys.take", returnee_id=returnee_id, wave_id=wave_id))


@bp.post("/returnees/<int:returnee_id>/surveys/<int:wave_id>/complete")
@requires_role(*SURVEY_ROLES)
def complete(returnee_id: int, wave_id: int) -> Response:
    """Score the wave and close its task; back to the record, where the scores show."""
    session, actor = get_session(), current_actor()
    try:
        complete_wave(session, actor, returnee_id, wave_id)
    except Conflict as error:
        session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("surveys.take", returnee_id=returnee_id, wave_id=wave_id))
    flash(_("Survey completed: its scores are on the record."), "success")
    return redirect(url_for("people.record", returnee_id=returnee_id) + "#surveys")


@bp.post("/returnees/<int:returnee_id>/surveys/<int:wave_id>/call")
@requires_role(*SURVEY_ROLES)
def call(returnee_id: int, wave_id: int) -> Response:
    """Place the call to the phone chosen; the form stays open to take the answers."""
    session, actor = get_session(), current_actor()
    phone_id = request.form.get("phone", 0, type=int)
    try:
        message = place_survey_call(session, actor, returnee_id, wave_id, phone_id)
    except DomainError as error:
        session.rollback()
        flash(str(error.message), "error")
    else:
        number = format_phone(message.phone)
        flash(_("Calling %(number)s: your phone rings when they answer.", number=number), "success")
    return redirect(url_for("surveys.take", returnee_id=returnee_id, wave_id=wave_id))


def _item(wave: SurveyWave, code: str) -> SurveyItem | None:
    return next((item for item in wave.instrument.items if item.code == code), None)


def _render(wave: SurveyWave, item: SurveyItem | None, problems: tuple | list = ()) -> str:
    session, actor = get_session(), current_actor()
    returnee = require_returnee(session, actor, wave.returnee_id)
    return render_template(
        "surveys/take.html",
        returnee=returnee,
        wave=wave,
        item=item,
        items=wave.instrument.items,
        answers=answers_by_item(wave),
        problems=problems,
        unscored=UNSCORED_ANSWERS,
        phones=phones_to_call(returnee),
        call=latest_survey_call(session, wave),
        call_labels=CALL_STATUS_LABELS,
        puts_through=bool(staff_phone_of(session, actor)),
        format_phone=format_phone,
        **LABELS,
    )


# The instrument, for admins


@bp.route("/surveys/instrument", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def instrument() -> str | tuple[str, int] | Response:
    """The active version's items; an admin changes their wording and weights here (a new
    version), and items themselves through the API."""
    session, actor = get_session(), current_actor()
    current = require_instrument(session, actor)
    problems: dict = {}
    if request.method == "POST":
        try:
            change_instrument(session, actor, _edited(current.items))
        except DomainError as error:
            session.rollback()
            problems = _by_code(current.items, error.fields)
            return _render_instrument(current, problems, str(error.message)), error.status
        flash(_("Survey saved: new waves ask this version."), "success")
        return redirect(url_for("surveys.instrument"))
    return _render_instrument(current, problems)


def _edited(items: list[SurveyItem]) -> list[ItemEntry]:
    """Each item as it is, with the wording and weight the page sent."""
    form = request.form
    return [
        replace(
            entry_of(item),
            weight=form.get(f"{item.code}-weight", ""),
            question_es=form.get(f"{item.code}-question_es", ""),
            question_en=form.get(f"{item.code}-question_en", ""),
        )
        for item in items
    ]


def _by_code(items: list[SurveyItem], fields: dict) -> dict[str, list[str]]:
    """The service names an item by its place in the list; the page by its code."""
    found: dict[str, list[str]] = {}
    for name, messages in fields.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(items):
            found[f"{items[int(parts[1])].code}-{parts[2]}"] = [str(m) for m in messages]
        else:
            found.setdefault("", []).extend(str(m) for m in messages)
    return found


def _render_instrument(current, problems: dict, message: str = "") -> str:
    return render_template(
        "surveys/instrument.html",
        instrument=current,
        versions=list_instruments(get_session(), current_actor()),
        problems=problems,
        message=message,
        form=request.form if request.method == "POST" else None,
        **LABELS,
    )
