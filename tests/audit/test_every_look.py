"""Every page and API answer that shows a person writes an audit entry naming them: a list
writes one entry naming every id it showed. Walks every GET route of the access matrix, as
every role allowed it, in a world of real people."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from returnees.audit.models import AuditEntry, AuditEntryPerson
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.duplicates.merging import merge_returnees
from returnees.duplicates.models import DuplicatePair
from returnees.messaging.models import InboundMessage, MessageTemplate
from returnees.reception.manifests import ManifestEntry, upload_passenger_list
from returnees.referrals.models import PartnerOrganisation
from returnees.referrals.services import make_referral
from returnees.surveys.instrument import active_instrument
from returnees.surveys.models import SurveyWave
from returnees.tasks.models import TaskKind
from returnees.tasks.services import open_task
from tests.auth.test_access_matrix import MATRIX, PUBLIC, SIGNED
from tests.messaging.test_webhooks import message, post_signed

PAGES = sorted(
    rule
    for (method, rule), allowed in MATRIX.items()
    if method == "GET" and allowed not in (PUBLIC, SIGNED)
)
# The pages the issue found showing people unaudited: each must show someone in this world.
MUST_SHOW = {
    "/",
    "/cases/assign",
    "/reception/",
    "/reception/manifests/<int:manifest_id>",
    "/inbox/unmatched",
    "/simulator/",
    "/returnees/<int:returnee_id>/referrals/new",
    "/queue",
    "/api/v1/queue",
    "/people/duplicates/",
    "/people/duplicates/<int:pair_id>",
    "/people/duplicates/merges/<int:merge_id>",
    "/api/v1/duplicates",
}


@pytest.fixture
def world(app, demo, register, make_user, in_app, clock):
    """An adult with a phone, a task and a referral; a child in custody; a passenger list; a
    message from a number nobody has; one user of each role at La Aurora. Two days later, so
    the adult's case waits late for a worker."""
    adult = register(given_names="Rosa Amalia", family_names="Ajú Xiloj", phones=("+50241239876",))
    child = register(
        given_names="Mateo Andrés",
        family_names="Xiloj Tun",
        estimated_age=13,
        is_unaccompanied=True,
    )
    system = Actor.system("test")
    listing = "apellidos,nombres,fecha de nacimiento,sexo,nacionalidad\nPérez,Ana,31/02/2000,F,GT\n"
    entry = ManifestEntry("GT-AURORA", "TA-390", "flight", "US", datetime(2026, 12, 1, tzinfo=UTC))
    users = {role: make_user(role, "GT-AURORA") for role in Role}
    with in_app() as session:
        open_task(session, TaskKind.CALL, adult.returnee_id, "no answer x2", priority=10)
        upload = upload_passenger_list(session, system, entry, "lista.csv", listing.encode())
        partner = session.scalar(
            select(PartnerOrganisation).where(PartnerOrganisation.country == "GT")
        )
        referral = make_referral(
            session,
            Actor.for_user(users[Role.SUPERVISOR]),
            adult.returnee_id,
            partner.id,
            partner.services[0].kind.value,
            has_consent=True,
        )
        template_id = session.scalar(select(MessageTemplate.id).limit(1))
        wave = SurveyWave(
            returnee_id=adult.returnee_id,
            arrival_id=adult.id,
            day=30,
            instrument_id=active_instrument(session).id,
            created_at=clock.at,
        )
        session.add(wave)
        session.flush()
    post_signed(app, message(sid="SM1", sender="+50244445555", body="Soy Nuevo, otro número"))
    with in_app() as session:
        inbound = session.scalar(select(InboundMessage.id))
    pair, merge = registered_twice(register, in_app, users[Role.SUPERVISOR], adult.returnee_id)
    clock.advance(days=2)
    return {
        "users": users,
        "ids": {
            "<code>": "GT-AURORA",
            "<int:user_id>": users[Role.RECEPTION].id,
            "<int:arrival_id>": child.id,
            "<int:returnee_id>": adult.returnee_id,
            "<int:manifest_id>": upload.manifest.id,
            "<int:template_id>": template_id,
            "<int:referral_id>": referral.id,
            "<int:organisation_id>": partner.id,
            "<int:inbound_id>": inbound,
            "<profile>": "adult",
            "<int:pair_id>": pair,
            "<int:merge_id>": merge,
            "<int:wave_id>": wave.id,
            "<int:version>": 1,
            "<what>": "arrivals",
        },
        # What shows that a page showed someone, and how an entry names them.
        "people": {"Rosa Amalia": adult.returnee_id, "Mateo Andrés": child.returnee_id},
        "records": {
            "Pérez": ("passengers", upload.added[0].id),
            "Soy Nuevo": ("messages", inbound),
        },
    }


