"""A supervisor exports everything held about one person: a page to read or print, a JSON file,
and the API; each export is written to the audit trail."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from returnees.audit.models import AuditAction, AuditEntry
from returnees.auth.models import Role
from tests.core.test_database_timeouts import answer_of, locked


def exports_written(in_app, returnee_id: int) -> list[AuditEntry]:
    with in_app() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == AuditAction.EXPORT,
                    AuditEntry.record_type == "returnee",
                    AuditEntry.record_id == str(returnee_id),
                )
            )
        )


def test_the_export_page_holds_everything_about_the_person_and_is_audited(
    person, sign_in_as, in_app
):
    response = sign_in_as(person.asker).get(f"/returnees/{person.returnee_id}/export")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    for held in (
        "Zoila",
        "ZQ4471902",
        "+50255507788",
        "14/03/1990",
        "asma severa",
        "vive con su tía Herminia",
        "gracias, Herminia",
        "Hola Zoila",
        "la busca Herminia",  # a protection referral's note: supervisors may read it
        "llamada con su prima",
        "Refugio Seguro",
    ):
        assert held in page, f"the export page does not show {held!r}"
    assert "Todo lo que se guarda" in page, "the page is not in Spanish"
    assert "<dd>Mujer</dd>" in page, "the sex is shown as a code"
    [entry] = exports_written(in_app, person.returnee_id)
    assert entry.user_id == person.asker.id
    assert entry.detail["restricted"], "the protection referral's id is not in the audit entry"


def test_the_json_download_and_the_api_hold_the_same_sections(
    person, sign_in_as, token_for, app, in_app
):
    download = sign_in_as(person.asker).get(f"/returnees/{person.returnee_id}/export.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    held = json.loads(download.get_data(as_text=True))
    answer = app.test_client().get(
        f"/api/v1/returnees/{person.returnee_id}/export", headers=token_for(person.approver)
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json().keys() == held.keys()
    assert held["person"]["document_number"] == "ZQ4471902"
    assert held["person"]["birth_date"] == "1990-03-14"
    assert [phone["number"] for phone in held["phones"]] == ["+50255507788", "+50255504455"]
    [arrival] = held["arrivals"]
    assert arrival["screening"]["health_needs"] == "asma severa"
    assert {m["body"] for m in held["messages"]} >= {"gracias, Herminia", "Hola Zoila"}
    assert [r["is_protection"] for r in held["referrals"]] == [True]
    assert held["check_ins"] and all(c["phone"] for c in held["check_ins"])
    assert held["risk"]["level"] in ("low", "medium", "high")
    assert len(exports_written(in_app, person.returnee_id)) == 2


def test_a_child_s_export_holds_the_guardian_and_the_household(person, token_for, app):
    answer = app.test_client().get(
        f"/api/v1/returnees/{person.child_id}/export", headers=token_for(person.asker)
    )
    [arrival] = answer.get_json()["arrivals"]
    assert arrival["custody"]["guardian_name"] == "Herminia Zapeta"
    assert arrival["custody"]["guardian_document"] == "CHILD-DOC-99"
    assert arrival["custody"]["guardian_phone"].endswith("78001234")


def test_only_supervisors_of_the_person_s_country_export(
    person, make_user, sign_in_as, token_for, app, in_app
):
    path = f"/returnees/{person.returnee_id}/export"
    assert sign_in_as(person.worker).get(path).status_code == 403
    elsewhere = make_user(Role.SUPERVISOR, "HN-SPS")
    assert sign_in_as(elsewhere).get(path).status_code in (403, 404)
    refused = app.test_client().get(f"/api/v1{path}", headers=token_for(elsewhere))
    assert refused.status_code in (403, 404)
    assert "Zoila" not in refused.get_data(as_text=True)
    assert exports_written(in_app, person.returnee_id) == []


def test_an_export_waiting_on_a_lock_answers_503_after_its_own_limit(
    app, database_url, register, make_user, sign_in_as, token_for, monkeypatch
):
    """Requests in general have no limit here: only the export's own setting can stop it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("statement timeouts are PostgreSQL's")
    monkeypatch.setitem(app.config, "WEB_STATEMENT_TIMEOUT_SECONDS", 0)
    monkeypatch.setitem(app.config, "EXPORT_STATEMENT_TIMEOUT_SECONDS", 1)
    person = register(given_names="Ana", family_names="Ixcot").returnee_id
    supervisor = make_user(Role.SUPERVISOR, "GT-AURORA")
    page, api = sign_in_as(supervisor), app.test_client()
    headers = token_for(supervisor)
    with locked(database_url, "erasures"):  # a section of every export
        for client, path, kwargs in (
            (page, f"/returnees/{person}/export", {}),
            (page, f"/returnees/{person}/export.json", {}),
            (api, f"/api/v1/returnees/{person}/export", {"headers": headers}),
        ):
            response = answer_of(client, path, **kwargs)
            assert response.status_code == 503, path
    assert page.get(f"/returnees/{person}/export").status_code == 200, "once the lock is gone"
