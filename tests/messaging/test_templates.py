"""Templates: nothing a third person must not read, one segment where possible, Spanish fallback."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from returnees.auth.models import Role
from returnees.messaging.models import MessageTemplate
from returnees.messaging.templates import render_message
from returnees.messaging.wording import count_segments, find_forbidden_word
from tests.conftest import csrf_token


@pytest.fixture
def admin(make_user, sign_in_as, demo):
    return sign_in_as(make_user(Role.ADMIN, "GT-AURORA"))


def save(client, **fields: str):
    data = {
        "key": "arrived_safe",
        "language": "es",
        "body": "Hola {first_name}",
        "whatsapp_content_sid": "",
    } | fields
    data["csrf_token"] = csrf_token(client, "/templates/new")
    return client.post("/templates/new", data=data)


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("Usted fue deportado ayer", "deportado"),
        ("¿Le llegó la DEPORTACIÓN?", "deportacion"),
        ("Oficina de Migración", "migracion"),
        ("¿Hay pandillas cerca?", "pandillas"),
        ("Reporte la amenaza", "amenaza"),
        ("Centro de refugio", "refugio"),
        ("Were you deported?", "deported"),
        ("Is there a gang nearby?", "gang"),
        ("Denuncie aquí", "denuncie"),
        ("Los pandilleros", "pandilleros"),
        ("Pida asilo", "asilo"),
        ("Una maravilla de día", None),
        ("La mara llegó", "mara"),
    ],
)
def test_a_word_a_third_person_must_not_read_is_refused_by_name(app, admin, in_app, body, word):
    with app.app_context():
        assert find_forbidden_word(body) == word
    response = save(admin, body=body)
    if word is None:
        assert response.status_code == 302
    else:
        assert response.status_code == 422
        assert f"«{word}» no debe aparecer" in response.get_data(as_text=True)
        with in_app() as session:
            saved = session.scalar(select(MessageTemplate).where(MessageTemplate.body == body))
        assert saved is None


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("Hola", "GSM-7", 1),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("ñandú " * 10, "UCS-2", 1),
        ("¿Está bien? " * 6, "UCS-2", 2),
        ("€" * 80, "GSM-7", 1),
        ("€" * 81, "GSM-7", 2),
        ("👍" * 35, "UCS-2", 1),
        ("👍" * 36, "UCS-2", 2),
        ("Niños y niñas", "GSM-7", 1),
    ],
)
def test_the_segment_count_follows_gsm7_and_ucs2(text, encoding, segments):
    counted = count_segments(text)
    assert (counted.encoding, counted.segments) == (encoding, segments)


def test_an_unknown_placeholder_or_content_sid_is_refused(admin):
    assert save(admin, body="Hola {nombre}").status_code == 422
    assert save(admin, whatsapp_content_sid="not-a-sid").status_code == 422
    assert save(admin, whatsapp_content_sid="HX" + "a" * 32).status_code == 302


def test_a_language_without_its_wording_gets_spanish(app, in_app):
    with in_app() as session:
        mam = render_message(
            session, "arrived_safe", "mam", first_name="Lucía María", options="1 (sí) o 2 (no)"
        )
        english = render_message(session, "arrived_safe", "en", first_name="Lucía")
    assert mam.language == "es" and mam.body.startswith("Hola Lucía, ¿llegó bien?")
    assert mam.body.endswith("Responda 1 (sí) o 2 (no).")
    assert english.language == "en" and english.body.startswith("Hi Lucía")


def test_every_shipped_template_is_discreet_and_fits_one_sms(app, in_app):
    with in_app() as session:
        shipped = list(session.scalars(select(MessageTemplate)))
    assert {t.language for t in shipped} == {"es", "en"}
    with app.app_context():
        for template in shipped:
            assert find_forbidden_word(template.body) is None, template.key
            options = {"es": "1 (sí) o 2 (no)", "en": "1 (yes) or 2 (no)"}[template.language]
            filled = template.body.replace("{first_name}", "Guadalupe")
            filled = filled.replace(
                "{names}", "Ana y Luis" if template.language == "es" else "Ana and Luis"
            )
            filled = filled.replace("{options}", options)
            assert count_segments(filled).segments == 1, template.key


def test_only_admins_manage_templates(app, make_user, sign_in_as, demo):
    for role in (Role.RECEPTION, Role.SOCIAL_WORKER, Role.SUPERVISOR):
        assert sign_in_as(make_user(role, "GT-AURORA")).get("/templates/").status_code == 403


def test_the_acknowledgement_of_a_danger_signal_is_refused_a_word_like_any_other(admin):
    response = save(admin, key="danger_ack", body="Gracias. Denuncie al 110.")
    assert response.status_code == 422
    assert "«denuncie» no debe aparecer" in response.get_data(as_text=True)


def staff_alerts(in_app) -> dict[tuple[str, str], str]:
    with in_app() as session:
        rows = session.scalars(
            select(MessageTemplate).where(MessageTemplate.key.startswith("on_call_"))
        )
        return {(row.key, row.language): row.body for row in rows}


def test_the_alerts_to_staff_on_call_read_plainly_and_name_no_programme(app, in_app):
    alerts = staff_alerts(in_app)
    assert len(alerts) == 6
    assert alerts[("on_call_alert", "es")] == (
        "Tiene un caso urgente en su cola, ref. {options}. Revíselo ya."
    )
    with app.app_context():
        for body in alerts.values():
            assert "Returnees" not in body and find_forbidden_word(body) is None, body


def test_the_upgrade_replaces_the_staff_alerts_nobody_edited(app, in_app, admin):
    from tests.conftest import load_migration

    migration = load_migration("0029_discreet_staff_alerts")
    with in_app() as session:
        assert migration.replace_unedited(session.connection(), backwards=True) == 6
    assert staff_alerts(in_app)[("on_call_alert", "es")].startswith("Returnees:")
    save(admin, key="on_call_alert", language="en", body="Look at ref. {options} now.")
    with in_app() as session:
        assert migration.replace_unedited(session.connection()) == 5
    alerts = staff_alerts(in_app)
    assert alerts[("on_call_alert", "en")] == "Look at ref. {options} now.", "an edit is kept"
    assert not any(body.startswith("Returnees") for body in alerts.values())
