"""Partner organisations: admins and supervisors manage them (a supervisor those of their own
country), everyone in casework lists them by service and region."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from returnees.auth.access import Actor
from returnees.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from returnees.referrals.models import PartnerOrganisation, ServiceKind
from returnees.referrals.services import (
    PartnerEntry,
    change_partner,
    create_partner,
    list_partners,
    seed_demo_partners,
)
from tests.conftest import csrf_token
from tests.referrals.conftest import actor_of


def entry(**overrides) -> PartnerEntry:
    values = {
        "name": "Escuela Nocturna Zona 18",
        "kind": "school",
        "country": "GT",
        "services": ("school", "training"),
        "region": "Guatemala",
        "municipality": "Guatemala",
        "phone": "2222 3333",
    } | overrides
    return PartnerEntry(**values)


MINE = {"Clínica Mixco", "Clínica San Marcos", "Defensoría Nacional", "Clínica Cortés"}


def names(found: list[PartnerOrganisation]) -> list[str]:
    """The names of the organisations this module made (the demo's are there too)."""
    return [organisation.name for organisation in found if organisation.name in MINE]


def test_a_supervisor_adds_an_organisation_with_its_services(app, in_app, world):
    with in_app() as session:
        created = create_partner(session, actor_of(session, world.supervisor), entry())
        assert {s.kind for s in created.services} == {ServiceKind.SCHOOL, ServiceKind.TRAINING}
        assert (created.phone, created.is_active) == ("+50222223333", True)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": " "}, "name"),
        ({"kind": "bank"}, "kind"),
        ({"country": "MX"}, "country"),
        ({"country": "HN"}, "country"),  # a Guatemalan supervisor manages Guatemala's only
        ({"services": ()}, "services"),
        ({"services": ("school", "magic")}, "services"),
        ({"phone": "12"}, "phone"),
        ({"region": "r" * 101}, "region"),
    ],
)
def test_a_bad_organisation_is_refused_naming_the_field(app, in_app, world, overrides, field):
    with pytest.raises(InvalidInput) as refused, in_app() as session:
        create_partner(session, actor_of(session, world.supervisor), entry(**overrides))
    assert field in refused.value.fields
    with in_app() as session:
        assert (
            session.scalars(
                select(PartnerOrganisation).where(
                    PartnerOrganisation.name == "Escuela Nocturna Zona 18"
                )
            ).all()
            == []
        )


def test_a_second_organisation_with_the_same_name_in_the_country_is_refused(app, in_app, world):
    with in_app() as session:
        create_partner(session, actor_of(session, world.supervisor), entry())
    with pytest.raises(Conflict), in_app() as session:
        create_partner(
            session, actor_of(session, world.admin), entry(name="escuela nocturna zona 18")
        )


def test_social_workers_list_but_do_not_manage(app, in_app, world):
    with pytest.raises(Forbidden), in_app() as session:
        create_partner(session, actor_of(session, world.worker), entry())
    with pytest.raises(Forbidden), in_app() as session:
        list_partners(session, actor_of(session, world.reception))


def test_changing_services_keeps_the_ones_still_offered(app, in_app, world):
    with in_app() as session:
        created = create_partner(session, Actor.system("test"), entry())
        kept_id = next(s.id for s in created.services if s.kind is ServiceKind.SCHOOL)
    with in_app() as session:
        changed = change_partner(
            session,
            actor_of(session, world.supervisor),
            created.id,
            entry(services=("school", "jobs")),
        )
        assert {s.kind: s.id for s in changed.services}[ServiceKind.SCHOOL] == kept_id
        assert {s.kind for s in changed.services} == {ServiceKind.SCHOOL, ServiceKind.JOBS}


def test_a_supervisor_does_not_find_another_countrys_organisation(app, in_app, world):
    with in_app() as session:
        honduran = create_partner(
            session, Actor.system("test"), entry(country="HN", region="Cortés", phone="")
        )
    with pytest.raises(NotFound), in_app() as session:
        change_partner(session, actor_of(session, world.supervisor), honduran.id, entry())


