from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import SelectField, StringField, TextAreaField

from returnees.core.forms import Form, options
from returnees.risk.rules import NAMES, RULES

LEVEL_LABELS = {"low": _("low"), "medium": _("medium"), "high": _("high")}
NUMBER = {"inputmode": "numeric", "size": 4, "autocomplete": "off"}


class SetLevelForm(Form):
    level = SelectField(
        _("Level"), choices=options(LEVEL_LABELS.items()), default="high", validate_choice=False
    )
    reason = TextAreaField(_("Why"), render_kw={"rows": 2, "maxlength": 1000})


class RulesForm(Form):
    """One field per rule's weight (named by the rule's key), the thresholds and a note."""

    medium_from = StringField(_("Medium from (points)"), render_kw=NUMBER)
    high_from = StringField(_("High from (points)"), render_kw=NUMBER)
    note = StringField(_("Why the change (kept with the version)"), render_kw={"maxlength": 500})


for _key in RULES:
    setattr(RulesForm, _key, StringField(NAMES[_key], render_kw=NUMBER))
