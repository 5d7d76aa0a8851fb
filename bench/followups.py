"""What follow-ups cost: planning a flight's check-ins, sending them, and the worker's memory.

a. A 135-person flight's plans: schedule_follow_ups(session, arrival_ids) and its commit, for
   arrivals of people with a consenting phone (135 x 12 steps = 1,620 check-ins), p50 / p95 of
   PLAN_RUNS runs, the rows deleted between runs; against the obvious design, one APScheduler
   job per check-in (add_job(func, 'date', run_date=..., args=[...]) on a started, paused
   BackgroundScheduler with a SQLAlchemyJobStore on the same PostgreSQL), the same 1,620 rows;
   and, to tell our code from the database's own work, the same rows by one INSERT ... SELECT
   in SQL. The three are interleaved, in APS_RUNS rounds after a warm-up one.
b. Dispatch throughput: the day-0 check-ins of DISPATCHED people (one each: one a day per
   person), queued by dispatch_check_ins and sent by dispatch_messages (their jobs through
   run_job, in turn, until neither does anything) by TwilioGateway to the fake Twilio API of
   tests/messaging/fake_twilio.py answering at once, the clock fixed at 10:00 in Guatemala;
   against the bare twilio Client sending the very requests our pipeline sent to the same
   fake, as many at once as the send job (SEND_CONCURRENCY). In
   DISPATCH_ROUNDS rounds, each ours then the bare client's replay of it, so that both see the
   same load on the machine; the median of the rounds' ratios.
c. The worker's peak memory: `flask --app wsgi worker --once --now ...` in a fresh subprocess
   (its peak RSS from wait4, taken by a small launcher process: a child of this process would
   inherit its high-water mark) against check_ins holding SMALL, then BENCH_CHECK_INS (default
   1,000,000) scheduled check-ins, DUE of them due and the rest not yet, ROUNDS runs each,
   after unmeasured runs that clear the one-off backlog of other jobs on a fresh registry;
   against the same interpreter importing the app and doing nothing. With each table, what a
   STOP costs: cancel_pending_for_number, which the inbound webhook runs.

Every figure is a ratio against a baseline measured in the same run (c also against its
targets); a figure of a or b that misses its target is followed by a cProfile of the same work.
The database is BENCH_FOLLOWUPS_DATABASE_URL (default
postgresql://127.0.0.1:5432/returnees_bench_followups), dropped and built again each run.
"""

from __future__ import annotations

import cProfile
import logging
import math
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import Engine, create_engine, event, make_url, select, text

from bench.messaging import SMS_FROM, bare_rate, show_profile
from bench.populate import StatementTimer, bench_app, ensure_database, populate
from bench.reception import p50, p95, spread
from bench.sizes import sized
from returnees.core.clock import EXTENSION as CLOCK
from returnees.core.clock import FixedClock
from returnees.core.db import EXTENSION, get_session, unit_of_work
from returnees.core.encryption import keyring
from returnees.core.heap import settle_heap
from returnees.core.scheduler import PeriodicJob, run_job
from returnees.followups import services as followup_services
from returnees.followups.jobs import JOBS as FOLLOWUP_JOBS
from returnees.followups.models import CheckIn
from returnees.followups.services import cancel_pending_for_number, schedule_follow_ups
from returnees.messaging.gateway import TwilioGateway
from returnees.messaging.jobs import JOBS as MESSAGING_JOBS
from returnees.messaging.services import GATEWAY
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, serve_fake_twilio

