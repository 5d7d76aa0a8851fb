"""Put a service's field errors beside the fields of the form that was sent."""

from __future__ import annotations

from flask_wtf import FlaskForm

from returnees.core.errors import DomainError


def show_errors(form: FlaskForm, error: DomainError) -> None:
    """Attach each field error to its field; the rest become the form's own errors."""
    form.form_errors.append(str(error.message))
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        target = field.errors if field is not None else form.form_errors
        if isinstance(target, tuple):
            target = field.errors = list(target)
        target.extend(str(message) for message in messages)
