"""Names of referral statuses, services and partner kinds, and the referral and partner forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from returnees.centres.forms import COUNTRY_LABELS
from returnees.core.forms import Form, options
from returnees.referrals.models import OrganisationKind, ReferralStatus, ServiceKind

STATUS_LABELS = {
    ReferralStatus.MADE: _("made"),
    ReferralStatus.ACCEPTED: _("accepted"),
    ReferralStatus.ATTENDED: _("attended"),
    ReferralStatus.DECLINED: _("declined"),
    ReferralStatus.NO_SHOW: _("did not attend"),
    ReferralStatus.WITHDRAWN: _("withdrawn"),
}
# What the button that moves a referral to each status says.
STATUS_ACTIONS = {
    ReferralStatus.ACCEPTED: _("Accepted by the organisation"),
    ReferralStatus.ATTENDED: _("Attended"),
    ReferralStatus.DECLINED: _("Declined by the organisation"),
    ReferralStatus.NO_SHOW: _("Did not attend"),
    ReferralStatus.WITHDRAWN: _("Withdraw the referral"),
}
SERVICE_LABELS = {
    ServiceKind.SCHOOL: _("School enrolment"),
    ServiceKind.JOBS: _("Job placement"),
    ServiceKind.TRAINING: _("Vocational training"),
    ServiceKind.PSYCHOSOCIAL: _("Psychosocial support"),
    ServiceKind.HEALTH: _("Health care"),
    ServiceKind.LEGAL_AID: _("Legal aid"),
    ServiceKind.PROTECTION: _("Protection"),
    ServiceKind.SHELTER: _("Shelter"),
}
ORGANISATION_KIND_LABELS = {
    OrganisationKind.SCHOOL: _("School or education office"),
    OrganisationKind.EMPLOYMENT: _("Job or training programme"),
    OrganisationKind.HEALTH: _("Psychosocial or health service"),
    OrganisationKind.PROTECTION: _("Legal aid or protection agency"),
    OrganisationKind.SHELTER: _("Shelter"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReferralForm(Form):
    # The service checks every value, so that all errors show at once beside their fields.
    organisation_id = SelectField(_("Organisation"), validate_choice=False)
    service = SelectField(
        _("Service"),
        choices=options([("", _("Choose a service")), *SERVICE_LABELS.items()]),
        validate_choice=False,
    )
    has_consent = BooleanField(_("The person agrees to be referred and to share their details"))
    is_protection = BooleanField(
        _(
            "Protection referral (danger at home): only supervisors, the assigned worker and you "
            "see it"
        )
    )
    note = TextAreaField(_("Note for the record"), render_kw={"rows": 3})


class StatusForm(Form):
    status = SelectField(
        _("New status"), choices=options(STATUS_ACTIONS.items()), validate_choice=False
    )
    outcome = TextAreaField(_("Outcome"), render_kw={"rows": 2})
    note = TextAreaField(_("Note"), render_kw={"rows": 2})


class ReasonForm(Form):
    reason = TextAreaField(
        _("Why are you opening this restricted referral?"), render_kw={"rows": 2}
    )


class PartnerForm(Form):
    name = StringField(_("Name"))
    kind = SelectField(
        _("Kind"), choices=options(ORGANISATION_KIND_LABELS.items()), validate_choice=False
    )
    services = MultiCheckboxField(
        _("Services offered"), choices=options(SERVICE_LABELS.items()), validate_choice=False
    )
    country = SelectField(
        _("Country"), choices=options(COUNTRY_LABELS.items()), validate_choice=False
    )
    region = StringField(_("Department or region"))
    municipality = StringField(_("Municipality"))
    phone = StringField(_("Phone"))


class PartnerFilterForm(Form):
    """Filters sent by GET: no CSRF token needed, nothing changes."""

    class Meta:
        csrf = False

    service = SelectField(
        _("Service"),
        choices=options([("", _("Any service")), *SERVICE_LABELS.items()]),
        validate_choice=False,
    )
    region = StringField(_("Department or region"))
    inactive = BooleanField(_("Include inactive organisations"))
