"""The queue: urgent, then overdue, then high risk, then due today, then the rest; each item with
its reason in words and how long it has waited; the same order in GET /api/v1/queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from returnees.auth.access import Actor
from returnees.casework.models import Case
from returnees.casework.queue import Bucket, QueueCriteria, build_queue, reason_in_words
from returnees.followups.dispatch import remind_and_escalate
from returnees.followups.models import CheckIn, CheckInState
from returnees.risk.models import RiskFlag, RiskLevel
from returnees.tasks.models import Task, TaskKind


def flag_high(in_app, returnee_id: int, clock) -> None:
    with in_app() as session:
        session.merge(
            RiskFlag(
                returnee_id=returnee_id,
                score=60,
                level=RiskLevel.HIGH,
                reasons=[],
                rules_version=1,
                computed_at=clock.now(),
            )
        )


def world(register, add_task, in_app, clock):
    """Five people, one task each, created so that the database order says nothing."""
    later = register(given_names="Luis").returnee_id
    today = register(given_names="Tina").returnee_id
    risky = register(given_names="Rita").returnee_id
    overdue = register(given_names="Olga").returnee_id
    urgent = register(given_names="Ursula").returnee_id
    add_task(later, due_in=timedelta(days=3))
    add_task(today, due_in=timedelta(hours=3))  # 14:00 UTC is 08:00 in Guatemala
    add_task(risky, TaskKind.HIGH_RISK, due_in=timedelta(hours=20), reason="high risk")
    flag_high(in_app, risky, clock)
    add_task(overdue, due_in=-timedelta(hours=5), age=timedelta(days=2))
    add_task(
        urgent,
        TaskKind.URGENT_SAFETY,
        due_in=timedelta(0),
        reason="answered: not safe",
        age=timedelta(minutes=5),
    )
    return [urgent, overdue, risky, today, later]


def test_the_queue_puts_danger_first_then_overdue_then_risk_then_today(
    app, register, add_task, in_app, clock, worker
):
    expected = world(register, add_task, in_app, clock)
    with in_app() as session:
        items = build_queue(session, Actor.for_user(session.merge(worker)))
    assert [i.returnee_id for i in items] == expected
    assert [i.bucket for i in items] == [
        Bucket.URGENT,
        Bucket.OVERDUE,
        Bucket.HIGH_RISK,
        Bucket.DUE_TODAY,
        Bucket.LATER,
    ]
    assert reason_in_words(items[0]) in ("answered: not safe", "respondió: no está a salvo")


def test_the_api_returns_the_same_queue_in_the_same_order(
    app, register, add_task, in_app, clock, worker, token_for
):
    expected = world(register, add_task, in_app, clock)
    response = app.test_client().get("/api/v1/queue", headers=token_for(worker))
    assert response.status_code == 200
    body = response.get_json()
    assert [item["returnee_id"] for item in body] == expected
    first = body[0]
    assert set(first) >= {"returnee_id", "kind", "priority", "reason", "due_at", "waiting_since"}
    assert (first["kind"], first["priority"], first["reason"]) == (
        "urgent_safety",
        "urgent",
        "answered: not safe",
    )
    assert datetime.fromisoformat(first["waiting_since"]) == clock.now() - timedelta(minutes=5)


def test_the_queue_page_shows_each_reason_and_how_long_it_waited(
    app, register, add_task, in_app, clock, worker, sign_in_as
):
    world(register, add_task, in_app, clock)
    page = sign_in_as(worker).get("/").get_data(as_text=True)
    assert page.index("Ursula") < page.index("Olga") < page.index("Rita") < page.index("Luis")
    assert "2 días" in page or "2 days" in page  # Olga's call has waited two days


def test_two_unanswered_check_ins_in_a_row_say_so(app, register, in_app, clock):
    arrival = register(phones=("5555 1234",), arrived_at=clock.now() - timedelta(days=20))
    with in_app() as session:
        rows = session.scalars(
            select(CheckIn)
            .where(CheckIn.returnee_id == arrival.returnee_id)
            .order_by(CheckIn.due_at)
        ).all()
        rows[0].state, rows[0].sent_at = CheckInState.UNANSWERED, clock.now() - timedelta(days=10)
        rows[1].state, rows[1].sent_at = CheckInState.SENT, clock.now() - timedelta(days=5)
        rows[1].reminded_at = clock.now() - timedelta(days=3)
    with in_app() as session:
        remind_and_escalate(session)
    with in_app() as session:
        task = session.scalars(select(Task).where(Task.returnee_id == arrival.returnee_id)).one()
    assert (task.kind, task.reason) == (TaskKind.CALL, "no answer x2")


def test_filters_narrow_the_queue_and_a_saved_filter_comes_back(
    app, register, add_task, in_app, clock, worker, sign_in_as
):
    mine = register(given_names="Mía").returnee_id
    child = register(given_names="Nico", estimated_age=12).returnee_id
    other = register(given_names="Otto").returnee_id
    for person in (mine, child, other):
        add_task(person)
    with in_app() as session:
        session.scalars(
            select(Case).where(Case.returnee_id == mine)
        ).one().assigned_to_id = worker.id
        actor = Actor.for_user(session.merge(worker))
        assert [i.returnee_id for i in build_queue(session, actor, QueueCriteria(mine=True))] == [
            mine
        ]
        assert [
            i.returnee_id for i in build_queue(session, actor, QueueCriteria(children=True))
        ] == [child]
    client = sign_in_as(worker)
    from tests.conftest import csrf_token

    saved = client.post(
        "/queue/filters",
        data={"csrf_token": csrf_token(client, "/queue"), "name": "Niñez", "children": "1"},
    )
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Nico" in page and "Mía" not in page and "Otto" not in page
    refused = client.post(
        "/queue/filters", data={"csrf_token": csrf_token(client, "/queue"), "name": ""}
    )
    assert refused.status_code == 422


def test_someone_elses_saved_filter_is_not_found(app, demo, make_user, sign_in_as, in_app):
    from returnees.auth.models import Role
    from returnees.casework.filters import save_filter

    owner, other = (
        make_user(Role.SOCIAL_WORKER, "GT-AURORA"),
        make_user(Role.SOCIAL_WORKER, "GT-AURORA"),
    )
    with in_app() as session:
        saved = save_filter(
            session, Actor.for_user(session.merge(owner)), "Mine", QueueCriteria(mine=True)
        )
    assert sign_in_as(other).get(f"/queue?filter={saved.id}").status_code == 404


def test_a_worker_sees_only_their_region(app, register, add_task, in_app, make_user):
    from returnees.auth.models import Role

    here = register(given_names="Aquí").returnee_id
    there = register(centre="HN-SPS", given_names="Allá", nationality="HN").returnee_id
    add_task(here)
    add_task(there)
    honduras = make_user(Role.SOCIAL_WORKER, "HN-SPS")
    with in_app() as session:
        items = build_queue(session, Actor.for_user(session.merge(honduras)))
    assert [i.returnee_id for i in items] == [there]


def test_the_queue_order_holds_at_midnight_local_time(
    app, register, add_task, in_app, clock, worker
):
    clock.at = datetime(2026, 12, 2, 5, 30, tzinfo=UTC)  # 23:30 in Guatemala
    tonight = register(given_names="Noche").returnee_id
    tomorrow = register(given_names="Mañana").returnee_id
    add_task(tonight, due_in=timedelta(minutes=20))
    add_task(tomorrow, due_in=timedelta(hours=2))
    with in_app() as session:
        items = build_queue(session, Actor.for_user(session.merge(worker)))
    assert [(i.returnee_id, i.bucket) for i in items] == [
        (tonight, Bucket.DUE_TODAY),
        (tomorrow, Bucket.LATER),
    ]


@pytest.mark.parametrize("limit", [50, 3])
def test_a_workers_own_queue_keeps_the_same_order_in_one_query(
    app, register, add_task, in_app, clock, worker, limit
):
    """ "Mine" is read in one query (see _caseload_queue): the same buckets in the same order,
    cut at the limit, as the queue of the whole region."""
    expected = world(register, add_task, in_app, clock)
    with in_app() as session:
        for case in session.scalars(select(Case).where(Case.returnee_id.in_(expected))):
            case.assigned_to_id = worker.id
    with in_app() as session:
        actor = Actor.for_user(session.merge(worker))
        everyone = build_queue(session, actor, limit=limit)
        mine = build_queue(session, actor, QueueCriteria(mine=True), limit=limit)
    assert [(i.returnee_id, i.bucket) for i in mine] == [
        (i.returnee_id, i.bucket) for i in everyone
    ]
    assert [i.returnee_id for i in mine] == expected[:limit]


def test_each_card_has_the_number_to_call_and_names_the_household(
    app, register, add_task, in_app, worker, sign_in_as, token_for
):
    from returnees.reception.intake import PhoneEntry
    from returnees.reception.services import link_household

    mother = register(given_names="Rosa", family_names="Ixcoy", phones=("5555 1234",))
    son = register(
        given_names="Luis",
        family_names="Ixcoy",
        estimated_age=9,
        phones=(PhoneEntry("5555 2222", owner="relative", consent=True),),
    )
    register(given_names="Nadie", family_names="Más")
    with in_app() as session:
        link_household(session, Actor.system("test"), [mother.id, son.id])
    add_task(mother.returnee_id)
    add_task(son.returnee_id, due_in=timedelta(hours=3))
    items = app.test_client().get("/api/v1/queue", headers=token_for(worker)).get_json()
    cards = {item["returnee_id"]: item for item in items}
    assert cards[mother.returnee_id]["call_number"] == "+50255551234"
    assert cards[mother.returnee_id]["household"] == ["Luis Ixcoy"]
    assert cards[son.returnee_id]["call_number"] == "+50255552222", "a child: the guardian's"
    assert cards[son.returnee_id]["household"] == ["Rosa Ixcoy"]
    page = sign_in_as(worker).get("/queue").get_data(as_text=True)
    assert 'href="tel:+50255551234"' in page and "Luis Ixcoy" in page


@pytest.mark.parametrize(
    ("kind", "stored", "said"),
    [
        (TaskKind.URGENT_SAFETY, "danger words: me siguen", "palabras de peligro: me siguen"),
        (TaskKind.VISIT, "no answer x3", "sin respuesta x3"),
        (TaskKind.FIND_NEW_NUMBER, "wrong number on a call", "número equivocado en una llamada"),
        (TaskKind.APPROVE_CLOSING, "close: migrated_again", "cierre solicitado: Volvió a migrar"),
        (TaskKind.HIGH_RISK, "high risk: children abroad", "riesgo alto"),
        (TaskKind.REVIEW_REPLY, "quién habla?", "quién habla?"),
    ],
)
def test_a_stored_reason_reads_in_the_readers_language(app, kind, stored, said):
    """Reasons are kept in the words the code wrote; a person's own words stay as written."""
    from returnees.casework.reasons import reason_in_words as in_words

    with app.test_request_context():
        assert in_words(kind, stored) == said
