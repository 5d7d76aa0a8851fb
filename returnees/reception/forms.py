from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import (
    BooleanField,
    FieldList,
    FileField,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from returnees.core.forms import DayMonthYearField, DayMonthYearTimeField, Form, SubForm, options
from returnees.people.models import LANGUAGES

SEX_CHOICES = [("F", _("Female")), ("M", _("Male")), ("X", _("Other"))]
NATIONALITY_CHOICES = [("GT", _("Guatemala")), ("HN", _("Honduras")), ("SV", _("El Salvador"))]
DOCUMENT_CHOICES = [
    ("", _("No document")),
    ("DPI", "DPI / CUI"),
    ("DNI", "DNI"),
    ("DUI", "DUI"),
    ("PASSPORT", _("Passport")),
]
# A document's name on a record: the national ones by their acronym.
DOCUMENT_NAMES = {"DPI": "DPI", "DNI": "DNI", "DUI": "DUI", "PASSPORT": _("Passport")}
OWNER_CHOICES = [("self", _("Own")), ("relative", _("A relative's")), ("shared", _("Shared"))]
CHANNEL_CHOICES = [
    ("sms", "SMS"),
    ("whatsapp", "WhatsApp"),
    ("voice", _("Phone call")),
    ("none", _("Do not contact")),
]
MODE_CHOICES = [("flight", _("Flight")), ("bus", _("Bus")), ("land", _("On foot / land crossing"))]
RETURN_TYPE_CHOICES = [
    ("deported", _("Deported")),
    ("assisted", _("Assisted return")),
    ("voluntary", _("Voluntary return")),
]
DEPORTING_CHOICES = [
    ("US", _("United States")),
    ("MX", _("Mexico")),
    ("GT", _("Guatemala")),
    ("CA", _("Canada")),
    ("ES", _("Spain")),
]
REASON_CHOICES = [
    ("violence", _("Violence or threats")),
    ("economic", _("Economic")),
    ("family_reunification", _("Family reunification")),
    ("other", _("Other")),
]
FAMILY_CHOICES = [
    ("spouse", _("Spouse or partner")),
    ("children", _("Children")),
    ("parents", _("Parents")),
]
TRAFFICKING_CHOICES = [
    ("deceived_about_work", _("Deceived about work or conditions")),
    ("documents_taken", _("Documents taken away")),
    ("debt_bondage", _("Made to work off a debt")),
    ("controlled_movement", _("Could not move freely")),
    ("sexual_exploitation", _("Sexual exploitation")),
    ("forced_labour", _("Forced labour")),
]
SCHOOL_CHOICES = [
    ("", _("Not asked / adult")),
    ("enrolled", _("Enrolled")),
    ("not_enrolled", _("Not enrolled")),
    ("dropped_out", _("Dropped out")),
    ("finished", _("Finished school")),
]
RELATIONSHIP_CHOICES = [
    ("mother", _("Mother")),
    ("father", _("Father")),
    ("legal_guardian", _("Legal guardian")),
    ("grandparent", _("Grandparent")),
    ("sibling", _("Adult sibling")),
    ("other_relative", _("Other relative")),
    ("other", _("Someone else")),
]
YES_NO_UNKNOWN = [("", _("Not asked")), ("yes", _("Yes")), ("no", _("No"))]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PhoneForm(SubForm):
    number = StringField(_("Phone"))
    owner = SelectField(_("Whose phone"), choices=options(OWNER_CHOICES), default="self")
    channel = SelectField(_("Contact by"), choices=options(CHANNEL_CHOICES), default="sms")
    consent = BooleanField(_("Agrees to be contacted"))
    calls_welcome = BooleanField(_("Calls are welcome"))


class IntakeForm(Form):
    given_names = StringField(_("Given names"), render_kw={"required": True})
    family_names = StringField(_("Family names"), render_kw={"required": True})
    birth_date = DayMonthYearField(_("Birth date"), validators=[Optional()])
    estimated_age = IntegerField(
        _("or estimated age"), validators=[Optional(), NumberRange(0, 110)]
    )
    # The service names a missing or unknown sex with every other error of the intake.
    sex = RadioField(_("Sex"), choices=options(SEX_CHOICES), validate_choice=False)
    nationality = SelectField(_("Nationality"), choices=options(NATIONALITY_CHOICES))
    document_type = SelectField(_("Document"), choices=options(DOCUMENT_CHOICES), default="")
    document_number = StringField(_("Document number"))
    phones = FieldList(FormField(PhoneForm), min_entries=2, max_entries=4)
    language = SelectField(
        _("Preferred language"), choices=options(LANGUAGES.items()), default="es"
    )
    # The place's code, set by the type-ahead; the text is read when the code is not given.
    home = HiddenField()
    home_text = StringField(_("Municipality where they will live"))
    is_unaccompanied = BooleanField(_("Child travelling alone"))
    centre = SelectField(_("Centre of arrival"), choices=[])
    arrived_at = DayMonthYearTimeField(_("Arrived at (local time)"), validators=[Optional()])
    mode = SelectField(_("Travelled by"), choices=options(MODE_CHOICES))
    deporting_country = SelectField(_("Returned from"), choices=options(DEPORTING_CHOICES))
    return_type = SelectField(
        _("Type of return"), choices=options(RETURN_TYPE_CHOICES), default="deported"
    )
    reference = StringField(_("Flight or bus"))
    passenger_id = HiddenField()


class ScreeningForm(Form):
    reasons_for_leaving = MultiCheckboxField(
        _("Reasons for leaving"), choices=options(REASON_CHOICES)
    )
    was_crime_victim = SelectField(
        _("Victim of a crime, they or their family"), choices=options(YES_NO_UNKNOWN)
    )
    was_threatened = SelectField(
        _("Threatened, they or their family"), choices=options(YES_NO_UNKNOWN)
    )
    family_abroad = MultiCheckboxField(_("Family living abroad"), choices=options(FAMILY_CHOICES))
    reported_deportations = IntegerField(
        _("Earlier deportations, as they report them"), validators=[Optional(), NumberRange(0, 100)]
    )
    months_abroad = IntegerField(
        _("Months spent abroad"), validators=[Optional(), NumberRange(0, 1200)]
    )
    has_journey_debt = SelectField(_("Owes money for the journey"), choices=options(YES_NO_UNKNOWN))
    intends_to_migrate_again = SelectField(
        _("Thinking of leaving again"), choices=options(YES_NO_UNKNOWN)
    )
    health_needs = TextAreaField(_("Health needs"))
    psychosocial_needs = TextAreaField(_("Psychosocial needs"))
    trafficking_indicators = MultiCheckboxField(
        _("Trafficking indicators"), choices=options(TRAFFICKING_CHOICES)
    )
    school_status = SelectField(_("School (children)"), choices=options(SCHOOL_CHOICES), default="")
    occupation = StringField(_("Occupation (adults)"))
    skills = TextAreaField(_("Skills and trades"))
    notes = TextAreaField(_("Notes"))


class PlacementForm(Form):
    shelter = SelectField(_("Shelter"), choices=[])


class HandoverForm(Form):
    guardian_name = StringField(_("Name of the person collecting the child"))
    relationship = SelectField(
        _("Relationship to the child"), choices=options(RELATIONSHIP_CHOICES)
    )
    guardian_document = StringField(_("Their identity document"))
    guardian_phone = StringField(_("Their phone"))
    is_document_checked = BooleanField(_("I checked their document and the relationship"))
    guardian_consents = BooleanField(
        _("They agree to be asked about the child by message on this phone")
    )


class HouseholdForm(Form):
    other = SelectField(_("Arrived together with"), choices=[])


class ReturneeSearchForm(Form):
    class Meta:
        csrf = False

    q = StringField(_("Name, document or phone"), validators=[Optional()])
    centre = StringField(_("Centre code"), validators=[Optional()])
    arrived_from = DayMonthYearField(_("Arrived from"), validators=[Optional()])
    arrived_to = DayMonthYearField(_("Arrived to (inclusive)"), validators=[Optional()])


class ManifestForm(Form):
    file = FileField(_("Passenger list (CSV or XLSX)"), render_kw={"required": True})
    # A list read well while another field was refused waits here: not chosen again.
    pending = HiddenField()
    centre = SelectField(_("Centre of arrival"), choices=[], render_kw={"required": True})
    reference = StringField(_("Flight or bus"), render_kw={"required": True})
    mode = SelectField(_("Travelled by"), choices=options(MODE_CHOICES))
    deporting_country = SelectField(_("Returned from"), choices=options(DEPORTING_CHOICES))
    expected_at = DayMonthYearTimeField(
        _("Expected at (local time)"), validators=[Optional()], render_kw={"required": True}
    )


class PassengerRowForm(Form):
    family_names = StringField(_("Family names"))
    given_names = StringField(_("Given names"))
    birth_date = StringField(_("Birth date"))
    sex = StringField(_("Sex"))
    nationality = StringField(_("Nationality"))
    document_type = StringField(_("Document"))
    document_number = StringField(_("Document number"))
    phone = StringField(_("Phone"))
    unaccompanied = StringField(_("Travelling alone"))
    home = StringField(_("Municipality where they will live"))
