"""Admins' message templates, and the inbox of messages from numbers nobody has."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from returnees.audit.services import record_list_shown
from returnees.audit.targets import Target, link_for, names_in_audit, number_ids
from returnees.auth.access import CASEWORK_ROLES, Actor, current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session
from returnees.core.errors import DomainError
from returnees.core.forms import show_errors
from returnees.messaging.forms import AttachForm, TemplateForm
from returnees.messaging.models import MessageTemplate
from returnees.messaging.prompt_storage import prompt_storage
from returnees.messaging.prompts import prompt_if_signed
from returnees.messaging.services import attach_number, unmatched_messages
from returnees.messaging.templates import (
    TemplateEntry,
    list_templates,
    require_template,
    save_template,
)
from returnees.messaging.wording import count_segments

bp = Blueprint("messaging", __name__)


@bp.get("/templates/")
@requires_role(Role.ADMIN)
def templates() -> str:
    """Every template, with the SMS segments it takes."""
    found = list_templates(get_session(), current_actor())
    return render_template(
        "messaging/templates.html",
        templates=found,
        segments={t.id: count_segments(t.body) for t in found},
    )


@bp.route("/templates/new", methods=["GET", "POST"])
@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def edit_template(template_id: int | None = None) -> str | tuple[str, int] | Response:
    """Write a template; a word a third person must not read is refused, naming it."""
    existing = (
        require_template(get_session(), current_actor(), template_id) if template_id else None
    )
    form = TemplateForm(obj=existing if request.method == "GET" else None)
    if request.method == "POST" and form.validate_on_submit():
        entry = TemplateEntry(
            form.key.data or "",
            form.language.data or "",
            form.body.data or "",
            form.whatsapp_content_sid.data or "",
        )
        try:
            save_template(get_session(), current_actor(), entry)
        except DomainError as error:
            show_errors(form, error)
            return render_template(
                "messaging/template_edit.html",
                form=form,
                segments=count_segments(form.body.data or ""),
            ), error.status
        flash(_("Template saved."), "success")
        return redirect(url_for("messaging.templates"))
    return render_template(
        "messaging/template_edit.html", form=form, segments=count_segments(form.body.data or "")
    )


@bp.get("/voice-prompts/<int:prompt_id>")
def voice_prompt_audio(prompt_id: int) -> Response:
    """A recorded prompt, for Twilio's <Play>: only at a signed URL that has not expired (403
    otherwise, whether or not the prompt exists); no sign-in, as Twilio has none."""
    args = request.args
    prompt = prompt_if_signed(
        get_session(), prompt_id, args.get("expires", ""), args.get("signature", "")
    )
    if prompt is None:
        abort(403)
    data = prompt_storage().read(prompt.storage_key)
    if data is None:
        abort(404)
    response = Response(data, mimetype=prompt.content_type)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/inbox/unmatched")
@requires_role(*CASEWORK_ROLES)
def unmatched() -> str:
    """Messages from numbers nobody has."""
    messages = unmatched_messages(get_session(), current_actor())
    shown = [message.id for message in messages]
    record_list_shown(get_session(), current_actor(), "inbound_message", (), messages=shown)
    return render_template("messaging/unmatched.html", messages=messages, form=AttachForm())


@bp.post("/inbox/unmatched/<int:inbound_id>/attach")
@requires_role(*CASEWORK_ROLES)
def attach(inbound_id: int) -> Response:
    """Attach an unknown number to a person's record."""
    form = AttachForm()
    target = (form.returnee_id.data or "").strip()
    if not target.isdigit():
        flash(_("Give the record number of the person."), "error")
        return redirect(url_for("messaging.unmatched"))
    try:
        attach_number(get_session(), current_actor(), inbound_id, int(target))
    except DomainError as error:
        get_session().rollback()
        flash(str(error.message), "error")
        return redirect(url_for("messaging.unmatched"))
    flash(_("Number attached to the person's record."), "success")
    return redirect(url_for("people.record", returnee_id=int(target)))


@names_in_audit(bp, "message_template")
def _templates_in_audit(session: Session, reader: Actor, ids: set[str]) -> dict[str, Target]:
    query = select(MessageTemplate.id, MessageTemplate.key, MessageTemplate.language).where(
        MessageTemplate.id.in_(number_ids(ids).values())
    )
    return {
        str(found): Target(
            f"{key} ({language})", link_for(reader, "messaging.edit_template", template_id=found)
        )
        for found, key, language in session.execute(query)
    }
