"""What messaging costs: sending through the gateway, and receiving Twilio's inbound webhooks.

a. Gateway throughput: MESSAGES messages queued (queue_message), then the send job
   (send-due-messages through run_job) until all are sent by TwilioGateway, SEND_CONCURRENCY
   at once, to the fake Twilio API of tests/messaging/fake_twilio.py on 127.0.0.1, answering at
   once; against the bare twilio Client calling messages.create as many times, as many at once,
   on the same fake (and, to tell the two apart, TwilioGateway.send alone, without the
   database).
b. Inbound webhooks under gunicorn (2 sync workers, bench/webhook_app.py): INBOUND signed POSTs
   to /webhooks/twilio/inbound (signature check, storage, keyword read) from 8 threads, against
   a bare Flask endpoint answering the same empty TwiML under the same gunicorn
   (bench/bare_app.py); ROUNDS interleaved rounds, the best of each side compared.
c. At Twilio's speed: the fake answering in LATENCY_MS (Twilio takes 150-300 ms a call) and
   holding the account to ACCOUNT_LIMIT requests at once (429 past it). First a FLIGHT-person
   flight's day-0 check-ins, queued by the check-in job and sent by one run of the send job:
   the seconds from the start of that run (its first claim) to the last message reaching the
   fake (target: FLIGHT_TARGET_S). Then SPEED_ROUNDS interleaved rounds of SPEED_MESSAGES
   messages through the send job against the bare twilio Client with the same concurrency on
   the same fake; the median of the rounds' ratios (target SPEED_TARGET).

Every figure is a ratio against a baseline measured in the same run; a figure that misses its
target is followed by a cProfile of the same work in this process. BENCH_DATABASE_URL picks the
database of a (default: a SQLite file in a temporary folder). b runs on
BENCH_WEBHOOK_DATABASE_URL (default postgresql://127.0.0.1:5432/returnees_bench_msg, dropped and
built again each run): on SQLite two gunicorn workers writing at once answer part of the
webhooks with 500, "database is locked". c runs on BENCH_SENDING_DATABASE_URL (default
postgresql://127.0.0.1:5432/returnees_bench_sending, dropped and built again each run; a SQLite
URL is taken as it is).
"""

from __future__ import annotations

import cProfile
import logging
import os
import pstats
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests
from alembic import command
from flask import Flask
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bench.populate import ensure_database
from bench.sizes import sized
from returnees import create_app
from returnees.auth.access import Actor
from returnees.core.clock import EXTENSION as CLOCK
from returnees.core.clock import FixedClock
from returnees.core.db import EXTENSION, unit_of_work
from returnees.core.encryption import phone_index
from returnees.core.migrations import alembic_config
from returnees.core.scheduler import PeriodicJob, periodic_jobs, run_job
from returnees.demo.services import seed_demo
from returnees.messaging.gateway import OutgoingMessage, TwilioGateway
from returnees.messaging.models import InboundMessage, MessageStatus, OutboundMessage
from returnees.messaging.services import GATEWAY, queue_message
from returnees.messaging.webhooks import signing_token
from returnees.people.identity import normalise_phone
from returnees.people.models import Phone
from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry
from returnees.reception.services import register_arrival
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, serve_fake_twilio

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"  # of the interpreter running the bench
WEBHOOK_URL = "postgresql://127.0.0.1:5432/returnees_bench_msg"
SENDING_URL = "postgresql://127.0.0.1:5432/returnees_bench_sending"
SECRET_KEY = "bench-messaging-secret"
SMS_FROM = "+15005550006"
BODY = "Hola, le saluda el programa de reintegración. Responda 1 si desea que le llamemos."
PEOPLE, BATCH = sized(50, 5), 50
MESSAGES, GATEWAY_TARGET, PROFILED = sized(1000, 20), 0.8, sized(300, 10)
INBOUND, ROUNDS, THREADS, WEBHOOK_TARGET = sized(2000, 20), sized(2, 1), 8, 0.25
WORKERS = sized(2, 1)  # gunicorn's
WARMUP, DEADLINE_S = sized(50, 5), 180.0
LATENCY_MS, ACCOUNT_LIMIT = 200, 16
FLIGHT, FLIGHT_TARGET_S = sized(135, 8), 5.0
SPEED_MESSAGES, SPEED_ROUNDS, SPEED_TARGET = sized(200, 8), sized(3, 1), 0.9
# A Wednesday, 10:00 in Guatemala: inside the sending window.
NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
GIVEN = ("Ana", "Lucía", "María", "José", "Juan", "Carlos", "Rosa", "Pedro", "Elena", "Luis")
FAMILY = ("López Pérez", "Xicará Tzul", "García Ramos", "Hernández Cuc", "Morales Ajú")
INBOUND_PATH = "/webhooks/twilio/inbound"