def test_the_list_filters_by_service_and_region_within_the_country(
    app, in_app, world, make_partner
):
    make_partner(name="Clínica Mixco", region="Guatemala")
    make_partner(name="Clínica San Marcos", region="San Marcos")
    make_partner(name="Defensoría Nacional", kind="protection", services=("legal_aid",), region="")
    make_partner(name="Clínica Cortés", country="HN", region="Cortés")
    with in_app() as session:
        actor = actor_of(session, world.worker)
        health_here = list_partners(session, actor, service="health", region="guatemala")
        legal = list_partners(session, actor, service="legal_aid", region="San Marcos")
        everyone = list_partners(session, actor_of(session, world.admin), country="HN")
    assert names(health_here) == ["Clínica Mixco"]
    assert names(legal) == ["Defensoría Nacional"], "a national organisation serves every region"
    assert names(everyone) == ["Clínica Cortés"]


def test_a_deactivated_organisation_is_listed_only_on_request(app, world, make_partner, sign_in_as):
    closed = make_partner(name="Clínica Cerrada")
    client = sign_in_as(world.supervisor)
    response = client.post(
        f"/partners/{closed.id}/deactivate",
        data={"csrf_token": csrf_token(client)},
        follow_redirects=True,  # the flash that names it is shown on the way
    )
    assert response.status_code == 200
    assert "Clínica Cerrada" not in client.get("/partners/").get_data(as_text=True)
    assert "Clínica Cerrada" in client.get("/partners/?inactive=y").get_data(as_text=True)
    client.post(
        f"/partners/{closed.id}/reactivate",
        data={"csrf_token": csrf_token(client)},
        follow_redirects=True,
    )
    assert "Clínica Cerrada" in client.get("/partners/").get_data(as_text=True)


def test_the_web_form_keeps_every_value_when_it_refuses(app, in_app, world, sign_in_as):
    client = sign_in_as(world.supervisor)
    response = client.post(
        "/partners/new",
        data={
            "csrf_token": csrf_token(client, "/partners/new"),
            "name": "Programa Jóvenes Emprendedores",
            "kind": "employment",
            "country": "GT",
            "region": "Quetzaltenango",
            "municipality": "Salcajá",
            "phone": "12",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="services-error"' in page and 'id="phone-error"' in page
    for value in ("Programa Jóvenes Emprendedores", "Quetzaltenango", "Salcajá", 'value="12"'):
        assert value in page
    assert '<option selected value="employment">' in page


def test_the_web_form_edits_an_organisation(app, in_app, world, make_partner, sign_in_as):
    existing = make_partner(name="Clínica Vieja")
    client = sign_in_as(world.admin)
    form = client.get(f"/partners/{existing.id}").get_data(as_text=True)
    assert 'value="Clínica Vieja"' in form and "checked" in form
    response = client.post(
        f"/partners/{existing.id}",
        data={
            "csrf_token": csrf_token(client),
            "name": "Clínica Nueva",
            "kind": "health",
            "country": "GT",
            "services": ["health"],
        },
    )
    assert response.status_code == 302
    with in_app() as session:
        changed = session.get(PartnerOrganisation, existing.id)
        assert (changed.name, [s.kind for s in changed.services]) == (
            "Clínica Nueva",
            [ServiceKind.HEALTH],
        )


def test_the_api_lists_and_adds_organisations(app, world, make_partner, token_for):
    make_partner(name="Clínica API")
    api = app.test_client()
    listed = api.get("/api/v1/partners?service=psychosocial", headers=token_for(world.worker))
    assert "Clínica API" in [o["name"] for o in listed.get_json()]
    assert (
        api.get("/api/v1/partners?service=magic", headers=token_for(world.worker)).status_code
        == 422
    )
    body = {"name": "Albergue API", "kind": "shelter", "country": "GT", "services": ["shelter"]}
    assert (
        api.post("/api/v1/partners", json=body, headers=token_for(world.worker)).status_code == 403
    )
    added = api.post("/api/v1/partners", json=body, headers=token_for(world.supervisor))
    assert added.status_code == 201
    assert (added.get_json()["services"], added.get_json()["is_active"]) == (["shelter"], True)


def test_the_demo_seeds_partners_in_every_country_once(app, in_app, demo):
    with in_app() as session:
        assert seed_demo_partners(session, Actor.system("seed")) == []
        countries = set(session.scalars(select(PartnerOrganisation.country)))
    assert {c.value for c in countries} == {"GT", "HN", "SV"}
