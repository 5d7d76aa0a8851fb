"""Admins change a plan; only check-ins not yet sent follow the change, and bad steps are refused
with a clear error and nothing changed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from returnees.auth.models import Role
from returnees.followups.models import CheckIn, CheckInState, FollowUpPlan
from tests.conftest import csrf_token


def adult_plan(app, admin_headers) -> dict:
    return app.test_client().get("/api/v1/plans/adult", headers=admin_headers).get_json()


def put_steps(app, headers, steps: list[dict], profile: str = "adult"):
    return app.test_client().put(f"/api/v1/plans/{profile}", json={"steps": steps}, headers=headers)


def as_entries(plan: dict) -> list[dict]:
    return [
        {k: v for k, v in step.items() if k != "id"} | {"step_id": step["id"]}
        for step in plan["steps"]
    ]


def check_ins(in_app, returnee_id: int) -> dict[str, CheckIn]:
    with in_app() as session:
        rows = session.scalars(select(CheckIn).where(CheckIn.returnee_id == returnee_id))
        return {f"{r.template}@{r.due_at:%m-%d}": r for r in rows}


def test_a_changed_step_moves_only_the_check_ins_not_yet_sent(
    app, register, in_app, make_user, token_for, clock
):
    headers = token_for(make_user(Role.ADMIN))
    sent = register(phones=("5555 1234",), arrived_at=clock.now() - timedelta(days=3))
    waiting = register(given_names="Beto", phones=("5555 9876",))
    with in_app() as session:  # the first person's day-3 question has gone out
        day_3 = session.scalars(
            select(CheckIn).where(
                CheckIn.returnee_id == sent.returnee_id, CheckIn.template == "arrived_safe"
            )
        ).first()
        day_3.state = CheckInState.SENT
    plan = adult_plan(app, headers)
    steps = as_entries(plan)
    steps[1] |= {"day_offset": 5, "template": "travel_again"}  # day 3 becomes day 5
    response = put_steps(app, headers, steps)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == plan["version"] + 1
    with in_app() as session:
        rows = {
            r.returnee_id: r
            for r in session.scalars(select(CheckIn).where(CheckIn.step_id == steps[1]["step_id"]))
        }
    assert rows[sent.returnee_id].template == "arrived_safe", "what was sent keeps what it asked"
    assert rows[sent.returnee_id].plan_version == plan["version"]
    moved = rows[waiting.returnee_id]
    assert (moved.template, moved.plan_version) == ("travel_again", plan["version"] + 1)
    assert moved.due_at == clock.now() + timedelta(days=5)
    assert moved.state is CheckInState.SCHEDULED


def test_a_removed_step_is_cancelled_and_a_new_one_reaches_those_followed(
    app, register, in_app, make_user, token_for, clock
):
    headers = token_for(make_user(Role.ADMIN))
    arrival = register(phones=("5555 1234",))
    steps = as_entries(adult_plan(app, headers))
    removed = steps.pop(2)  # day 14
    steps.append(
        {"day_offset": 7, "template": "arrived_safe", "answer_type": "yes_no", "indicator": "safe"}
    )
    assert put_steps(app, headers, steps).status_code == 200
    with in_app() as session:
        states = {
            r.step_id: r.state
            for r in session.scalars(
                select(CheckIn).where(CheckIn.returnee_id == arrival.returnee_id)
            )
        }
        added = session.scalars(
            select(CheckIn).where(
                CheckIn.returnee_id == arrival.returnee_id,
                CheckIn.due_at == clock.now() + timedelta(days=7),
            )
        ).one()
    assert states[removed["step_id"]] is CheckInState.CANCELLED
    assert added.state is CheckInState.SCHEDULED and added.indicator.value == "safe"
    after = adult_plan(app, headers)
    assert [s["day_offset"] for s in after["steps"]] == sorted([s["day_offset"] for s in steps])
    later = register(given_names="Cata", phones=("5555 4321",))
    with in_app() as session:
        templates = session.scalars(
            select(CheckIn.template).where(CheckIn.returnee_id == later.returnee_id)
        ).all()
    assert len(templates) == len(steps), "a new arrival gets the plan as it is now"


def test_an_unknown_plan_is_a_clear_error(app, demo, make_user, token_for):
    headers = token_for(make_user(Role.ADMIN))
    response = put_steps(app, headers, [], profile="teenager")
    assert response.status_code == 404
    assert "teenager" in response.get_json()["error"]["message"]


def test_an_unknown_answer_type_is_refused_and_nothing_changes(
    app, register, in_app, make_user, token_for
):
    headers = token_for(make_user(Role.ADMIN))
    register(phones=("5555 1234",))
    before = adult_plan(app, headers)
    steps = as_entries(before)
    steps[0]["answer_type"] = "emoji"
    steps[1]["day_offset"] = steps[2]["day_offset"]
    steps.append({"day_offset": 40, "template": "no_such_template", "answer_type": "yes_no"})
    response = put_steps(app, headers, steps)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert "emoji" in fields["steps.0.answer_type"][0]
    assert "steps.2.day_offset" in fields and "no_such_template" in fields["steps.12.template"][0]
    assert adult_plan(app, headers) == before
    with in_app() as session:
        assert (
            session.scalar(select(FollowUpPlan.version).where(FollowUpPlan.profile == "adult"))
            == before["version"]
        )


def test_the_plan_page_saves_a_change_and_keeps_a_bad_one_on_screen(
    app, demo, make_user, sign_in_as
):
    client = sign_in_as(make_user(Role.ADMIN))
    page = client.get("/plans/adult")
    assert page.status_code == 200 and "arrived_safe" in page.get_data(as_text=True)
    token = csrf_token(client, "/plans/adult")
    form = {"csrf_token": token}
    plan = client.get("/plans/").get_data(as_text=True)
    with app.app_context():
        from returnees.core.db import get_session

        shipped = get_session().scalar(select(FollowUpPlan).where(FollowUpPlan.profile == "adult"))
        version, steps = shipped.version, shipped.steps
        for n, step in enumerate(steps):
            form |= {
                f"steps-{n}-step_id": str(step.id),
                f"steps-{n}-day_offset": str(step.day_offset),
                f"steps-{n}-template": step.template,
                f"steps-{n}-answer_type": step.answer_type.value,
                f"steps-{n}-asked": step.asked.value,
                f"steps-{n}-indicator": step.indicator.value if step.indicator else "",
            }
        get_session().rollback()
    assert f"versión {version}" in plan
    bad = form | {"steps-1-day_offset": "tres"}
    refused = client.post("/plans/adult", data=bad)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'value="tres"' in body and 'aria-invalid="true"' in body
    form["steps-0-remove"] = "y"
    saved = client.post("/plans/adult", data=form)
    assert saved.status_code == 302
    with app.app_context():
        from returnees.core.db import get_session

        plan = get_session().scalar(select(FollowUpPlan).where(FollowUpPlan.profile == "adult"))
        assert plan.version == version + 1 and len(plan.steps) == len(steps) - 1
        get_session().rollback()


def by_step(in_app, returnee_id: int, column) -> dict:
    """One column of a person's check-ins (its attribute), by their step."""
    with in_app() as session:
        query = select(CheckIn).where(CheckIn.returnee_id == returnee_id)
        name = column if isinstance(column, str) else column.key
        return {check_in.step_id: getattr(check_in, name) for check_in in session.scalars(query)}