def job(app: Flask, job_id: str) -> PeriodicJob:
    return next(job for job in periodic_jobs(app) if job.id == job_id)


def prepared_app(
    url: str,
    overrides: dict[str, object] | None = None,
    people: int = PEOPLE,
    now: datetime | None = None,
) -> tuple[Flask, list[str]]:
    """The app on `url` migrated to head, with the demo and `people` people with consenting
    phones (registered once: a database used again keeps them), its clock stopped at `now` when
    given. Returns the app and their numbers."""
    app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": url} | (overrides or {}))
    if now is not None:
        app.extensions[CLOCK] = FixedClock(now)
    numbers = [normalise_phone(f"5555 {1100 + n:04d}", "GT") for n in range(people)]
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        with unit_of_work() as session:
            seed_demo(session, app.config["DEMO_PASSWORD"])
            indexes = [phone_index(number) for number in numbers]
            held = select(Phone).where(Phone.number_index.in_(indexes))
            known = {phone.number for phone in session.scalars(held)}
            actor = Actor.system("bench")
            for n, number in enumerate(numbers):
                if number in known:
                    continue
                intake = Intake(
                    given_names=GIVEN[n % len(GIVEN)],
                    family_names=FAMILY[n % len(FAMILY)],
                    estimated_age=20 + n % 40,
                    sex="FM"[n % 2],
                    nationality="GT",
                    phones=[PhoneEntry(number, consent=True)],
                    arrival=ArrivalEntry(centre="GT-AURORA"),
                )
                register_arrival(session, actor, intake, "new")
    return app, numbers


def create_form(number: str, n: int, public: str) -> dict[str, object]:
    """What messages.create is given for one message, as TwilioGateway gives it."""
    return {
        "to": number,
        "from_": SMS_FROM,
        "body": BODY,
        "status_callback": f"{public}/webhooks/twilio/status?message={n}",
        "validity_period": 14400,
    }


def bare_rate(
    fake_url: str, forms: list[dict[str, object]], concurrency: int, warmup: int = WARMUP
) -> float:
    """Messages per second of the bare twilio Client creating these messages, `concurrency` at
    once (a client per thread, as TwilioGateway lends one per call), after the first `warmup`."""
    local = threading.local()

    def send(form: dict[str, object]) -> None:
        if not hasattr(local, "client"):
            local.client = Client(ACCOUNT_SID, AUTH_TOKEN)
            local.client.api.base_url = fake_url
        local.client.messages.create(**form)

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, forms[:warmup]))
        started = time.perf_counter()
        list(pool.map(send, forms[warmup:]))
        return (len(forms) - warmup) / (time.perf_counter() - started)


# a. gateway throughput ---------------------------------------------------------------------


def queue(app: Flask, numbers: list[str], count: int) -> list[int]:
    with app.app_context(), unit_of_work() as session:
        return [
            queue_message(session, numbers[n % len(numbers)], BODY, template="bench").id
            for n in range(count)
        ]


def dispatch_until_done(app: Flask, calls: int) -> tuple[int, float]:
    """Run the send job until it sends nothing more, at most `calls` times and DEADLINE_S
    seconds; returns (sent, seconds)."""
    send_job = job(app, "send-due-messages")
    sent, started = 0, time.perf_counter()
    for _ in range(calls):
        done = run_job(app, send_job)
        sent += done
        if not done or time.perf_counter() - started > DEADLINE_S:
            break
    return sent, time.perf_counter() - started


