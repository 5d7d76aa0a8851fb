"""Check-ins dispatched by several workers at once, on PostgreSQL with separate committed
connections (not the rolled-back test transaction), to the fake Twilio over HTTP: each check-in's
message goes out exactly once, and a worker killed with SIGKILL while it holds claimed messages
loses none and causes no second send."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from returnees import create_app
from returnees.centres.models import Centre, CentreKind, Country
from returnees.core.clock import EXTENSION as CLOCK
from returnees.core.clock import FixedClock
from returnees.core.db import EXTENSION as DB
from returnees.core.db import get_session, insert_returning_ids
from returnees.core.encryption import open_rows, phone_index
from returnees.followups.dispatch import dispatch_check_ins, queue_due_check_ins
from returnees.followups.models import (
    CheckIn,
    CheckInState,
    FollowUpPlan,
    IndicatorReading,
    PlanProfile,
    PlanStep,
)
from returnees.messaging.gateway import TwilioGateway
from returnees.messaging.models import InboundMessage, MessageStatus, OutboundMessage
from returnees.messaging.services import GATEWAY, LEASE, OUTCOME_BATCH, dispatch_messages
from returnees.people.models import Channel, Phone, PhoneOwner, Returnee, Sex
from returnees.reception.models import Arrival, TravelMode
from returnees.risk.models import RiskFlag
from returnees.tasks.models import Task
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, Scripted, serve_fake_twilio

# 09:00 in Guatemala (UTC-6): inside the 08:00-19:00 sending window, as is NOW + a few minutes.
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CENTRE = "GT-CONCURRENT-DISPATCH"
PREFIX = "+50247"  # every number of this file: one number, so one message body, per returnee
ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 30.0  # seconds any wait for the other process may take, at most
SLOW = 60.0  # seconds the fake takes to answer the send the worker is killed waiting for


def worker_app_for(database_url: str, twilio_url: str, now: datetime, timeout: float = 30) -> Flask:
    """An app of its own (engine, clock), its gateway the real Twilio client on the fake; the
    timeout is long, so that a loaded machine does not turn a send into an ambiguous one."""
    app = create_app(
        {
            "RETURNEES_ENV": "test",
            "DATABASE_URL": database_url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        }
    )
    app.extensions[GATEWAY] = TwilioGateway(
        ACCOUNT_SID, AUTH_TOKEN, sms_from="+15005550006", api_base_url=twilio_url, timeout=timeout
    )
    app.extensions[CLOCK] = FixedClock(now)
    return app


def work(app: Flask) -> int:
    """One worker: queue due check-ins, then send due messages, committing, until neither finds
    anything to do; returns how many messages it sent."""
    sent = 0
    with app.app_context():
        session = get_session()
        while True:
            queued = dispatch_check_ins(session)
            session.commit()
            just_sent = dispatch_messages(session)
            session.commit()
            sent += just_sent
            if not queued and not just_sent:
                return sent


def run_workers(app: Flask, count: int) -> list[int]:
    """`count` workers at once in threads, each with its own session and connection."""
    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(work, app) for _ in range(count)]
        return [future.result(timeout=120) for future in futures]


def subprocess_main() -> None:
    """Worker threads in a process of their own: `python -c` runs this with DATABASE_URL, the
    fake's URL, the time, how many workers and the gateway's timeout; it prints how many
    messages each worker sent."""
    database_url, twilio_url, now, workers, timeout = sys.argv[1:6]
    app = worker_app_for(database_url, twilio_url, datetime.fromisoformat(now), float(timeout))
    print(*run_workers(app, int(workers)))


def start_worker(
    database_url: str, twilio_url: str, now: datetime, workers: int = 1, timeout: float = 30
) -> subprocess.Popen:
    """Workers in a process of their own, as `flask worker` runs in production."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from {__name__} import subprocess_main\nsubprocess_main()",
            database_url,
            twilio_url,
            now.isoformat(),
            str(workers),
            str(timeout),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """Wait for a worker process to end (killed if it takes too long); its stdout and stderr."""
    try:
        return process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def run_worker_processes(
    database_url: str, twilio_url: str, processes: int, workers: int
) -> list[int]:
    """`workers` workers in each of `processes` processes, all at once, to the end; how many
    messages each worker sent."""
    started = [start_worker(database_url, twilio_url, NOW, workers) for _ in range(processes)]
    try:
        outputs = [finish(process, timeout=120) for process in started]
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.communicate()
    sent = []
    for process, (out, err) in zip(started, outputs, strict=True):
        assert process.returncode == 0, f"a worker failed (rc {process.returncode}):\n{err}"
        sent += [int(n) for n in out.split()]
    return sent


