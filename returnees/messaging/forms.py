from __future__ import annotations

from flask_babel import lazy_gettext as _
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField

from returnees.core.forms import Form, options
from returnees.people.models import LANGUAGES


class TemplateForm(Form):
    key = StringField(_("Key"))
    language = SelectField(_("Language"), choices=options(LANGUAGES.items()), default="es")
    body = TextAreaField(_("Message"), render_kw={"rows": 4, "data-segments": ""})
    whatsapp_content_sid = StringField(_("WhatsApp Content SID (approved template)"))


class VoicePromptForm(Form):
    """A recording for a template key (choices set by the view) and language."""

    template_key = SelectField(_("Template"), choices=[])
    language = SelectField(_("Language"), choices=options(LANGUAGES.items()), default="es")
    audio = FileField(
        _("Recording (WAV or MP3)"),
        render_kw={"accept": ".wav,.mp3,audio/wav,audio/mpeg", "required": True},
    )


class AttachForm(Form):
    returnee_id = StringField(_("Record number of the person"))
