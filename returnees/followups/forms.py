from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import BooleanField, FieldList, FormField, HiddenField, SelectField, StringField

from returnees.core.forms import Form, SubForm, options

ANSWER_TYPE_LABELS = {
    "yes_no": _("Yes or no"),
    "confirm": _("Confirm (reply 1)"),
    "choice": _("Numbered choice"),
    "free_text": _("Free text (read by a person)"),
}
ASKED_LABELS = {"returnee": _("The returnee"), "guardian": _("The guardian of a child")}
INDICATOR_LABELS = {
    "": _("Nothing"),
    "safe": _("Safe"),
    "in_school": _("In school"),
    "working": _("Working"),
    "referral_attended": _("Attended the referral"),
    "leaving_again": _("Thinking of leaving again"),
}
ANSWER_LABELS = {"yes": _("yes"), "no": _("no"), "not_all": _("not all of them")}
STATE_LABELS = {
    "scheduled": _("scheduled"),
    "sending": _("sending"),
    "sent": _("sent"),
    "delivered": _("delivered"),
    "answered": _("answered"),
    "unanswered": _("no answer"),
    "failed": _("not delivered"),
    "cancelled": _("cancelled"),
    "missed": _("missed: its time passed"),
}
PROFILE_LABELS = {
    "unaccompanied_child": _("Unaccompanied child"),
    "child_with_family": _("Child with family"),
    "adult": _("Adult"),
}
VOICE_RULE_LABELS = {
    "asked_for_calls": _("Who asked for calls at the desk"),
    "mayan_language": _("Also Mayan-language speakers whose calls are welcome"),
    "calls_welcome": _("Everyone whose calls are welcome"),
}
NEW_ROWS = 2


class StepForm(SubForm):
    step_id = HiddenField()
    day_offset = StringField(_("Day"), render_kw={"inputmode": "numeric", "size": 4})
    template = SelectField(_("Question (template)"), validate_choice=False)
    answer_type = SelectField(
        _("Answer"), choices=options(ANSWER_TYPE_LABELS.items()), validate_choice=False
    )
    asked = SelectField(_("Asked"), choices=options(ASKED_LABELS.items()), validate_choice=False)
    indicator = SelectField(
        _("Tells"), choices=options(INDICATOR_LABELS.items()), validate_choice=False
    )
    remove = BooleanField(_("Remove"))


class PlanForm(Form):
    voice_rule = SelectField(
        _("Asked by phone call"), choices=options(VOICE_RULE_LABELS.items()), validate_choice=False
    )
    steps = FieldList(FormField(StepForm))
