"""A conversation belongs to a number: a phone shared by two adults, a mother's phone with two
children, replies read against the latest question the number awaits an answer to, one routine
message a number a day, and a danger signal that never waits, whoever holds the number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.core.encryption import phone_index
from returnees.followups.dispatch import follow_sent_messages, remind_and_escalate
from returnees.followups.models import CheckIn, CheckInState, Indicator, IndicatorReading
from returnees.followups.reading import read_replies
from returnees.messaging.models import InboundMessage, OutboundMessage
from returnees.reception.intake import PhoneEntry
from returnees.reception.services import link_household
from returnees.tasks.models import Task, TaskKind, TaskStatus
from tests.conftest import load_migration
from tests.followups.test_dispatch import run_jobs
from tests.messaging.test_webhooks import message, post_signed

SHARED = PhoneEntry("5555 1234", owner="shared", consent=True)
MOTHER = PhoneEntry("5555 2222", owner="relative", consent=True)
SHARED_NUMBER, MOTHERS_NUMBER = "+50255551234", "+50255552222"
ACK = "Gracias. Alguien le llamará pronto."
_sids = iter(range(1, 10_000))


def reply(app, body: str, sender: str) -> None:
    response = post_signed(app, message(sid=f"SM{next(_sids):032d}", body=body, sender=sender))
    assert response.status_code == 200


def sent_to(in_app, number: str) -> list[str]:
    with in_app() as session:
        query = select(OutboundMessage).where(OutboundMessage.phone_index == phone_index(number))
        return [message.body for message in session.scalars(query.order_by(OutboundMessage.id))]


def check_ins(in_app, returnee_id: int) -> list[CheckIn]:
    with in_app() as session:
        query = select(CheckIn).where(CheckIn.returnee_id == returnee_id)
        return list(session.scalars(query.order_by(CheckIn.due_at, CheckIn.id)))


def day(in_app, returnee_id: int, offset: int) -> CheckIn:
    """The person's check-in of that day of their plan."""
    from returnees.followups.models import PlanStep

    with in_app() as session:
        return session.scalars(
            select(CheckIn)
            .join(PlanStep, CheckIn.step_id == PlanStep.id)
            .where(CheckIn.returnee_id == returnee_id, PlanStep.day_offset == offset)
        ).one()


def open_tasks(in_app) -> list[Task]:
    with in_app() as session:
        query = select(Task).where(Task.status == TaskStatus.OPEN).order_by(Task.id)
        return list(session.scalars(query))


def alerts(in_app) -> list[str]:
    with in_app() as session:
        query = select(OutboundMessage).where(OutboundMessage.template == "on_call_alert")
        return [message.phone for message in session.scalars(query.order_by(OutboundMessage.id))]


def next_morning(clock) -> None:
    clock.at = datetime.combine(clock.now().date() + timedelta(days=1), datetime.min.time(), UTC)
    clock.at += timedelta(hours=14)  # 08:00 in Guatemala


@pytest.fixture
def staff(make_user, demo):
    return {role: make_user(role, "GT-AURORA") for role in Role}


@pytest.fixture
def on_call(make_user, demo):
    """A social worker on call in the region of GT-AURORA (Guatemala)."""
    return make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone="+50244441111", is_on_call=True)


@pytest.fixture
def two_adults(register):
    """Ana and Juan, who gave the family's one phone."""
    ana = register(given_names="Ana", family_names="López", phones=(SHARED,))
    juan = register(given_names="Juan", family_names="Pérez", phones=(SHARED,))
    return ana, juan


