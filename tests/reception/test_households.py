"""Who is a family: linked at the desk one pair at a time, a whole family from one passenger list
in one step, or by the API's `household_with`, refused by name when that person is outside the
caller's scope, arrived at another time or is the person themself."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.core.errors import Conflict
from returnees.people.models import Returnee
from returnees.reception.intake import ArrivalEntry, Intake
from returnees.reception.manifests import import_ready_rows
from returnees.reception.models import Arrival, PassengerStatus
from returnees.reception.services import register_arrival
from tests.conftest import csrf_token
from tests.reception.test_api import BODY
from tests.reception.test_manifests import passenger_list, rows, upload


@pytest.fixture
def api(app, demo, make_user, token_for):
    client = app.test_client()
    headers = token_for(make_user(Role.RECEPTION, "GT-AURORA"))

    def call(path: str, body: dict):
        return client.post(f"/api/v1{path}", json=body, headers=headers)

    return call


CHILD = BODY | {
    "given_names": "Brayan",
    "birth_date": "2016-03-02",
    "document": None,
    "phones": [],
    "match": "new",
}


def households(in_app) -> dict[int, int | None]:
    with in_app() as session:
        return dict(session.execute(select(Arrival.returnee_id, Arrival.household_id)).all())


def people(in_app) -> int:
    with in_app() as session:
        return session.scalar(select(func.count()).select_from(Returnee))


def test_the_api_registers_a_child_in_the_household_of_the_mother_it_names(api, in_app, clock):
    mother = api("/returnees", BODY | {"given_names": "Rosa", "match": "new"}).get_json()
    child = api("/returnees", CHILD | {"household_with": mother["id"]})
    assert child.status_code == 201, child.get_json()
    linked = households(in_app)
    assert linked[mother["id"]] is not None
    assert linked[mother["id"]] == linked[child.get_json()["id"]]


def test_household_with_someone_outside_the_callers_scope_is_refused_by_name(
    api, register, in_app, clock
):
    honduran = register(centre="HN-SPS", nationality="HN", given_names="Karla")
    before = people(in_app)
    refused = api("/returnees", CHILD | {"household_with": honduran.returnee_id})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {
        "household_with": [f"Ninguna persona de su ámbito tiene el número {honduran.returnee_id}."]
    }
    assert people(in_app) == before, "nothing was saved"


def test_household_with_someone_who_arrived_at_another_time_is_refused_by_name(api, in_app, clock):
    earlier = BODY | {"given_names": "Rosa", "match": "new"}
    earlier["arrival"] = BODY["arrival"] | {"arrived_at": "2026-11-29T08:10:00-06:00"}
    mother = api("/returnees", earlier).get_json()
    before = people(in_app)
    refused = api("/returnees", CHILD | {"household_with": mother["id"]})
    assert refused.status_code == 422
    [message] = refused.get_json()["error"]["fields"]["household_with"]
    assert message.startswith("Rosa Hernández Pérez no llegó con esta persona")
    assert people(in_app) == before, "nothing was saved"


@pytest.mark.parametrize("value", [0, -1, "3", 2**31, None])
def test_a_household_with_that_is_not_a_record_number_is_refused_or_ignored(
    api, in_app, clock, value
):
    answer = api("/returnees", CHILD | {"household_with": value})
    assert answer.status_code == (201 if value is None else 422), answer.get_json()


def test_a_new_arrival_of_a_known_person_joins_a_household_through_the_api(api, in_app, clock):
    mother = api("/returnees", BODY | {"given_names": "Rosa", "match": "new"}).get_json()
    son = api(
        "/returnees",
        CHILD | {"arrival": BODY["arrival"] | {"arrived_at": "2026-11-28T08:10:00-06:00"}},
    ).get_json()
    again = api(
        f"/returnees/{son['id']}/arrivals",
        {"arrival": BODY["arrival"], "household_with": mother["id"]},
    )
    assert again.status_code == 201, again.get_json()
    with in_app() as session:
        latest = session.scalar(
            select(Arrival.household_id)
            .where(Arrival.returnee_id == son["id"])
            .order_by(Arrival.arrived_at.desc())
        )
        mothers = session.scalar(
            select(Arrival.household_id).where(Arrival.returnee_id == mother["id"])
        )
    assert latest == mothers is not None


def test_a_new_arrival_with_a_household_outside_scope_is_refused_and_not_recorded(
    api, register, in_app, clock
):
    son = api("/returnees", CHILD).get_json()
    honduran = register(centre="HN-SPS", nationality="HN", given_names="Karla")
    refused = api(
        f"/returnees/{son['id']}/arrivals",
        {"arrival": BODY["arrival"], "household_with": honduran.returnee_id},
    )
    assert refused.status_code == 422 and "household_with" in refused.get_json()["error"]["fields"]
    with in_app() as session:
        arrivals = session.scalars(select(Arrival.id).where(Arrival.returnee_id == son["id"]))
        assert len(arrivals.all()) == 1, "the new arrival was not recorded"


def arrive(in_app, passenger) -> None:
    values = passenger.values
    day, month, year = values["birth_date"].split("/")
    with in_app() as session:
        register_arrival(
            session,
            Actor.system("test"),
            Intake(
                given_names=values["given_names"],
                family_names=values["family_names"],
                birth_date=date(int(year), int(month), int(day)),
                sex=values["sex"],
                nationality="GT",
                arrival=ArrivalEntry(centre="GT-AURORA"),
                passenger_id=passenger.id,
            ),
            "new",
        )


def imported_list(desk, in_app) -> tuple[object, str]:
    """A passenger list uploaded and imported at the desk; the desk and the list's page."""
    upload(desk, passenger_list(bad_rows=False))
    manifest_id = rows(in_app)[0].manifest_id
    with in_app() as session:
        import_ready_rows(session, Actor.system("test"), manifest_id)
    return desk, f"/reception/manifests/{manifest_id}"