ROOT = Path(__file__).resolve().parents[1]
FLASK = Path(sys.executable).parent / "flask"  # of the interpreter running the bench
DEFAULT_URL = "postgresql://127.0.0.1:5432/returnees_bench_followups"
NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Guatemala
FLIGHT, STEPS, PLAN_RUNS, APS_RUNS, WARMUP = sized(135, 5), 12, sized(30, 4), sized(5, 2), 3
PLAN_TARGET_MS, SPEEDUP_TARGET = 50.0, 20.0
DISPATCHED, DISPATCH_ROUNDS = sized(2700, 20), sized(9, 2)
DISPATCH_WARMUP, PROFILED, DISPATCH_TARGET = sized(50, 5), sized(300, 5), 0.8
SMALL, DUE, ROUNDS, SETTLE_RUNS = sized(1000, 50), sized(200, 5), sized(2, 1), sized(5, 1)
MEMORY_TARGET_MB, STOPS = 120.0, sized(20, 2)
APS_TABLE = "bench_apscheduler_jobs"
# Runs a command and reports its peak RSS. A child forked (or vforked) straight from this large
# process starts its ru_maxrss from this process's; one started by this small one does not.
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_pid, status, usage = os.wait4(child.pid, 0)
print(f"peak-rss-kb {usage.ru_maxrss}", flush=True)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def bench_url() -> str:
    return os.environ.get("BENCH_FOLLOWUPS_DATABASE_URL", DEFAULT_URL)


def check_ins_wanted() -> int:
    return int(os.environ.get("BENCH_CHECK_INS", "1000000"))


def job(job_id: str) -> PeriodicJob:
    return next(job for job in [*FOLLOWUP_JOBS, *MESSAGING_JOBS] if job.id == job_id)


# the people and their arrivals -------------------------------------------------------------


class Pools:
    """Disjoint groups of people with a consenting phone, by returnee id, one group a figure."""

    def __init__(self, ids: list[int], memory_arrivals: int) -> None:
        sizes = {
            "flight": FLIGHT,
            "dispatch_warmup": DISPATCH_WARMUP,
            "dispatched": DISPATCHED,
            "profiled": PROFILED,
            "memory": memory_arrivals,
        }
        if sum(sizes.values()) > len(ids):
            raise RuntimeError(f"{len(ids)} people with a phone, {sum(sizes.values())} wanted")
        self.groups: dict[str, list[int]] = {}
        start = 0
        for name, size in sizes.items():
            self.groups[name] = ids[start : start + size]
            start += size

    def __getitem__(self, name: str) -> list[int]:
        return self.groups[name]


def people_needed(check_ins: int) -> int:
    """People to load so that enough have a phone (about 80% do) for every group."""
    with_phone = FLIGHT + DISPATCH_WARMUP + DISPATCHED + PROFILED + memory_arrivals(check_ins)
    return math.ceil(with_phone / 0.8 * 1.05) + 1000


def memory_arrivals(check_ins: int) -> int:
    """Arrivals for `check_ins` rows of STEPS steps, and at least one per due check-in."""
    return max(math.ceil(check_ins / STEPS), DUE)


def consenting_people(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT DISTINCT returnee_id FROM phones WHERE has_consent AND is_usable "
                "AND channel <> 'none' ORDER BY returnee_id"
            )
        )
        return [row[0] for row in rows]


def add_arrivals(engine: Engine, returnee_ids: list[int], reference: str) -> list[int]:
    """One flight arrival at NOW for each of these people, as reception stores it; their ids in
    the order of `returnee_ids`."""
    with engine.begin() as connection:
        rows = connection.execute(
            text(
                "INSERT INTO arrivals (returnee_id, centre_id, arrived_at, mode, "
                "deporting_country, reference, is_unaccompanied, created_at) "
                "SELECT r.id, r.centre_id, :at, 'flight', 'US', :reference, false, :at "
                "FROM unnest(CAST(:ids AS integer[])) WITH ORDINALITY AS wanted(id, n) "
                "JOIN returnees r ON r.id = wanted.id ORDER BY wanted.n RETURNING id"
            ),
            {"ids": returnee_ids, "at": NOW, "reference": reference},
        )
        return [row[0] for row in rows]


def prepared(url: str, check_ins: int) -> tuple[Flask, Pools]:
    ensure_database(url, recreate=True)
    app = bench_app(url)
    engine = app.extensions[EXTENSION].engine
    people = people_needed(check_ins)
    started = time.perf_counter()
    rate = populate(engine, people)
    pools = Pools(consenting_people(engine), memory_arrivals(check_ins))
    print(
        f"  registry: {people:,} people loaded at {rate:,.0f}/s, "
        f"{time.perf_counter() - started:.1f} s in all",
        flush=True,
    )
    app.extensions[CLOCK] = FixedClock(NOW)
    return app, pools