def test_a_phone_shared_by_two_adults_gets_one_question_a_day_and_each_answer_reaches_its_person(
    app, two_adults, in_app, clock
):
    ana, juan = two_adults
    run_jobs(in_app)
    assert sent_to(in_app, SHARED_NUMBER) == [
        "Hola Ana, guarde este número. Responda 1 para confirmarlo."
    ], "one routine message a number a day, whoever it is about"
    assert day(in_app, juan.returnee_id, 0).due_at == clock.now() + timedelta(days=1)

    reply(app, "1", SHARED_NUMBER)
    run_jobs(in_app)
    answered = day(in_app, ana.returnee_id, 0)
    assert (answered.state, answered.answer) == (CheckInState.ANSWERED, "yes")
    assert day(in_app, juan.returnee_id, 0).state is CheckInState.SCHEDULED

    next_morning(clock)
    run_jobs(in_app)
    assert sent_to(in_app, SHARED_NUMBER)[-1] == (
        "Hola Juan, guarde este número. Responda 1 para confirmarlo."
    )
    reply(app, "1", SHARED_NUMBER)
    run_jobs(in_app)
    assert day(in_app, juan.returnee_id, 0).state is CheckInState.ANSWERED
    assert open_tasks(in_app) == [], "nobody who answered is called for not answering"


def test_the_record_shows_which_number_answered(app, two_adults, in_app, sign_in_as, staff):
    ana, _juan = two_adults
    run_jobs(in_app)
    reply(app, "1", SHARED_NUMBER)
    run_jobs(in_app)
    with in_app() as session:
        answered = session.get(CheckIn, day(in_app, ana.returnee_id, 0).id)
        assert answered.reply.from_number == SHARED_NUMBER
    page = sign_in_as(staff[Role.SOCIAL_WORKER]).get(f"/returnees/{ana.returnee_id}")
    assert "de +502 5555 1234" in page.get_data(as_text=True)


def test_a_reply_is_read_against_the_latest_question_and_the_older_keeps_its_timer(
    app, two_adults, in_app, clock
):
    ana, juan = two_adults
    run_jobs(in_app)  # Ana is asked today; she does not answer
    with in_app() as session:
        follow_sent_messages(session)
    next_morning(clock)
    run_jobs(in_app)  # Juan is asked the next day
    with in_app() as session:
        follow_sent_messages(session)
    reply(app, "1", SHARED_NUMBER)
    run_jobs(in_app)
    assert day(in_app, juan.returnee_id, 0).state is CheckInState.ANSWERED
    older = day(in_app, ana.returnee_id, 0)
    assert older.state is CheckInState.SENT and older.answer == ""

    clock.at = older.sent_at + timedelta(hours=app.config["REPLY_WAIT_HOURS"])
    with in_app() as session:
        remind_and_escalate(session)
    assert day(in_app, ana.returnee_id, 0).reminded_at == clock.now(), "its own timer ran on"


def test_two_questions_never_go_to_one_number_the_same_day(app, two_adults, in_app, clock):
    for _hour in range(3):
        run_jobs(in_app)
        clock.advance(hours=1)
    with in_app() as session:
        sent_on = [
            at.date()
            for at in session.scalars(
                select(OutboundMessage.created_at).where(
                    OutboundMessage.phone_index == phone_index(SHARED_NUMBER)
                )
            )
        ]
    assert len(sent_on) == len(set(sent_on)) == 1


def test_a_reply_to_a_keyword_does_not_take_the_numbers_one_question_of_the_day(
    app, register, in_app
):
    register(given_names="Rosa", phones=("5555 4444",))
    reply(app, "AYUDA", "+50255554444")  # answered at once, before any question
    run_jobs(in_app)
    sent = sent_to(in_app, "+50255554444")
    assert sent[0].startswith("Para ayuda llame al")
    assert sent[1] == "Hola Rosa, guarde este número. Responda 1 para confirmarlo."


def test_a_question_that_would_wait_past_its_grace_period_is_marked_missed(
    app, two_adults, in_app, clock, sign_in_as, staff, monkeypatch
):
    monkeypatch.setitem(app.config, "FOLLOW_UP_GRACE_HOURS", 12)
    _ana, juan = two_adults
    run_jobs(in_app)
    waited = day(in_app, juan.returnee_id, 0)
    assert waited.state is CheckInState.MISSED, "tomorrow's window is past 12 hours of grace"
    page = sign_in_as(staff[Role.SOCIAL_WORKER]).get(f"/returnees/{juan.returnee_id}")
    assert "1 paso perdido" in page.get_data(as_text=True)


