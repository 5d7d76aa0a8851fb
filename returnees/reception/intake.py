"""The short intake: what staff type at the desk, checked field by field."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _

from returnees.centres.models import Country
from returnees.core.errors import InvalidInput
from returnees.people.identity import (
    DocumentType,
    InvalidValue,
    normalise_document,
    normalise_name,
    normalise_phone,
)
from returnees.people.models import LANGUAGES, Channel, PhoneOwner, Sex
from returnees.places.catalogue import Place, read_place
from returnees.reception.models import ReturnType, TravelMode

ADULT_AGE = 18
OLDEST_AGE = 110
# A clock a little ahead at the desk is tolerated; an arrival later than this is a typo.
ARRIVAL_AHEAD = timedelta(hours=1)


@dataclass
class PhoneEntry:
    number: str = ""
    owner: str = PhoneOwner.SELF.value
    channel: str = Channel.SMS.value
    consent: bool = False
    # Whether calls are welcome on it (a plan may ask by phone call); a voice channel is.
    calls_welcome: bool = False


@dataclass
class ArrivalEntry:
    centre: str = ""
    arrived_at: datetime | None = None
    mode: str = TravelMode.FLIGHT.value
    deporting_country: str = "US"
    reference: str = ""
    return_type: str = ReturnType.DEPORTED.value


@dataclass
class Intake:
    """The intake as typed; `check_intake` turns it into clean values or per-field errors."""

    given_names: str = ""
    family_names: str = ""
    birth_date: date | None = None
    estimated_age: int | None = None
    sex: str = ""
    nationality: str = ""
    document_type: str = ""
    document_number: str = ""
    phones: list[PhoneEntry] = field(default_factory=list)
    language: str = "es"
    municipality: str = ""
    # A place code (GT-1201), or the place as typed ("San Marcos, San Marcos"); "" unknown.
    home: str = ""
    is_unaccompanied: bool = False
    arrival: ArrivalEntry = field(default_factory=ArrivalEntry)
    passenger_id: int | None = None


@dataclass(frozen=True)
class CleanPhone:
    number: str
    owner: PhoneOwner
    channel: Channel
    has_consent: bool
    calls_welcome: bool = False


@dataclass(frozen=True)
class CleanIntake:
    given_names: str
    family_names: str
    birth_date: date | None
    estimated_age: int | None
    sex: Sex
    nationality: Country
    document_type: DocumentType | None
    document_number: str | None
    phones: tuple[CleanPhone, ...]
    language: str
    municipality: str
    home_code: str | None
    is_unaccompanied: bool
    arrived_at: datetime
    mode: TravelMode
    deporting_country: str
    reference: str
    return_type: ReturnType


class _Errors(dict[str, list[object]]):
    def add(self, name: str, message: object) -> None:
        self.setdefault(name, []).append(message)


def check_intake(intake: Intake, now: datetime, timezone: str = "America/Guatemala") -> CleanIntake:
    """Clean values, or InvalidInput naming every field that breaks a rule (nothing is saved)."""
    errors = _Errors()
    given, family = (
        _required_name(intake.given_names, "given_names", errors),
        _required_name(intake.family_names, "family_names", errors),
    )
    sex = _choice(Sex, intake.sex, "sex", _sex_problem(intake.sex), errors)
    nationality = _choice(
        Country, intake.nationality.upper(), "nationality", _("Choose GT, HN or SV."), errors
    )
    age = _check_age(intake, now.astimezone(ZoneInfo(timezone)).date(), errors)
    document_type, document_number = _check_document(intake, errors)
    phones = _check_phones(intake.phones, nationality.value if nationality else "GT", errors)
    home = _check_home(intake.home, nationality, errors)
    if intake.language not in LANGUAGES:
        errors.add("language", _("Choose a language from the list."))
    if intake.is_unaccompanied and age is not None and age >= ADULT_AGE:
        errors.add(
            "is_unaccompanied", _("Only a child under 18 is registered as travelling alone.")
        )
    arrived_at = (intake.arrival.arrived_at or now).astimezone(UTC)
    _check_arrival_time(intake, arrived_at, now, ZoneInfo(timezone), errors)
    mode = _choice(
        TravelMode, intake.arrival.mode, "arrival.mode", _("Choose flight, bus or land."), errors
    )
    return_type = _choice(
        ReturnType,
        intake.arrival.return_type,
        "arrival.return_type",
        _("Choose deported, assisted or voluntary."),
        errors,
    )
    deporting = intake.arrival.deporting_country.strip().upper()
    if len(deporting) != 2 or not deporting.isalpha():
        errors.add(
            "arrival.deporting_country", _("Give the two-letter country code, such as US or MX.")
        )
    if errors:
        raise InvalidInput(_("Nothing was saved: correct the fields marked."), errors)
    return CleanIntake(
        given_names=given,
        family_names=family,
        birth_date=intake.birth_date,
        estimated_age=None if intake.birth_date else intake.estimated_age,
        sex=sex,
        nationality=nationality,
        document_type=document_type,
        document_number=document_number,
        phones=phones,
        language=intake.language,
        municipality=intake.municipality.strip(),
        home_code=home.code if home else None,
        is_unaccompanied=intake.is_unaccompanied,
        arrived_at=arrived_at,
        mode=mode,
        deporting_country=deporting,
        reference=intake.arrival.reference.strip().upper(),
        return_type=return_type,
    )


def _required_name(value: str, name: str, errors: _Errors) -> str:
    try:
        cleaned = normalise_name(value)
    except InvalidValue as error:
        errors.add(name, error.message)
        return ""
    if not cleaned:
        errors.add(name, _("This field is required."))
    elif len(cleaned) > 120:
        errors.add(name, _("At most 120 characters."))
    return cleaned


def _sex_problem(value: str) -> object:
    if not value:
        return _("Choose the person's sex: female, male or other.")
    return _("Choose F, M or X.")


def _check_arrival_time(
    intake: Intake, arrived_at: datetime, now: datetime, zone: ZoneInfo, errors: _Errors
) -> None:
    """An arrival is after the person's birth and not ahead of now (an hour's grace)."""
    if arrived_at > now + ARRIVAL_AHEAD:
        errors.add("arrival.arrived_at", _("The arrival time cannot be in the future."))
        return
    born = _earliest_birth(intake, now.astimezone(zone).date())
    if born and arrived_at.astimezone(zone).date() < born:
        errors.add(
            "arrival.arrived_at",
            _(
                "The arrival cannot be before the person was born: check the arrival date "
                "and the birth date or age."
            ),
        )


def _earliest_birth(intake: Intake, today: date) -> date | None:
    """The birth date, or the earliest day an estimated age allows."""
    if intake.birth_date:
        return intake.birth_date
    age = intake.estimated_age
    if age is None or not 0 <= age <= OLDEST_AGE:
        return None
    try:
        anniversary = today.replace(year=today.year - age - 1)
    except ValueError:  # today is 29 February
        anniversary = today.replace(year=today.year - age - 1, day=28)
    return anniversary + timedelta(days=1)


def _choice(kind, value: str, name: str, message: object, errors: _Errors):
    try:
        return kind(value)
    except ValueError:
        errors.add(name, message)
        return None


def _check_age(intake: Intake, today: date, errors: _Errors) -> int | None:
    if intake.birth_date:
        if intake.birth_date > today:
            errors.add("birth_date", _("The birth date cannot be in the future."))
            return None
        age = (
            today.year
            - intake.birth_date.year
            - ((today.month, today.day) < (intake.birth_date.month, intake.birth_date.day))
        )
        if age > OLDEST_AGE:
            errors.add("birth_date", _("Check the year: that is more than 110 years ago."))
        return age
    if intake.estimated_age is None:
        errors.add("birth_date", _("Give the birth date, or an estimated age."))
        return None
    if not 0 <= intake.estimated_age <= OLDEST_AGE:
        errors.add("estimated_age", _("An age is between 0 and 110."))
        return None
    return intake.estimated_age


def _check_document(intake: Intake, errors: _Errors) -> tuple[DocumentType | None, str | None]:
    kind, number = intake.document_type.strip().upper(), intake.document_number.strip()
    if not kind and not number:
        return None, None
    if not kind:
        errors.add("document.type", _("Choose the document type."))
        return None, None
    if kind not in DocumentType.__members__.values():
        errors.add("document.type", _("Choose DPI, DNI, DUI or PASSPORT."))
        return None, None
    if not number:
        errors.add("document.number", _("Give the document number, or leave the type empty."))
        return None, None
    try:
        return DocumentType(kind), normalise_document(kind, number)
    except InvalidValue as error:
        errors.add("document.number", error.message)
        return None, None


def _check_phones(
    entries: list[PhoneEntry], country: str, errors: _Errors
) -> tuple[CleanPhone, ...]:
    cleaned: dict[str, CleanPhone] = {}
    for index, entry in enumerate(entries):
        if not entry.number.strip():
            continue
        prefix = f"phones.{index}"
        try:
            number = normalise_phone(entry.number, country)
        except InvalidValue as error:
            errors.add(f"{prefix}.number", error.message)
            continue
        owner = _choice(
            PhoneOwner, entry.owner, f"{prefix}.owner", _("Choose whose phone it is."), errors
        )
        channel = _choice(
            Channel,
            entry.channel,
            f"{prefix}.channel",
            _("Choose SMS, WhatsApp, calls or none."),
            errors,
        )
        if owner and channel:
            calls = bool(entry.calls_welcome) or channel is Channel.VOICE
            cleaned.setdefault(
                number, CleanPhone(number, owner, channel, bool(entry.consent), calls)
            )
    return tuple(cleaned.values())


def _check_home(value: str, country: Country | None, errors: _Errors) -> Place | None:
    """The home as a place of the person's country; unknown (empty) is an answer."""
    try:
        return read_place(value, country.value if country else None)
    except InvalidValue as error:
        errors.add("home", error.message)
        return None