# a. a flight's plans -----------------------------------------------------------------------


def send_check_in(arrival_id: int, step_id: int, phone: str, template: str) -> None:
    """What each APScheduler job would run (never run here)."""


CHECK_IN_COLUMNS = (
    "returnee_id, arrival_id, step_id, plan_version, due_at, phone, channel, template, "
    "answer_type, state, answer, created_at"
)


class Flight:
    """The three ways of storing a flight's check-ins, each run then undone (untimed)."""

    def __init__(self, app: Flask, url: str, arrivals: list[int]) -> None:
        self.app, self.url, self.arrivals = app, url, arrivals
        self.engine: Engine = app.extensions[EXTENSION].engine
        self.expected = len(arrivals) * STEPS
        self.statements = 0

    def clear(self) -> None:
        """Undo a run, and vacuum away what the undoing left: the same flight stored 60 times
        over would otherwise leave each run more dead rows and index entries than the last,
        garbage of this benchmark's own making that no real registration meets."""
        with self.engine.begin() as connection:
            connection.execute(
                text("DELETE FROM check_ins WHERE arrival_id = ANY(:ids)"), {"ids": self.arrivals}
            )
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM check_ins")

    def ours(self) -> tuple[float, float]:
        """schedule_follow_ups and its commit; the milliseconds of it all and of its insert
        (timed around insert_check_ins: a COPY reaches no cursor event)."""
        inserting = [0.0]
        insert = followup_services.insert_check_ins

        def timed_insert(session: Any, rows: list[dict]) -> None:
            started = time.perf_counter()
            insert(session, rows)
            inserting[0] = (time.perf_counter() - started) * 1000

        followup_services.insert_check_ins = timed_insert
        try:
            with StatementTimer(self.engine) as timer:
                started = time.perf_counter()
                with self.app.app_context(), unit_of_work() as session:
                    assert schedule_follow_ups(session, self.arrivals) == self.expected
                took = (time.perf_counter() - started) * 1000
        finally:
            followup_services.insert_check_ins = insert
        self.statements = timer.statements
        self.clear()
        return took, inserting[0]

    def rows(self) -> list[tuple[int, int, datetime, str, str]]:
        """What schedule_follow_ups stores, for the other two to store the same; kept in the
        temporary table flight_rows of `self.floor_connection`."""
        with self.app.app_context(), unit_of_work() as session:
            schedule_follow_ups(session, self.arrivals)
        self.floor_connection = self.engine.connect()
        self.floor_connection.execute(
            text(
                f"CREATE TEMP TABLE flight_rows AS SELECT {CHECK_IN_COLUMNS} FROM check_ins "
                "WHERE arrival_id = ANY(:ids)"
            ),
            {"ids": self.arrivals},
        )
        self.floor_connection.commit()
        rows = self.floor_connection.execute(
            text("SELECT arrival_id, step_id, due_at, phone, template FROM flight_rows")
        )
        self.clear()
        return [tuple(row) for row in rows]

    def floor(self) -> float:
        """The same rows by one INSERT ... SELECT from flight_rows, and its commit: what the
        database itself spends on them (five indexes, four foreign-key checks a row)."""
        connection = self.floor_connection
        started = time.perf_counter()
        connection.exec_driver_sql(
            f"INSERT INTO check_ins ({CHECK_IN_COLUMNS}) SELECT {CHECK_IN_COLUMNS} FROM flight_rows"
        )
        connection.commit()
        took = (time.perf_counter() - started) * 1000
        self.clear()
        return took

    def close(self) -> None:
        self.floor_connection.close()