@pytest.fixture
def siblings(register, in_app):
    """Ana (9) and Luis (7), who came back with their mother and are followed on her phone,
    linked as one household at the desk."""
    ana = register(given_names="Ana", family_names="Pérez", estimated_age=9, phones=(MOTHER,))
    luis = register(given_names="Luis", family_names="Pérez", estimated_age=7, phones=(MOTHER,))
    with in_app() as session:
        link_household(session, Actor.system("test"), [ana.id, luis.id])
    return ana, luis


def test_a_mothers_phone_gets_one_question_for_both_children_and_1_answers_for_both(
    app, siblings, in_app
):
    run_jobs(in_app)
    assert sent_to(in_app, MOTHERS_NUMBER) == [
        "Hola, guarde este número para saber de Ana y Luis. Responda 1."
    ]
    reply(app, "1", MOTHERS_NUMBER)
    run_jobs(in_app)
    for child in siblings:
        confirmed = day(in_app, child.returnee_id, 0)
        assert (confirmed.state, confirmed.answer) == (CheckInState.ANSWERED, "yes")


def ask_the_family(app, siblings, in_app, clock, offset: int) -> None:
    """Day 0 answered; then the family's question of that day, sent to the mother."""
    run_jobs(in_app)
    reply(app, "1", MOTHERS_NUMBER)
    run_jobs(in_app)
    clock.at = siblings[0].arrived_at + timedelta(days=offset)
    with in_app() as session:  # the steps in between were answered
        for check_in in session.scalars(
            select(CheckIn).where(
                CheckIn.state == CheckInState.SCHEDULED,
                CheckIn.due_at < clock.now() - timedelta(hours=1),
            )
        ):
            check_in.state = CheckInState.ANSWERED
    run_jobs(in_app)


def test_1_to_the_familys_safety_question_writes_safe_to_each_child(app, siblings, in_app, clock):
    ask_the_family(app, siblings, in_app, clock, 3)
    assert sent_to(in_app, MOTHERS_NUMBER)[-1] == (
        "¿Ana y Luis están bien? Responda 1 si todos, 2 si alguno no."
    )
    reply(app, "1", MOTHERS_NUMBER)
    run_jobs(in_app)
    with in_app() as session:
        readings = {
            (r.returnee_id, r.indicator, r.value) for r in session.scalars(select(IndicatorReading))
        }
    assert readings == {(child.returnee_id, Indicator.SAFE, True) for child in siblings}
    assert open_tasks(in_app) == []


def test_2_to_the_familys_safety_question_opens_one_urgent_task_naming_the_family(
    app, siblings, in_app, clock, on_call
):
    ask_the_family(app, siblings, in_app, clock, 3)
    reply(app, "2", MOTHERS_NUMBER)
    run_jobs(in_app)
    [task] = open_tasks(in_app)
    assert task.kind is TaskKind.URGENT_SAFETY
    assert task.reason == "answered: not all safe (Ana Pérez, Luis Pérez)"
    assert alerts(in_app) == [on_call.phone], "one alert for the family"
    for child in siblings:
        assert day(in_app, child.returnee_id, 3).answer == "not_all"
    with in_app() as session:
        assert session.scalars(select(IndicatorReading)).all() == [], (
            "'some of them not' says nothing of each child: a person finds out who"
        )


def test_2_to_the_familys_school_question_opens_one_task_to_find_out_who(
    app, siblings, in_app, clock
):
    ask_the_family(app, siblings, in_app, clock, 14)
    assert sent_to(in_app, MOTHERS_NUMBER)[-1] == (
        "¿Ana y Luis ya van a la escuela? Responda 1 si todos, 2 si alguno no."
    )
    reply(app, "2", MOTHERS_NUMBER)
    run_jobs(in_app)
    [task] = open_tasks(in_app)
    assert (task.kind, task.reason) == (
        TaskKind.REVIEW_REPLY,
        "family answered no (Ana Pérez, Luis Pérez)",
    )


def test_a_familys_question_without_a_family_wording_is_asked_child_by_child(
    app, siblings, in_app, clock
):
    ask_the_family(app, siblings, in_app, clock, 32)  # "thinking of travelling again?"
    assert sent_to(in_app, MOTHERS_NUMBER)[-1] == (
        "Hola, ¿Ana piensa viajar otra vez? Responda 1 (sí) o 2 (no)."
    )
    reply(app, "2", MOTHERS_NUMBER)
    next_morning(clock)
    run_jobs(in_app)
    assert sent_to(in_app, MOTHERS_NUMBER)[-1] == (
        "Hola, ¿Luis piensa viajar otra vez? Responda 1 (sí) o 2 (no)."
    )
    assert day(in_app, siblings[0].returnee_id, 32).answer == "no"


