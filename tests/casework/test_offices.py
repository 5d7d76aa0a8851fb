"""Follow-up where people live: offices cover municipalities, every case goes to the office
covering the person's home (or waits, visibly, to be routed), social workers reach the cases
of their office, and a case moves to another office by a transfer that office accepts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from returnees.audit.models import AuditEntry
from returnees.auth.models import Role
from returnees.casework.models import Case, CaseOfficeChange
from tests.casework.conftest import HUEHUETENANGO, SAN_MARCOS
from tests.conftest import csrf_token
from tests.documents import cui

MARTA_DPI = cui("23456789", "1301")


def office_of(in_app, returnee_id: int) -> str | None:
    with in_app() as session:
        case = session.scalar(select(Case).where(Case.returnee_id == returnee_id))
        return case.office.code if case.office else None


def queue_names(sign_in_as, user) -> str:
    return sign_in_as(user).get("/queue").get_data(as_text=True)


def test_a_person_who_went_home_is_in_that_offices_queue_and_in_nobody_elses(
    offices, went_home, in_app, sign_in_as
):
    person = went_home("GT-1201").returnee_id
    assert office_of(in_app, person) == "GT-SM-01"
    assert "Marta López" in queue_names(sign_in_as, offices["san_marcos"])
    assert "Marta López" not in queue_names(sign_in_as, offices["aurora"])
    assert "Marta López" not in queue_names(sign_in_as, offices["huehue"])
    assert sign_in_as(offices["aurora"]).get(f"/returnees/{person}").status_code == 403
    record = sign_in_as(offices["san_marcos"]).get(f"/returnees/{person}").get_data(as_text=True)
    assert "GT-SM-01" in record and "San Marcos, San Marcos" in record


def test_a_childs_case_goes_to_the_office_that_covers_children(
    offices, went_home, in_app, make_centre, token_for, app
):
    children = make_centre(code="GT-SM-NNA", kind="office", region="San Marcos")
    answer = app.test_client().put(
        "/api/v1/centres/GT-SM-01/coverage",
        json={"municipalities": SAN_MARCOS, "profiles": ["adult"]},
        headers=offices["admin"],
    )
    assert answer.get_json() == {"municipalities": sorted(SAN_MARCOS), "profiles": ["adult"]}
    app.test_client().put(
        f"/api/v1/centres/{children.code}/coverage",
        json={"municipalities": ["GT-1201"], "profiles": ["child"]},
        headers=offices["admin"],
    )
    child = went_home("GT-1201", estimated_age=12).returnee_id
    adult = went_home("GT-1201", family_names="Pérez").returnee_id
    assert (office_of(in_app, child), office_of(in_app, adult)) == ("GT-SM-NNA", "GT-SM-01")


def test_a_place_another_office_covers_is_refused_by_name_and_nothing_changes(offices, app):
    refused = app.test_client().put(
        "/api/v1/centres/GT-HUE-01/coverage",
        json={"municipalities": ["GT-1301", "GT-1217"]},
        headers=offices["admin"],
    )
    assert refused.status_code == 422
    messages = refused.get_json()["error"]["fields"]["municipalities"]
    assert len(messages) == 2, "for children and for adults"
    assert all("Ayutla, San Marcos" in text and "GT-SM-01" in text for text in messages)
    kept = app.test_client().get("/api/v1/centres/GT-HUE-01/coverage", headers=offices["admin"])
    assert kept.get_json()["municipalities"] == HUEHUETENANGO


@pytest.mark.parametrize(
    ("code", "body", "field"),
    [
        ("GT-AURORA", {"municipalities": ["GT-0101"]}, "code"),
        ("GT-SM-01", {"municipalities": ["GT-9999"]}, "municipalities"),
        ("GT-SM-01", {"municipalities": ["HN-0501"]}, "municipalities"),
        ("GT-SM-01", {"municipalities": ["GT-1201"], "profiles": ["elderly"]}, "profiles"),
    ],
)
def test_a_coverage_that_cannot_be_is_refused_by_name(offices, app, code, body, field):
    refused = app.test_client().put(
        f"/api/v1/centres/{code}/coverage", json=body, headers=offices["admin"]
    )
    fields = refused.get_json()["error"]["fields"]
    assert refused.status_code == 422 and any(name.startswith(field) for name in fields)


def test_an_admin_sets_the_coverage_on_the_centres_page(offices, make_user, sign_in_as, app):
    admin = sign_in_as(make_user(Role.ADMIN, "GT-AURORA"))
    page = "/centres/GT-HUE-01"
    admin.post(
        f"{page}/coverage",
        data={
            "csrf_token": csrf_token(admin, page),
            "places": "GT-1301\nChiantla, Huehuetenango\n",
            "profiles": ["child", "adult"],
        },
    )
    shown = admin.get(page).get_data(as_text=True)
    assert "Chiantla, Huehuetenango" in shown and "Huehuetenango, Huehuetenango" in shown
    assert "Malacatán" not in shown


def test_a_case_whose_home_is_unknown_waits_to_be_routed_then_goes_by_hand(
    offices, went_home, in_app, sign_in_as
):
    person = went_home(None).returnee_id
    supervisor = sign_in_as(offices["supervisor"])
    to_route = supervisor.get("/").get_data(as_text=True).split('id="to-route"')[1]
    assert "Marta López" in to_route.split("</section>")[0]
    record = f"/returnees/{person}"
    supervisor.post(
        f"{record}/route",
        data={
            "csrf_token": csrf_token(supervisor, record),
            "office": "GT-HUE-01",
            "reason": "vive con su tía",
        },
    )
    assert office_of(in_app, person) == "GT-HUE-01"
    with in_app() as session:
        [move] = session.scalars(select(CaseOfficeChange)).all()
        assert (move.from_office_id, move.to_office.code) == (None, "GT-HUE-01")
        assert move.reason == "routed by hand: vive con su tía"
        assert move.by_id == offices["supervisor"].id
    waiting = supervisor.get("/").get_data(as_text=True).split('id="to-route"')[1]
    assert "Marta López" not in waiting.split("</section>")[0]
    moved = supervisor.post(
        f"/api/v1/returnees/{person}/route", json={"office": "GT-SM-01"}
    )  # a browser session does not open the API: refused as such
    assert moved.status_code == 401


def test_a_case_an_office_follows_moves_only_by_transfer(offices, went_home, token_for, app):
    person = went_home("GT-1201").returnee_id
    refused = app.test_client().post(
        f"/api/v1/returnees/{person}/route",
        json={"office": "GT-HUE-01"},
        headers=token_for(offices["supervisor"]),
    )
    assert refused.status_code == 409
    assert "GT-SM-01" in refused.get_json()["error"]["message"]


def test_covering_a_place_routes_the_cases_waiting_there_and_leaves_the_others(
    offices, went_home, in_app, app
):
    waiting = went_home("GT-1101").returnee_id  # Retalhuleu: nobody covers it yet
    followed = went_home("GT-1201", family_names="Pérez").returnee_id
    assert office_of(in_app, waiting) is None
    app.test_client().put(
        "/api/v1/centres/GT-HUE-01/coverage",
        json={"municipalities": [*HUEHUETENANGO, "GT-1101"]},
        headers=offices["admin"],
    )
    assert office_of(in_app, waiting) == "GT-HUE-01"
    assert office_of(in_app, followed) == "GT-SM-01"


def test_the_api_lists_cases_by_office_and_those_waiting(offices, went_home, token_for, app):
    followed = went_home("GT-1201").returnee_id
    waiting = went_home(None, family_names="Pérez").returnee_id
    headers = token_for(offices["supervisor"])
    by_office = app.test_client().get("/api/v1/cases?office=GT-SM-01", headers=headers)
    assert [case["returnee_id"] for case in by_office.get_json()] == [followed]
    none = app.test_client().get("/api/v1/cases?office=none", headers=headers).get_json()
    assert [(case["returnee_id"], case["office"]) for case in none] == [(waiting, None)]
    mine = app.test_client().get(
        "/api/v1/cases?office=GT-SM-01", headers=token_for(offices["san_marcos"])
    )
    assert [case["returnee_id"] for case in mine.get_json()] == [followed], "arrived elsewhere"
    others = app.test_client().get(
        "/api/v1/cases?office=GT-SM-01", headers=token_for(offices["huehue"])
    )
    assert others.get_json() == [], "within the caller's scope"
    person = app.test_client().get(f"/api/v1/returnees/{followed}", headers=headers)
    assert person.get_json()["office"] == "GT-SM-01"


def test_only_a_worker_of_the_cases_office_is_assigned_it(offices, went_home, token_for, app):
    person = went_home("GT-1201").returnee_id
    headers = token_for(offices["supervisor"])
    refused = app.test_client().post(
        "/api/v1/cases/assign",
        json={"returnee_ids": [person], "worker_id": offices["aurora"].id},
        headers=headers,
    )
    assert refused.status_code == 422
    done = app.test_client().post(
        "/api/v1/cases/assign",
        json={"returnee_ids": [person], "worker_id": offices["san_marcos"].id},
        headers=headers,
    )
    assert done.status_code == 200


def propose(app, token, person: int, **body):
    return app.test_client().post(
        f"/api/v1/returnees/{person}/transfers",
        json={"to_office": "GT-HUE-01", "reason": "se mudó a Huehuetenango"} | body,
        headers=token,
    )


def test_a_transfer_is_proposed_seen_by_the_other_office_and_accepted(
    offices, went_home, in_app, token_for, sign_in_as, app
):
    person = went_home("GT-1201", phones=("5555 1212",)).returnee_id
    san_marcos, huehue = token_for(offices["san_marcos"]), token_for(offices["huehue"])
    app.test_client().post(
        "/api/v1/cases/assign",
        json={"returnee_ids": [person], "worker_id": offices["san_marcos"].id},
        headers=token_for(offices["supervisor"]),
    )
    proposed = propose(app, san_marcos, person)
    assert proposed.status_code == 201 and proposed.get_json()["status"] == "pending"
    waiting = queue_names(sign_in_as, offices["huehue"]).split('id="transfers"')[1]
    assert "Marta López" in waiting and "se mudó a Huehuetenango" in waiting
    assert sign_in_as(offices["huehue"]).get(f"/returnees/{person}").status_code == 403
    assert "Marta López" in queue_names(sign_in_as, offices["san_marcos"]), "stays meanwhile"
    listed = app.test_client().get("/api/v1/transfers?status=pending", headers=huehue)
    [waiting] = listed.get_json()
    assert (waiting["name"], waiting["age"], waiting["risk_level"]) == ("Marta López", 25, "low")
    transfer = waiting["transfer"]
    with in_app() as session:
        from returnees.followups.models import CheckIn

        pending_before = session.scalars(
            select(CheckIn.id).where(CheckIn.returnee_id == person, CheckIn.state == "scheduled")
        ).all()
    assert pending_before, "a phone that agreed: check-ins are waiting"
    accepted = app.test_client().post(f"/api/v1/transfers/{transfer['id']}/accept", headers=huehue)
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    assert office_of(in_app, person) == "GT-HUE-01"
    assert "Marta López" in queue_names(sign_in_as, offices["huehue"]), "with its open tasks"
    assert "Marta López" not in queue_names(sign_in_as, offices["san_marcos"])
    with in_app() as session:
        case = session.scalar(select(Case).where(Case.returnee_id == person))
        assert case.assigned_to_id is None, "the new office assigns it"
        pending_after = session.scalars(
            select(CheckIn.id).where(CheckIn.returnee_id == person, CheckIn.state == "scheduled")
        ).all()
        assert pending_after == pending_before, "pending check-ins stay as they are"
        moves = session.scalars(select(CaseOfficeChange).order_by(CaseOfficeChange.id)).all()
        assert moves[-1].reason == "transfer: se mudó a Huehuetenango"
        audited = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.record_type == "transfer")
        ).all()
    assert {"to_office": "GT-HUE-01"} in audited and {"status": "accepted"} in audited
    again = app.test_client().post(f"/api/v1/transfers/{transfer['id']}/accept", headers=huehue)
    assert again.status_code == 409, "decided already"


def test_a_transfer_declined_with_a_reason_leaves_the_case_where_it_was(
    offices, went_home, in_app, token_for, app, sign_in_as
):
    person = went_home("GT-1201").returnee_id
    transfer = propose(app, token_for(offices["san_marcos"]), person).get_json()
    huehue = sign_in_as(offices["huehue"])
    refused = huehue.post(
        f"/transfers/{transfer['id']}/decline",
        data={"csrf_token": csrf_token(huehue, "/queue"), "reason": "", "next": "/queue"},
        follow_redirects=True,
    )
    assert "Diga por qué" in refused.get_data(as_text=True)
    huehue.post(
        f"/transfers/{transfer['id']}/decline",
        data={"csrf_token": csrf_token(huehue, "/queue"), "reason": "no vive aquí"},
    )
    assert office_of(in_app, person) == "GT-SM-01"
    record = sign_in_as(offices["san_marcos"]).get(f"/returnees/{person}").get_data(as_text=True)
    assert "no vive aquí" in record and "Trabajador HUE" in record, "who decided, in the history"
    again = app.test_client().post(
        f"/api/v1/transfers/{transfer['id']}/decline",
        json={"reason": "otra vez"},
        headers=token_for(offices["huehue"]),
    )
    assert again.status_code == 409 and "decidió" in again.get_json()["error"]["message"]


def test_a_supervisor_accepts_a_transfer_for_the_receiving_office(
    offices, went_home, in_app, token_for, app
):
    person = went_home("GT-1201").returnee_id
    transfer = propose(app, token_for(offices["san_marcos"]), person).get_json()
    accepted = app.test_client().post(
        f"/api/v1/transfers/{transfer['id']}/accept", headers=token_for(offices["supervisor"])
    )
    assert accepted.status_code == 200
    assert office_of(in_app, person) == "GT-HUE-01"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"to_office": "GT-SM-01"}, 409, None),
        ({"to_office": "GT-AURORA"}, 422, "to_office"),
        ({"to_office": "HN-SPS-OF"}, 422, "to_office"),
        ({"reason": ""}, 422, "reason"),
    ],
)
def test_a_transfer_that_cannot_be_is_refused_by_name(
    offices, went_home, token_for, app, make_centre, body, status, field
):
    make_centre(code="HN-SPS-OF", kind="office", country="HN", region="Cortés")
    person = went_home("GT-1201").returnee_id
    refused = propose(app, token_for(offices["san_marcos"]), person, **body)
    assert refused.status_code == status, refused.get_json()
    if field:
        assert field in refused.get_json()["error"]["fields"]


def test_only_the_cases_office_or_a_supervisor_proposes_a_transfer(
    offices, went_home, token_for, app
):
    person = went_home("GT-1201").returnee_id
    assert propose(app, token_for(offices["huehue"]), person).status_code == 403
    assert propose(app, token_for(offices["supervisor"]), person).status_code == 201


def test_a_new_home_another_office_covers_proposes_the_transfer_by_itself(
    offices, went_home, in_app, token_for, app
):
    person = went_home("GT-1201").returnee_id
    moved = app.test_client().patch(
        f"/api/v1/returnees/{person}",
        json={"home": {"municipality": "GT-1301"}},
        headers=token_for(offices["san_marcos"]),
    )
    assert moved.status_code == 200
    [transfer] = (
        app.test_client().get("/api/v1/transfers", headers=token_for(offices["huehue"])).get_json()
    )
    assert transfer["transfer"]["reason"] == "home changed to GT-1301"
    assert office_of(in_app, person) == "GT-SM-01", "until Huehuetenango accepts"
    with in_app() as session:
        audited = session.scalar(
            select(AuditEntry).where(
                AuditEntry.record_type == "transfer", AuditEntry.action == "create"
            )
        )
    assert audited.actor == "home change" and audited.detail["to_office"] == "GT-HUE-01"


def test_the_desk_reaches_the_people_it_registered_for_a_week(
    offices, register, make_user, sign_in_as, clock
):
    person = register(home="GT-1201").returnee_id
    desk = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    assert desk.get(f"/returnees/{person}").status_code == 200
    clock.advance(days=8)
    assert desk.get(f"/returnees/{person}").status_code == 403
    assert "Marta" not in desk.get("/returnees/?q=lopez").get_data(as_text=True)


def test_a_child_in_custody_stays_with_the_desk_and_the_shelter_until_the_handover(
    offices, register, make_user, sign_in_as, clock, in_app
):
    from returnees.auth.access import Actor
    from returnees.reception.services import HandoverEntry, hand_over_child, place_in_shelter

    child = register(given_names="Niña", estimated_age=10, is_unaccompanied=True)
    with in_app() as session:
        place_in_shelter(session, Actor.system("test"), child.id, "GT-HOGAR")
    desk = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    shelter = sign_in_as(make_user(Role.RECEPTION, "GT-HOGAR"))
    clock.advance(days=10)
    record = f"/returnees/{child.returnee_id}"
    assert desk.get(record).status_code == 200 and shelter.get(record).status_code == 200
    with in_app() as session:
        hand_over_child(
            session,
            Actor.system("test"),
            child.id,
            HandoverEntry("Rosa Ixcoy", "mother", "1234567890101", is_document_checked=True),
        )
    assert desk.get(record).status_code == 403 and shelter.get(record).status_code == 403


def test_a_social_worker_still_at_a_reception_centre_reaches_the_regions_waiting_cases(
    offices, went_home, sign_in_as, in_app, clock
):
    waiting = went_home(None).returnee_id
    routed = went_home("GT-1201", family_names="Pérez").returnee_id
    aurora = sign_in_as(offices["aurora"])
    assert aurora.get(f"/returnees/{waiting}").status_code == 200
    assert aurora.get(f"/returnees/{routed}").status_code == 403
    clock.advance(days=1)  # not a time rule: still reached a day later
    assert aurora.get(f"/returnees/{waiting}").status_code == 200


def return_at_tecun(given_names: str, **body: object) -> dict:
    """A registration at the Tecún Umán desk, by the API, with the number 5555 7777."""
    return {
        "given_names": given_names,
        "family_names": "López",
        "estimated_age": 25,
        "sex": "F",
        "nationality": "GT",
        "phones": [{"number": "5555 7777", "consent": True}],
        "arrival": {"centre": "GT-TECUN"},
    } | body


def test_a_desk_elsewhere_cannot_take_over_a_record_through_the_match(
    offices, register, make_user, token_for, app, in_app
):
    """The route around scope, closed: registering someone alike with a known number only
    shows who the earlier person is, and choosing "same person" adds the arrival and nothing
    else; the record stays with the office that follows the person up."""
    from returnees.reception.intake import PhoneEntry

    followed = register(
        given_names="Marta",
        home="GT-1301",
        document_type="DPI",
        document_number=MARTA_DPI,
        phones=(PhoneEntry("5555 7777", consent=True),),
    ).returnee_id
    desk = token_for(make_user(Role.RECEPTION, "GT-TECUN"))
    body = return_at_tecun("Marta", family_names="Lopes", estimated_age=26)
    asked = app.test_client().post("/api/v1/returnees", json=body, headers=desk)
    assert asked.status_code == 409
    [candidate] = asked.get_json()["error"]["candidates"]
    assert candidate["id"] == followed and candidate["given_names"] == "Marta"
    assert "document" not in candidate and "phones" not in candidate
    assert [a["centre"] for a in candidate["arrivals"]] == ["GT-AURORA"], "the last one only"

    numbers_now = [
        {"number": "5555 7777", "consent": True, "owner": "shared", "channel": "whatsapp"},
        {"number": "5555 8888", "consent": True},
    ]
    taken = app.test_client().post(
        "/api/v1/returnees",
        json=body | {"match": followed, "phones": numbers_now, "home": {"municipality": "GT-1201"}},
        headers=desk,
    )
    assert taken.status_code == 201
    record = taken.get_json()
    assert (record["given_names"], record["document"]["number"]) == ("Marta", MARTA_DPI)
    assert record["office"] == "GT-HUE-01" and record["returns_count"] == 1
    with in_app() as session:
        from returnees.casework.models import Transfer
        from returnees.people.models import Phone

        phones = {
            p.number: (p.owner.value, p.channel.value)
            for p in session.scalars(select(Phone).where(Phone.returnee_id == followed))
        }
        [transfer] = session.scalars(select(Transfer)).all()
        proposed = (transfer.to_office.code, transfer.status.value)
    assert phones == {"+50255557777": ("self", "sms"), "+50255558888": ("self", "sms")}, (
        "a known number stays as the office keeps it; a new one is added"
    )
    assert proposed == ("GT-SM-01", "pending"), "a different home proposes a transfer"

    tecun_worker = token_for(make_user(Role.SOCIAL_WORKER, "GT-TECUN"))
    rename = app.test_client().patch(
        f"/api/v1/returnees/{followed}", json={"given_names": "Otra"}, headers=tecun_worker
    )
    close = app.test_client().post(
        f"/api/v1/returnees/{followed}/close", json={"reason": "moved"}, headers=tecun_worker
    )
    assert rename.status_code in (403, 404) and close.status_code in (403, 404)
    desk_rename = app.test_client().patch(
        f"/api/v1/returnees/{followed}", json={"given_names": "Otra"}, headers=desk
    )
    assert desk_rename.status_code == 403, "the desk reaches it a week, but may not rename it"
    assert office_of(in_app, followed) == "GT-HUE-01"
    huehue = app.test_client().get(
        f"/api/v1/returnees/{followed}", headers=token_for(offices["huehue"])
    )
    assert huehue.status_code == 200 and huehue.get_json()["given_names"] == "Marta"


def test_an_admin_moves_a_social_worker_from_the_airport_to_an_office(
    offices, went_home, make_user, sign_in_as, cli, in_app
):
    from returnees.auth.models import User

    person = went_home("GT-1201").returnee_id
    admin = sign_in_as(make_user(Role.ADMIN, "GT-AURORA"))
    worker = offices["aurora"]
    page = admin.get(f"/users/{worker.id}").get_data(as_text=True)
    assert "En un centro de recepción, no en una oficina" in page, "said on their page"
    before = sign_in_as(worker)
    assert before.get(f"/returnees/{person}").status_code == 403
    admin.post(
        f"/users/{worker.id}/centre",
        data={"csrf_token": csrf_token(admin, f"/users/{worker.id}"), "centre": "GT-SM-01"},
    )
    assert before.get(f"/returnees/{person}").status_code == 302, "the old session ended"
    with in_app() as session:
        moved = session.get(User, worker.id)
    assert sign_in_as(moved).get(f"/returnees/{person}").status_code == 200
    result = cli("users", "move", worker.email, "--centre", "GT-AURORA")
    assert result.exit_code == 0 and "works at GT-AURORA" in result.output


def test_a_shelter_lists_the_children_it_holds(offices, register, make_user, sign_in_as, in_app):
    from returnees.auth.access import Actor
    from returnees.reception.services import place_in_shelter

    child = register(given_names="Niña", estimated_age=10, is_unaccompanied=True)
    with in_app() as session:
        place_in_shelter(session, Actor.system("test"), child.id, "GT-HOGAR")
    shelter = sign_in_as(make_user(Role.RECEPTION, "GT-HOGAR"))
    assert "Niña López" in shelter.get("/").get_data(as_text=True)


def test_a_transfer_is_proposed_and_accepted_through_the_forms(
    offices, went_home, in_app, sign_in_as
):
    person = went_home("GT-1201").returnee_id
    record = f"/returnees/{person}"
    san_marcos = sign_in_as(offices["san_marcos"])
    page = san_marcos.get(record).get_data(as_text=True)
    assert "Proponer traslado" in page
    san_marcos.post(
        f"{record}/transfers",
        data={
            "csrf_token": csrf_token(san_marcos, record),
            "to_office": "GT-HUE-01",
            "reason": "se mudó con su hermana",
        },
    )
    huehue = sign_in_as(offices["huehue"])
    queue = huehue.get("/queue").get_data(as_text=True)
    assert "se mudó con su hermana" in queue.split('id="transfers"')[1]
    with in_app() as session:
        from returnees.casework.models import Transfer

        transfer_id = session.scalar(select(Transfer.id))
    huehue.post(
        f"/transfers/{transfer_id}/accept",
        data={"csrf_token": csrf_token(huehue, "/queue"), "next": "/queue"},
    )
    assert office_of(in_app, person) == "GT-HUE-01"
    assert "Marta López" in huehue.get("/queue").get_data(as_text=True)


def test_only_the_receiving_office_or_a_supervisor_of_the_country_decides_a_transfer(
    offices, went_home, make_user, token_for, app, in_app
):
    person = went_home("GT-1201").returnee_id
    transfer = propose(app, token_for(offices["san_marcos"]), person).get_json()
    third = make_user(Role.SOCIAL_WORKER, "GT-SM-01")  # the proposing office's other worker
    honduras = make_user(Role.SUPERVISOR, "HN-SPS")
    for user in (offices["san_marcos"], third, offices["aurora"], honduras):
        for step, body in (("accept", None), ("decline", {"reason": "no"})):
            refused = app.test_client().post(
                f"/api/v1/transfers/{transfer['id']}/{step}", json=body, headers=token_for(user)
            )
            assert refused.status_code in (403, 404), (user.email, step, refused.status_code)
    assert office_of(in_app, person) == "GT-SM-01"
    declined = app.test_client().post(
        f"/api/v1/transfers/{transfer['id']}/decline",
        json={"reason": "no vive aquí"},
        headers=token_for(offices["huehue"]),
    )
    assert declined.status_code == 200
    assert (declined.get_json()["status"], declined.get_json()["decline_reason"]) == (
        "declined",
        "no vive aquí",
    )
    with in_app() as session:
        audited = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.record_type == "transfer")
        ).all()
    assert {"status": "declined"} in audited, "the reason stays on the transfer, not in the trail"


def test_a_supervisor_routes_a_waiting_case_through_the_api(offices, went_home, token_for, app):
    person = went_home(None).returnee_id
    routed = app.test_client().post(
        f"/api/v1/returnees/{person}/route",
        json={"office": "GT-HUE-01", "reason": "vive con su tía"},
        headers=token_for(offices["supervisor"]),
    )
    assert routed.status_code == 200 and routed.get_json()["office"] == "GT-HUE-01"
    listed = app.test_client().get(
        "/api/v1/cases?office=GT-HUE-01", headers=token_for(offices["huehue"])
    )
    assert [case["returnee_id"] for case in listed.get_json()] == [person]


def test_a_home_given_to_a_waiting_case_routes_it(offices, went_home, token_for, app, in_app):
    person = went_home(None).returnee_id
    changed = app.test_client().patch(
        f"/api/v1/returnees/{person}",
        json={"home": {"municipality": "GT-1302"}},
        headers=token_for(offices["supervisor"]),
    )
    assert changed.status_code == 200 and changed.get_json()["office"] == "GT-HUE-01"
    assert office_of(in_app, person) == "GT-HUE-01"


def test_a_new_case_with_no_office_takes_the_old_office_off_the_record(
    offices, went_home, register, in_app, token_for, app
):
    """A person followed in San Marcos whose case closed comes back with an unknown home: the
    new case waits, and San Marcos no longer reaches them through the old case's office."""
    from returnees.casework.models import CaseStatus

    person = went_home("GT-1201", phones=("5555 1212",)).returnee_id
    with in_app() as session:
        case = session.scalar(select(Case).where(Case.returnee_id == person))
        case.status = CaseStatus.CLOSED
    with in_app() as session:
        from returnees.people.models import Returnee

        session.get(Returnee, person).home_code = None
    register(match=person, given_names="Marta", home="", phones=("5555 1212",))
    answer = app.test_client().get(
        f"/api/v1/returnees/{person}", headers=token_for(offices["supervisor"])
    )
    assert answer.get_json()["office"] is None
    san_marcos = app.test_client().get(
        f"/api/v1/returnees/{person}", headers=token_for(offices["san_marcos"])
    )
    assert san_marcos.status_code in (403, 404)