class JobStoreFlight:
    """The obvious design: one APScheduler date job per check-in, on a started (paused)
    BackgroundScheduler whose SQLAlchemyJobStore is on the same PostgreSQL."""

    def __init__(self, url: str, rows: list[tuple[int, int, datetime, str, str]]) -> None:
        self.rows = rows
        self.engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
        self.store = SQLAlchemyJobStore(engine=self.engine, tablename=APS_TABLE)
        self.scheduler = BackgroundScheduler(jobstores={"default": self.store}, timezone=UTC)
        self.scheduler.start(paused=True)  # jobs go to the store at once, and none runs

    def run(self) -> float:
        """Milliseconds to add every row as a job; the jobs are removed after (untimed)."""
        started = time.perf_counter()
        for arrival_id, step_id, due_at, phone, template in self.rows:
            self.scheduler.add_job(
                send_check_in, "date", run_date=due_at, args=[arrival_id, step_id, phone, template]
            )
        took = (time.perf_counter() - started) * 1000
        with self.engine.connect() as connection:
            stored = connection.scalar(text(f"SELECT count(*) FROM {APS_TABLE}"))
        assert stored == len(self.rows), f"{stored} jobs stored, {len(self.rows)} added"
        self.scheduler.remove_all_jobs()
        return took

    def close(self) -> None:
        self.scheduler.shutdown(wait=False)
        self.store.jobs_t.drop(self.engine)
        self.engine.dispose()


