"""A person about whom everything is held: a document, two phones (from one of which a message
came before the number was theirs, and was never attached to them), a screening with
narrative, a reply and a message, a protection referral with a note, a task that quotes the
reply, a message that failed (the gateway's words quoting the number), a call with a note;
and a child handed over to a guardian. Two supervisors of their
country."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.casework.services import record_contact_with_person
from returnees.messaging.services import apply_status_callback, queue_message, record_inbound
from returnees.reception.services import (
    HandoverEntry,
    ScreeningEntry,
    hand_over_child,
    record_screening,
)
from returnees.referrals.services import PartnerEntry, create_partner, make_referral
from returnees.tasks.models import TaskKind
from returnees.tasks.services import open_task

# What identifies the person, or was written by or about them: none of it may stay.
SECRETS = (
    "Zoila",
    "Quintanilla",
    "ZQ4471902",
    "55507788",
    "55504455",
    "me escondo en Zacapa",
    "1990-03-14",
    "Herminia",
    "asma severa",
    "Aldea Xyzzy",
    "pide cambiar de escuela",
    "llamada con su prima",
    "Yesenia",
    "78001234",
    "CHILD-DOC-99",
)


@dataclass
class Person:
    returnee_id: int
    child_id: int
    asker: User
    approver: User
    worker: User


@pytest.fixture
def person(register, make_user, in_app) -> Person:
    asker = make_user(Role.SUPERVISOR, "GT-AURORA", name="Sara Supervisora")
    approver = make_user(Role.SUPERVISOR, "GT-TECUN", name="Beto Supervisor")
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA")
    with in_app() as session:
        unattached = {"MessageSid": "SMrights0", "From": "+50255504455"}
        assert record_inbound(session, unattached | {"Body": "me escondo en Zacapa"})
    arrival = register(
        given_names="Zoila",
        family_names="Quintanilla Ordóñez",
        birth_date=date(1990, 3, 14),
        estimated_age=None,
        document_type="PASSPORT",
        document_number="ZQ4471902",
        municipality="Aldea Xyzzy",
        phones=("5550 7788", "5550 4455"),
    )
    child = register(
        given_names="Yesenia",
        family_names="Quintanilla",
        estimated_age=13,
        is_unaccompanied=True,
    )
    returnee_id = arrival.returnee_id
    system = Actor.system("test")
    with in_app() as session:
        record_screening(
            session,
            system,
            arrival.id,
            ScreeningEntry(
                health_needs="asma severa",
                notes="vive con su tía Herminia",
                psychosocial_needs="pide cambiar de escuela",
            ),
        )
        reply = record_inbound(
            session,
            {"MessageSid": "SMrights1", "From": "+50255507788", "Body": "gracias, Herminia"},
        )
        open_task(session, TaskKind.REVIEW_REPLY, returnee_id, f"'{reply.body}'", subject="r")
        failed = queue_message(session, "+50255507788", "Hola Zoila", returnee_id=returnee_id)
        apply_status_callback(
            session,
            failed.id,
            {
                "MessageStatus": "undelivered",
                "ErrorCode": "30003",
                "ErrorMessage": "Unreachable handset +50255507788",
            },
        )
        partner = create_partner(
            session,
            system,
            PartnerEntry("Refugio Seguro", "protection", "GT", ("protection",), region="Guatemala"),
        )
        make_referral(
            session,
            Actor.for_user(asker),
            returnee_id,
            partner.id,
            "protection",
            has_consent=True,
            note="la busca Herminia",
        )
        record_contact_with_person(
            session, Actor.for_user(asker), returnee_id, "call", "reached", "llamada con su prima"
        )
        hand_over_child(
            session,
            system,
            child.id,
            HandoverEntry(
                "Herminia Zapeta", "other_relative", "CHILD-DOC-99", "7800 1234", True, True
            ),
        )
    return Person(returnee_id, child.returnee_id, asker, approver, worker)
