from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import SelectChoice, SelectField, StringField

from returnees.centres.models import CentreKind, Country
from returnees.core.forms import Form

KIND_LABELS = {
    CentreKind.AIRPORT: _("Airport reception centre"),
    CentreKind.LAND_BORDER: _("Land border reception centre"),
    CentreKind.SHELTER: _("Shelter"),
    CentreKind.OFFICE: _("Office"),
}
COUNTRY_LABELS = {
    Country.GUATEMALA: _("Guatemala"),
    Country.HONDURAS: _("Honduras"),
    Country.EL_SALVADOR: _("El Salvador"),
}


class CentreForm(Form):
    code = StringField(_("Code"))
    name = StringField(_("Name"))
    kind = SelectField(
        _("Kind"), choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()]
    )
    country = SelectField(
        _("Country"),
        choices=[SelectChoice(country.value, label) for country, label in COUNTRY_LABELS.items()],
    )
    region = StringField(_("Department or region"))
    municipality = StringField(_("Municipality"))
    timezone = StringField(_("Timezone (empty: the country's)"))
