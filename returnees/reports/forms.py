"""The report page's filters, sent by GET."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from returnees.core.forms import DayMonthYearField, Form, options
from returnees.reports.cohorts import DIMENSIONS
from returnees.reports.labels import DIMENSION_LABELS


class GroupsField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReportFilterForm(Form):
    """Filters sent by GET: no CSRF token needed, nothing changes."""

    class Meta:
        csrf = False

    from_ = DayMonthYearField(_("Arrived from"), validators=[InputRequired()], name="from")
    to = DayMonthYearField(_("to (inclusive)"), validators=[InputRequired()])
    centre = StringField(_("Centre of arrival (code)"), validators=[Optional()])
    office = StringField(_("Office (code)"), validators=[Optional()])
    department = StringField(_("Department of home (code, such as GT-12)"), validators=[Optional()])
    country = SelectField(
        _("Country of return"),
        choices=options([("", _("All I reach")), ("GT", "GT"), ("HN", "HN"), ("SV", "SV")]),
        validators=[Optional()],
    )
    by = GroupsField(
        _("Group by"),
        choices=options((name, DIMENSION_LABELS[name]) for name in DIMENSIONS),
        validators=[Optional()],
    )


class ExportForm(Form):
    """What to export and how; an identifying file is encrypted with the passphrase typed."""

    what = SelectField(_("Export"), choices=[])
    file_format = SelectField(
        _("Format"), choices=options([("csv", "CSV"), ("xlsx", "XLSX (Excel)")]), name="format"
    )
    from_ = DayMonthYearField(_("From"), validators=[Optional()], name="from")
    to = DayMonthYearField(_("to (inclusive)"), validators=[Optional()])
    pseudonymised = BooleanField(_("Pseudonymised (no names, documents, phones or free text)"))
    recipient = SelectField(
        _("Recipient of the pseudonymised file"), choices=[], validate_choice=False
    )
    passphrase = PasswordField(
        _("Passphrase to open the file"),
        description=_("At least 12 characters; give it to the recipient by another way."),
        render_kw={"autocomplete": "new-password"},
    )
    by = HiddenField()
    centre = HiddenField()
    office = HiddenField()
    department = HiddenField()
    country = HiddenField()
