"""The survey is data: a default version is shipped, an admin's change of items or weights
makes a new version, and the answers of waves opened before keep the version they were asked
under."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from returnees.core.errors import Forbidden, InvalidInput
from returnees.surveys.instrument import active_instrument, change_instrument, entry_of
from returnees.surveys.models import Dimension, Instrument, SurveyWave
from tests.conftest import csrf_token
from tests.surveys.conftest import actor_of


def test_the_default_survey_asks_the_three_dimensions_with_equal_weights(app, in_app):
    with in_app() as session:
        instrument = active_instrument(session)
        by_dimension = {d: [i for i in instrument.items if i.dimension is d] for d in Dimension}
        assert instrument.version == 1
        assert {d: len(items) for d, items in by_dimension.items()} == {
            Dimension.ECONOMIC: 7,
            Dimension.SOCIAL: 6,
            Dimension.PSYCHOSOCIAL: 8,
        }
        assert {item.weight for item in instrument.items} == {1.0}
        assert {i.code for i in instrument.items if i.is_safe_by_sms} == {
            "working",
            "children_in_school",
            "has_id",
        }
        for item in instrument.items:
            assert item.question_es and item.question_en
            assert all(o["score"] is None or 0 <= o["score"] <= 1 for o in item.options)


def _reweighted(session, code: str, weight: float) -> list:
    items = active_instrument(session).items
    return [replace(entry_of(i), weight=weight) if i.code == code else entry_of(i) for i in items]


def test_a_change_of_weight_makes_a_new_version_and_old_answers_keep_the_old_one(
    app, in_app, world, wave_id, answer
):
    answer(wave_id, working="yes")
    with in_app() as session:
        changed = change_instrument(
            session, actor_of(session, world.admin), _reweighted(session, "working", 2.0)
        )
        assert changed.version == 2
        assert [
            i.is_active for i in session.scalars(select(Instrument).order_by(Instrument.version))
        ] == [False, True]
        wave = session.get(SurveyWave, wave_id)
        assert wave.instrument.version == 1
        (given,) = wave.answers
        assert given.item.instrument_id == wave.instrument_id
        assert given.item.weight == 1.0
        assert next(i for i in changed.items if i.code == "working").weight == 2.0


def test_the_same_items_again_make_no_new_version(app, in_app, world):
    with in_app() as session:
        same = [entry_of(i) for i in active_instrument(session).items]
        assert change_instrument(session, actor_of(session, world.admin), same).version == 1
        assert session.scalar(select(func.count(Instrument.id))) == 1


def test_a_bad_item_is_refused_by_field_and_nothing_changes(app, in_app, world):
    with in_app() as session:
        entries = _reweighted(session, "working", -1)
        entries[0] = replace(
            entries[0],
            options=[{"value": "declined", "label_es": "x", "label_en": "x", "score": 2}],
        )
        with pytest.raises(InvalidInput) as refused:
            change_instrument(session, actor_of(session, world.admin), entries)
    fields = refused.value.fields
    assert "items.0.options" in fields
    assert "items.4.weight" in fields
    with in_app() as session:
        assert session.scalar(select(func.count(Instrument.id))) == 1


def test_only_an_admin_changes_the_survey(app, in_app, world):
    with in_app() as session, pytest.raises(Forbidden):
        change_instrument(
            session, actor_of(session, world.supervisor), _reweighted(session, "working", 2)
        )


def test_an_admin_replaces_the_items_through_the_api(app, world, token_for):
    client, headers = app.test_client(), token_for(world.admin)
    current = client.get("/api/v1/surveys/instrument", headers=headers).get_json()
    items = [item for item in current["items"] if item["code"] != "safe_water"]
    items[0]["weight"] = 3
    answered = client.put("/api/v1/surveys/instrument", json={"items": items}, headers=headers)
    assert answered.status_code == 200, answered.get_json()
    body = answered.get_json()
    assert body["version"] == 2
    assert "safe_water" not in {item["code"] for item in body["items"]}
    assert body["items"][0]["weight"] == 3.0
    old = client.get("/api/v1/surveys/instrument/1", headers=headers).get_json()
    assert "safe_water" in {item["code"] for item in old["items"]}
    refused = client.put("/api/v1/surveys/instrument", json={"items": [items[0]]}, headers=headers)
    assert refused.status_code == 422
    assert "items" in refused.get_json()["error"]["fields"]


def test_an_admin_changes_wording_and_weights_on_the_web_page(app, in_app, world, sign_in_as):
    client = sign_in_as(world.admin)
    page = client.get("/surveys/instrument")
    assert page.status_code == 200
    with in_app() as session:
        items = active_instrument(session).items
    data = {"csrf_token": csrf_token(client, "/surveys/instrument")}
    for item in items:
        data[f"{item.code}-weight"] = "2" if item.code == "distress" else str(item.weight)
        data[f"{item.code}-question_es"] = item.question_es
        data[f"{item.code}-question_en"] = item.question_en
    data["has_id-weight"] = "cero"
    refused = client.post("/surveys/instrument", data=data)
    assert refused.status_code == 422
    assert 'id="has_id-weight-error"' in refused.get_data(as_text=True)
    data["has_id-weight"] = "1"
    assert client.post("/surveys/instrument", data=data).status_code == 302
    with in_app() as session:
        instrument = active_instrument(session)
        assert instrument.version == 2
        assert next(i for i in instrument.items if i.code == "distress").weight == 2.0