def test_a_step_that_now_asks_the_child_moves_to_the_childs_own_number(
    app, register, in_app, make_user, token_for
):
    from returnees.reception.intake import PhoneEntry

    headers = token_for(make_user(Role.ADMIN))
    child = register(
        estimated_age=12,
        phones=(
            PhoneEntry("5555 1111", owner="self", consent=True),
            PhoneEntry("5555 2222", owner="relative", consent=True),
        ),
    )
    plan = app.test_client().get("/api/v1/plans/child_with_family", headers=headers).get_json()
    steps = as_entries(plan)
    steps[2] |= {"asked": "returnee"}
    assert put_steps(app, headers, steps, "child_with_family").status_code == 200
    numbers = by_step(in_app, child.returnee_id, "phone")
    assert numbers[steps[2]["step_id"]] == "+50255551111"
    assert numbers[steps[3]["step_id"]] == "+50255552222"


def plan_unchanged(app, in_app, headers, before: dict) -> None:
    assert adult_plan(app, headers) == before, "nothing was saved"
    with in_app() as session:
        asked = session.scalars(select(CheckIn.template).where(CheckIn.template == "on_call_alert"))
        assert asked.all() == [], "no returnee is scheduled a staff message"


def test_a_staff_message_is_refused_by_name_as_a_step(app, register, in_app, make_user, token_for):
    headers = token_for(make_user(Role.ADMIN))
    register(phones=("5555 1234",))
    before = adult_plan(app, headers)
    staff_step = {"day_offset": 60, "template": "on_call_alert", "answer_type": "confirm"}
    response = put_steps(app, headers, [*as_entries(before), staff_step])
    assert response.status_code == 422
    [message] = response.get_json()["error"]["fields"][f"steps.{len(before['steps'])}.template"]
    assert message.startswith("“on_call_alert” es un mensaje para el personal de turno")
    plan_unchanged(app, in_app, headers, before)


