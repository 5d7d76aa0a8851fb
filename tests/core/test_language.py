"""Spanish by default, English on a switch remembered per user; every string translated."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from returnees.auth.models import Role
from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "returnees/translations/es/LC_MESSAGES/messages.po"


def switch_to(client, locale: str):
    return client.post(
        "/language", data={"locale": locale, "next": "/", "csrf_token": csrf_token(client)}
    )


def test_the_interface_is_spanish_by_default(app):
    page = app.test_client().get("/auth/sign-in").get_data(as_text=True)
    assert "Iniciar sesión" in page and 'lang="es"' in page


def test_a_visitor_can_switch_to_english(app):
    client = app.test_client()
    switch_to(client, "en")
    assert "Sign in" in client.get("/auth/sign-in").get_data(as_text=True)


def test_the_choice_is_remembered_on_the_account(app, make_user, sign_in_as):
    user = make_user(Role.SUPERVISOR)
    switch_to(sign_in_as(user), "en")
    another_browser = sign_in_as(user)
    assert "Programme overview" in another_browser.get("/").get_data(as_text=True)


def test_api_errors_are_in_the_language_of_the_tokens_user(app, make_user, token_for):
    client = app.test_client()
    spanish = token_for(make_user(Role.RECEPTION))
    english = token_for(make_user(Role.RECEPTION, locale="en"))
    in_spanish = client.get("/api/v1/users", headers=spanish).get_json()["error"]["message"]
    in_english = client.get("/api/v1/users", headers=english).get_json()["error"]["message"]
    assert in_spanish == "Su rol no permite esta acción."
    assert in_english == "Your role does not allow this."


def test_every_user_facing_string_has_a_spanish_translation():
    mapping = [("returnees/**.py", "python"), ("templates/**.html", "jinja2")]
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT),
            method_map=mapping,
            keywords={"_": None, "gettext": None, "lazy_gettext": None},
        )
    }
    with CATALOG.open("rb") as handle:
        catalog = read_po(io.BytesIO(handle.read()))
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(found - translated)
    assert not missing, (
        f"{len(missing)} strings lack a Spanish translation; run `make translations` and fill "
        f"them in: {missing[:10]}"
    )
