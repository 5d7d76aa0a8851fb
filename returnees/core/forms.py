"""The app's form bases; what people type into forms: dates read the same whatever the browser;
and a service's field errors put beside the fields of the form that was sent."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time

import wtforms
from flask_babel import format_date
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeField,
    Field,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import ValidationError

from returnees.core.bounds import EARLIEST_DATE, LATEST_DATE, in_calendar
from returnees.core.errors import DomainError

DAY_FIRST = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})")
DIGITS_ONLY = re.compile(r"(\d{2})(\d{2})(\d{4})")
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
SHORT_YEAR = re.compile(r"\d{1,2}([/.\-])\d{1,2}\1\d{2}")
TIME = re.compile(r"(\d{1,2}):(\d{2})")
# What the browser may check as the person types; the server reads the same forms.
DATE_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}|\d{8}|\d{4}-\d{2}-\d{2}"
DATE_TIME_PATTERN = rf"(?:{DATE_PATTERN})[ T]\d{{1,2}}:\d{{2}}"


class InvalidDate(ValueError):
    """Text that is not a date; `message` says what to write instead."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


def read_date(text: str) -> date:
    """A date typed day first (31/12/2008, 31-12-2008, 31.12.2008, 31122008) or as ISO
    (2008-12-31): never month first, whatever the language of the browser that sent it."""
    value = (text or "").strip()
    if SHORT_YEAR.fullmatch(value):
        raise InvalidDate(_("Write the year with four digits, such as 31/12/2008."))
    found = DAY_FIRST.fullmatch(value)
    digits, iso = DIGITS_ONLY.fullmatch(value), ISO_DATE.fullmatch(value)
    if found:
        day, month, year = int(found[1]), int(found[3]), int(found[4])
    elif digits:
        day, month, year = int(digits[1]), int(digits[2]), int(digits[3])
    elif iso:
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
    else:
        raise InvalidDate(_("Write the date as day/month/year (dd/mm/yyyy), such as 31/12/2008."))
    try:
        return date(year, month, day)
    except ValueError:
        pass
    if (found or digits) and month > 12 >= day:
        raise InvalidDate(
            _(
                "%(value)s is not a day/month/year date (month/day/year is not accepted): "
                "write it as dd/mm/yyyy, such as 31/12/2008.",
                value=value,
            )
        )
    raise InvalidDate(
        _("The date %(value)s does not exist: check the day and the month.", value=value)
    )


def read_date_time(text: str) -> datetime:
    """A day as `read_date` reads it and a time of day (31/12/2026 14:30, 2026-12-31T14:30)."""
    day, _separator, clock = (text or "").strip().replace("T", " ").partition(" ")
    moment = TIME.fullmatch(clock.strip())
    if not moment:
        raise InvalidDate(
            _("Write the date and the time as dd/mm/yyyy hh:mm, such as 31/12/2026 14:30.")
        )
    hour, minute = int(moment[1]), int(moment[2])
    if hour > 23 or minute > 59:
        raise InvalidDate(
            _(
                "The time %(value)s does not exist: write it as hh:mm, 00:00 to 23:59.",
                value=clock.strip(),
            )
        )
    return datetime.combine(read_date(day), time(hour, minute))


def day_month_year(value: object) -> str:
    """A date as pages show it, dd/mm/yyyy; text that is no date is shown as it was written."""
    if isinstance(value, datetime):
        return format_date(value, "dd/MM/yyyy")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    try:
        return read_date(str(value or "")).strftime("%d/%m/%Y") if value else ""
    except InvalidDate:
        return str(value)