def plan_figures(app: Flask, url: str, pools: Pools) -> None:
    """APS_RUNS + 1 rounds (the first a warm-up), each PLAN_RUNS / APS_RUNS runs of ours and of
    the SQL floor, then one of APScheduler: the three see the same load on the machine."""
    arrivals = add_arrivals(app.extensions[EXTENSION].engine, pools["flight"], "BENCH-FLIGHT")
    flight = Flight(app, url, arrivals)
    rows = flight.rows()
    jobstore = JobStoreFlight(url, rows)
    times, inserts, floor, aps = [], [], [], []
    try:
        for round_number in range(APS_RUNS + 1):
            for _ in range(PLAN_RUNS // APS_RUNS):
                took, insert_ms = flight.ours()
                floor_ms = flight.floor()
                if round_number:
                    times.append(took)
                    inserts.append(insert_ms)
                    floor.append(floor_ms)
            took = jobstore.run()
            if round_number:
                aps.append(took)
    finally:
        jobstore.close()
        flight.close()
    ours = p50(times)
    print(
        f"  a. a {FLIGHT}-person flight's plans, {len(rows):,} check-ins (p50 / p95 of "
        f"{len(times)} runs; APScheduler: of {len(aps)}; interleaved)"
    )
    print(
        f"     schedule_follow_ups + commit : {spread(times)}  "
        f"({flight.statements} statements and a COPY)"
    )
    print(f"       of which its COPY          : {spread(inserts)}")
    against = p95(times) / PLAN_TARGET_MS
    print(f"       p95 against {PLAN_TARGET_MS:.0f} ms target   : {against:8.2f} of it")
    print(f"     same rows, INSERT ... SELECT : {spread(floor)}  (in SQL: the server's share)")
    print(f"       ratio of ours to it        : {ours / p50(floor):8.2f}")
    print(f"     APScheduler add_job x {len(rows):,}  : {spread(aps)}")
    print(
        f"       its per job                : {p50(aps) / len(rows):8.3f} ms "
        f"(SQLAlchemyJobStore, one transaction each)"
    )
    print(f"     speed-up (target {SPEEDUP_TARGET:.0f}x)       : {p50(aps) / ours:8.1f}x")
    if p95(times) > PLAN_TARGET_MS or p50(aps) / ours < SPEEDUP_TARGET:
        profiler = cProfile.Profile()
        for _ in range(10):
            profiler.enable()
            with app.app_context(), unit_of_work() as session:
                schedule_follow_ups(session, flight.arrivals)
            profiler.disable()
            flight.clear()
        show_profile(profiler, "10 flights planned", ("schedule_follow_ups",))


# b. dispatch throughput --------------------------------------------------------------------


class Dispatched:
    """What dispatch_all did: check-ins queued and messages sent, and the seconds and SQL
    statements of each job."""

    def __init__(self) -> None:
        self.queued = self.sent = self.queue_statements = self.send_statements = 0
        self.queue_seconds = self.send_seconds = 0.0


def dispatch_all(app: Flask) -> Dispatched:
    """The check-in job then the message job, in turn, until neither does anything."""
    queue_job, send_job = job("dispatch-check-ins"), job("send-due-messages")
    engine, done = app.extensions[EXTENSION].engine, Dispatched()
    while True:
        with StatementTimer(engine) as timer:
            started = time.perf_counter()
            queued = run_job(app, queue_job)
            done.queue_seconds += time.perf_counter() - started
        done.queue_statements += timer.statements
        with StatementTimer(engine) as timer:
            started = time.perf_counter()
            sent = run_job(app, send_job)
            done.send_seconds += time.perf_counter() - started
        done.send_statements += timer.statements
        done.queued, done.sent = done.queued + queued, done.sent + sent
        if not queued and not sent:
            return done


def plan_for(app: Flask, returnee_ids: list[int], reference: str) -> None:
    """Their arrivals at NOW and their plans: day 0 due now, the other steps later."""
    arrivals = add_arrivals(app.extensions[EXTENSION].engine, returnee_ids, reference)
    with app.app_context(), unit_of_work() as session:
        schedule_follow_ups(session, arrivals)


def bare_replay_rate(fake_url: str, forms: list[dict[str, str]], concurrency: int) -> float:
    """The bare twilio Client sending these requests again, as our pipeline sent them and as
    many at once (after as many of them again as a warm-up)."""
    replayed = [
        {
            "to": form["To"],
            "from_": form["From"],
            "body": form["Body"],
            "status_callback": form["StatusCallback"],
            "validity_period": int(form["ValidityPeriod"]),
        }
        for form in forms
    ]
    warmup = replayed[:DISPATCH_WARMUP]
    return bare_rate(fake_url, warmup + replayed, concurrency, warmup=len(warmup))


def dispatch_round(
    app: Flask, fake: Any, people: list[int], reference: str
) -> tuple[Dispatched, float, float]:
    """Our pipeline on these people's day-0 check-ins, then the bare client replaying the very
    requests it sent: what it did, and the bare client's rate with as many at once as the send
    job, then one at a time (as the send job sent before SEND_CONCURRENCY)."""
    plan_for(app, people, reference)
    fake.requests.clear()
    done = dispatch_all(app)
    forms = fake.created()
    fake.requests.clear()
    concurrent = bare_replay_rate(fake.base_url, forms, app.config["SEND_CONCURRENCY"])
    return done, concurrent, bare_replay_rate(fake.base_url, forms, 1)


def dispatch_figures(app: Flask, pools: Pools) -> None:
    fake, stop = serve_fake_twilio()
    try:
        app.extensions[GATEWAY] = TwilioGateway(
            ACCOUNT_SID, AUTH_TOKEN, sms_from=SMS_FROM, api_base_url=fake.base_url
        )
        plan_for(app, pools["dispatch_warmup"], "BENCH-WARMUP")
        dispatch_all(app)
        size = DISPATCHED // DISPATCH_ROUNDS
        rounds = [
            dispatch_round(app, fake, pools["dispatched"][n * size : (n + 1) * size], f"BENCH-D{n}")
            for n in range(DISPATCH_ROUNDS)
        ]
        with app.app_context():
            states = Counter(
                get_session().scalars(
                    select(CheckIn.state).where(CheckIn.returnee_id.in_(pools["dispatched"]))
                )
            )
        ours = [done.sent / (done.queue_seconds + done.send_seconds) for done, *_ in rounds]
        ratios = [rate / bare for rate, (_done, bare, _one) in zip(ours, rounds, strict=True)]
        to_one = [rate / one for rate, (_done, _bare, one) in zip(ours, rounds, strict=True)]
        queued = sum(done.queued for done, *_ in rounds)
        sent = sum(done.sent for done, *_ in rounds)
        queue_seconds = sum(done.queue_seconds for done, *_ in rounds)
        send_seconds = sum(done.send_seconds for done, *_ in rounds)
        concurrency = app.config["SEND_CONCURRENCY"]
        print(
            f"  b. dispatch throughput to the fake Twilio answering at once ({DISPATCH_ROUNDS} "
            f"rounds of {size} people, one due check-in each, each round then the bare client "
            f"replaying it; clock at {NOW:%H:%M} UTC = 10:00 in Guatemala; SEND_CONCURRENCY "
            f"{concurrency})"
        )
        print(f"     dispatch_check_ins + messages: {p50(ours):8.0f} msg/s ({sent} sent; median)")
        print(
            f"       dispatch-check-ins job     : {queued / queue_seconds:8.0f} check-ins/s, "
            f"{sum(d.queue_statements for d, *_ in rounds) / queued:.2f} SQL statements each"
        )
        print(
            f"       send-due-messages job      : {sent / send_seconds:8.0f} msg/s, "
            f"{sum(d.send_statements for d, *_ in rounds) / sent:.2f} SQL statements each"
        )
        print(
            f"     bare twilio Client, replayed, {concurrency} at once : "
            f"{p50([b for _d, b, _o in rounds]):8.0f} msg/s (median)"
        )
        each = ", ".join(f"{ratio:.2f}" for ratio in ratios)
        print(
            f"       ratio (target {DISPATCH_TARGET:.2f})         : {p50(ratios):8.2f} "
            f"(median of {each})"
        )
        print(
            f"     bare twilio Client, replayed, one at a time : "
            f"{p50([o for _d, _b, o in rounds]):8.0f} msg/s (median)"
        )
        each = ", ".join(f"{ratio:.2f}" for ratio in to_one)
        print(
            f"       ratio (as measured before SEND_CONCURRENCY) : {p50(to_one):8.2f} "
            f"(median of {each})"
        )
        left = ", ".join(f"{state.value} {n}" for state, n in sorted(states.items()))
        print(f"     their check-ins after the run: {left}")
        if p50(ratios) < DISPATCH_TARGET:
            plan_for(app, pools["profiled"], "BENCH-PROFILED")
            profiler = cProfile.Profile()
            profiler.enable()
            profiled = dispatch_all(app)
            profiler.disable()
            show_profile(
                profiler,
                f"{profiled.sent} check-ins queued and sent",
                ("queue_due_check_ins", "send_due_messages"),
            )
    finally:
        stop()


# c. the worker's memory --------------------------------------------------------------------


def load_check_ins(engine: Engine, arrivals: list[int], count: int) -> float:
    """Empty check_ins and outbound_messages (and what refers to them), then load `count`
    scheduled check-ins: step 1 of the first DUE arrivals due 10 minutes ago, every other one
    due within the next 180 days (every arrival's step 1, then every arrival's step 2, ...).
    Returns the seconds it took."""
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE check_ins, outbound_messages RESTART IDENTITY CASCADE")
        connection.execute(
            text(
                "INSERT INTO check_ins (returnee_id, arrival_id, step_id, plan_version, due_at, "
                "phone_index, channel, template, answer_type, state, answer, created_at) "
                "SELECT a.returnee_id, a.id, s.id, 1, "
                "CASE WHEN wanted.n <= :due AND s.position = 1 "
                "THEN :now - interval '10 minutes' "
                "ELSE :now + interval '1 hour' "
                "+ ((a.id * 7919 + s.position * 104729) % 15552000) * interval '1 second' END, "
                "p.number_index, p.channel, s.template, s.answer_type, 'scheduled', '', :now "
                "FROM unnest(CAST(:ids AS integer[])) WITH ORDINALITY AS wanted(id, n) "
                "JOIN arrivals a ON a.id = wanted.id "
                "JOIN (SELECT DISTINCT ON (returnee_id) returnee_id, number_index, channel "
                "      FROM phones "
                "      WHERE has_consent AND is_usable ORDER BY returnee_id, id) p "
                "  ON p.returnee_id = a.returnee_id "
                "JOIN plan_steps s ON s.plan_id = "
                "  (SELECT id FROM follow_up_plans WHERE profile = 'adult') "
                "WHERE (s.position - 1) * :arrivals + wanted.n <= :count"
            ),
            {"ids": arrivals, "due": DUE, "now": NOW, "arrivals": len(arrivals), "count": count},
        )
        seal_due_numbers(connection)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE check_ins")
        connection.exec_driver_sql("ANALYZE outbound_messages")
    return time.perf_counter() - started


def seal_due_numbers(connection: Any) -> None:
    """The numbers of the check-ins due now, sealed to their rows as the app seals them: the
    worker sends those. The others keep only the blind index (sealing a million one by one
    would be most of the load, and the worker never opens them)."""
    due = connection.execute(
        text(
            "SELECT c.id, p.id, p.number FROM check_ins c JOIN phones p "
            "ON p.returnee_id = c.returnee_id AND p.number_index = c.phone_index "
            "WHERE c.due_at <= :now"
        ),
        {"now": NOW},
    ).all()
    keys = keyring()
    changes = [
        {
            "id": check_in_id,
            "phone": keys.seal(
                keys.open(envelope, f"phones.number.{phone_id}"), f"check_ins.phone.{check_in_id}"
            ),
        }
        for check_in_id, phone_id, envelope in due
    ]
    if changes:
        connection.execute(text("UPDATE check_ins SET phone = :phone WHERE id = :id"), changes)


def job_results(output: str) -> dict[str, str]:
    """What `worker --once` printed: each job's result by its id."""
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


def settle(command: list[str], env: dict[str, str], engine: Engine) -> int:
    """Run the worker, unmeasured, until no job but the check-ins' and messages' has work left
    (a fresh registry gives some jobs a one-off backlog, such as scoring everyone), at most
    SETTLE_RUNS times; then undo what it sent. Returns the runs it took."""
    runs = 0
    while runs < SETTLE_RUNS:
        runs += 1
        _peak, _seconds, output = peak_rss(command, env)
        busy = {job_id for job_id, result in job_results(output).items() if result != "0"}
        if busy <= {"dispatch-check-ins", "send-due-messages"}:
            break
    undo_worker(engine)
    return runs


def undo_worker(engine: Engine) -> None:
    """The due check-ins scheduled again and their messages gone, for the next round."""
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE check_ins SET state = 'scheduled', message_id = NULL, queued_at = NULL, "
            "sent_at = NULL WHERE state <> 'scheduled' OR message_id IS NOT NULL"
        )
        connection.exec_driver_sql("DELETE FROM outbound_messages")


