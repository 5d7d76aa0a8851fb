"""Audit entries name records by their ids: never a person's name, a phone or document number,
an e-mail, or a text someone typed (a search, a reason, a file name)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from returnees.audit.models import AuditAction, AuditEntry
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.auth.on_call import set_on_call
from returnees.casework.services import assign_cases
from returnees.messaging.models import InboundMessage
from returnees.messaging.services import attach_number
from returnees.reception.manifests import ManifestEntry, discard_manifest, upload_passenger_list
from returnees.risk.services import set_level
from tests.audit.test_audit_trail import audit_row
from tests.auth.test_sign_in import sign_in
from tests.messaging.test_webhooks import message, post_signed

SECRETS = (
    "Rosa",
    "Xiloj",
    "1234567890101",
    "50241239876",
    "50244445555",
    "worker-secret@example.org",
    "lista-de-Rosa",
    "Threats from the stepfather",
    "AV-7731",
)
# What someone typed at the sign-in page as their e-mail, which no account has: it appears in
# no column at all, not even as who acted.
TYPED_EMAIL = "rosa.xiloj@example.org"


def test_no_entry_carries_a_name_a_number_or_typed_text(
    app, register, make_user, sign_in_as, in_app
):
    person = register(
        given_names="Rosa Amalia",
        family_names="Ajú Xiloj",
        document_type="dpi",
        document_number="1234567890101",
        phones=("+50241239876",),
    ).returnee_id
    register(
        given_names="Rosa Amalia",
        family_names="Ajú Xiloj",
        document_type="dpi",
        document_number="1234567890101",
        match=str(person),
    )
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA", email="worker-secret@example.org")
    supervisor = make_user(Role.SUPERVISOR, "GT-AURORA")
    boss = Actor.for_user(supervisor)
    sign_in_as(worker).get("/returnees/?q=Rosa+Xiloj")
    sign_in_as(worker).get("/returnees/?q=41239876")
    post_signed(app, message(sid="SM1", sender="+50244445555", body="Soy Rosa"))
    listing = "apellidos,nombres,fecha de nacimiento,sexo,nacionalidad\nXiloj,Rosa,1/2/2000,F,GT\n"
    entry = ManifestEntry("GT-AURORA", "AV-7731", "flight", "US", datetime(2026, 12, 1, tzinfo=UTC))
    for _attempt in range(6):  # the sixth is refused by the lock-out
        sign_in(app.test_client(), TYPED_EMAIL, "Rosa1990")
    with in_app() as session:
        inbound = session.scalar(select(InboundMessage.id))
        attach_number(session, boss, inbound, person)
        assign_cases(session, boss, [person], worker.id)
        set_level(session, boss, person, "high", "Threats from the stepfather")
        set_on_call(session, boss, worker.email, True, phone="+50241239876")
        uploaded = upload_passenger_list(
            session, boss, entry, "lista-de-Rosa.csv", listing.encode()
        )
        discard_manifest(session, boss, uploaded.manifest.id)
    with in_app() as session:
        written = list(session.scalars(select(AuditEntry)))
    assert {AuditAction.SIGN_IN_LOCKED, AuditAction.DISCARD} <= {e.action for e in written}
    for audited in written:
        detail = json.dumps(audited.detail, ensure_ascii=False)
        leaked = [secret for secret in SECRETS if secret in detail + audited.record_id]
        assert not leaked, f"{audited.action.value} {audited.record_type}: {detail}"
        row = " ".join((audited.actor, audited.address, audited.record_id, detail))
        assert TYPED_EMAIL not in row, f"{audited.action.value} keeps the e-mail typed: {row}"


def test_refused_sign_ins_read_in_words_and_are_found_by_the_email_typed(
    app, make_centre, make_user, sign_in_as
):
    home = make_centre(country="GT")
    supervisor = make_user(Role.SUPERVISOR, home)
    colleague = make_user(Role.RECEPTION, home, name="Marta Reception")
    sign_in(app.test_client(), colleague.email, "not her password")
    sign_in(app.test_client(), TYPED_EMAIL, "Rosa1990", address="192.0.2.7")
    sign_in(app.test_client(), TYPED_EMAIL.upper(), "Rosa1991", address="192.0.2.7")
    sign_in(app.test_client(), "someone.else@example.org", "x", address="192.0.2.8")
    everything = sign_in_as(supervisor).get("/audit/").get_data(as_text=True)
    failed = audit_row(everything, "Marta Reception")
    assert "Inicio de sesión fallido" in failed, "a refusal at an account names the account"
    client = sign_in_as(make_user(Role.ADMIN))
    typed = client.get(f"/audit/?actor={TYPED_EMAIL}").get_data(as_text=True)
    rows = typed.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1]
    assert len(rows) == 2 and all("Correo sin cuenta" in row for row in rows), typed
    assert all("192.0.2.7" in row for row in rows), "the same address, found together"
    assert TYPED_EMAIL not in typed.split("<tbody>")[1] and "someone.else" not in everything


def test_a_discarded_passenger_list_reads_as_its_number(app, make_user, sign_in_as, in_app, demo):
    desk = make_user(Role.RECEPTION, "GT-AURORA")
    supervisor = make_user(Role.SUPERVISOR, "GT-AURORA")
    listing = "apellidos,nombres,fecha de nacimiento,sexo,nacionalidad\nXiloj,Rosa,1/2/2000,F,GT\n"
    entry = ManifestEntry("GT-AURORA", "AV-7731", "flight", "US", datetime(2026, 12, 1, tzinfo=UTC))
    with in_app() as session:
        actor = Actor.for_user(desk)
        manifest_id = upload_passenger_list(
            session, actor, entry, "lista.csv", listing.encode()
        ).manifest.id
        discard_manifest(session, actor, manifest_id)
    page = sign_in_as(supervisor).get("/audit/?record_type=manifest").get_data(as_text=True)
    discarded = audit_row(page, "Descartado")
    assert f"Lista de pasajeros {manifest_id}</td>" in discarded and "AV-7731" not in page


@pytest.mark.parametrize("country", ["GT", "HN"])
def test_refused_sign_ins_at_no_account_are_for_admins_not_any_country_s_supervisors(
    app, make_centre, make_user, sign_in_as, token_for, country
):
    """Such an attempt belongs to no country: its address and time would tell one country's
    supervisors where and when another's staff typed a wrong e-mail."""
    supervisor = make_user(Role.SUPERVISOR, make_centre(country=country))
    sign_in(app.test_client(), TYPED_EMAIL, "Rosa1990", address="192.0.2.7")
    page = sign_in_as(supervisor).get(f"/audit/?actor={TYPED_EMAIL}").get_data(as_text=True)
    assert "192.0.2.7" not in page, "the attempt's address is shown to a supervisor"
    listed = app.test_client().get(
        "/api/v1/audit?record_type=unknown_account", headers=token_for(supervisor)
    )
    assert listed.status_code == 200 and listed.get_json() == []
    admin = make_user(Role.ADMIN)
    seen = app.test_client().get(
        "/api/v1/audit?record_type=unknown_account", headers=token_for(admin)
    )
    assert [item["address"] for item in seen.get_json()] == ["192.0.2.7"]
