"""What the nightly risk recompute costs for BENCH_PEOPLE returnees (default 1,000,000; target:
under 120 s on PostgreSQL).

The people come from bench.populate (returnees and phones by COPY); their arrivals (a third
returned before, a tenth twice), screenings, indicator readings and answered or unanswered
check-ins are generated in SQL from each person's id, so the same population comes back every
time. Then the job `recompute-risk` runs through `run_job`, as a worker runs it (each run up to
PER_RUN people in batches of BATCH, committing after each batch), until a run finds nobody due:

a. first scoring: no flag exists yet; every flag, every first level above low and every
   high-risk task is written;
b. the nightly run, the clock 25 hours later: every flag is due, the recency of what people said
   moves some scores, and only what changed is rewritten;
c. a run with nothing due, as the job runs every few minutes.

b is run by one worker, then (the clock another 25 hours later) by BENCH_RISK_WORKERS worker
processes at once (default 2), which share the work through SKIP LOCKED. Between two runs the
flags are vacuumed, as autovacuum does in the day between two nights.

The baseline, in the same run (last, with the same warm cache): reading the same inputs in the
same batches (services.gather), without scoring or writing. The database is
BENCH_RISK_DATABASE_URL (default postgresql://127.0.0.1:5432/returnees_bench_risk), populated
once and reused; BENCH_REPOPULATE=1 builds it again. `python -m bench risk`; BENCH_PEOPLE=100000
scales it down.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import Engine, text

from bench.populate import bench_app, count_people, ensure_database, people_wanted, populate
from returnees import create_app
from returnees.core.clock import EXTENSION as CLOCK
from returnees.core.clock import FixedClock
from returnees.core.db import EXTENSION, get_session
from returnees.core.heap import settle_heap
from returnees.core.scheduler import run_job
from returnees.risk.jobs import JOBS
from returnees.risk.services import BATCH, gather

DEFAULT_URL = "postgresql://127.0.0.1:5432/returnees_bench_risk"
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
TARGET_S = 120.0

# Every input is a function of the person's id (h1..h4: four independent-looking hashes in
# 0..999), so the population is the same on every run. Times are relative to :now.
INPUTS_SQL = [
    "CREATE TEMP TABLE bench_people ON COMMIT DROP AS SELECT id, centre_id,"
    " ((id::bigint * 7919) % 1000)::int AS h1, ((id::bigint * 104729) % 1000)::int AS h2,"
    " ((id::bigint * 1299709) % 1000)::int AS h3, ((id::bigint * 15485863) % 1000)::int AS h4"
    " FROM returnees",
    # The latest arrival within the last 400 days; a third came back before, a tenth twice.
    "INSERT INTO arrivals (returnee_id, centre_id, arrived_at, mode, deporting_country,"
    " reference, is_unaccompanied, created_at)"
    " SELECT id, centre_id, :now - make_interval(days => (h1 % 400) + 400 * n), 'flight', 'US',"
    " '', false, :now FROM bench_people, generate_series(0, 2) AS n"
    " WHERE n = 0 OR (n = 1 AND h2 < 330) OR (n = 2 AND h2 < 100)",
    "UPDATE returnees SET arrivals_count = 1 + (b.h2 < 330)::int + (b.h2 < 100)::int"
    " FROM bench_people b WHERE b.id = returnees.id AND b.h2 < 330",
    # 85% screened at their latest arrival.
    "INSERT INTO screenings (arrival_id, reasons_for_leaving, was_crime_victim, was_threatened,"
    " family_abroad, months_abroad, has_journey_debt, intends_to_migrate_again, health_needs,"
    " psychosocial_needs, trafficking_indicators, school_status, occupation, skills, notes,"
    " completed_at)"
    " SELECT a.id, '[]', b.h3 < 150, b.h4 < 100,"
    " (CASE WHEN b.h3 % 20 < 5 THEN '[\"spouse\"]' WHEN b.h3 % 20 < 7 THEN '[\"children\"]'"
    ' WHEN b.h3 % 20 = 7 THEN \'["spouse", "children"]\' WHEN b.h3 % 20 < 10'
    " THEN '[\"parents\"]' ELSE '[]' END)::json,"
    " b.h4 % 60, b.h1 % 5 < 2, b.h2 % 5 = 0, '', '', '[]', '', NULL, NULL, '',"
    " a.arrived_at + interval '2 hours'"
    " FROM arrivals a JOIN bench_people b ON b.id = a.returnee_id"
    " WHERE a.arrived_at > :now - interval '400 days' AND b.h4 < 850",
    # Half answered about school or work a month after arriving; a fifth about leaving again.
    "INSERT INTO indicator_readings (returnee_id, indicator, value, observed_at, source)"
    " SELECT b.id, CASE WHEN b.h3 % 7 = 0 THEN 'in_school' ELSE 'working' END, b.h1 % 5 < 3,"
    " :now - make_interval(days => greatest((b.h1 % 400) - 30, 0)), 'check-in'"
    " FROM bench_people b WHERE b.h2 % 2 = 0",
    "INSERT INTO indicator_readings (returnee_id, indicator, value, observed_at, source)"
    " SELECT b.id, 'leaving_again', b.h4 % 5 < 2,"
    " :now - make_interval(days => (b.h3 % 120)), 'check-in'"
    " FROM bench_people b WHERE b.h1 % 5 = 0",
    # Four check-ins with an outcome for each person with a phone; a quarter go unanswered.
    # Their numbers are sealed: only the blind index is copied (the risk run reads neither).
    "INSERT INTO check_ins (returnee_id, arrival_id, plan_version, due_at, phone_index, channel,"
    " template, answer_type, state, answer, created_at)"
    " SELECT a.returnee_id, a.id, 1, a.arrived_at + make_interval(days => d), p.number_index,"
    " 'sms',"
    " 'arrived_safe', 'yes_no',"
    " CASE WHEN ((a.returnee_id::bigint * 31 + d) * 2654435761) % 1000 < 250 THEN 'unanswered'"
    " ELSE 'answered' END, '', :now"
    " FROM arrivals a JOIN phones p ON p.returnee_id = a.returnee_id,"
    " unnest(ARRAY[1, 7, 30, 60]) AS d"
    " WHERE a.arrived_at > :now - interval '400 days'",
]
TABLES = ("arrivals", "screenings", "indicator_readings", "check_ins")


def bench_url() -> str:
    return os.environ.get("BENCH_RISK_DATABASE_URL", DEFAULT_URL)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(text(f"SELECT count(*) FROM {table}"))


def prepare(wanted: int) -> Flask:
    """The bench database with `wanted` people and their inputs (built once, then reused)."""
    url = bench_url()
    if os.environ.get("BENCH_REPOPULATE"):
        ensure_database(url, recreate=True)
    app = bench_app(url)
    engine = app.extensions[EXTENSION].engine
    if count_people(engine) != wanted or count(engine, "arrivals") == 0:
        app.extensions[EXTENSION].engine.dispose()
        ensure_database(url, recreate=True)
        app = bench_app(url)
        engine = app.extensions[EXTENSION].engine
        started = time.perf_counter()
        populate(engine, wanted)
        with engine.begin() as connection:
            for statement in INPUTS_SQL:
                connection.execute(text(statement), {"now": NOW})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
        say(f"  populate: {time.perf_counter() - started:.0f} s")
    return app


def forget_scores(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE risk_flags, risk_level_changes")
        connection.exec_driver_sql("DELETE FROM tasks WHERE kind = 'high_risk'")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE risk_flags")
        connection.exec_driver_sql("VACUUM ANALYZE tasks")


def vacuum(engine: Engine) -> None:
    """What autovacuum does in the day between two nightly runs."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE risk_flags")


