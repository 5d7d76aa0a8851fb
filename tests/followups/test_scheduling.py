"""Registering an arrival turns its plan into check-in rows; opting out cancels what is pending."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from returnees.core.db import EXTENSION as DB
from returnees.core.encryption import phone_index
from returnees.followups.models import CheckIn, CheckInState, FollowUpPlan, PlanProfile
from returnees.followups.services import schedule_follow_ups


def check_ins(in_app, returnee_id: int) -> list[CheckIn]:
    with in_app() as session:
        query = select(CheckIn).where(CheckIn.returnee_id == returnee_id).order_by(CheckIn.due_at)
        return list(session.scalars(query))


def test_an_arrival_with_a_consenting_phone_gets_its_plan(register, in_app, clock):
    arrival = register(phones=("5555 1234",))
    rows = check_ins(in_app, arrival.returnee_id)
    assert len(rows) == 12
    assert rows[0].due_at == arrival.arrived_at and rows[0].template == "confirm_number"
    assert rows[1].due_at == arrival.arrived_at + timedelta(days=3)
    assert {r.state for r in rows} == {CheckInState.SCHEDULED}
    with in_app() as session:
        version = session.scalar(
            select(FollowUpPlan.version).where(FollowUpPlan.profile == PlanProfile.ADULT)
        )
    assert {(r.phone, r.plan_version) for r in rows} == {("+50255551234", version)}


@pytest.mark.parametrize(
    ("age", "owners", "asked_on", "first_template"),
    [
        (12, ("self", "relative"), "+50255552222", "guardian_confirm_number"),
        (12, ("self", "shared"), "+50255552222", "guardian_confirm_number"),
        (12, ("self",), "+50255551111", "guardian_confirm_number"),
        (30, ("relative", "self"), "+50255552222", "confirm_number"),
        (30, ("relative",), "+50255551111", "confirm_number"),
    ],
    ids=["child-family-phone", "child-shared-phone", "child-own-only", "adult", "adult-relative"],
)
def test_each_step_is_asked_on_the_number_of_whoever_it_asks(
    register, in_app, age, owners, asked_on, first_template
):
    """A child's plan asks a parent or guardian (a relative's or the family's number, else the
    child's own rather than none); an adult's asks the person (their own number first)."""
    from returnees.reception.intake import PhoneEntry

    numbers = ("5555 1111", "5555 2222")
    phones = [
        PhoneEntry(number, owner=owner, consent=True)
        for number, owner in zip(numbers, owners, strict=False)
    ]
    arrival = register(phones=tuple(phones), estimated_age=age)
    rows = check_ins(in_app, arrival.returnee_id)
    assert {r.phone for r in rows} == {asked_on}
    assert rows[0].template == first_template


@pytest.mark.parametrize("phones", [(), None], ids=["no-phone", "no-consent"])
def test_without_consent_or_a_phone_nothing_is_scheduled(register, in_app, phones):
    if phones is None:
        from returnees.auth.access import Actor
        from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry
        from returnees.reception.services import register_arrival

        intake = Intake(
            given_names="Sin",
            family_names="Permiso",
            estimated_age=30,
            sex="M",
            nationality="GT",
            phones=[PhoneEntry("5555 4321", consent=False)],
            arrival=ArrivalEntry(centre="GT-AURORA"),
        )
        with in_app() as session:
            arrival = register_arrival(session, Actor.system("t"), intake, "new")
            returnee_id = arrival.returnee_id
    else:
        returnee_id = register(phones=phones).returnee_id
    assert check_ins(in_app, returnee_id) == []


def test_a_late_registration_sends_what_is_within_grace_and_marks_the_rest_missed(
    register, in_app, clock
):
    arrival = register(phones=("5555 1234",), arrived_at=clock.now() - timedelta(days=5))
    rows = {
        row.template + str(i): row for i, row in enumerate(check_ins(in_app, arrival.returnee_id))
    }
    first, second = rows["confirm_number0"], rows["arrived_safe1"]
    assert first.state is CheckInState.MISSED, "day 0 was 5 days ago: past the 72-hour grace"
    assert second.state is CheckInState.SCHEDULED and second.due_at == clock.now(), "day 3: now"


def test_the_steps_missed_by_a_late_registration_show_on_the_record(
    register, make_user, sign_in_as, clock
):
    from returnees.auth.models import Role

    arrival = register(phones=("5555 1234",), arrived_at=clock.now() - timedelta(days=5))
    client = sign_in_as(make_user(Role.SOCIAL_WORKER, "GT-AURORA"))
    page = client.get(f"/returnees/{arrival.returnee_id}").get_data(as_text=True)
    panel = page.split('id="follow-up"')[1].split("</section>")[0]
    assert "1 paso perdido" in panel
    assert panel.count('class="missed"') == 1
    assert panel.count("programado") == 11


@pytest.mark.parametrize(
    ("fields", "profile"),
    [
        ({"estimated_age": 14, "is_unaccompanied": True}, PlanProfile.UNACCOMPANIED_CHILD),
        ({"estimated_age": 9}, PlanProfile.CHILD_WITH_FAMILY),
        ({"estimated_age": 35}, PlanProfile.ADULT),
    ],
)
def test_the_plan_follows_the_profile(register, in_app, fields, profile):
    arrival = register(phones=("5555 1234",), **fields)
    [row] = check_ins(in_app, arrival.returnee_id)[:1]
    with in_app() as session:
        plan = session.scalar(select(FollowUpPlan).where(FollowUpPlan.profile == profile))
        assert row.step_id in {step.id for step in plan.steps}


def test_a_whole_flight_is_scheduled_in_one_insert(app, register, in_app):
    from returnees.core import events

    saved = list(events._handlers[events.ARRIVAL_REGISTERED])
    events._handlers[events.ARRIVAL_REGISTERED].clear()
    try:
        arrivals = [
            register(given_names=f"P{n}", family_names=f"Vuelo {n}", phones=(f"5555 {1000 + n}",))
            for n in range(135)
        ]
    finally:
        events._handlers[events.ARRIVAL_REGISTERED][:] = saved
    inserts = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO CHECK_INS"):
            inserts.append(statement)

    engine = app.extensions[DB].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        with in_app() as session:
            created = schedule_follow_ups(session, [a.id for a in arrivals])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    with in_app() as session:
        stored = session.scalar(select(func.count()).select_from(CheckIn))
    # One operation: a COPY on PostgreSQL (below SQLAlchemy's statements), one executemany else.
    one_operation = 0 if engine.dialect.name == "postgresql" else 1
    assert created == stored == 135 * 12 and len(inserts) == one_operation


def test_opting_out_cancels_what_is_still_pending(app, register, in_app):
    from tests.messaging.test_webhooks import message, post_signed

    arrival = register(phones=("5555 1234",))
    post_signed(app, message(body="ALTO"))
    assert {r.state for r in check_ins(in_app, arrival.returnee_id)} == {CheckInState.CANCELLED}


def test_withdrawing_consent_on_a_record_cancels_that_persons_pending_check_ins(register, in_app):
    from returnees.auth.access import Actor
    from returnees.reception.intake import PhoneEntry
    from returnees.reception.services import update_returnee

    ana = register(given_names="Ana", phones=("5555 1234",))
    sister = register(given_names="Rosa", phones=("5555 1234",))  # a phone the family shares
    with in_app() as session:
        update_returnee(
            session,
            Actor.system("t"),
            ana.returnee_id,
            {"phones": [PhoneEntry("5555 1234", owner="shared", consent=False)]},
        )
    assert {r.state for r in check_ins(in_app, ana.returnee_id)} == {CheckInState.CANCELLED}
    assert {r.state for r in check_ins(in_app, sister.returnee_id)} == {CheckInState.SCHEDULED}
    with in_app() as session:
        from returnees.messaging.models import ConsentChange

        logged = session.execute(
            select(ConsentChange.returnee_id, ConsentChange.has_consent, ConsentChange.source)
            .where(ConsentChange.phone_index == phone_index("+50255551234"))
            .order_by(ConsentChange.id)
        ).all()
    assert [tuple(row) for row in logged] == [
        (ana.returnee_id, True, "desk"),
        (sister.returnee_id, True, "desk"),
        (ana.returnee_id, False, "record edit"),
    ]


def test_a_check_in_cannot_name_another_person_than_its_arrivals(register, in_app):
    """One key to the arrival and its person: a check-in for Ana's arrival cannot be Rosa's."""
    from sqlalchemy.exc import IntegrityError

    ana = register(given_names="Ana", phones=("5555 1234",))
    rosa = register(given_names="Rosa", phones=("5555 2345",))
    with pytest.raises(IntegrityError), in_app() as session:
        first = check_ins(in_app, ana.returnee_id)[0]
        session.get(CheckIn, first.id).returnee_id = rosa.returnee_id
        session.flush()


def test_the_same_step_of_an_arrival_is_scheduled_once(register, in_app):
    from sqlalchemy.exc import IntegrityError

    arrival = register(phones=("5555 1234",))
    with pytest.raises(IntegrityError), in_app() as session:
        first = check_ins(in_app, arrival.returnee_id)[0]
        again = {c.key: getattr(first, c.key) for c in CheckIn.__table__.columns if c.key != "id"}
        session.add(CheckIn(**again))
        session.flush()


def test_a_check_in_due_after_hours_shows_when_dispatch_will_send_it(
    register, make_user, sign_in_as, in_app, clock
):
    """Registered at 20:30 on 06/12 in Guatemala, the sending window closed: day 0 goes at
    08:00 the next morning, and the record says so, as dispatch then does."""
    from returnees.auth.models import Role
    from returnees.followups.dispatch import dispatch_check_ins

    clock.advance(days=5, hours=12, minutes=30)  # 06/12 20:30 in Guatemala
    arrival = register(phones=("5555 1234",))
    client = sign_in_as(make_user(Role.SOCIAL_WORKER, "GT-AURORA"))
    page = client.get(f"/returnees/{arrival.returnee_id}").get_data(as_text=True)
    day_0 = page.split('id="follow-up"')[1].split("</tr>")[1]
    assert "07/12/2026 08:00" in day_0 and "06/12" not in day_0
    with in_app() as session:
        dispatch_check_ins(session)
    assert check_ins(in_app, arrival.returnee_id)[0].due_at == clock.now() + timedelta(
        hours=11, minutes=30
    ), "dispatch sends it when the record said"
