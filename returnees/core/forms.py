"""The app's form bases, and a service's field errors put beside the fields of the form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import wtforms
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from wtforms import DateTimeField, Field, SelectChoice, SelectField, SelectMultipleField
from wtforms.validators import ValidationError

from returnees.core.bounds import EARLIEST_DATE, LATEST_DATE, in_calendar
from returnees.core.errors import DomainError


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
        if isinstance(field, DateTimeField):
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
    form: FlaskForm, error: DomainError, aliases: Mapping[str, str] | None = None
) -> None:
    """Attach each field error to its field; the rest become the form's own errors."""
    form.form_errors.append(str(error.message))
    for name, messages in error.fields.items():
        field = find_field(form, name, aliases)
        texts = [str(message) for message in messages]
        if field is None:
            form.form_errors.extend(texts)
        else:
            field.errors = [*field.errors, *texts]


def options(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """Choices for a select, radio or checkbox field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
