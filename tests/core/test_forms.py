"""A choice left empty or not in the list says which field it is, on every form."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import wtforms
from wtforms import SelectField, SelectMultipleField

import returnees
from returnees.auth.models import Role
from returnees.core.forms import Form, SubForm
from tests.conftest import csrf_token


def test_an_empty_choice_names_its_field(app, make_user, sign_in_as):
    client = sign_in_as(make_user(Role.ADMIN))
    response = client.post(
        "/users/new",
        data={"email": "new@example.org", "csrf_token": csrf_token(client, "/users/new")},
    )
    page = response.get_data(as_text=True)
    assert "Elija una de las opciones de «Centro»." in page
    assert "Opción inválida" not in page


def forms_of_the_app() -> list[type]:
    modules = [
        importlib.import_module(module.name)
        for module in pkgutil.walk_packages(returnees.__path__, "returnees.")
        if module.name.endswith(".forms")
    ]
    return [
        value
        for module in modules
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, wtforms.Form)
        and value.__module__ == module.__name__
    ]


def checks_one_choice(form: type) -> bool:
    return any(
        isinstance(value, wtforms.fields.core.UnboundField)
        and issubclass(value.field_class, SelectField)
        and not issubclass(value.field_class, SelectMultipleField)
        and value.kwargs.get("validate_choice", True)
        for value in vars(form).values()
    )


def test_every_form_with_a_choice_names_it():
    forms = [form for form in forms_of_the_app() if checks_one_choice(form)]
    assert len(forms) > 10, "the forms are found"
    plain = [form.__name__ for form in forms if not issubclass(form, Form | SubForm)]
    assert not plain, f"derive these from returnees.core.forms.Form or SubForm: {plain}"