class DayMonthYearField(StringField):
    """A date typed as dd/mm/yyyy (or ddmmyyyy, or ISO), in a text box with its format shown:
    the browser's own date box orders day and month by the browser's language."""

    pattern = DATE_PATTERN
    hint = _("dd/mm/yyyy")

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        attributes = {"inputmode": "numeric", "pattern": self.pattern, "autocomplete": "off"}
        kwargs["render_kw"] = attributes | (kwargs.get("render_kw") or {})
        kwargs.setdefault("description", self.hint)
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self._show(self.data) if self.data else ""

    def _show(self, value: date) -> str:
        return value.strftime("%d/%m/%Y")

    def _read(self, text: str) -> date:
        return read_date(text)

    def process_formdata(self, valuelist: list[str]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if text:
            try:
                self.data = self._read(text)
            except InvalidDate as error:
                raise ValueError(str(error.message)) from error


class DayMonthYearTimeField(DayMonthYearField):
    """A date and a time of day typed as dd/mm/yyyy hh:mm (or ISO)."""

    pattern = DATE_TIME_PATTERN
    hint = _("dd/mm/yyyy hh:mm")

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        kwargs["render_kw"] = {"inputmode": "text"} | (kwargs.get("render_kw") or {})
        super().__init__(label, validators, **kwargs)

    def _show(self, value: datetime) -> str:
        return value.strftime("%d/%m/%Y %H:%M")

    def _read(self, text: str) -> datetime:
        return read_date_time(text)


class NamesItsChoices:
    """Form meta: a choice left empty or not in the list says which field it is ("Choose one of
    the options for “Sex”"), where WTForms says only "Not a valid choice." under it. A field
    given its own message keeps it. Every date and time must lie in the calendar the app
    computes with (a search to 9999-12-31 is an error beside the field, not a 500)."""

    def bind_field(self, form: wtforms.Form, unbound_field, options: dict) -> Field:
        field = super().bind_field(form, unbound_field, options)
        if is_single_choice(field) and field.invalid_choice_message is None:
            field.invalid_choice_message = _(
                "Choose one of the options for “%(field)s”.", field=field.label.text
            )
        if isinstance(field, (DateTimeField, DayMonthYearField)):
            field.validators = [*field.validators, _within_calendar]
        return field


def _within_calendar(_form: wtforms.Form, field: Field) -> None:
    if field.data and not in_calendar(field.data):
        raise ValidationError(
            _(
                "Give a date between %(first)s and %(last)s.",
                first=EARLIEST_DATE.year,
                last=LATEST_DATE.year,
            )
        )


def is_single_choice(field: Field) -> bool:
    """A select or a set of radio buttons whose answer must be one of its choices."""
    return (
        isinstance(field, SelectField)
        and not isinstance(field, SelectMultipleField)
        and field.validate_choice
    )


class Form(FlaskForm):
    """A form of a page (with its CSRF token)."""

    class Meta(NamesItsChoices):
        pass


class SubForm(wtforms.Form):
    """A group of fields repeated inside a page's form: one phone of a registration."""

    class Meta(NamesItsChoices):
        pass


def find_field(
    form: FlaskForm, name: str, aliases: Mapping[str, str] | None = None
) -> Field | None:
    """The field a service's error name points at: 'document.number' or 'phones.0.number'."""
    target: object = form
    for part in (aliases or {}).get(name, name).split("."):
        try:
            target = target[int(part)] if part.isdigit() else getattr(target, part)
        except (AttributeError, IndexError, TypeError):
            return None
    return target if isinstance(target, Field) else None


def show_errors(
    form: FlaskForm,
    error: DomainError,
    aliases: Mapping[str, str] | None = None,
    *,
    beside_unread: bool = True,
) -> None:
    """Attach each field error to its field; the rest become the form's own errors.

    With `beside_unread` False a field the form could not read keeps only its own error: the
    service saw it empty, and "give the birth date" beside "31/02/1992 does not exist" misleads.
    """
    form.form_errors.append(str(error.message))
    for name, messages in error.fields.items():
        field = find_field(form, name, aliases)
        texts = [str(message) for message in messages]
        if field is None:
            form.form_errors.extend(texts)
        elif beside_unread or not field.errors:
            field.errors = [*field.errors, *texts]


def options(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """Choices for a select, radio or checkbox field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