def gateway_send_rate(app: Flask, numbers: list[str], public: str) -> float:
    """TwilioGateway.send alone, without the database, as many at once as the send job sends:
    what the gateway adds to the client."""
    gateway = app.extensions[GATEWAY]
    messages = [
        OutgoingMessage(
            to=numbers[n % len(numbers)],
            channel="sms",
            body=BODY,
            status_callback=f"{public}/webhooks/twilio/status?message={n}",
            validity_seconds=app.config["MESSAGE_VALIDITY_SECONDS"],
        )
        for n in range(WARMUP + MESSAGES)
    ]
    with ThreadPoolExecutor(app.config["SEND_CONCURRENCY"]) as pool:
        list(pool.map(gateway.send, messages[:WARMUP]))
        started = time.perf_counter()
        assert all(outcome.sid for outcome in pool.map(gateway.send, messages[WARMUP:]))
        return MESSAGES / (time.perf_counter() - started)


def where(key: tuple[str, int, str]) -> str:
    """file:function of a profile entry, relative to the checkout or to site-packages."""
    file, _line, name = key
    if file.startswith(str(ROOT / "returnees")):
        return f"{Path(file).relative_to(ROOT)}:{name}"
    return f"{'/'.join(Path(file).parts[-2:])}:{name}" if file != "~" else name


def show_profile(profiler: cProfile.Profile, done: str, focus: tuple[str, ...]) -> None:
    """What each `focus` function (of returnees/) calls, the returnees functions by cumulative
    time, and the heaviest functions of all by their own time, as shares of the profiled time."""
    stats = pstats.Stats(profiler).stats
    total = sum(own for _calls, _prim, own, _cumulative, _callers in stats.values())
    print(f"     profile of {done} ({total:.2f} s under cProfile):")
    for name in focus:
        caller = next(key for key in stats if key[2] == name and "/returnees/" in key[0])
        called = [(data[4][caller][3], key) for key, data in stats.items() if caller in data[4]]
        print(f"       what {where(caller)} calls:")
        for cumulative, key in sorted(called, reverse=True)[:7]:
            print(f"         {cumulative / total:6.1%}  {where(key)}")
    print("       returnees functions, cumulative / own time:")
    ours = [(data[3], data[2], key) for key, data in stats.items() if "/returnees/" in key[0]]
    for cumulative, own, key in sorted(ours, reverse=True)[:10]:
        print(f"         {cumulative / total:6.1%} / {own / total:6.1%}  {where(key)}")
    print("       heaviest functions of all by own time:")
    heaviest = sorted(((data[2], data[1], key) for key, data in stats.items()), reverse=True)
    for own, calls, key in heaviest[:8]:
        print(f"         {own / total:6.1%}  {calls:6d} calls  {where(key)}")


