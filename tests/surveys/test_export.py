"""GET /api/v1/exports/surveys: one row per answer of each wave opened in the period, with the
wave's scores; the pseudonymised variant field by field, the scope, roles and audit entry."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from returnees.audit.models import AuditAction, AuditEntry, AuditEntryPerson
from returnees.surveys.services import complete_wave
from tests.surveys.conftest import BEST, actor_of

WAVE_COLUMNS = [
    "day",
    "status",
    "not_taken_reason",
    "instrument_version",
    "item",
    "dimension",
    "answer",
    "answer_score",
    "source",
    "answered_at",
    "economic_score",
    "social_score",
    "psychosocial_score",
    "composite_score",
    "opened_at",
    "completed_at",
]


def export(app, token_for, user, **params: str):
    return app.test_client().get(
        "/api/v1/exports/surveys", query_string=params, headers=token_for(user)
    )


def rows_of(answer) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))


def test_a_completed_wave_is_one_row_per_answer_with_its_scores(
    app, in_app, world, wave_id, answer, token_for
):
    answer(wave_id, **BEST | {"working": "no", "distress": "declined"})
    with in_app() as session:
        wave = complete_wave(session, actor_of(session, world.worker), world.returnee_id, wave_id)
        composite = wave.composite_score
    rows = rows_of(export(app, token_for, world.supervisor))
    assert list(rows[0]) == [
        "wave_id",
        "person_id",
        "arrival_id",
        "given_names",
        "family_names",
        "birth_date",
        "estimated_age",
        "sex",
        *WAVE_COLUMNS,
    ]
    assert len(rows) == len(BEST) and {row["wave_id"] for row in rows} == {str(wave_id)}
    assert [row["item"] for row in rows][:3] == ["economic_satisfaction", "ate_less", "can_borrow"]
    by_item = {row["item"]: row for row in rows}
    assert (by_item["working"]["answer"], by_item["working"]["answer_score"]) == ("no", "0.0")
    assert (by_item["distress"]["answer"], by_item["distress"]["answer_score"]) == ("declined", "")
    assert by_item["working"]["dimension"] == "economic" and by_item["working"]["source"] == "call"
    first = rows[0]
    assert (first["person_id"], first["given_names"], first["day"]) == (
        str(world.returnee_id),
        "Rosa",
        "30",
    )
    assert first["status"] == "completed" and first["instrument_version"] == "1"
    assert float(first["composite_score"]) == composite and first["completed_at"]


def test_an_open_wave_with_no_answer_is_one_row_and_the_period_is_the_waves_opening(
    app, world, wave_id, token_for
):
    (row,) = rows_of(export(app, token_for, world.supervisor))
    assert (row["wave_id"], row["status"], row["item"], row["answer"]) == (
        str(wave_id),
        "open",
        "",
        "",
    )
    opened = row["opened_at"][:10]
    assert rows_of(export(app, token_for, world.supervisor, **{"from": opened, "to": opened}))
    later = {"from": "2027-01-01", "to": "2027-01-31"}
    assert rows_of(export(app, token_for, world.supervisor, **later)) == []


def test_a_check_in_answer_is_marked_as_such(app, in_app, world, wave_id, token_for, clock):
    from datetime import timedelta

    from returnees.followups.models import Indicator, IndicatorReading
    from returnees.surveys.services import open_wave

    with in_app() as session:
        session.add(
            IndicatorReading(
                returnee_id=world.returnee_id,
                indicator=Indicator.WORKING,
                value=True,
                observed_at=clock.at - timedelta(days=2),
            )
        )
    with in_app() as session:
        open_wave(session, actor_of(session, world.worker), world.returnee_id, wave_id)
    (row,) = rows_of(export(app, token_for, world.supervisor))
    assert (row["item"], row["answer"], row["source"]) == ("working", "yes", "check-in")


def test_the_pseudonymised_surveys_name_no_one_field_by_field(
    app, world, wave_id, answer, token_for
):
    answer(wave_id, working="yes", debt="declined")
    params = {"pseudonymised": "true", "recipient": "donor"}
    response = export(app, token_for, world.worker, **params)
    rows = rows_of(response)
    assert list(rows[0]) == ["wave", "person", "arrival", "age_group", "sex", *WAVE_COLUMNS]
    text = response.get_data(as_text=True)
    for identifying in ("Rosa", "López", "5555", "4321"):
        assert identifying not in text
    ids = {str(world.returnee_id), str(world.arrival_id), str(wave_id)}
    for row in rows:
        assert not ids & {row["wave"], row["person"], row["arrival"]}
        assert len(row["person"]) == 20 and row["age_group"] == "18-29"
    assert {row["answer"] for row in rows} == {"yes", "declined"}
    research = rows_of(
        export(app, token_for, world.worker, pseudonymised="true", recipient="research")
    )
    assert {row["person"] for row in rows}.isdisjoint({row["person"] for row in research})


def test_identifying_survey_exports_are_for_supervisors_and_admins_in_scope(
    app, world, wave_id, token_for, make_user
):
    from returnees.auth.models import Role

    assert export(app, token_for, world.worker).status_code == 403
    assert export(app, token_for, world.reception).status_code == 403
    assert len(rows_of(export(app, token_for, world.admin))) == 1
    elsewhere = make_user(Role.SUPERVISOR, "HN-SPS")
    assert rows_of(export(app, token_for, elsewhere)) == []
    far = export(app, token_for, world.far_worker, pseudonymised="true", recipient="donor")
    assert rows_of(far) == [], "a social worker exports only the people they follow"


def test_the_export_is_audited_naming_the_people_in_it(app, in_app, world, wave_id, token_for):
    rows_of(export(app, token_for, world.supervisor, format="csv"))
    with in_app() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == AuditAction.EXPORT))
        assert (entry.record_type, entry.record_id) == ("export", "surveys")
        assert entry.detail["rows"] == 1 and entry.detail["pseudonymised"] is False
        named = session.scalars(
            select(AuditEntryPerson.returnee_id).where(AuditEntryPerson.entry_id == entry.id)
        ).all()
    assert named == [world.returnee_id]
