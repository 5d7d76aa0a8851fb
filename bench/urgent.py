"""How fast a danger signal reaches the person on call: from Twilio's inbound webhook to the
alert SMS handed to the gateway, with the real `flask worker` process.

A danger word ("auxilio, me amenazan") is posted, signed, to the inbound webhook of the app under
gunicorn, SAMPLES times, each from a different person's number, spread over SPREAD_S seconds.
The worker reads it, opens the urgent task, queues the alert to the first on the on-call rota
and sends it, by TwilioGateway, to the fake Twilio of tests/messaging/fake_twilio.py on
127.0.0.1, which notes when each message reached it. The time from each POST to its alert
reaching the fake is measured for two designs in the same run, each with its own worker
process: woken by PostgreSQL's LISTEN/NOTIFY (WORKER_WAKE_ON_NOTIFY=true, what ships), and
polling alone (false: the periodic jobs, every 15 s). Target: p95 under TARGET_S seconds when
woken; the ratio of the two p95s is printed.

PostgreSQL only: BENCH_URGENT_DATABASE_URL (default postgresql://127.0.0.1:5432/
returnees_bench_urgent, dropped and built again each run).
"""

from __future__ import annotations

import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests
from alembic import command
from sqlalchemy import String, cast, literal, select
from twilio.request_validator import RequestValidator

from bench.messaging import INBOUND_PATH, SMS_FROM, Gunicorn, said
from bench.populate import ensure_database
from bench.sizes import sized, smoke
from returnees import create_app
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.auth.on_call import set_on_call
from returnees.auth.services import NewUser, create_user
from returnees.core.db import EXTENSION, unit_of_work
from returnees.core.migrations import alembic_config
from returnees.demo.services import seed_demo
from returnees.messaging.models import InboundMessage, OutboundMessage
from returnees.people.identity import normalise_phone
from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry
from returnees.reception.services import register_arrival
from returnees.tasks.models import Task, UrgentAlert
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, serve_fake_twilio

ROOT = Path(__file__).resolve().parents[1]
FLASK = Path(sys.executable).parent / "flask"  # of the interpreter running the bench
URL = "postgresql://127.0.0.1:5432/returnees_bench_urgent"
SAMPLES, SPREAD_S, DEADLINE_S, TARGET_S = sized(20, 2), sized(40.0, 0.5), 90.0, 10.0
ON_CALL_PHONE = "+50244449999"
DANGER = "auxilio, me amenazan"


class TimedFake(FakeTwilio):
    """The fake Twilio, noting when each message to the on-call phone reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.alerted_at: dict[str, float] = {}

    def _create(self, form, answer):
        response = super()._create(form, answer)
        if form.get("To") == ON_CALL_PHONE:
            sid = response.get_json()["sid"]
            with self.lock:
                self.alerted_at[sid] = time.monotonic()
        return response


def prepared(url: str) -> list[str]:
    """The database migrated, the demo, someone first on Guatemala's on-call rota, and SAMPLES
    people per design with a number each (not agreed to check-ins: only the alarm matters)."""
    app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": url})
    numbers = [normalise_phone(f"5556 {1000 + n}", "GT") for n in range(2 * SAMPLES)]
    actor = Actor.system("bench")
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        with unit_of_work() as session:
            seed_demo(session, app.config["DEMO_PASSWORD"])
            create_user(
                session,
                actor,
                NewUser("on-call@bench.test", Role.SOCIAL_WORKER.value, "GT-AURORA", "bench " * 4),
            )
            set_on_call(session, actor, "on-call@bench.test", True, ON_CALL_PHONE)
            for n, number in enumerate(numbers):
                intake = Intake(
                    given_names=f"Persona {n}",
                    family_names="Prueba",
                    estimated_age=30,
                    sex="F",
                    nationality="GT",
                    phones=[PhoneEntry(number, consent=False)],
                    arrival=ArrivalEntry(centre="GT-AURORA"),
                )
                register_arrival(session, actor, intake, "new")
    app.extensions[EXTENSION].engine.dispose()
    return numbers


def start_worker(env: dict[str, str], wake: bool, log: Path) -> subprocess.Popen:
    """`flask --app wsgi worker`, as production runs it; ready once it says so."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(FLASK), "--app", "wsgi", "worker"],
            cwd=ROOT,
            env=env | {"WORKER_WAKE_ON_NOTIFY": "true" if wake else "false"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while b"periodic jobs" not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.1)
    return process