def test_a_worker_moved_to_another_office_hands_back_the_cases_assigned_to_them(
    offices, went_home, make_user, token_for, app, cli, in_app
):
    person = went_home("GT-1201").returnee_id
    app.test_client().post(
        "/api/v1/cases/assign",
        json={"returnee_ids": [person], "worker_id": offices["san_marcos"].id},
        headers=token_for(offices["supervisor"]),
    )
    result = cli("users", "move", offices["san_marcos"].email, "--centre", "GT-HUE-01")
    assert result.exit_code == 0, result.output
    with in_app() as session:
        case = session.scalar(select(Case).where(Case.returnee_id == person))
        assert case.assigned_to_id is None, "San Marcos assigns it again"
        audited = session.scalar(
            select(AuditEntry.detail)
            .where(AuditEntry.record_type == "case", AuditEntry.record_id == str(case.id))
            .order_by(AuditEntry.id.desc())
        )
    assert audited["reason"] == "worker moved"


def test_the_count_of_cases_to_route_is_all_of_them(offices, went_home, sign_in_as, monkeypatch):
    import returnees.casework.routing as routing

    for family in ("López", "Pérez", "Ixcoy"):
        went_home(None, family_names=family)
    limited = routing.cases_to_route

    def two(session, actor, limit=200):
        return limited(session, actor, limit=2)

    monkeypatch.setattr("returnees.home.views.cases_to_route", two)
    page = sign_in_as(offices["supervisor"]).get("/").get_data(as_text=True)
    to_route = page.split('id="to-route"')[1].split("</section>")[0]
    assert "(3)" in to_route and to_route.count("#case") == 2
    assert "Se listan aquí los 2 más antiguos" in to_route


