"""Put a service's field errors beside the fields of the form that was sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask_wtf import FlaskForm
from wtforms import Field, SelectChoice

from returnees.core.errors import DomainError


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