def post_danger(base: str, numbers: list[str], run: str) -> tuple[dict[str, float], list]:
    """One signed danger message from each number, at random moments over SPREAD_S seconds
    (so that samples fall anywhere in the workers' 15-second cycle). When each was posted, by
    its MessageSid, and the answers."""
    moments = sorted(random.uniform(0, SPREAD_S) for _ in numbers)
    validator = RequestValidator(AUTH_TOKEN)
    posted, answers = {}, []
    started = time.monotonic()
    with requests.Session() as http:
        for n, (number, at) in enumerate(zip(numbers, moments, strict=True)):
            time.sleep(max(0.0, started + at - time.monotonic()))
            sid = f"SM{run}{n:0{32 - len(run)}d}"
            form = {
                "MessageSid": sid,
                "AccountSid": ACCOUNT_SID,
                "From": number,
                "To": SMS_FROM,
                "Body": DANGER,
                "NumMedia": "0",
            }
            signature = validator.compute_signature(base + INBOUND_PATH, form)
            posted[sid] = time.monotonic()
            response = http.post(
                base + INBOUND_PATH,
                data=form,
                headers={"X-Twilio-Signature": signature},
                timeout=10,
            )
            answers.append(response.status_code)
    return posted, answers


def alert_sids(url: str, posted: dict[str, float]) -> dict[str, str | None]:
    """Each posted message's alert, as Twilio's message sid (None while not sent)."""
    app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": url})
    with app.app_context(), unit_of_work() as session:
        rows = session.execute(
            select(InboundMessage.message_sid, OutboundMessage.twilio_sid)
            .join(Task, Task.subject == literal("reply:") + cast(InboundMessage.id, String))
            .join(UrgentAlert, UrgentAlert.task_id == Task.id)
            .join(OutboundMessage, OutboundMessage.id == UrgentAlert.message_id)
            .where(InboundMessage.message_sid.in_(list(posted)))
        ).all()
    app.extensions[EXTENSION].engine.dispose()
    found = dict(rows)
    return {sid: found.get(sid) for sid in posted}


def measure(url: str, env: dict, fake: TimedFake, numbers: list[str], wake: bool, folder: Path):
    """Seconds from each POST to its alert reaching the fake, for one design; and the answers."""
    web = Gunicorn("bench.webhook_app:app", env, folder / f"web-{wake}.log")
    worker = None
    try:
        web.wait_until_ready()
        env = env | {"PUBLIC_BASE_URL": web.base}
        worker = start_worker(env, wake, folder / f"worker-{wake}.log")
        run = "w" if wake else "p"
        posted, answers = post_danger(web.base, numbers, run)
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            sids = alert_sids(url, posted)
            with fake.lock:
                if all(sid in fake.alerted_at for sid in sids.values() if sid) and all(
                    sids.values()
                ):
                    break
            time.sleep(0.5)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        web.stop()
    with fake.lock:
        return [
            fake.alerted_at[sid] - posted[inbound] if sid in fake.alerted_at else None
            for inbound, sid in sids.items()
        ], answers


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def show(label: str, latencies: list[float | None], answers: list) -> float:
    arrived = sorted(value for value in latencies if value is not None)
    missing = len(latencies) - len(arrived)
    p50, p95 = percentile(arrived, 0.50), percentile(arrived, 0.95)
    print(
        f"     {label:28}: p50 {p50:5.2f} s  p95 {p95:5.2f} s  max {arrived[-1]:5.2f} s"
        f"  ({len(arrived)} alerts; {missing} not sent in {DEADLINE_S:.0f} s;"
        f" webhook {said(Counter(answers))})"
    )
    return p95 if not missing else float("inf")


def main() -> None:
    url = os.environ.get("BENCH_URGENT_DATABASE_URL", URL)
    ensure_database(url, recreate=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    numbers = prepared(url)
    fake, stop = serve_fake_twilio(TimedFake())
    env = {key: value for key, value in os.environ.items() if not key.startswith("TWILIO_")}
    env |= {
        "RETURNEES_ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-urgent-secret",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_API_BASE_URL": fake.base_url,
    }
    print(f"urgent: a danger word to the on-call SMS, {SAMPLES} samples a design, real worker")
    try:
        with tempfile.TemporaryDirectory() as folder:
            woken = measure(url, env, fake, numbers[:SAMPLES], True, Path(folder))
            # The smoke run leaves out polling: it waits out the worker's 15-second interval,
            # which no size shrinks, and its code is the woken design's with one flag changed.
            polled = (
                None if smoke() else measure(url, env, fake, numbers[SAMPLES:], False, Path(folder))
            )
    finally:
        stop()
    ours = show("woken by LISTEN/NOTIFY", *woken)
    print(f"     p95 woken, target {TARGET_S:.0f} s      : {ours:5.2f} s")
    if polled is not None:
        baseline = show("polling alone (15 s jobs)", *polled)
        print(f"     ratio of p95, woken / polling  : {ours / baseline:5.2f}")


if __name__ == "__main__":
    main()
