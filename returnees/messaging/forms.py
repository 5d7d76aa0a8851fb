from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import SelectField, StringField, TextAreaField

from returnees.core.forms import Form, options
from returnees.people.models import LANGUAGES


class TemplateForm(Form):
    key = StringField(_("Key"))
    language = SelectField(_("Language"), choices=options(LANGUAGES.items()), default="es")
    body = TextAreaField(_("Message"), render_kw={"rows": 4, "data-segments": ""})
    whatsapp_content_sid = StringField(_("WhatsApp Content SID (approved template)"))


class AttachForm(Form):
    returnee_id = StringField(_("Record number of the person"))