def test_children_not_linked_as_a_family_are_asked_one_a_day(app, register, in_app):
    register(given_names="Ana", family_names="Pérez", estimated_age=9, phones=(MOTHER,))
    register(given_names="Luis", family_names="Pérez", estimated_age=7, phones=(MOTHER,))
    run_jobs(in_app)
    assert sent_to(in_app, MOTHERS_NUMBER) == [
        "Hola, guarde este número para saber de Ana. Responda 1."
    ]


def test_a_danger_word_from_a_shared_phone_opens_an_urgent_task_and_alerts(
    app, two_adults, in_app, on_call
):
    ana, _juan = two_adults
    run_jobs(in_app)
    reply(app, "1", SHARED_NUMBER)  # Ana's question is answered: nothing awaits an answer
    run_jobs(in_app)
    reply(app, "auxilio me amenazan", SHARED_NUMBER)
    run_jobs(in_app)
    [task] = open_tasks(in_app)
    assert (task.kind, task.returnee_id) == (TaskKind.URGENT_SAFETY, ana.returnee_id)
    assert task.reason == "shared phone (Ana López, Juan Pérez): auxilio me amenazan"
    assert alerts(in_app) == [on_call.phone]
    assert sent_to(in_app, SHARED_NUMBER)[-1] == ACK
    with in_app() as session:
        inbound = session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert inbound[-1].returnee_id == ana.returnee_id, "not left in the unmatched inbox"


def test_a_danger_word_answering_a_question_on_a_shared_phone_is_about_who_was_asked(
    app, two_adults, in_app, on_call, clock
):
    _ana, juan = two_adults
    run_jobs(in_app)
    reply(app, "1", SHARED_NUMBER)
    next_morning(clock)
    run_jobs(in_app)  # Juan is asked now
    reply(app, "no, me amenazan", SHARED_NUMBER)
    run_jobs(in_app)
    [task] = open_tasks(in_app)
    assert (task.returnee_id, task.reason) == (juan.returnee_id, "danger words: no, me amenazan")


def test_a_danger_word_from_a_guardians_number_opens_an_urgent_task_on_the_child(
    app, register, in_app, on_call
):
    child = register(given_names="Lucía", estimated_age=11, phones=(MOTHER,))
    run_jobs(in_app)
    reply(app, "ayuda urgente", MOTHERS_NUMBER)
    run_jobs(in_app)
    [task] = open_tasks(in_app)
    assert (task.kind, task.returnee_id) == (TaskKind.URGENT_SAFETY, child.returnee_id)
    assert alerts(in_app) == [on_call.phone]
    assert sent_to(in_app, MOTHERS_NUMBER)[-1] == ACK


def test_several_danger_messages_get_one_task_one_alert_and_one_acknowledgement(
    app, register, in_app, on_call, sign_in_as
):
    person = register(given_names="Lucía", phones=("5555 3333",))
    run_jobs(in_app)
    for said in ("auxilio", "auxilio por favor", "me amenazan"):
        reply(app, said, "+50255553333")
        run_jobs(in_app)
    assert sent_to(in_app, "+50255553333").count(ACK) == 1
    [task] = open_tasks(in_app)
    assert alerts(in_app) == [on_call.phone], "nobody is alerted three times for one person"
    record = sign_in_as(on_call).get(f"/returnees/{person.returnee_id}").get_data(as_text=True)
    assert "auxilio por favor" in record and "me amenazan" in record, "every message is seen"

    with in_app() as session:
        from returnees.tasks.alerts import acknowledge

        acknowledge(session, session.get(Task, task.id), on_call.id)
    reply(app, "me quieren matar", "+50255553333")
    run_jobs(in_app)
    assert len(open_tasks(in_app)) == 2, "after someone took it, a new signal is a new task"
    assert len(alerts(in_app)) == 2