def test_a_transfer_a_new_home_proposed_is_said_in_the_readers_language(
    offices, went_home, token_for, sign_in_as, app
):
    person = went_home("GT-1201").returnee_id
    app.test_client().patch(
        f"/api/v1/returnees/{person}",
        json={"home": {"municipality": "GT-1301"}},
        headers=token_for(offices["san_marcos"]),
    )
    waiting = sign_in_as(offices["huehue"]).get("/queue").get_data(as_text=True)
    assert "cambió de domicilio a Huehuetenango, Huehuetenango" in waiting
    assert "home changed to" not in waiting


def test_existing_cases_go_to_the_office_covering_the_home_typed_before(offices, register, in_app):
    """Migrations 0025 and 0026 on cases opened before homes had codes: the destination typed
    at the desk becomes the home where it names one place, and each open case goes to the
    office covering it; the others wait to be routed. None is lost."""
    from tests.conftest import load_migration

    typed = {"San Marcos": "GT-SM-01", "Chiantla": "GT-HUE-01", "Gótica": None, "": None}
    people = {
        text: register(given_names=f"Persona {n}", municipality=text).returnee_id
        for n, text in enumerate(typed)
    }
    with in_app() as session:
        open_before = session.scalar(select(func.count(Case.id)).where(Case.status != "closed"))
        waiting_before = session.scalar(
            select(func.count(Case.id)).where(Case.status != "closed", Case.office_id.is_(None))
        )
    assert {office_of(in_app, person) for person in people.values()} == {None}
    with in_app() as session:
        load_migration("0025_homes_from_free_text").read_homes(session.connection())
        routed, waiting = load_migration("0026_scope_by_office").route_existing(
            session.connection()
        )
    assert (routed, waiting) == (2, waiting_before - 2), "the upgrade says how many went each way"
    assert {text: office_of(in_app, people[text]) for text in typed} == typed
    with in_app() as session:
        from returnees.people.models import Returnee

        assert session.scalar(select(func.count(Case.id)).where(Case.status != "closed")) == (
            open_before
        ), "none is lost"
        record = session.get(Returnee, people["Chiantla"])
        assert record.office.code == "GT-HUE-01", "the record carries it, for scope"
        # The reason as 0026 wrote it, in plain: 0036 seals it later.
        [move] = session.execute(
            select(CaseOfficeChange.from_office_id, CaseOfficeChange.reason_sealed)
            .join(Case)
            .where(Case.returnee_id == record.id)
        ).all()
        assert tuple(move) == (None, "home")


