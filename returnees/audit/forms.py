from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from returnees.audit.models import AuditAction
from returnees.core.forms import DayMonthYearField, Form, options

# What an entry is about, by the record type its writer gave (the types every package writes;
# tests/audit checks that none is missing).
RECORD_TYPE_LABELS = {
    "arrival": _("Arrival"),
    "audit_trail": _("Audit trail"),
    "case": _("Case"),
    "case_contact": _("Call or visit"),
    "centre": _("Centre or office"),
    "custody": _("Custody of a child"),
    "erasure": _("Erasure of a person"),
    "export": _("Export"),
    "desk": _("Reception desk"),
    "duplicate_pair": _("Possible duplicate"),
    "duplicate_pairs": _("Possible duplicates"),
    "follow_up_plan": _("Follow-up plan"),
    "home": _("Home page"),
    "household": _("Household"),
    "inbound_message": _("Message from an unknown number"),
    "manifest": _("Passenger list"),
    "merge": _("Merge of two records"),
    "message_template": _("Message template"),
    "office_coverage": _("Office coverage"),
    "on_call_rota": _("On-call rota"),
    "outbound_message": _("Message or call sent"),
    "outcome_report": _("Outcome report"),
    "partner_organisation": _("Partner organisation"),
    "queue": _("Follow-up queue"),
    "referral": _("Referral"),
    "returnee": _("Person"),
    "returnee_audit": _("Who looked at a person"),
    "returnee_referrals": _("A person's referrals"),
    "returnee_search": _("Search for people"),
    "risk_flag": _("Risk level"),
    "risk_rules": _("Risk rules"),
    "saved_filter": _("Saved queue filter"),
    "screening": _("Screening"),
    "simulator": _("Phone simulator"),
    "survey_instrument": _("Reintegration survey questions"),
    "survey_wave": _("Reintegration survey"),
    "task": _("Task"),
    "transfer": _("Transfer"),
    "unknown_account": _("E-mail with no account"),
    "user": _("User"),
    "voice_prompt": _("Recorded voice prompt"),
}


def record_type_label(record_type: str) -> str:
    """An entry's record type in the reader's language; an unknown one as written."""
    return str(RECORD_TYPE_LABELS.get(record_type, record_type))


def record_type_choices() -> list:
    """Every record type, by its name in the reader's language; the value stays the code."""
    named = sorted(RECORD_TYPE_LABELS.items(), key=lambda pair: str(pair[1]).casefold())
    return options([("", _("Any")), *named])


class AuditFilterForm(Form):
    """Filters sent by GET: no CSRF token needed, nothing changes."""

    class Meta:
        csrf = False

    actor = StringField(_("User (e-mail)"), validators=[Optional()])
    record_type = SelectField(
        _("Record type"),
        choices=record_type_choices,
        invalid_choice_message=_("Choose a record type from the list."),
        validators=[Optional()],
    )
    record_id = StringField(_("Record id"), validators=[Optional()])
    since = DayMonthYearField(_("From"), validators=[Optional()])
    until = DayMonthYearField(_("To (inclusive)"), validators=[Optional()])
    page = IntegerField(_("Page"), default=1, validators=[Optional(), NumberRange(min=1)])


ACTION_LABELS = {
    AuditAction.SIGN_IN: _("Signed in"),
    AuditAction.SIGN_IN_FAILED: _("Failed sign-in"),
    AuditAction.SIGN_IN_LOCKED: _("Sign-in refused: locked"),
    AuditAction.SIGN_OUT: _("Signed out"),
    AuditAction.VIEW: _("Viewed"),
    AuditAction.CREATE: _("Created"),
    AuditAction.UPDATE: _("Changed"),
    AuditAction.DISABLE: _("Disabled"),
    AuditAction.ISSUE_TOKEN: _("API token issued"),
    AuditAction.REVOKE_TOKEN: _("API token revoked"),
    AuditAction.CHANGE_PASSWORD: _("Password changed"),
    AuditAction.EXPORT: _("Exported"),
    AuditAction.ASSIGN: _("Assigned"),
    AuditAction.DENIED: _("Access denied"),
    AuditAction.DISCARD: _("Discarded"),
    AuditAction.BREAK_GLASS: _("Opened outside scope"),
    AuditAction.MERGE: _("Merged two records of one person"),
    AuditAction.UNDO_MERGE: _("Undid a merge"),
}