def delete_rows(app: Flask) -> None:
    """Remove everything this file committed (also what an interrupted run left)."""
    with app.app_context():
        session = get_session()
        people = select(Returnee.id).join(Centre, Returnee.centre_id == Centre.id)
        people = people.where(Centre.code == CENTRE).scalar_subquery()
        session.execute(delete(IndicatorReading).where(IndicatorReading.returnee_id.in_(people)))
        session.execute(delete(RiskFlag).where(RiskFlag.returnee_id.in_(people)))
        session.execute(delete(CheckIn).where(CheckIn.returnee_id.in_(people)))
        session.execute(
            delete(OutboundMessage).where(
                OutboundMessage.returnee_id.in_(people) | OutboundMessage.id.in_(ours(session))
            )
        )
        session.execute(delete(Task).where(Task.returnee_id.in_(people)))
        session.execute(delete(InboundMessage).where(InboundMessage.returnee_id.in_(people)))
        session.execute(delete(Phone).where(Phone.returnee_id.in_(people)))
        session.execute(delete(Arrival).where(Arrival.returnee_id.in_(people)))
        session.execute(delete(Returnee).where(Returnee.id.in_(people)))
        session.execute(delete(Centre).where(Centre.code == CENTRE))
        session.commit()


@pytest.fixture(scope="module")
def fake_twilio_server():
    """A fake Twilio of this module's own, its log of every request silenced (thousands)."""
    log = logging.getLogger("werkzeug")
    level = log.level
    log.setLevel(logging.WARNING)
    fake, stop = serve_fake_twilio()
    yield fake
    stop()
    log.setLevel(level)


@pytest.fixture
def worker_app(database_url, app, fake_twilio_server) -> Iterator[Flask]:
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent workers need PostgreSQL; SQLite is the single-writer default")
    worker = worker_app_for(database_url, fake_twilio_server.base_url, NOW)
    fake_twilio_server.reset()
    delete_rows(worker)
    yield worker
    fake_twilio_server.reset()
    delete_rows(worker)
    worker.extensions[DB].engine.dispose()


def bulk_insert(session, model, rows: list[dict]) -> list[int]:
    """Insert these rows in few statements (sealing what is sealed); their ids, in order."""
    return insert_returning_ids(session, model, rows)


def ours(session) -> list[int]:
    """The messages to this file's numbers (their numbers are sealed: opened to be told)."""
    query = select(OutboundMessage.id, OutboundMessage.phone_sealed)
    opened = open_rows(session.execute(query), OutboundMessage)
    return [message.id for message in opened if message.phone.startswith(PREFIX)]


