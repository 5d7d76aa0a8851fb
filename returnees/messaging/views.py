"""Admins' message templates and recorded voice prompts (and the prompts' audio, for Twilio), and
the inbox of messages from numbers nobody has."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from returnees.audit.services import record_list_shown
from returnees.audit.targets import Target, link_for, names_in_audit, number_ids
from returnees.auth.access import CASEWORK_ROLES, Actor, current_actor, requires_role
from returnees.auth.models import Role, User
from returnees.core.db import get_session
from returnees.core.errors import DomainError, InvalidInput
from returnees.core.forms import show_errors
from returnees.messaging.forms import AttachForm, TemplateForm, VoicePromptForm
from returnees.messaging.models import MessageTemplate, VoicePrompt
from returnees.messaging.prompt_storage import prompt_storage
from returnees.messaging.prompts import (
    allow_spanish_say,
    list_voice_prompts,
    prompt_if_signed,
    prompt_keys,
    save_voice_prompt,
    signed_url,
)
from returnees.messaging.services import attach_number, unmatched_messages
from returnees.messaging.templates import (
    FALLBACK_LANGUAGE,
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


@bp.route("/templates/voice", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def voice_prompts() -> str | tuple[str, int] | Response:
    """Recorded prompts: upload one (WAV or MP3, checked by content, size and length), listen to
    those stored, and choose the templates Twilio may read aloud in Spanish."""
    session, actor = get_session(), current_actor()
    form = VoicePromptForm()
    form.template_key.choices = [(key, key) for key in prompt_keys(session)]
    if request.method == "GET":
        return _voice_page(session, actor, form)
    upload = request.files.get(form.audio.name)
    # One byte past the limit is enough to refuse a file as too large.
    limit = current_app.config["VOICE_PROMPT_MAX_BYTES"] + 1
    data = upload.stream.read(limit) if upload else b""
    try:
        if not form.validate_on_submit():
            raise InvalidInput(_("Nothing was saved: correct the fields marked."), {})
        save_voice_prompt(
            session, actor, form.template_key.data or "", form.language.data or "", data
        )
    except DomainError as error:
        show_errors(form, error)
        return _voice_page(session, actor, form), error.status
    flash(_("Recording saved."), "success")
    return redirect(url_for("messaging.voice_prompts"))


def _voice_page(session: Session, actor: Actor, form: VoicePromptForm) -> str:
    prompts = list_voice_prompts(session, actor)
    uploaders = {prompt.uploaded_by_id for prompt in prompts} - {None}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(uploaders))).all())
    spanish = [t for t in list_templates(session, actor) if t.language == FALLBACK_LANGUAGE]
    return render_template(
        "messaging/voice_prompts.html",
        form=form,
        prompts=prompts,
        urls={prompt.id: signed_url(prompt) for prompt in prompts},
        names=names,
        spanish=spanish,
    )


@bp.post("/templates/voice/say")
@requires_role(Role.ADMIN)
def voice_say() -> Response:
    """Allow or stop Twilio <Say> in Spanish, template by template (the boxes ticked)."""
    session, actor = get_session(), current_actor()
    allowed = set(request.form.getlist("say"))
    for template in list_templates(session, actor):
        wanted = template.key in allowed
        if template.language == FALLBACK_LANGUAGE and template.voice_say_allowed != wanted:
            allow_spanish_say(session, actor, template.key, wanted)
    flash(_("Spanish voice settings saved."), "success")
    return redirect(url_for("messaging.voice_prompts", _anchor="say"))


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


@names_in_audit(bp, "voice_prompt")
def _prompts_in_audit(session: Session, reader: Actor, ids: set[str]) -> dict[str, Target]:
    query = select(VoicePrompt.id, VoicePrompt.template_key, VoicePrompt.language).where(
        VoicePrompt.id.in_(number_ids(ids).values())
    )
    return {
        str(found): Target(f"{key} ({language})", link_for(reader, "messaging.voice_prompts"))
        for found, key, language in session.execute(query)
    }