def link_ticked(desk, page: str, ticked: list[str]):
    """Tick these arrivals on the list's checklist and link them as one family."""
    data = {"csrf_token": csrf_token(desk, page), "arrival": ticked}
    return desk.post(f"{page}/household", data=data, follow_redirects=True)


def test_a_family_from_one_passenger_list_is_linked_in_one_step(
    app, demo, make_user, sign_in_as, in_app, clock
):
    desk, page = imported_list(sign_in_as(make_user(Role.RECEPTION, "GT-AURORA")), in_app)
    family = rows(in_app)[:3]
    for passenger in family:
        arrive(in_app, passenger)
    arrived = [p for p in rows(in_app, PassengerStatus.ARRIVED)]
    response = link_ticked(desk, page, [str(p.arrival_id) for p in arrived])
    assert "3 personas vinculadas como una familia." in response.get_data(as_text=True)
    with in_app() as session:
        linked = set(
            session.scalars(
                select(Arrival.household_id).where(Arrival.id.in_([p.arrival_id for p in arrived]))
            )
        )
    assert len(linked) == 1 and None not in linked
    shown = desk.get(page).get_data(as_text=True)
    assert shown.count(f"familia {linked.pop()}") == 3


def test_linking_one_person_alone_is_refused_and_changes_nothing(
    app, demo, make_user, sign_in_as, in_app, clock
):
    desk, page = imported_list(sign_in_as(make_user(Role.RECEPTION, "GT-AURORA")), in_app)
    arrive(in_app, rows(in_app)[0])
    passenger = rows(in_app, PassengerStatus.ARRIVED)[0]
    response = link_ticked(desk, page, [str(passenger.arrival_id)])
    assert "Elija otra persona." in response.get_data(as_text=True)
    assert set(households(in_app).values()) == {None}