def run_until_done(app: Flask, at: datetime) -> tuple[float, int, int]:
    """Run the job as a worker does until a run finds nobody due: (seconds, people, runs)."""
    (job,) = JOBS
    app.extensions[CLOCK] = FixedClock(at)
    started, people, runs = time.perf_counter(), 0, 0
    while True:
        done = run_job(app, job)
        runs += 1
        people += done
        if not done:
            return time.perf_counter() - started, people, runs
        say(f"  {people:>9,} people, {time.perf_counter() - started:6.1f} s")


def worker(url: str, at: str) -> tuple[int, int]:
    """One worker process of its own (app, engine, clock) running the job until nothing is due,
    its heap settled as `flask worker` settles it."""
    app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": url})
    settle_heap()
    _seconds, people, runs = run_until_done(app, datetime.fromisoformat(at))
    app.extensions[EXTENSION].engine.dispose()
    return people, runs


def run_in_workers(count: int, at: datetime) -> tuple[float, int, int]:
    """`count` worker processes at once, as a deployment with several workers runs the job."""
    if count == 1:
        app = bench_app(bench_url())
        settle_heap()
        return run_until_done(app, at)
    started = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=count, mp_context=spawn) as pool:
        done = list(pool.map(worker, [bench_url()] * count, [at.isoformat()] * count))
    people, runs = (sum(column) for column in zip(*done, strict=True))
    return time.perf_counter() - started, people, runs