def unknown_sender_task(app, in_app, sender: str) -> Task:
    reply(app, "auxilio, me quieren matar", sender)
    with in_app() as session:
        read_replies(session)
    [task] = [task for task in open_tasks(in_app) if task.phone == sender]
    return task


def test_a_danger_word_from_an_unknown_number_goes_first_to_its_countrys_staff(
    app, in_app, demo, make_user, sign_in_as, register, clock, add_urgent_elsewhere
):
    honduras = make_user(Role.SUPERVISOR, "HN-SPS", phone="+50499990001")
    guatemala = make_user(Role.SUPERVISOR, "GT-AURORA", phone="+50244440001")
    hn_on_call = make_user(Role.SOCIAL_WORKER, "HN-SPS", phone="+50499990002", is_on_call=True)
    gt_worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone="+50244440002")
    add_urgent_elsewhere()
    task = unknown_sender_task(app, in_app, "+50433334444")
    assert (task.returnee_id, task.country.value, task.phone) == (None, "HN", "+50433334444")
    assert task.reason == "unknown number: auxilio, me quieren matar"
    assert alerts(in_app) == [hn_on_call.phone], "the country's on-call staff, not Guatemala's"
    assert sent_to(in_app, "+50433334444") == [ACK]

    seen = {honduras: True, hn_on_call: True, guatemala: False, gt_worker: False}
    for user, sees in seen.items():
        page = sign_in_as(user).get("/queue").get_data(as_text=True)
        assert ("tel:+50433334444" in page) is sees, user.email
    queue = sign_in_as(honduras).get("/queue").get_data(as_text=True)
    assert queue.index("tel:+50433334444") < queue.index("Urgente en otra parte")
    assert "número desconocido: auxilio, me quieren matar" in queue, "the task shows the message"
    home = sign_in_as(honduras).get("/").get_data(as_text=True)
    assert 'data-count="urgent">2<' in home, "the supervisor's count includes it"
    inbox = sign_in_as(honduras).get("/inbox/unmatched").get_data(as_text=True)
    assert "auxilio, me quieren matar" in inbox, "and staff can still say whose number it is"


@pytest.fixture
def add_urgent_elsewhere(register, in_app, make_user):
    """An urgent task on a Honduran returnee, older than the unknown sender's."""

    def add() -> None:
        from returnees.tasks.services import open_task

        person = register(centre="HN-SPS", nationality="HN", given_names="Urgente")
        with in_app() as session:
            open_task(
                session,
                TaskKind.URGENT_SAFETY,
                person.returnee_id,
                "Urgente en otra parte",
                subject="x",
                priority=0,
            )

    return add


def test_a_danger_word_from_a_number_of_another_country_alerts_every_countrys_supervisors(
    app, in_app, demo, make_user, sign_in_as
):
    supervisors = [
        make_user(Role.SUPERVISOR, code, phone=phone)
        for code, phone in (("GT-AURORA", "+50244440001"), ("HN-SPS", "+50499990001"))
    ]
    task = unknown_sender_task(app, in_app, "+12025550123")
    assert (task.returnee_id, task.country) == (None, None)
    assert alerts(in_app) == [user.phone for user in supervisors]
    for user in supervisors:
        assert "+1 202-555-0123" in sign_in_as(user).get("/queue").get_data(as_text=True)


def test_an_unknown_number_without_a_danger_word_only_waits_in_the_unmatched_inbox(
    app, in_app, demo
):
    reply(app, "hola quién es", "+50233334444")
    with in_app() as session:
        read_replies(session)
    assert open_tasks(in_app) == []
    with in_app() as session:
        inbound = session.scalar(select(InboundMessage))
    assert inbound.returnee_id is None and inbound.handled_at is not None


def test_attaching_an_unknown_number_moves_its_urgent_task_to_the_person(
    app, in_app, demo, register, make_user
):
    from returnees.messaging.services import attach_number

    person = register(given_names="Marta")
    task = unknown_sender_task(app, in_app, "+50233334444")
    with in_app() as session:
        inbound = session.scalar(select(InboundMessage))
        attach_number(session, Actor.system("test"), inbound.id, person.returnee_id)
    with in_app() as session:
        moved = session.get(Task, task.id)
        assert (moved.returnee_id, moved.country) == (person.returnee_id, None)
        assert read_replies(session) == 0, "its message is not read a second time"
    assert len(open_tasks(in_app)) == 1


