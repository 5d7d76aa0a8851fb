"""Audit entries name records by their ids: never a person's name, a phone or document number,
an e-mail, or a text someone typed (a search, a reason, a file name)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from returnees.audit.models import AuditEntry
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.auth.on_call import set_on_call
from returnees.casework.services import assign_cases
from returnees.messaging.models import InboundMessage
from returnees.messaging.services import attach_number
from returnees.reception.manifests import ManifestEntry, upload_passenger_list
from returnees.risk.services import set_level
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
)


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
    entry = ManifestEntry("GT-AURORA", "TA-1", "flight", "US", datetime(2026, 12, 1, tzinfo=UTC))
    with in_app() as session:
        inbound = session.scalar(select(InboundMessage.id))
        attach_number(session, boss, inbound, person)
        assign_cases(session, boss, [person], worker.id)
        set_level(session, boss, person, "high", "Threats from the stepfather")
        set_on_call(session, boss, worker.email, True, phone="+50241239876")
        upload_passenger_list(session, boss, entry, "lista-de-Rosa.csv", listing.encode())
    with in_app() as session:
        written = list(session.scalars(select(AuditEntry)))
    assert len(written) > 8
    for audited in written:
        detail = json.dumps(audited.detail, ensure_ascii=False)
        leaked = [secret for secret in SECRETS if secret in detail + audited.record_id]
        assert not leaked, f"{audited.action.value} {audited.record_type}: {detail}"