def read_inputs(app: Flask, people: int) -> float:
    """The baseline: gather the same inputs in the same batches, without scoring or writing."""
    started = time.perf_counter()
    with app.app_context():
        session = get_session()
        first = session.scalar(text("SELECT min(id) FROM returnees"))
        for start in range(first, first + people, BATCH):
            gather(session, list(range(start, start + BATCH)), NOW)
            session.rollback()
    return time.perf_counter() - started


def figures(engine: Engine) -> str:
    with engine.connect() as connection:
        levels = dict(
            connection.execute(text("SELECT level, count(*) FROM risk_flags GROUP BY 1")).all()
        )
        changes = connection.scalar(text("SELECT count(*) FROM risk_level_changes"))
        tasks = connection.scalar(
            text("SELECT count(*) FROM tasks WHERE kind = 'high_risk' AND status = 'open'")
        )
    shown = ", ".join(f"{levels.get(level, 0):,} {level}" for level in ("low", "medium", "high"))
    return f"{shown}; {changes:,} changes of level; {tasks:,} open high-risk tasks"


def line(name: str, seconds: float, people: int, runs: int, baseline: float) -> str:
    rate = people / seconds if seconds else 0
    million = 1_000_000 / rate if rate else 0
    verdict = "meets" if million < TARGET_S else "MISSES"
    return (
        f"{name:<26} {seconds:7.1f} s  {rate:>9,.0f} people/s  {runs:>3} runs"
        f"  x{seconds / baseline:4.1f} the baseline"
        f"  (1,000,000 in {million:.0f} s: {verdict} the {TARGET_S:.0f} s target)"
    )


def main() -> None:
    wanted = people_wanted()
    app = prepare(wanted)
    engine = app.extensions[EXTENSION].engine
    say(f"risk: {wanted:,} people, " + ", ".join(f"{count(engine, t):,} {t}" for t in TABLES))
    workers = int(os.environ.get("BENCH_RISK_WORKERS", "2"))
    forget_scores(engine)
    settle_heap()  # as wsgi.py and `flask worker` do once the app is loaded
    first = run_until_done(app, NOW)
    after_first = figures(engine)
    vacuum(engine)
    nightly = run_until_done(app, NOW + timedelta(hours=25))
    after_nightly = figures(engine)
    vacuum(engine)
    parallel = run_in_workers(workers, NOW + timedelta(hours=50))
    started = time.perf_counter()
    idle = run_until_done(app, NOW + timedelta(hours=50, minutes=5))
    idle_s = time.perf_counter() - started
    baseline = read_inputs(app, wanted)
    print(f"risk recompute, {wanted:,} people on PostgreSQL (batches of {BATCH:,}):")
    reading = f"{baseline:7.1f} s  {wanted / baseline:>9,.0f} people/s"
    print(f"{'baseline: read the inputs':<26} {reading}")
    print(line("a. first scoring", *first, baseline) + f"\n   {after_first}")
    print(line("b. nightly (25 h later)", *nightly, baseline) + f"\n   {after_nightly}")
    print(line(f"b. nightly, {workers} workers", *parallel, baseline))
    print(f"{'c. run with nothing due':<26} {idle_s * 1000:7.0f} ms ({idle[1]} people)")
    engine.dispose()


if __name__ == "__main__":
    main()