def seed_due_check_ins(app: Flask, count: int) -> dict[str, int]:
    """`count` returnees, each with one consenting number of their own, one arrival and one
    check-in (day 0 of the adult plan) due now, all committed; returns {number: check-in id}."""
    with app.app_context():
        session = get_session()
        step = session.scalars(
            select(PlanStep)
            .join(FollowUpPlan, PlanStep.plan_id == FollowUpPlan.id)
            .where(FollowUpPlan.profile == PlanProfile.ADULT)
            .order_by(PlanStep.day_offset)
        ).first()
        plan_version = session.get(FollowUpPlan, step.plan_id).version
        centre = Centre(
            code=CENTRE,
            name="Centro de prueba de concurrencia",
            kind=CentreKind.AIRPORT,
            country=Country.GUATEMALA,
            timezone="America/Guatemala",
            created_at=NOW,
        )
        session.add(centre)
        session.flush()
        people = [
            {
                "given_names": f"Persona{n:04d}",
                "family_names": "Prueba",
                "folded_name": f"persona{n:04d} prueba",
                "estimated_age": 30,
                "sex": Sex.FEMALE,
                "nationality": Country.GUATEMALA,
                "language": "es",
                "municipality": "",
                "centre_id": centre.id,
                "arrivals_count": 1,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(count)
        ]
        returnee_ids = bulk_insert(session, Returnee, people)
        numbers = [f"{PREFIX}{n:06d}" for n in range(count)]
        phones = [
            {
                "returnee_id": returnee_id,
                "number": number,
                "owner": PhoneOwner.SELF,
                "channel": Channel.SMS,
                "has_consent": True,
                "consent_at": NOW,
                "is_usable": True,
                "created_at": NOW,
            }
            for returnee_id, number in zip(returnee_ids, numbers, strict=True)
        ]
        bulk_insert(session, Phone, phones)
        arrivals = [
            {
                "returnee_id": returnee_id,
                "centre_id": centre.id,
                "arrived_at": NOW,
                "mode": TravelMode.FLIGHT,
                "deporting_country": "US",
                "reference": "",
                "is_unaccompanied": False,
                "created_at": NOW,
            }
            for returnee_id in returnee_ids
        ]
        arrival_ids = bulk_insert(session, Arrival, arrivals)
        check_ins = [
            {
                "returnee_id": returnee_id,
                "arrival_id": arrival_id,
                "step_id": step.id,
                "plan_version": plan_version,
                "due_at": NOW,
                "phone": number,
                "channel": Channel.SMS,
                "template": step.template,
                "answer_type": step.answer_type,
                "state": CheckInState.SCHEDULED,
                "answer": "",
                "created_at": NOW,
            }
            for returnee_id, arrival_id, number in zip(
                returnee_ids, arrival_ids, numbers, strict=True
            )
        ]
        check_in_ids = bulk_insert(session, CheckIn, check_ins)
        session.commit()
        return dict(zip(numbers, check_in_ids, strict=True))


def creates_per_number(fake) -> Counter[str]:
    """How many times the fake Twilio was asked to create a message to each of our numbers."""
    with fake.lock:
        forms = [r["form"] for r in fake.requests if r["method"] == "POST"]
    return Counter(form["To"] for form in forms if form.get("To", "").startswith(PREFIX))


def check_ins_and_messages(app: Flask) -> list[tuple[CheckIn, OutboundMessage | None]]:
    with app.app_context():
        session = get_session()
        query = (
            select(CheckIn, OutboundMessage)
            .outerjoin(OutboundMessage, CheckIn.message_id == OutboundMessage.id)
            .join(Returnee, CheckIn.returnee_id == Returnee.id)
            .join(Centre, Returnee.centre_id == Centre.id)
            .where(Centre.code == CENTRE)
        )
        return [tuple(row) for row in session.execute(query)]


def messages_per_returnee(app: Flask) -> Counter[int]:
    with app.app_context():
        session = get_session()
        query = (
            select(OutboundMessage.returnee_id, func.count())
            .where(OutboundMessage.id.in_(ours(session)))
            .group_by(OutboundMessage.returnee_id)
        )
        return Counter(dict(session.execute(query).all()))


def assert_each_sent_exactly_once(app: Flask, fake, numbers: dict[str, int]) -> None:
    creates = creates_per_number(fake)
    twice = {number: n for number, n in creates.items() if n > 1}
    assert not twice, f"sent more than once: {sorted(twice.items())[:10]} ({len(twice)} numbers)"
    missing = set(numbers) - set(creates)
    assert not missing, f"{len(missing)} check-ins never sent, e.g. {sorted(missing)[:5]}"
    assert set(creates) == set(numbers)
    rows = check_ins_and_messages(app)
    assert len(rows) == len(numbers)
    with fake.lock:
        at_twilio = {sid: message["to"] for sid, message in fake.messages.items()}
    for check_in, message in rows:
        assert check_in.state in (CheckInState.SENDING, CheckInState.SENT), check_in.id
        assert message is not None, f"check-in {check_in.id} has no message"
        assert message.status is not MessageStatus.FAILED, (check_in.id, message.error_message)
        # Our record holds the id of the one message Twilio created to this number.
        assert message.twilio_sid and at_twilio.get(message.twilio_sid) == check_in.phone, (
            check_in.id,
            message.twilio_sid,
        )
        assert not message.is_ambiguous
    assert set(messages_per_returnee(app).values()) == {1}, "one message per check-in"


def wait_for(condition: Callable[[], object], what: str, process: subprocess.Popen) -> None:
    """Poll until `condition` holds; fail if the process ends first or the deadline passes."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if process.poll() is not None:
            _out, err = process.communicate()
            pytest.fail(f"the worker ended (rc {process.returncode}) before {what}:\n{err}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def recorded(app: Flask) -> set[str]:
    """The sids of our messages whose sends have been recorded."""
    with app.app_context():
        session = get_session()
        query = select(OutboundMessage.twilio_sid).where(
            OutboundMessage.id.in_(ours(session)), OutboundMessage.twilio_sid.is_not(None)
        )
        return set(session.scalars(query))


def held_messages(app: Flask) -> dict[int, str]:
    """Messages claimed (under a lease) and not known to be sent: {id: number}."""
    with app.app_context():
        session = get_session()
        query = select(OutboundMessage).where(
            OutboundMessage.id.in_(ours(session)),
            OutboundMessage.status == MessageStatus.SENDING,
            OutboundMessage.twilio_sid.is_(None),
        )
        return {message.id: message.phone for message in session.scalars(query)}


def test_four_workers_send_each_due_check_in_exactly_once(
    worker_app, fake_twilio_server, database_url
):
    numbers = seed_due_check_ins(worker_app, 2000)
    # Four workers, each with its own session and connection: two processes of two threads
    # (as many processes as a small machine has cores; thread or process, each worker is a
    # separate database client).
    sent = run_worker_processes(database_url, fake_twilio_server.base_url, 2, 2)
    assert sum(sent) == 2000
    assert_each_sent_exactly_once(worker_app, fake_twilio_server, numbers)


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    worker_app, fake_twilio_server, database_url
):
    fake = fake_twilio_server
    numbers = seed_due_check_ins(worker_app, 300)
    # The worker's first batch: OUTCOME_BATCH + 5 sends answered at once, then Twilio creates
    # every message and is slow to answer: the worker is killed with its first OUTCOME_BATCH
    # answers recorded, 5 answers not, and several slow sends in flight.
    quick = OUTCOME_BATCH + 5
    fake.answer_next(*[Scripted() for _ in range(quick)], *[Scripted(delay=SLOW)] * 100)
    process = start_worker(database_url, fake.base_url, NOW, timeout=SLOW)
    try:
        wait_for(
            lambda: len(fake.messages) >= quick + 2 and len(recorded(worker_app)) >= OUTCOME_BATCH,
            "its first answers recorded and two slow sends at Twilio",
            process,
        )
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()
        fake.script.clear()
    assert process.returncode == -signal.SIGKILL
    held = held_messages(worker_app)
    known = recorded(worker_app)
    with fake.lock:
        unrecorded = {m["to"] for sid, m in fake.messages.items() if sid not in known}
    # Killed holding claimed messages, some of which went out without our knowing their sid.
    assert OUTCOME_BATCH <= len(known) <= quick, "answers are recorded OUTCOME_BATCH or more"
    assert len(unrecorded) >= quick + 2 - len(known)
    assert unrecorded <= set(held.values())
    assert len(held) > len(unrecorded), "it also held messages it never sent"

    # The others, before the lease runs out: everything but the held messages, nothing twice.
    run_workers(worker_app, 3)
    creates = creates_per_number(fake)
    assert set(creates.values()) == {1}
    assert set(creates) == set(numbers) - set(held.values()) | unrecorded
    assert held_messages(worker_app) == held, "a held message waits for its lease"

    # After the lease: the sends that went out are found at Twilio, the others sent once.
    worker_app.extensions[CLOCK] = FixedClock(NOW + LEASE + (LEASE / 2))
    run_workers(worker_app, 3)
    assert_each_sent_exactly_once(worker_app, fake, numbers)


def test_two_workers_holding_two_check_ins_of_one_person_ask_once_that_day(worker_app):
    """Two of a person's check-ins are due; each worker locks one (SKIP LOCKED hands the second
    worker the other row). Only one may ask today: the person is held by the first."""
    numbers = seed_due_check_ins(worker_app, 1)
    with worker_app.app_context():
        session = get_session()
        first = session.get(CheckIn, next(iter(numbers.values())))
        later = session.scalars(select(PlanStep).where(PlanStep.day_offset == 3)).first()
        session.add(
            CheckIn(
                returnee_id=first.returnee_id,
                arrival_id=first.arrival_id,
                step_id=later.id,
                plan_version=first.plan_version,
                due_at=NOW,
                phone=first.phone,
                channel=first.channel,
                template=later.template,
                answer_type=later.answer_type,
                state=CheckInState.SCHEDULED,
                answer="",
                created_at=NOW,
            )
        )
        session.commit()
    with worker_app.app_context():
        worker_a = get_session()
        queued_a, _more = queue_due_check_ins(worker_a, limit=1)  # holds the person, uncommitted
        with worker_app.app_context():
            worker_b = get_session()
            queued_b, more_b = queue_due_check_ins(worker_b, limit=1)
            worker_b.commit()
        worker_a.commit()
    assert (queued_a, queued_b) == (1, 0)
    # A full batch whose people are all held elsewhere asks for no other: drain would read the
    # same rows again and again until its time budget ran out.
    assert more_b is False
    assert sum(messages_per_returnee(worker_app).values()) == 1


def test_a_reply_whose_check_in_a_job_holds_is_read_on_the_next_run(worker_app):
    """The reader never waits for a check-in another job holds (two workers reading crossed
    replies, or a reminder batch, could deadlock with it): that reply is read next run."""
    from returnees.followups.reading import read_replies

    [(number, check_in_id)] = seed_due_check_ins(worker_app, 1).items()
    with worker_app.app_context():
        session = get_session()
        asked = session.get(CheckIn, check_in_id)
        asked.state, asked.queued_at, asked.sent_at = CheckInState.SENT, NOW, NOW
        session.add(
            InboundMessage(
                message_sid="SM" + "1" * 32,
                from_number=number,
                channel=Channel.SMS,
                body="1",
                returnee_id=asked.returnee_id,
                received_at=NOW,
            )
        )
        session.commit()
    with worker_app.app_context():
        holder = get_session()
        holder.scalars(select(CheckIn).where(CheckIn.id == check_in_id).with_for_update()).one()
        with worker_app.app_context():
            reader = get_session()
            assert read_replies(reader) == 0, "not waited for"
            reader.commit()
        holder.commit()
    with worker_app.app_context():
        session = get_session()
        assert session.scalar(select(InboundMessage.handled_at)) is None, "left for next run"
        assert read_replies(session) == 1
        session.commit()
        assert session.get(CheckIn, check_in_id).state is CheckInState.ANSWERED


def test_two_workers_holding_check_ins_of_two_people_on_one_phone_ask_once_that_day(worker_app):
    """A phone two people share: each worker locks one of their check-ins. Only one may ask
    today: the number is held by the first worker, and then it was written to today."""
    numbers = seed_due_check_ins(worker_app, 2)
    shared, other = sorted(numbers)
    with worker_app.app_context():
        session = get_session()
        session.get(CheckIn, numbers[other]).phone = shared
        held = session.scalars(select(Phone).where(Phone.number_index == phone_index(other)))
        held.one().number = shared
        session.commit()
    with worker_app.app_context():
        worker_a = get_session()
        queued_a, _more = queue_due_check_ins(worker_a, limit=1)  # holds the number, uncommitted
        with worker_app.app_context():
            worker_b = get_session()
            queued_b, more_b = queue_due_check_ins(worker_b, limit=1)
            worker_b.commit()
        worker_a.commit()
    assert (queued_a, queued_b, more_b) == (1, 0, False)
    with worker_app.app_context():
        session = get_session()
        assert dispatch_check_ins(session) == 0, "the number was written to today"
        session.commit()
        sent = [
            message.phone
            for message in session.scalars(
                select(OutboundMessage).where(OutboundMessage.phone_index == phone_index(shared))
            )
        ]
        waiting = session.get(CheckIn, numbers[other])
    assert sent == [shared]
    assert waiting.state is CheckInState.SCHEDULED and waiting.due_at > NOW
