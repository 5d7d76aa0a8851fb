from __future__ import annotations

from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import NumberRange, Optional

from returnees.audit.models import AuditAction
from returnees.core.forms import DayMonthYearField


class AuditFilterForm(FlaskForm):
    """Filters sent by GET: no CSRF token needed, nothing changes."""

    class Meta:
        csrf = False

    actor = StringField(_("User (e-mail)"), validators=[Optional()])
    record_type = StringField(_("Record type"), validators=[Optional()])
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
    AuditAction.EXPORT: _("Exported"),
    AuditAction.ASSIGN: _("Assigned"),
    AuditAction.DENIED: _("Access denied"),
    AuditAction.DISCARD: _("Discarded"),
}