def registered_twice(register, in_app, supervisor, person: int) -> tuple[int, int]:
    """The person registered twice more: one record proposed as a pair with theirs, the
    other merged into theirs. The pair's id and the merge's."""
    again = [register(given_names="Rosa Amalia", family_names="Ajú Xiloj") for _ in range(2)]
    with in_app() as session:
        pair = DuplicatePair(
            country="GT", first_id=person, second_id=again[0].returnee_id, weight=12,
            reasons=["same_name", "close_age"], found_at=datetime(2026, 12, 1, tzinfo=UTC),
        )  # fmt: skip
        session.add(pair)
        session.flush()
        merged = merge_returnees(session, Actor.for_user(supervisor), again[1].returnee_id, person)
        return pair.id, merged.id


def concrete(rule: str, ids: dict) -> str:
    for placeholder, value in ids.items():
        rule = rule.replace(placeholder, str(value))
    assert "<" not in rule, f"no record for {rule}: add one to the world"
    return rule


def shown_text(response) -> str:
    if response.is_json:
        return json.dumps(response.get_json(), ensure_ascii=False)
    return response.get_data(as_text=True).split("</header>")[-1]


def ids_answered(value: object) -> set[int]:
    """The people an API answer names by their id only (a queue item's returnee_id); the ids
    an audit entry's detail names are the trail's own, not a person's data."""
    if isinstance(value, dict):
        found = {value["returnee_id"]} if isinstance(value.get("returnee_id"), int) else set()
        inner = (ids_answered(v) for key, v in value.items() if key != "detail")
        return found.union(*inner)
    if isinstance(value, list):
        return set().union(*(ids_answered(inner) for inner in value))
    return set()


def entries_since(in_app, user_id: int, after: int) -> list[AuditEntry]:
    with in_app() as session:
        query = select(AuditEntry).where(AuditEntry.user_id == user_id, AuditEntry.id > after)
        found = list(session.scalars(query))
        people = session.execute(
            select(AuditEntryPerson.entry_id, AuditEntryPerson.returnee_id).where(
                AuditEntryPerson.entry_id.in_([entry.id for entry in found])
            )
        ).all()
    named = {entry.id: set() for entry in found}
    for entry_id, person in people:
        named[entry_id].add(person)
    return [(entry, named[entry.id]) for entry in found]


def last_id(in_app) -> int:
    with in_app() as session:
        return session.scalar(select(func.max(AuditEntry.id))) or 0


@pytest.mark.parametrize("rule", PAGES)
def test_a_page_that_shows_a_person_writes_an_entry_naming_them(
    app, world, sign_in_as, token_for, in_app, rule
):
    path = concrete(rule, world["ids"])
    showed_anyone = False
    for role in sorted(MATRIX[("GET", rule)]):
        user = world["users"][role]
        before = last_id(in_app)
        if path.startswith("/api/"):
            response = app.test_client().get(path, headers=token_for(user))
        else:
            response = sign_in_as(user).get(path)
        if response.status_code >= 400:
            continue
        text, written = shown_text(response), entries_since(in_app, user.id, before)
        answered = ids_answered(response.get_json()) if response.is_json else set()
        for marker, person in world["people"].items():
            if marker in text or person in answered:
                showed_anyone = True
                assert any(person in named for _entry, named in written), (
                    f"{path} showed {marker} to {role.value} and wrote no entry naming "
                    f"person {person}: {[(e.record_type, e.detail) for e, _n in written]}"
                )
        for marker, (key, record) in world["records"].items():
            if marker in text:
                showed_anyone = True
                assert any(record in entry.detail.get(key, ()) for entry, _n in written), (
                    f"{path} showed {marker} to {role.value} and wrote no entry naming "
                    f"{key} {record}: {[(e.record_type, e.detail) for e, _n in written]}"
                )
        assert len([e for e, _n in written if e.action.value == "view"]) <= 3, (
            f"{path} wrote an entry per person shown, not one for the list"
        )
    if rule in MUST_SHOW:
        assert showed_anyone, f"{path} showed nobody in this world: the test proves nothing there"