def test_linking_into_a_family_that_arrived_on_another_day_is_refused(register, in_app, clock):
    from datetime import timedelta

    from returnees.reception.services import link_household

    start = clock.now()
    first = register(given_names="Uno", arrived_at=start - timedelta(hours=43))
    second = register(given_names="Dos", arrived_at=start - timedelta(hours=20))
    third = register(given_names="Tres", arrived_at=start)
    actor = Actor.system("test")
    with in_app() as session:
        link_household(session, actor, [first.id, second.id])
    with in_app() as session, pytest.raises(Conflict):
        link_household(session, actor, [second.id, third.id])
    assert households(in_app)[third.returnee_id] is None, "43 hours from the first: refused"


def test_ticking_someone_not_on_the_list_is_refused(
    app, demo, make_user, sign_in_as, in_app, clock, register
):
    desk, page = imported_list(sign_in_as(make_user(Role.RECEPTION, "GT-AURORA")), in_app)
    arrive(in_app, rows(in_app)[0])
    stranger = register(given_names="Ajeno")
    passenger = rows(in_app, PassengerStatus.ARRIVED)[0]
    for other in (str(stranger.id), "²", "9" * 30):
        response = link_ticked(desk, page, [str(passenger.arrival_id), other])
        assert response.status_code == 200
        assert "Marque a personas que llegaron en esta lista." in response.get_data(as_text=True)
    assert set(households(in_app).values()) == {None}


def came_twice(register, in_app, clock):
    """Rosa, whose return was recorded twice on one trip, and Luis beside her."""
    from datetime import timedelta

    from returnees.reception.services import add_return, intake_for

    first = register(given_names="Rosa", arrived_at=clock.now() - timedelta(hours=3))
    with in_app() as session:
        rosa = session.get(Returnee, first.returnee_id)
        again = add_return(session, Actor.system("test"), rosa.id, intake_for(rosa))
        again.returnee  # noqa: B018 - loaded before the session closes
    luis = register(given_names="Luis", family_names="Pérez")
    return first, again, luis


def test_the_household_choice_on_a_record_never_offers_the_person_themself(
    app, register, make_user, sign_in_as, in_app, clock
):
    import re

    first, _again, _luis = came_twice(register, in_app, clock)
    desk = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    page = desk.get(f"/returnees/{first.returnee_id}").get_data(as_text=True)
    [choices] = re.findall(r'<select name="other">(.*?)</select>', page, re.S)
    assert "Luis Pérez" in choices
    assert "Rosa" not in choices, "the person is not offered as their own household"


def test_linking_a_person_with_themself_is_refused_by_name_and_changes_nothing(
    app, register, make_user, sign_in_as, in_app, clock
):
    from returnees.core.errors import InvalidInput
    from returnees.reception.services import link_household

    first, again, luis = came_twice(register, in_app, clock)
    with in_app() as session, pytest.raises(InvalidInput) as refused:
        link_household(session, Actor.system("test"), [first.id, luis.id, again.id])
    assert "Rosa López" in str(refused.value.message)
    desk = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    data = {"csrf_token": csrf_token(desk, "/"), "other": str(first.id)}
    response = desk.post(f"/reception/arrivals/{again.id}/household", data=data)
    shown = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "No se puede vincular a Rosa López como hogar con su propio registro" in shown
    assert set(households(in_app).values()) == {None}


def test_the_api_refuses_a_household_with_the_person_themself_by_name(api, in_app, clock):
    rosa = api("/returnees", BODY | {"given_names": "Rosa", "match": "new"}).get_json()
    refused = api(
        f"/returnees/{rosa['id']}/arrivals",
        {"arrival": BODY["arrival"], "household_with": rosa["id"]},
    )
    assert refused.status_code == 422
    [message] = refused.get_json()["error"]["fields"]["household_with"]
    assert message.startswith("No se puede vincular a Rosa Hernández Pérez como hogar")
    with in_app() as session:
        arrivals = session.scalars(select(Arrival.id).where(Arrival.returnee_id == rosa["id"]))
        assert len(arrivals.all()) == 1, "the new arrival was not recorded"
