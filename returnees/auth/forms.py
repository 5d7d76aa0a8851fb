from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo

from returnees.auth.models import Role
from returnees.core.forms import Form

ROLE_LABELS = {
    Role.RECEPTION: _("Reception"),
    Role.SOCIAL_WORKER: _("Social worker"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.ADMIN: _("Administrator"),
}


class SignInForm(Form):
    email = EmailField(_("E-mail"), validators=[DataRequired(_("Enter your e-mail."))])
    password = PasswordField(_("Password"), validators=[DataRequired(_("Enter your password."))])
    next = HiddenField()


class PasswordForm(Form):
    current_password = PasswordField(
        _("Current password"),
        validators=[DataRequired(_("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _("New password"),
        validators=[DataRequired(_("Enter the new password."))],
        render_kw={"autocomplete": "new-password"},
    )
    repeat_password = PasswordField(
        _("New password, again"),
        validators=[EqualTo("new_password", _("The two new passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )


class LanguageForm(Form):
    locale = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class UserForm(Form):
    email = EmailField(_("E-mail"))
    name = StringField(_("Name"))
    role = SelectField(
        _("Role"), choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]
    )
    centre = SelectField(_("Centre"), choices=[])
    password = PasswordField(_("Password"))


class ConfirmForm(Form):
    """A button that changes state: only its CSRF token is sent."""


class OnCallForm(Form):
    phone = StringField(_("Phone for urgent alerts"), render_kw={"inputmode": "tel"})
    is_on_call = BooleanField(_("On call: urgent cases in the region send this phone an SMS"))