def profile_dispatch(app: Flask, numbers: list[str]) -> None:
    queue(app, numbers, PROFILED)
    profiler = cProfile.Profile()
    profiler.enable()
    sent, _seconds = dispatch_until_done(app, PROFILED // BATCH + 5)
    profiler.disable()
    show_profile(profiler, f"{sent} sends by dispatch_messages", ("send_due_messages",))


def gateway_figures(folder: str) -> None:
    url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{folder}/messaging.sqlite3")
    if url.startswith("postgresql"):
        ensure_database(url)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake's request log
    fake, stop = serve_fake_twilio()
    try:
        app, numbers = prepared_app(url)
        app.config.update(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN)
        app.extensions[GATEWAY] = TwilioGateway(
            ACCOUNT_SID, AUTH_TOKEN, sms_from=SMS_FROM, api_base_url=fake.base_url
        )
        public = app.config["PUBLIC_BASE_URL"].rstrip("/")
        concurrency = app.config["SEND_CONCURRENCY"]
        forms = [
            create_form(numbers[n % len(numbers)], n, public) for n in range(WARMUP + MESSAGES)
        ]
        bare = bare_rate(fake.base_url, forms, concurrency)
        alone = gateway_send_rate(app, numbers, public)
        fake.reset()

        queue(app, numbers, WARMUP)
        dispatch_until_done(app, 5)  # a warm-up
        ids = queue(app, numbers, MESSAGES)
        sent, seconds = dispatch_until_done(app, MESSAGES // BATCH + 5)
        with app.app_context(), unit_of_work() as session:
            statuses = Counter(
                session.scalars(select(OutboundMessage.status).where(OutboundMessage.id.in_(ids)))
            )
        ours = sent / seconds
        dialect = app.extensions[EXTENSION].dialect
        print(
            f"  a. gateway throughput to the fake Twilio answering at once ({dialect}, "
            f"{MESSAGES} messages each, {concurrency} at once)"
        )
        print(f"     send-due-messages job        : {ours:8.0f} msg/s ({sent} sent)")
        print(f"     bare twilio Client.create    : {bare:8.0f} msg/s")
        print(f"     ratio (target {GATEWAY_TARGET:.2f})         : {ours / bare:8.2f}")
        print(f"     TwilioGateway.send, no DB    : {alone:8.0f} msg/s")
        print(f"       its ratio to the bare client : {alone / bare:8.2f}")
        print(f"     messages after the run       : {said_statuses(statuses)}")
        print(f"     at the fake                  : {len(fake.messages)} created")
        if ours / bare < GATEWAY_TARGET:
            profile_dispatch(app, numbers)
        app.extensions[EXTENSION].engine.dispose()
    finally:
        stop()


def said_statuses(statuses: Counter) -> str:
    return ", ".join(f"{status.value} {n}" for status, n in sorted(statuses.items()))


# c. at Twilio's speed ----------------------------------------------------------------------


def flight_figures(app: Flask, fake: FakeTwilio, numbers: list[str]) -> None:
    """The flight's day-0 check-ins (registered at NOW, due now) queued by the check-in job,
    then one run of the send job; seconds from its start to the last message at the fake."""
    queue_started = time.perf_counter()
    queued = run_job(app, job(app, "dispatch-check-ins"))
    queue_seconds = time.perf_counter() - queue_started
    fake.requests.clear()
    started = time.monotonic()
    sent = run_job(app, job(app, "send-due-messages"))
    answered = time.monotonic() - started
    with fake.lock:
        arrived = [r["at"] for r in fake.requests if r["method"] == "POST"]
    handed = max(arrived) - started if arrived else float("inf")
    print(
        f"     a {FLIGHT}-person flight's day 0  : {queued} check-ins queued in "
        f"{queue_seconds:.2f} s"
    )
    print(
        f"       send job, first claim to the last at Twilio : {handed:5.2f} s "
        f"({sent} sent; target {FLIGHT_TARGET_S:.0f} s: {handed / FLIGHT_TARGET_S:.2f} of it)"
    )
    print(f"       send job, to the last answer recorded       : {answered:5.2f} s")
    if len(arrived) != len(numbers) or sent != len(numbers):
        print(f"       MISSING: {len(numbers) - len(arrived)} of the flight's messages not sent")


def speed_round(app: Flask, fake: FakeTwilio, numbers: list[str], run: int) -> tuple[float, float]:
    """SPEED_MESSAGES messages through the send job, then as many by the bare client with the
    same concurrency: both rates."""
    queue(app, numbers, SPEED_MESSAGES)
    sent, seconds = dispatch_until_done(app, SPEED_MESSAGES // BATCH + 5)
    public = app.config["PUBLIC_BASE_URL"].rstrip("/")
    forms = [
        create_form(numbers[n % len(numbers)], run * 100_000 + n, public)
        for n in range(WARMUP + SPEED_MESSAGES)
    ]
    return sent / seconds, bare_rate(fake.base_url, forms, app.config["SEND_CONCURRENCY"])


def speed_figures(folder: str) -> None:
    url = os.environ.get("BENCH_SENDING_DATABASE_URL", SENDING_URL)
    if url.startswith("postgresql"):
        ensure_database(url, recreate=True)
    fake, stop = serve_fake_twilio(
        FakeTwilio(latency=LATENCY_MS / 1000, concurrency_limit=ACCOUNT_LIMIT)
    )
    try:
        app, numbers = prepared_app(url, people=FLIGHT, now=NOW)
        app.config.update(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN)
        app.extensions[GATEWAY] = TwilioGateway(
            ACCOUNT_SID, AUTH_TOKEN, sms_from=SMS_FROM, api_base_url=fake.base_url
        )
        concurrency = app.config["SEND_CONCURRENCY"]
        dialect = app.extensions[EXTENSION].dialect
        print(
            f"  c. at Twilio's speed: the fake answering in {LATENCY_MS} ms, at most "
            f"{ACCOUNT_LIMIT} requests at once ({dialect}; SEND_CONCURRENCY {concurrency})"
        )
        flight_figures(app, fake, numbers)
        rounds = [speed_round(app, fake, numbers, run) for run in range(SPEED_ROUNDS)]
        with app.app_context(), unit_of_work() as session:
            statuses = Counter(session.scalars(select(OutboundMessage.status)))
        ratios = sorted(ours / bare for ours, bare in rounds)
        each = ", ".join(f"{ours:.1f}/{bare:.1f}" for ours, bare in rounds)
        print(
            f"     send job against the bare client, {SPEED_MESSAGES} messages a round, msg/s: "
            f"{each}"
        )
        print(
            f"       ratio (target {SPEED_TARGET:.2f})           : "
            f"{statistics.median(ratios):8.2f} (median of {len(ratios)} rounds)"
        )
        print(f"       one at a time it would be  : {1000 / LATENCY_MS:8.1f} msg/s at most")
        print(
            f"     the fake: at most {fake.peak_in_flight} requests at once, {fake.refused} "
            f"refused past its limit; messages: {said_statuses(statuses)}"
        )
        app.extensions[EXTENSION].engine.dispose()
    finally:
        stop()


# b. inbound webhooks under gunicorn --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def inbound_forms(numbers: list[str], count: int, run: str) -> Iterator[dict[str, str]]:
    """What Twilio posts for an SMS, one unique MessageSid each."""
    for n in range(count):
        sid = f"SM{run}{n:0{32 - len(run)}d}"
        yield {
            "ToCountry": "US",
            "ToState": "CA",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": "1",
            "FromCountry": "GT",
            "To": SMS_FROM,
            "ToZip": "",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": numbers[n % len(numbers)],
            "ApiVersion": "2010-04-01",
        }


class Gunicorn:
    """`gunicorn -w WORKERS -b 127.0.0.1:PORT module:app`, its output in a log file."""

    def __init__(self, module: str, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = env | {"PUBLIC_BASE_URL": self.base}
        self.env = env
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(GUNICORN), "-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}", module],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        tail = self.log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"gunicorn on {self.base} did not answer:\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def post_all(base: str, requests_: list[tuple[dict[str, str], str]]) -> tuple[Counter, float]:
    """POST every (form, signature) from THREADS threads, a requests.Session each; returns the
    answers by status (or exception name) and the seconds it took."""
    answers: Counter[object] = Counter()
    lock = threading.Lock()
    url = base + INBOUND_PATH
    started = time.perf_counter()

    def worker(part: list[tuple[dict[str, str], str]]) -> None:
        mine: Counter[object] = Counter()
        with requests.Session() as http:
            for form, signature in part:
                if time.perf_counter() - started > DEADLINE_S:
                    mine["skipped (deadline)"] += 1
                    continue
                try:
                    response = http.post(
                        url, data=form, headers={"X-Twilio-Signature": signature}, timeout=10
                    )
                    mine[response.status_code] += 1
                except requests.RequestException as error:
                    mine[type(error).__name__] += 1
        with lock:
            answers.update(mine)

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(worker, requests_[t::THREADS]) for t in range(THREADS)]:
            future.result()
    return answers, time.perf_counter() - started


def signed(
    base: str, token: str, forms: Iterator[dict[str, str]]
) -> list[tuple[dict[str, str], str]]:
    validator = RequestValidator(token)
    return [(form, validator.compute_signature(base + INBOUND_PATH, form)) for form in forms]


def load(server: Gunicorn, token: str, numbers: list[str], run: str) -> tuple[Counter, float]:
    """WARMUP requests, then INBOUND timed ones; returns the timed answers and the requests per
    second answered 200."""
    warm = signed(server.base, token, inbound_forms(numbers, WARMUP, f"{run}w"))
    timed = signed(server.base, token, inbound_forms(numbers, INBOUND, f"{run}t"))
    post_all(server.base, warm)
    answers, seconds = post_all(server.base, timed)
    return answers, answers[200] / seconds


def profile_webhook(app: Flask, token: str, numbers: list[str], run: str) -> None:
    """The same signed POSTs through the test client in this process, under cProfile."""
    public = app.config["PUBLIC_BASE_URL"].rstrip("/")
    client = app.test_client()
    posts = signed(public, token, inbound_forms(numbers, PROFILED + WARMUP, f"{run}p"))
    for form, signature in posts[:WARMUP]:
        client.post(INBOUND_PATH, data=form, headers={"X-Twilio-Signature": signature})
    profiler = cProfile.Profile()
    profiler.enable()
    for form, signature in posts[WARMUP:]:
        client.post(INBOUND_PATH, data=form, headers={"X-Twilio-Signature": signature})
    profiler.disable()
    show_profile(profiler, f"{PROFILED} POSTs in process", ("inbound", "record_inbound"))


def said(answers: Counter) -> str:
    return ", ".join(f"{status}: {n}" for status, n in sorted(answers.items(), key=str))


def webhook_figures(folder: str) -> None:
    url = os.environ.get("BENCH_WEBHOOK_DATABASE_URL", WEBHOOK_URL)
    if url.startswith("postgresql"):
        ensure_database(url, recreate=True)
    # The simulated gateway (no account), checking signatures with a token the servers share:
    # without one each process would sign with a random key of its own.
    settings = {"SECRET_KEY": SECRET_KEY, "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
    app, numbers = prepared_app(url, settings)
    with app.app_context():
        token = signing_token()
    env = {key: value for key, value in os.environ.items() if not key.startswith("TWILIO_")}
    env |= {"RETURNEES_ENV": "test", "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY}
    env |= {"TWILIO_AUTH_TOKEN": AUTH_TOKEN}
    run = secrets.token_hex(4)
    rounds: list[tuple[float, float]] = []
    answers: dict[str, Counter] = {"ours": Counter(), "bare": Counter()}
    servers: list[Gunicorn] = []
    try:
        ours_server = Gunicorn("bench.webhook_app:app", env, Path(folder) / "webhook.log")
        servers.append(ours_server)
        bare_server = Gunicorn("bench.bare_app:app", env, Path(folder) / "bare.log")
        servers.append(bare_server)
        ours_server.wait_until_ready()
        bare_server.wait_until_ready()
        for number in range(ROUNDS):
            ours_answers, ours = load(ours_server, token, numbers, f"{run}{number}")
            bare_answers, bare = load(bare_server, token, numbers, f"{run}{number}")
            answers["ours"].update(ours_answers)
            answers["bare"].update(bare_answers)
            rounds.append((ours, bare))
    finally:
        for server in servers:
            server.stop()
    with app.app_context(), unit_of_work() as session:
        stored = session.scalar(
            select(func.count())
            .select_from(InboundMessage)
            .where(InboundMessage.message_sid.like(f"SM{run}_t%"))
        )
        queued = session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.status == MessageStatus.QUEUED)
        )
    dialect = app.extensions[EXTENSION].dialect
    ours, bare = max(ours for ours, _ in rounds), max(bare for _, bare in rounds)
    print(
        f"  b. inbound webhooks under gunicorn ({dialect}, {WORKERS} sync workers, {THREADS} "
        f"client threads, {INBOUND} requests a round, best of {ROUNDS} interleaved rounds)"
    )
    print(f"     signed POST, stored          : {ours:8.0f} req/s")
    print(f"     bare Flask endpoint          : {bare:8.0f} req/s")
    print(f"     ratio (target {WEBHOOK_TARGET:.2f})         : {ours / bare:8.2f}")
    each = ", ".join(f"{ours:.0f}/{bare:.0f} = {ours / bare:.2f}" for ours, bare in rounds)
    print(f"     rounds, ours/bare req/s      : {each}")
    print(f"     answers, ours                : {said(answers['ours'])}")
    print(f"     answers, bare                : {said(answers['bare'])}")
    print(
        f"     rows in inbound_messages     : {stored} of {ROUNDS * INBOUND} "
        f"(replies queued: {queued})"
    )
    if ours / bare < WEBHOOK_TARGET:
        profile_webhook(app, token, numbers, run)
    app.extensions[EXTENSION].engine.dispose()


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-messaging-")
    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"messaging (fake Twilio and gunicorn on 127.0.0.1; {os.cpu_count()} CPUs, "
        f"load average {load_average})"
    )
    gateway_figures(folder)
    sys.stdout.flush()
    webhook_figures(folder)
    sys.stdout.flush()
    speed_figures(folder)