def test_a_guardian_step_on_the_adult_plan_is_refused_by_name(
    app, register, in_app, make_user, token_for
):
    headers = token_for(make_user(Role.ADMIN))
    register(phones=("5555 1234",))
    before = adult_plan(app, headers)
    steps = as_entries(before)
    steps[2] |= {"asked": "guardian"}
    response = put_steps(app, headers, steps)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["steps.2.asked"] == [
        "Una persona adulta no tiene tutor a quien preguntar: los pasos de este plan preguntan "
        "a la persona retornada."
    ]
    plan_unchanged(app, in_app, headers, before)


def test_the_plan_page_refuses_a_staff_message_and_does_not_offer_it(
    app, demo, make_user, sign_in_as
):
    client = sign_in_as(make_user(Role.ADMIN))
    page = client.get("/plans/adult").get_data(as_text=True)
    assert 'value="on_call_alert"' not in page, "a staff message is not offered as a step"
    form = {
        "csrf_token": csrf_token(client, "/plans/adult"),
        "steps-0-day_offset": "60",
        "steps-0-template": "on_call_alert",
        "steps-0-answer_type": "confirm",
        "steps-0-asked": "guardian",
    }
    refused = client.post("/plans/adult", data=form)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "es un mensaje para el personal de turno" in body
    assert "Una persona adulta no tiene tutor a quien preguntar" in body


def test_removing_a_step_leaves_open_a_question_already_asked(
    app, register, in_app, make_user, token_for, clock
):
    headers = token_for(make_user(Role.ADMIN))
    person = register(phones=("5555 1234",))
    steps = as_entries(adult_plan(app, headers))
    with in_app() as session:  # day 0 asked, its reminder waiting for the morning
        day_0 = session.scalars(select(CheckIn).where(CheckIn.step_id == steps[0]["step_id"])).one()
        day_0.reminded_at, day_0.queued_at = clock.now(), clock.now()
    assert put_steps(app, headers, steps[1:]).status_code == 200, "day 0 removed"
    states = by_step(in_app, person.returnee_id, CheckIn.state)
    assert states[steps[0]["step_id"]] is CheckInState.SCHEDULED


def test_whom_a_plan_calls_is_changed_with_the_plan_and_a_bad_rule_changes_nothing(
    app, demo, make_user, token_for
):
    headers = token_for(make_user(Role.ADMIN))
    before = adult_plan(app, headers)
    assert before["voice_rule"] == "asked_for_calls"
    body = {"steps": as_entries(before), "voice_rule": "everyone"}
    client = app.test_client()
    refused = client.put("/api/v1/plans/adult", json=body, headers=headers)
    assert refused.status_code == 422
    assert "everyone" in refused.get_json()["error"]["fields"]["voice_rule"][0]
    assert adult_plan(app, headers) == before
    body["voice_rule"] = "mayan_language"
    saved = client.put("/api/v1/plans/adult", json=body, headers=headers).get_json()
    assert saved["voice_rule"] == "mayan_language" and saved["version"] == before["version"] + 1
    unchanged = client.put(
        "/api/v1/plans/adult", json={"steps": as_entries(saved)}, headers=headers
    ).get_json()
    assert unchanged["voice_rule"] == "mayan_language", "omitted: kept"


def test_the_plan_page_says_and_changes_whom_the_plan_calls(app, demo, make_user, sign_in_as):
    client = sign_in_as(make_user(Role.ADMIN))
    page = client.get("/plans/adult").get_data(as_text=True)
    assert '<label for="voice_rule">Preguntado por llamada</label>' in page
    with app.app_context():
        from returnees.core.db import get_session

        plan = get_session().scalar(select(FollowUpPlan).where(FollowUpPlan.profile == "adult"))
        form = {"csrf_token": csrf_token(client, "/plans/adult"), "voice_rule": "calls_welcome"}
        for n, step in enumerate(plan.steps):
            form |= {
                f"steps-{n}-step_id": str(step.id),
                f"steps-{n}-day_offset": str(step.day_offset),
                f"steps-{n}-template": step.template,
                f"steps-{n}-answer_type": step.answer_type.value,
                f"steps-{n}-asked": step.asked.value,
                f"steps-{n}-indicator": step.indicator.value if step.indicator else "",
            }
        get_session().rollback()
    assert client.post("/plans/adult", data=form).status_code == 302
    listing = client.get("/plans/").get_data(as_text=True)
    assert "Preguntado por llamada: Todas las personas que aceptan llamadas" in listing