def peak_rss(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run `command` from the checkout, started by LAUNCHER; its peak RSS in MB, the seconds
    it took, and its output."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    seconds = time.perf_counter() - started
    output = done.stdout.decode(errors="replace")
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{output}")
    *lines, last = output.rstrip("\n").split("\n")
    return int(last.removeprefix("peak-rss-kb ")) / 1024, seconds, "\n".join(lines)


def worker_env(url: str, fake_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TWILIO_")}
    return env | {
        "RETURNEES_ENV": "test",
        "DATABASE_URL": url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_API_BASE_URL": fake_url,
    }


def stop_cost(app: Flask, number: str) -> tuple[list[float], int, list[str]]:
    """Milliseconds of cancel_pending_for_number for a number with pending check-ins (rolled
    back each time), how many it cancels, and the plan of its UPDATE."""
    engine = app.extensions[EXTENSION].engine
    times, cancelled = [], 0
    with app.app_context():
        session = get_session()
        for run in range(WARMUP + STOPS):
            started = time.perf_counter()
            cancelled = cancel_pending_for_number(session, number)
            took = (time.perf_counter() - started) * 1000
            session.rollback()
            if run >= WARMUP:
                times.append(took)
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE CHECK_INS"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with app.app_context():
            cancel_pending_for_number(get_session(), number)
            get_session().rollback()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = seen[0]
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
        lines = [row[0] for row in plan]
        connection.rollback()
    return times, cancelled, lines


def memory_figures(app: Flask, url: str, pools: Pools, wanted: int) -> None:
    engine = app.extensions[EXTENSION].engine
    arrivals = add_arrivals(engine, pools["memory"], "BENCH-MEMORY")
    fake, stop = serve_fake_twilio()
    env = worker_env(url, fake.base_url)
    command = [str(FLASK), "--app", "wsgi", "worker", "--once", "--now", NOW.isoformat()]
    with engine.connect() as connection:
        number = connection.scalar(
            text(
                "SELECT number FROM phones WHERE returnee_id = :id AND has_consent "
                "AND is_usable ORDER BY id LIMIT 1"
            ),
            {"id": pools["memory"][0]},
        )
    results: dict[int, list[float]] = {}
    try:
        floor, floor_seconds, _ = peak_rss([sys.executable, "-c", "import wsgi"], env)
        print(
            f"  c. the worker's peak RSS, `flask --app wsgi worker --once --now "
            f"{NOW.isoformat()}` in a fresh subprocess ({DUE} due, {ROUNDS} runs each)"
        )
        print(f"     python -c 'import wsgi'      : {floor:8.1f} MB ({floor_seconds:.1f} s)")
        for count in (SMALL, wanted):
            load_seconds = load_check_ins(engine, arrivals[: memory_arrivals(count)], count)
            if count == SMALL:
                runs = settle(command, env, engine)
                print(f"     settled first in {runs} unmeasured worker runs")
            with engine.connect() as connection:
                states = connection.execute(
                    text(
                        "SELECT count(*), count(*) FILTER (WHERE due_at <= :now) "
                        "FROM check_ins WHERE state = 'scheduled'"
                    ),
                    {"now": NOW},
                ).one()
            results[count] = []
            for run in range(ROUNDS):
                if run:
                    undo_worker(engine)
                peak, seconds, output = peak_rss(command, env)
                results[count].append(peak)
                done = ", ".join(f"{k}: {v}" for k, v in job_results(output).items() if v != "0")
                print(
                    f"     {states[0]:>9,} scheduled ({states[1]} due): {peak:6.1f} MB, "
                    f"{seconds:.1f} s  [{done}]"
                )
            print(f"       loaded in {load_seconds:.1f} s")
            times, cancelled, plan = stop_cost(app, number)
            print(
                f"       cancel_pending_for_number  : {spread(times)} "
                f"(a STOP; cancels {cancelled} check-ins)"
            )
            for line in plan:
                if "Scan" in line or "Execution Time" in line or "Rows Removed" in line:
                    print(f"         {line.strip()}")
        small, big = max(results[SMALL]), max(results[wanted])
        print(f"     peak at {SMALL:,} / at {wanted:,}   : {small:.1f} / {big:.1f} MB")
        print(f"       ratio (target <= 1.00)     : {big / small:8.2f}")
        print(
            f"       {wanted:,} against {MEMORY_TARGET_MB:.0f} MB target: "
            f"{big / MEMORY_TARGET_MB:8.2f} of it"
        )
        print(f"       above the bare import      : {small - floor:.1f} / {big - floor:.1f} MB")
    finally:
        stop()


def main() -> None:
    url, wanted = bench_url(), check_ins_wanted()
    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake's request log
    print(
        f"followups (postgresql, fake Twilio on 127.0.0.1; {os.cpu_count()} CPUs, "
        f"load average {load_average})",
        flush=True,
    )
    app, pools = prepared(url, wanted)
    settle_heap()  # as wsgi.py and `flask worker` do once the app is loaded
    plan_figures(app, url, pools)
    sys.stdout.flush()
    dispatch_figures(app, pools)
    sys.stdout.flush()
    memory_figures(app, url, pools, wanted)
    app.extensions[EXTENSION].engine.dispose()