def test_a_return_through_another_desk_does_not_move_a_waiting_case_to_its_region(
    offices, register, make_user, token_for, app
):
    """A case waiting to be routed stays with the region where the person was registered
    first: the desk of another region that registers their return does not bring it to its
    own region's social workers, who could otherwise rename or close it."""
    waiting = register(given_names="Marta", phones=("5555 7777",)).returnee_id
    desk = token_for(make_user(Role.RECEPTION, "GT-TECUN"))
    body = return_at_tecun("Marta", match=waiting)
    assert app.test_client().post("/api/v1/returnees", json=body, headers=desk).status_code == 201
    tecun_worker = token_for(make_user(Role.SOCIAL_WORKER, "GT-TECUN"))
    renamed = app.test_client().patch(
        f"/api/v1/returnees/{waiting}", json={"given_names": "Otra"}, headers=tecun_worker
    )
    assert renamed.status_code in (403, 404)
    aurora = app.test_client().get(
        f"/api/v1/returnees/{waiting}", headers=token_for(offices["aurora"])
    )
    assert aurora.status_code == 200 and aurora.get_json()["given_names"] == "Marta"
    again = app.test_client().get(f"/api/v1/returnees/{waiting}", headers=desk)
    assert again.status_code == 200, "the desk that registered the return reaches it a week"


def test_the_desks_form_shows_a_person_outside_its_scope_by_what_tells_them_apart(
    offices, register, make_user, sign_in_as, clock
):
    from tests.reception.test_registration import submit

    first = register(
        given_names="Marta",
        home="GT-1301",
        document_type="DPI",
        document_number=MARTA_DPI,
        phones=("5555 1234",),
    ).returnee_id
    clock.advance(days=1)
    register(given_names="Marta", match=first, phones=("5555 1234",))
    desk = sign_in_as(make_user(Role.RECEPTION, "GT-TECUN"))
    shown = submit(
        desk,
        given_names="Marta",
        family_names="López",
        birth_date="",
        estimated_age="26",
        centre="GT-TECUN",
        document_type="",
        document_number="",
    )
    page = shown.get_data(as_text=True)
    candidates = page.split('class="card candidates"')[1].split("</section>")[0]
    assert "Marta López" in candidates and MARTA_DPI not in candidates
    assert "(la última)" in candidates and candidates.count("GT-AURORA") == 1
    assert "5555" not in candidates
