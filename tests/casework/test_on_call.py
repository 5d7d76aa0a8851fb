"""On call has no gaps: each region's ordered rota, kept by its supervisors; an urgent task's
alert moves down it every URGENT_ACK_MINUTES until someone acknowledges it (a button, or the
task's number sent back from the phone alerted), and after the rota reaches the supervisors."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from returnees.auth.models import Role, User
from returnees.core.encryption import phone_index
from returnees.messaging.models import OutboundMessage
from returnees.tasks.alerts import escalate_unacknowledged
from returnees.tasks.models import Task, TaskKind, UrgentAlert
from returnees.tasks.services import open_urgent_task
from tests.conftest import csrf_token, signed_in_client
from tests.messaging.test_webhooks import message, post_signed


@pytest.fixture
def chain(make_user, demo):
    """The rota of Guatemala region, first and second, and a supervisor of the country."""
    first = make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone="+50244441111", is_on_call=True)
    second = make_user(Role.SOCIAL_WORKER, "GT-HOGAR", phone="+50244442222", is_on_call=True)
    supervisor = make_user(Role.SUPERVISOR, "GT-TECUN", phone="+50244443333")
    make_user(Role.SUPERVISOR, "HN-SPS", phone="+50499993333")  # another country's
    return first, second, supervisor


@pytest.fixture
def urgent(register, in_app, clock):
    """An urgent task on a person who arrived at GT-AURORA."""

    def open_one() -> Task:
        person = register(given_names="Marisol")
        with in_app() as session:
            return open_urgent_task(
                session, person.returnee_id, "answered: not safe", subject="reply:1"
            )

    return open_one


def messages_to(session, number: str) -> list[OutboundMessage]:
    query = select(OutboundMessage).where(OutboundMessage.phone_index == phone_index(number))
    return list(session.scalars(query.order_by(OutboundMessage.id)))


def alerted(in_app) -> list[str]:
    with in_app() as session:
        query = select(OutboundMessage).where(OutboundMessage.template == "on_call_alert")
        return [message.phone for message in session.scalars(query.order_by(OutboundMessage.id))]


def escalate(in_app) -> int:
    with in_app() as session:
        return escalate_unacknowledged(session)


def test_the_alert_moves_down_the_rota_every_15_minutes_then_to_the_supervisors(
    app, chain, urgent, in_app, clock
):
    first, second, supervisor = chain
    task = urgent()
    assert alerted(in_app) == [first.phone]
    clock.advance(minutes=14)
    assert escalate(in_app) == 0, "15 minutes to acknowledge"
    clock.advance(minutes=1)
    assert escalate(in_app) == 1
    assert alerted(in_app) == [first.phone, second.phone]
    clock.advance(minutes=15)
    assert escalate(in_app) == 1
    assert alerted(in_app) == [first.phone, second.phone, supervisor.phone]
    clock.advance(minutes=15)
    assert escalate(in_app) == 0, "the chain ends with the supervisors"
    with in_app() as session:
        steps = session.scalars(
            select(UrgentAlert.step).where(UrgentAlert.task_id == task.id).order_by(UrgentAlert.id)
        ).all()
        bodies = {
            message.body
            for message in session.scalars(
                select(OutboundMessage).where(OutboundMessage.template == "on_call_alert")
            )
        }
    assert steps == [1, 2, 3]
    assert bodies == {f"Tiene un caso urgente en su cola, ref. {task.id}. Revíselo ya."}


def test_the_acknowledge_button_stops_the_chain(app, chain, urgent, in_app, clock, sign_in_as):
    first, _second, _supervisor = chain
    task = urgent()
    client = sign_in_as(first)
    token = csrf_token(client, "/queue")
    assert "Lo atiendo yo" in client.get("/queue").get_data(as_text=True)
    response = client.post(f"/tasks/{task.id}/acknowledge", data={"csrf_token": token})
    assert response.status_code == 302
    clock.advance(minutes=60)
    assert escalate(in_app) == 0
    assert alerted(in_app) == [first.phone]
    with in_app() as session:
        done = session.get(Task, task.id)
        assert done.acknowledged_by_id == first.id and done.status.value == "open"


def test_the_task_number_sent_back_from_the_phone_alerted_acknowledges_it(
    app, chain, urgent, in_app, clock
):
    first, second, _supervisor = chain
    task = urgent()
    post_signed(app, message(sid="SMack1", body=f"ref {task.id}", sender=second.phone))
    run_reader(in_app)
    with in_app() as session:
        assert session.get(Task, task.id).acknowledged_at is None, "not the phone alerted"
    post_signed(app, message(sid="SMack2", body=f"{task.id} ok", sender=first.phone))
    run_reader(in_app)
    with in_app() as session:
        done = session.get(Task, task.id)
        assert (done.acknowledged_at, done.acknowledged_by_id) == (clock.now(), first.id)
        confirmations = [message.body for message in messages_to(session, first.phone)]
    assert confirmations[-1] == f"Confirmado: la ref. {task.id} queda a su cargo. Gracias."
    clock.advance(minutes=30)
    assert escalate(in_app) == 0
    unmatched = sign_in_unmatched(app, in_app, first)
    assert f"{task.id} ok" not in unmatched, "an acknowledgement is not an unknown message"


def sign_in_unmatched(app, in_app, user: User) -> str:
    client = signed_in_client(app, user)
    return client.get("/inbox/unmatched").get_data(as_text=True)


def test_a_reply_naming_the_task_among_other_words_acknowledges_it_and_raises_no_alarm(
    app, chain, urgent, in_app, clock
):
    first = chain[0]
    task = urgent()
    post_signed(app, message(sid="SMack3", body=f"{task.id} fuera de peligro", sender=first.phone))
    run_reader(in_app)
    with in_app() as session:
        assert session.get(Task, task.id).acknowledged_by_id == first.id
        urgent_tasks = session.scalars(select(Task).where(Task.kind == TaskKind.URGENT_SAFETY))
        assert len(urgent_tasks.all()) == 1, "'peligro' from staff is not a danger signal"


def test_a_reply_from_the_alerted_phone_naming_no_task_is_answered_with_how(
    app, chain, urgent, in_app
):
    first = chain[0]
    task = urgent()
    post_signed(app, message(sid="SMack4", body="ok ya voy", sender=first.phone))
    run_reader(in_app)
    with in_app() as session:
        assert session.get(Task, task.id).acknowledged_at is None
        said = [message.body for message in messages_to(session, first.phone)]
    assert said[-1] == ("Para confirmar, responda con el número de referencia del caso.")


def run_reader(in_app) -> None:
    from returnees.followups.reading import read_replies

    with in_app() as session:
        read_replies(session)


def test_a_task_that_alerted_nobody_alerts_whoever_goes_on_call_next(
    app, make_user, demo, urgent, in_app, clock
):
    task = urgent()
    assert alerted(in_app) == []
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone="+50244441111", is_on_call=True)
    clock.advance(minutes=15)
    assert escalate(in_app) == 1
    assert alerted(in_app) == [worker.phone]
    with in_app() as session:
        assert session.scalar(select(UrgentAlert.task_id)) == task.id


def test_an_empty_rota_passes_at_once_to_the_fallback_then_the_supervisors(
    app, make_user, demo, urgent, in_app, clock, monkeypatch
):
    supervisor = make_user(Role.SUPERVISOR, "GT-AURORA", phone="+50244443333")
    monkeypatch.setitem(app.config, "ON_CALL_FALLBACK_PHONE", "+50277770000")
    urgent()
    assert alerted(in_app) == ["+50277770000"]
    clock.advance(minutes=15)
    escalate(in_app)
    assert alerted(in_app) == ["+50277770000", supervisor.phone]


def test_with_nobody_on_call_and_no_fallback_the_supervisors_are_alerted_at_once(
    app, make_user, demo, urgent, in_app
):
    supervisor = make_user(Role.SUPERVISOR, "GT-AURORA", phone="+50244443333")
    urgent()
    assert alerted(in_app) == [supervisor.phone], "a step that reaches nobody is not waited out"


def test_someone_off_the_rota_or_disabled_is_not_alerted(app, chain, urgent, in_app, cli):
    first, second, _supervisor = chain
    assert cli("users", "disable", first.email).exit_code == 0
    urgent()
    assert alerted(in_app) == [second.phone]


def rota_page(client, code: str = "GT-AURORA") -> str:
    return client.get(f"/centres/{code}").get_data(as_text=True)


def change(client, action: str, user: User, code: str = "GT-AURORA"):
    token = csrf_token(client, f"/centres/{code}")
    return client.post(
        f"/centres/{code}/on-call",
        data={"csrf_token": token, "action": action, "user_id": str(user.id)},
    )


def rota(in_app) -> list[str]:
    from returnees.auth.on_call import rota_of
    from returnees.centres.models import Country

    with in_app() as session:
        return [user.email for user in rota_of(session, Country.GUATEMALA, "Guatemala")]


def test_a_supervisor_orders_the_regions_rota_on_the_centres_page(
    app, make_user, demo, in_app, sign_in_as
):
    supervisor = make_user(Role.SUPERVISOR, "GT-TECUN")
    sofia = make_user(Role.SOCIAL_WORKER, "GT-AURORA", name="Sofía", phone="+50244441111")
    pedro = make_user(Role.SOCIAL_WORKER, "GT-HOGAR", name="Pedro", phone="+50244442222")
    client = sign_in_as(supervisor)
    assert "Nadie está de turno aquí" in rota_page(client)
    for person in (sofia, pedro):
        assert change(client, "add", person).status_code == 302
    assert rota(in_app) == [sofia.email, pedro.email]
    change(client, "up", pedro)
    assert rota(in_app) == [pedro.email, sofia.email]
    change(client, "remove", pedro)
    assert rota(in_app) == [sofia.email]
    page = rota_page(client)
    assert "Sofía" in page and "Nadie está de turno aquí" not in page


def test_the_rota_refuses_who_cannot_be_alerted_or_works_elsewhere_and_changes_nothing(
    app, make_user, demo, in_app, sign_in_as
):
    supervisor = make_user(Role.SUPERVISOR, "GT-AURORA")
    no_phone = make_user(Role.SOCIAL_WORKER, "GT-AURORA", name="Sin Teléfono")
    elsewhere = make_user(Role.SOCIAL_WORKER, "GT-TECUN", phone="+50244445555")
    client = sign_in_as(supervisor)
    change(client, "add", no_phone)
    assert "Sin Teléfono: sin teléfono para las alertas." in rota_page(client)
    change(client, "add", elsewhere)
    assert "Solo los trabajadores sociales y supervisores de la región" in rota_page(client)
    assert rota(in_app) == []


def test_another_countrys_supervisor_and_a_social_worker_cannot_change_the_rota(
    app, make_user, demo, in_app, sign_in_as
):
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone="+50244441111")
    honduran = make_user(Role.SUPERVISOR, "HN-SPS")
    assert sign_in_as(honduran).get("/centres/GT-AURORA").status_code == 403
    response = sign_in_as(worker).post(
        "/centres/GT-AURORA/on-call", data={"action": "add", "user_id": str(worker.id)}
    )
    assert response.status_code in (400, 403)
    assert rota(in_app) == []


def test_the_supervisors_home_says_when_a_region_has_nobody_on_call(
    app, make_user, demo, in_app, sign_in_as, monkeypatch
):
    supervisor = make_user(Role.SUPERVISOR, "GT-AURORA")
    home = sign_in_as(supervisor).get("/").get_data(as_text=True)
    assert "Nadie está de turno en: Guatemala · GT, San Marcos · GT." in home
    make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone="+50244441111", is_on_call=True)
    home = sign_in_as(supervisor).get("/").get_data(as_text=True)
    assert "Nadie está de turno en: San Marcos · GT." in home
    monkeypatch.setitem(app.config, "ON_CALL_FALLBACK_PHONE", "+50277770000")
    assert "Nadie está de turno" not in sign_in_as(supervisor).get("/").get_data(as_text=True)


def test_the_admins_home_says_it_too(app, make_user, demo, sign_in_as):
    admin = make_user(Role.ADMIN, "GT-AURORA")
    home = sign_in_as(admin).get("/").get_data(as_text=True)
    assert "Nadie está de turno en: " in home and "Cortés · HN" in home


def test_a_supervisor_gives_a_phone_to_someone_put_on_the_rota(
    app, make_user, demo, in_app, sign_in_as
):
    supervisor = make_user(Role.SUPERVISOR, "GT-AURORA")
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA", name="Nueva")
    client = sign_in_as(supervisor)
    token = csrf_token(client, "/centres/GT-AURORA")
    data = {"csrf_token": token, "action": "add", "user_id": str(worker.id), "phone": "12"}
    client.post("/centres/GT-AURORA/on-call", data=data)
    assert rota(in_app) == [], "a number that is not one is refused"
    client.post("/centres/GT-AURORA/on-call", data=data | {"phone": "4444 7777"})
    assert rota(in_app) == [worker.email]
    with in_app() as session:
        assert session.get(User, worker.id).phone == "+50244447777"


def test_a_danger_word_from_an_unknown_number_goes_down_its_countrys_rotas_side_by_side(
    app, make_user, demo, in_app, clock
):
    guatemala = [
        make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone=f"+5024444100{n}", is_on_call=True)
        for n in (1, 2)
    ]
    san_marcos = make_user(Role.SOCIAL_WORKER, "GT-TECUN", phone="+50244442001", is_on_call=True)
    supervisor = make_user(Role.SUPERVISOR, "GT-AURORA", phone="+50244443001")
    with in_app() as session:
        from returnees.centres.models import Country

        open_urgent_task(
            session,
            None,
            "unknown number: auxilio",
            subject="reply:9",
            phone="+50233330000",
            country=Country.GUATEMALA,
        )
    assert alerted(in_app) == [guatemala[0].phone, san_marcos.phone], "the first of each"
    clock.advance(minutes=15)
    escalate(in_app)
    assert alerted(in_app)[2:] == [guatemala[1].phone], "then the second of each"
    clock.advance(minutes=15)
    escalate(in_app)
    assert alerted(in_app)[3:] == [supervisor.phone]


def test_an_urgent_task_is_acknowledged_through_the_api(
    app, chain, urgent, in_app, token_for, clock
):
    first, _second, _supervisor = chain
    task = urgent()
    response = app.test_client().post(
        f"/api/v1/tasks/{task.id}/acknowledge", headers=token_for(first)
    )
    assert response.status_code == 200 and response.get_json()["acknowledged_at"]
    queue = app.test_client().get("/api/v1/queue", headers=token_for(first)).get_json()
    assert [(item["task_id"], item["acknowledged"]) for item in queue] == [(task.id, True)]
    other = app.test_client().post("/api/v1/tasks/999999/acknowledge", headers=token_for(first))
    assert other.status_code == 404


def test_a_task_that_is_not_urgent_is_not_acknowledged(app, chain, register, in_app, token_for):
    from returnees.tasks.services import open_task

    person = register()
    with in_app() as session:
        task = open_task(session, TaskKind.CALL, person.returnee_id, "no answer")
    first = chain[0]
    response = app.test_client().post(
        f"/api/v1/tasks/{task.id}/acknowledge", headers=token_for(first)
    )
    assert response.status_code == 409


def test_acknowledged_after_a_long_wait_changes_nothing_more(app, chain, urgent, in_app, clock):
    task = urgent()
    clock.advance(minutes=15)
    escalate(in_app)
    with in_app() as session:
        from returnees.tasks.alerts import acknowledge

        acknowledge(session, session.get(Task, task.id), None)
        assert acknowledge(session, session.get(Task, task.id), None) is False
