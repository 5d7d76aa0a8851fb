"""The rules on one page for all staff, changed by admins as a new version (a bad change changes
nothing); a person's flag on the record and in the API, for the roles that work cases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from returnees.audit.models import AuditAction, AuditEntry
from returnees.auth.models import Role
from returnees.risk.models import RiskRules
from tests.conftest import csrf_token

WEIGHTS = {
    "family_abroad": "30",
    "one_earlier_return": "10",
    "two_or_more_earlier_returns": "20",
    "intends_to_leave": "25",
    "crime_victim": "25",
    "not_in_school_or_work": "10",
    "long_stay_abroad": "8",
    "journey_debt": "5",
    "unanswered_check_ins": "8",
}


def versions(in_app) -> list[tuple[int, int, int, dict]]:
    with in_app() as session:
        rows = session.scalars(select(RiskRules).order_by(RiskRules.version))
        return [(r.version, r.medium_from, r.high_from, r.weights) for r in rows]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_rules_and_only_admins_get_the_form(
    app, demo, make_user, sign_in_as, role
):
    page = sign_in_as(make_user(role, "GT-AURORA", locale="en")).get("/risk/rules")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Spouse or children still abroad (screening)." in text
    assert "Owes a debt for the journey (screening)." in text
    assert ('name="family_abroad"' in text) is (role is Role.ADMIN)


def test_an_admin_puts_new_weights_in_force_as_version_2(app, demo, make_user, sign_in_as, in_app):
    client = sign_in_as(make_user(Role.ADMIN, "GT-AURORA", email="admin@example.org"))
    form = WEIGHTS | {"journey_debt": "12", "medium_from": "25", "high_from": "45"}
    saved = client.post(
        "/risk/rules", data=form | {"note": "debt matters more", "csrf_token": csrf_token(client)}
    )
    assert saved.status_code == 302
    (_shipped, (version, medium, high, weights)) = versions(in_app)
    assert (version, medium, high, weights["journey_debt"]) == (2, 25, 45, 12)
    page = client.get("/risk/rules").get_data(as_text=True)
    assert "debt matters more" in page and "admin@example.org" in page
    with in_app() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.record_type == "risk_rules")
        ).one()
        assert (entry.action, entry.record_id) == (AuditAction.UPDATE, "2")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"journey_debt": "lots"}, "journey_debt", "Give a whole number from 0 to 100."),
        ({"journey_debt": "101"}, "journey_debt", "Give a whole number from 0 to 100."),
        ({"family_abroad": "-1"}, "family_abroad", "Give a whole number from 0 to 100."),
        ({"high_from": "20"}, "high_from", "The high level must start above the medium level."),
        ({"medium_from": "0"}, "medium_from", "Give a whole number from 1 to 100."),
        ({"high_from": "2.5"}, "high_from", "Give a whole number from 1 to 100."),
    ],
)
def test_a_bad_change_shows_the_field_keeps_what_was_typed_and_changes_nothing(
    app, demo, make_user, sign_in_as, in_app, changes, field, message
):
    client = sign_in_as(make_user(Role.ADMIN, "GT-AURORA", locale="en"))
    form = WEIGHTS | {"medium_from": "20", "high_from": "40"} | changes
    refused = client.post("/risk/rules", data=form | {"csrf_token": csrf_token(client)})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert f'id="{field}-error">{message}' in text
    assert f'value="{changes[field]}"' in text, "what was typed is kept"
    assert [v[0] for v in versions(in_app)] == [1]


def test_the_same_rules_again_make_no_new_version(app, demo, make_user, sign_in_as, in_app):
    client = sign_in_as(make_user(Role.ADMIN, "GT-AURORA"))
    form = WEIGHTS | {"medium_from": "20", "high_from": "40", "csrf_token": csrf_token(client)}
    assert client.post("/risk/rules", data=form).status_code == 302
    assert [v[0] for v in versions(in_app)] == [1]


def test_the_api_gives_the_rules_and_admins_change_them(app, demo, make_user, token_for, in_app):
    admin = token_for(make_user(Role.ADMIN, "GT-AURORA", locale="en"))
    client = app.test_client()
    shown = client.get("/api/v1/risk/rules", headers=admin).get_json()
    assert (shown["version"], shown["medium_from"], shown["high_from"]) == (1, 20, 40)
    assert shown["rules"][0] == {
        "key": "family_abroad",
        "name": "Spouse or children abroad",
        "description": "Spouse or children still abroad (screening).",
        "weight": 30,
    }
    changed = client.put(
        "/api/v1/risk/rules", headers=admin, json={"weights": {"long_stay_abroad": 0}}
    )
    assert changed.status_code == 200
    assert (changed.get_json()["version"], changed.get_json()["weights"]["long_stay_abroad"]) == (
        2,
        0,
    )
    refused = client.put(
        "/api/v1/risk/rules",
        headers=admin,
        json={"weights": {"no_such_rule": 5, "journey_debt": True}, "high_from": 10},
    )
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["fields"]) == {
        "weights",
        "weights.journey_debt",
        "high_from",
    }
    assert [v[0] for v in versions(in_app)] == [1, 2]


@pytest.fixture
def child(register, in_app):
    from returnees.auth.access import Actor
    from returnees.reception.services import ScreeningEntry, record_screening

    arrival = register(given_names="Niña", estimated_age=13)
    with in_app() as session:
        record_screening(
            session,
            Actor.system("test"),
            arrival.id,
            ScreeningEntry(family_abroad=["spouse"], was_threatened=True),
        )
    return arrival


def test_a_social_worker_reads_a_persons_flag_and_the_read_is_audited(
    app, demo, child, make_user, token_for, in_app
):
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA")
    body = (
        app.test_client()
        .get(f"/api/v1/returnees/{child.returnee_id}/risk", headers=token_for(worker))
        .get_json()
    )
    assert (body["level"], body["computed_level"], body["score"]) == ("high", "high", 55)
    assert [(r["rule"], r["points"]) for r in body["reasons"]] == [
        ("family_abroad", 30),
        ("crime_victim", 25),
    ]
    assert body["reasons"][1]["evidence"] == {"victim": False, "threatened": True}
    assert body["changes"][0]["to_level"] == "high"
    with in_app() as session:
        seen = session.scalars(
            select(AuditEntry.user_id).where(
                AuditEntry.action == AuditAction.VIEW,
                AuditEntry.record_id == str(child.returnee_id),
            )
        ).all()
    assert seen == [worker.id]


def test_a_social_worker_outside_the_region_is_refused(app, demo, child, make_user, token_for):
    elsewhere = make_user(Role.SOCIAL_WORKER, "HN-SPS")
    client = app.test_client()
    path = f"/api/v1/returnees/{child.returnee_id}/risk"
    assert client.get(path, headers=token_for(elsewhere)).status_code == 403
    refused = client.post(
        path + "/level", headers=token_for(elsewhere), json={"level": "low", "reason": "x"}
    )
    assert refused.status_code == 403


def test_a_level_set_through_the_api_and_a_bad_one_refused(
    app, demo, child, make_user, token_for, in_app
):
    supervisor = make_user(Role.SUPERVISOR, "GT-AURORA", email="sup@example.org")
    client, headers = app.test_client(), token_for(supervisor)
    path = f"/api/v1/returnees/{child.returnee_id}/risk/level"
    refused = client.post(path, headers=headers, json={"level": "urgent", "reason": ""})
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["fields"]) == {"level", "reason"}
    saved = client.post(path, headers=headers, json={"level": "high", "reason": "gang threats"})
    body = saved.get_json()
    assert saved.status_code == 200
    assert (body["set_level"], body["set_reason"], body["set_by"]) == (
        "high",
        "gang threats",
        "sup@example.org",
    )


def test_the_flag_shows_on_the_record_for_casework_roles_only(
    app, demo, child, make_user, sign_in_as
):
    worker = sign_in_as(make_user(Role.SOCIAL_WORKER, "GT-AURORA", locale="en"))
    page = worker.get(f"/returnees/{child.returnee_id}").get_data(as_text=True)
    assert "Risk of leaving again" in page
    assert "spouse abroad" in page and "threatened" in page
    assert f'action="/returnees/{child.returnee_id}/risk/level"' in page
    desk = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA", locale="en"))
    assert "Risk of leaving again" not in desk.get(f"/returnees/{child.returnee_id}").get_data(
        as_text=True
    )


def test_a_social_worker_sets_a_level_on_the_record(
    app, demo, child, make_user, sign_in_as, in_app
):
    from returnees.risk.models import RiskFlag

    client = sign_in_as(make_user(Role.SOCIAL_WORKER, "GT-AURORA", locale="en"))
    path = f"/returnees/{child.returnee_id}/risk/level"
    token = csrf_token(client, f"/returnees/{child.returnee_id}")
    refused = client.post(path, data={"csrf_token": token, "level": "medium", "reason": " "})
    assert refused.status_code == 422
    assert "Say why" in refused.get_data(as_text=True)
    assert '<option selected value="medium">' in refused.get_data(as_text=True)
    saved = client.post(
        path, data={"csrf_token": token, "level": "medium", "reason": "lives with the aunt"}
    )
    assert saved.status_code == 302
    with in_app() as session:
        flag = session.get(RiskFlag, child.returnee_id)
        assert (flag.level.value, flag.set_level.value, flag.set_reason) == (
            "high",
            "medium",
            "lives with the aunt",
        )
    page = client.get(f"/returnees/{child.returnee_id}").get_data(as_text=True)
    assert "lives with the aunt" in page