def left_in_the_inbox(in_app, received_at: datetime) -> None:
    """A "1" and an "auxilio" from the shared phone, left unread in the unmatched inbox as the
    rule before this one left them."""
    with in_app() as session:
        for n, said in enumerate(("1", "auxilio")):
            session.add(
                InboundMessage(
                    message_sid=f"SMold{n}",
                    from_number=SHARED_NUMBER,
                    channel="sms",
                    body=said,
                    returnee_id=None,
                    received_at=received_at + timedelta(minutes=n),
                    payload={},
                )
            )


def test_replies_left_in_the_unmatched_inbox_are_read_once_the_change_is_in(
    app, two_adults, in_app, on_call, clock, cli
):
    """Before, a reply from a number two people hold went to the unmatched inbox, unread.
    Migration 0022 leaves those from a number with a question awaiting an answer to be read by
    the rule of the number (`flask replies read` now, or the worker's next run); the others
    stay in the inbox as they were."""
    ana, _juan = two_adults
    run_jobs(in_app)  # Ana's question went out and awaits an answer
    left_in_the_inbox(in_app, clock.now())
    with in_app() as session:
        session.add(
            InboundMessage(
                message_sid="SMold-unknown",
                from_number="+50233330000",
                channel="sms",
                body="auxilio",
                returnee_id=None,
                received_at=clock.now() - timedelta(days=30),
                payload={},
            )
        )
    # 0022 compared the numbers in plaintext; since 0030 they are sealed, compared by index.
    keep = load_migration("0022_unmatched_replies").KEEP_IN_THE_INBOX.replace(
        "c.phone = inbound_messages.from_number",
        "c.phone_index = inbound_messages.from_number_index",
    )
    with in_app() as session:
        session.execute(text(keep))
    result = cli("replies", "read")
    assert result.exit_code == 0 and "2 replies read" in result.output, result.output
    assert day(in_app, ana.returnee_id, 0).state is CheckInState.ANSWERED
    [task] = open_tasks(in_app)
    assert (task.kind, task.returnee_id) == (TaskKind.URGENT_SAFETY, ana.returnee_id)
    assert alerts(in_app) == [on_call.phone]
    with in_app() as session:
        kept = session.scalar(
            select(InboundMessage).where(InboundMessage.message_sid == "SMold-unknown")
        )
    assert kept.returnee_id is None, "still in the unmatched inbox, for staff"


def test_a_danger_word_from_a_sender_that_is_not_a_phone_number_still_opens_its_task(
    app, in_app, demo, make_user
):
    supervisor = make_user(Role.SUPERVISOR, "GT-AURORA", phone="+50244440001")
    reply(app, "auxilio", "messenger:1234567890123456789012345678")
    with in_app() as session:
        read_replies(session)
    [task] = open_tasks(in_app)
    assert (task.kind, task.returnee_id, task.phone) == (TaskKind.URGENT_SAFETY, None, "")
    assert alerts(in_app) == [supervisor.phone], "a sender of no country: every supervisor"


def test_a_danger_word_read_days_late_opens_its_task_but_tells_the_sender_nothing(
    app, register, in_app, clock, on_call
):
    """A worker stopped for two days: the task opens when the message is read, but "someone
    will call you soon" two days on would mislead."""
    person = register(given_names="Lucía", phones=("5555 3333",))
    with in_app() as session:
        session.add(
            InboundMessage(
                message_sid="SMlate",
                from_number="+50255553333",
                channel="sms",
                body="auxilio",
                returnee_id=person.returnee_id,
                received_at=clock.now() - timedelta(days=2),
                payload={},
            )
        )
    with in_app() as session:
        read_replies(session)
    [task] = open_tasks(in_app)
    assert task.kind is TaskKind.URGENT_SAFETY and alerts(in_app) == [on_call.phone]
    assert ACK not in sent_to(in_app, "+50255553333")
