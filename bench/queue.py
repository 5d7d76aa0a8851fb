"""What the social worker's queue costs on a full registry: build_queue, GET /api/v1/queue, /queue.

The registry: BENCH_PEOPLE people (default 1,000,000, loaded by bench.populate.populate with
their phones), one arrival each, CHECK_INS_PER_PERSON check-ins each (10,000,000) in mixed
states, one open case each (about 30% assigned to the social workers of the person's region,
about 10% with an earlier closed case), a risk flag each (about 10% high, 25% medium), and tasks:
about 3% of people with an open one (a few hundred urgent_safety, the rest call, visit,
review_reply, find_new_number, referral_follow_up and high_risk, due over the past and the next
days) and about 30% with a closed one. Everything past the people is INSERT ... SELECT in SQL.

a. build_queue(session, actor, criteria, limit) for a social worker of the busiest region
   (unfiltered; mine / children / overdue / mine+children; limit=200), for a supervisor
   (country scope; children) and for the social worker of a follow-up office (BENCH-OFFICE,
   which follows the people of the busiest centre, as routing leaves them): p50 / p95 of RUNS
   runs after WARMUP, against session.get by primary key, with each bucket query's own time;
   EXPLAIN (ANALYZE, BUFFERS) of the slowest.
b. GET /api/v1/queue with a bearer token and GET /queue signed in, as that social worker and as
   the office's, through the Flask test client (server time in process, with its SQL and
   template time), against GET /healthz and GET /api/v1/me; for the office's worker also a
   record of the office (web and API) and a search by family name.
c. When a p95 misses TARGET_MS (or BENCH_QUEUE_WHAT_IFS=1), each of WHAT_IFS (partial indexes
   on tasks, ANALYZE of the never-analysed centres table) is applied in a transaction that every
   session of the app joins by a savepoint, a and b measured again, and the transaction rolled
   back: nothing stays in the database (an index missing from the models would make bench_app
   rebuild it on the next run).

d. Encryption at rest: a and b run first on a twin database (the same name ending in `_plain`)
   whose app stores personal data unsealed (ENCRYPTION_ENABLED=false, refused outside the
   tests), then on the bench database as deployed, in BENCH_QUEUE_ROUNDS rounds (3); each p95
   with encryption on is given as a ratio to it off in the same round, the median of the rounds
   reported (a load that changes between two runs moves one round's ratio). The open tasks'
   reasons are sealed as the app seals them (the closed ones,
   which no queue shows, are left empty), and the check-ins' numbers are left empty beside the
   blind index of their person's phone: the queue never reads a check-in's number, and sealing
   10,000,000 of them one by one would be most of the load.

The application clock stands at the time the registry was loaded, so a cached registry gives the
same buckets on a later day. The database is BENCH_DATABASE_URL (default
postgresql://127.0.0.1:5432/returnees_queue_bench); it is loaded once and reused while its counts
match, BENCH_REPOPULATE=1 drops it and loads it again.
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import median
from typing import Any

from flask import Flask, before_render_template, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, make_url, text
from sqlalchemy.orm import sessionmaker

from bench.populate import (
    StatementTimer,
    bench_app,
    ensure_database,
    people_wanted,
    populate,
)
from bench.reception import p50, p95, signed_in, spread, timed
from bench.sizes import sized
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.auth.services import NewUser, create_user, find_user
from returnees.auth.tokens import issue_api_token
from returnees.casework.queue import QueueCriteria, build_queue
from returnees.core.clock import EXTENSION as CLOCK
from returnees.core.clock import FixedClock
from returnees.core.db import EXTENSION, get_session, unit_of_work
from returnees.core.encryption import keyring, phone_index
from returnees.core.heap import settle_heap
from returnees.people.models import Returnee

DEFAULT_URL = "postgresql://127.0.0.1:5432/returnees_queue_bench"
CHECK_INS_PER_PERSON = 10
RUNS, WARMUP = sized(100, 3), sized(5, 1)
TARGET_MS = 150.0
CHUNK = 100_000  # arrivals per INSERT ... SELECT of check-ins
ASSIGNED, EARLIER_CASES, CLOSED_TASKS = 0.30, 0.10, 0.30
URGENT_OPEN = 300  # open urgent_safety tasks in all (a few hundred)
ROUTINE_OPEN = 0.025  # share of people with an open call / visit / review / ... task
HIGH_RISK_OPEN = 0.08  # share of high-risk people with an open high_risk task
APPROVALS_OPEN = 50  # children's cases waiting for a supervisor
# Social workers per centre (its region's); the demo one works at GT-AURORA too.
WORKERS = {"GT-AURORA": 2, "GT-TECUN": 2, "HN-SPS": 3, "SV-SANSALVADOR": 2}
SUPERVISORS = ("HN-SPS", "SV-SANSALVADOR")  # the demo supervisor covers GT
# And per centre of WORKERS one worker with a caseload of the usual size, outside that 30%.
CASELOAD = 150
BENCH_ADMIN = Actor.system("bench-queue")
# Rounds of off-then-on: on a shared machine a load that changes between the two runs of one
# round moves one ratio; the median of a few rounds is what the comparison reports.
ROUNDS = int(os.environ.get("BENCH_QUEUE_ROUNDS", "3"))
# What a run tries when the target is missed, in a rolled-back transaction. The two partial
# indexes on tasks and ANALYZE centres it once tried are now migration 0011.
WHAT_IFS: dict[str, tuple[str, ...]] = {}
# Not centres: migration 0011 analyses it and lowers its autovacuum threshold.
TABLES = (
    "returnees", "phones", "arrivals", "check_ins", "cases", "risk_flags", "tasks", "users",
)  # fmt: skip


def bench_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def log(message: str) -> None:
    print(f"  queue: {message}", file=sys.stderr, flush=True)


# the registry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    people: int
    arrivals: int
    check_ins: int
    open_cases: int
    flags: int
    open_tasks: int

    @classmethod
    def of(cls, engine: Engine) -> Counts:
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM returnees), (SELECT count(*) FROM arrivals), "
                    "(SELECT count(*) FROM check_ins), "
                    "(SELECT count(*) FROM cases WHERE status <> 'closed'), "
                    "(SELECT count(*) FROM risk_flags), "
                    "(SELECT count(*) FROM tasks WHERE status = 'open')"
                )
            ).one()
        return cls(*row)

    def complete(self, people: int) -> bool:
        return (
            self.people == self.arrivals == self.open_cases == self.flags == people
            and self.check_ins == CHECK_INS_PER_PERSON * people
            and self.open_tasks > 0
        )


def ensure_staff(app: Flask) -> None:
    """The bench's social workers and supervisors (idempotent), with the demo password."""
    password = app.config["DEMO_PASSWORD"]
    wanted = (
        [
            (f"sw{n}.{code.lower()}@bench.returnees.test", Role.SOCIAL_WORKER, code)
            for code, count in WORKERS.items()
            for n in range(1, count + 1)
        ]
        + [
            (f"supervisor.{code.lower()}@bench.returnees.test", Role.SUPERVISOR, code)
            for code in SUPERVISORS
        ]
        + [
            (f"caseload.{code.lower()}@bench.returnees.test", Role.SOCIAL_WORKER, code)
            for code in WORKERS
        ]
    )
    with app.app_context(), unit_of_work() as session:
        for email, role, code in wanted:
            if find_user(session, email) is None:
                create_user(session, BENCH_ADMIN, NewUser(email, role.value, code, password))


def execute(engine: Engine, label: str, statement: str, **parameters: Any) -> int:
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
        # The rows are consistent by construction: no foreign-key trigger per row.
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        rows = connection.execute(text(statement), parameters).rowcount
    done = f"{rows:,} rows" if rows >= 0 else "done"
    log(f"{label}: {done} in {time.perf_counter() - started:.1f} s")
    return rows


@contextmanager
def indexes_dropped(engine: Engine, table: str) -> Iterator[None]:
    """The table's plain indexes (not those of a constraint) dropped for a bulk load, then built
    again from their own definitions."""
    with engine.begin() as connection:
        definitions = connection.execute(
            text(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = CAST(:table AS regclass) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
            ),
            {"table": table},
        ).all()
        for name, _definition in definitions:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        for name, definition in definitions:
            execute(engine, f"index {name}", definition)


def load_arrivals(engine: Engine, now: datetime) -> None:
    execute(
        engine,
        "arrivals",
        "INSERT INTO arrivals (returnee_id, centre_id, arrived_at, mode, deporting_country, "
        "reference, is_unaccompanied, created_at) "
        "SELECT r.id, r.centre_id, at, CASE WHEN c.kind = 'airport' THEN 'flight' ELSE 'bus' END, "
        "CASE WHEN random() < 0.8 THEN 'US' ELSE 'MX' END, '', "
        "coalesce(r.birth_date > CAST(:now AS date) - 18 * 365, false) AND random() < 0.3, at "
        "FROM (SELECT *, CAST(:now AS timestamptz) - random() * interval '730 days' AS at "
        "FROM returnees) r JOIN centres c ON c.id = r.centre_id ORDER BY r.id",
        now=now,
    )


def load_check_ins(engine: Engine, now: datetime) -> None:
    """CHECK_INS_PER_PERSON check-ins of each arrival, the steps of the adult plan: scheduled
    when still to come, else mostly answered or sent, some unanswered, a few failed."""
    with engine.connect() as connection:
        plan = connection.scalar(text("SELECT id FROM follow_up_plans WHERE profile = 'adult'"))
        low, high = connection.execute(text("SELECT min(id), max(id) FROM arrivals")).one()
    no_phone = phone_index("+50230000000")
    started = time.perf_counter()
    with indexes_dropped(engine, "check_ins"):
        for start in range(low, high + 1, CHUNK):
            execute(
                engine,
                f"check-ins of arrivals {start:,}..{min(start + CHUNK - 1, high):,}",
                "INSERT INTO check_ins (returnee_id, arrival_id, step_id, plan_version, due_at, "
                "phone_index, channel, template, answer_type, state, queued_at, sent_at, "
                "answered_at, answer, created_at) "
                "SELECT returnee_id, arrival_id, step_id, 1, due, phone, 'sms', template, "
                "answer_type, state, CASE WHEN state <> 'scheduled' THEN due END, "
                "CASE WHEN state NOT IN ('scheduled', 'failed') THEN due END, "
                "CASE WHEN state = 'answered' THEN due + interval '2 hours' END, "
                "CASE WHEN state = 'answered' THEN CASE WHEN draw < 0.05 THEN 'no' ELSE 'yes' "
                "END ELSE '' END, created "
                "FROM (SELECT returnee_id, arrival_id, step_id, due, phone, template, "
                "answer_type, created, draw, CASE WHEN due > :now THEN 'scheduled' "
                "WHEN draw < 0.55 THEN 'answered' WHEN draw < 0.75 THEN 'sent' "
                "WHEN draw < 0.85 THEN 'delivered' WHEN draw < 0.97 THEN 'unanswered' "
                "ELSE 'failed' END AS state FROM ("
                "SELECT a.returnee_id, a.id AS arrival_id, s.id AS step_id, "
                "a.arrived_at + s.day_offset * interval '1 day' AS due, "
                "coalesce(p.number_index, :no_phone) AS phone, s.template, s.answer_type, "
                "a.arrived_at AS created, random() AS draw "
                "FROM arrivals a JOIN plan_steps s ON s.plan_id = :plan AND s.position <= :steps "
                "LEFT JOIN phones p ON p.returnee_id = a.returnee_id "
                "WHERE a.id BETWEEN :low AND :high) drawn) stated",
                now=now,
                no_phone=no_phone,
                plan=plan,
                steps=CHECK_INS_PER_PERSON,
                low=start,
                high=min(start + CHUNK - 1, high),
            )
    log(f"check-ins: {time.perf_counter() - started:.1f} s in all")


def workers_by_centre(engine: Engine) -> dict[int, list[int]]:
    """Each returnee centre's social workers: those of any centre of its region."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.id, array_agg(u.id ORDER BY u.id) FROM centres c "
                "JOIN centres uc ON uc.country = c.country AND uc.region = c.region "
                "JOIN users u ON u.centre_id = uc.id AND u.role = 'social_worker' "
                "AND u.email NOT LIKE 'caseload.%' "
                "WHERE c.kind <> 'shelter' GROUP BY c.id"
            )
        )
        return {centre: list(workers) for centre, workers in rows}


def ensure_caseloads(engine: Engine) -> None:
    """CASELOAD open cases of their region, not assigned yet, for each caseload worker who has
    none (idempotent: a cached registry gets them once)."""
    with engine.connect() as connection:
        workers = connection.execute(
            text(
                "SELECT u.id, c.country, c.region FROM users u "
                "JOIN centres c ON c.id = u.centre_id WHERE u.email LIKE 'caseload.%' "
                "AND NOT EXISTS (SELECT 1 FROM cases WHERE assigned_to_id = u.id)"
            )
        ).all()
    for worker, country, region in workers:
        execute(
            engine,
            f"caseload of worker {worker}",
            "UPDATE cases SET assigned_to_id = :worker, assigned_at = opened_at + interval '1 day' "
            "WHERE id IN (SELECT k.id FROM cases k JOIN returnees r ON r.id = k.returnee_id "
            "JOIN centres c ON c.id = r.centre_id WHERE k.status = 'open' "
            "AND k.assigned_to_id IS NULL AND c.country = :country AND c.region = :region "
            "ORDER BY k.id * 2654435761 % 1000003 LIMIT :n)",
            worker=worker,
            country=country,
            region=region,
            n=CASELOAD,
        )


def load_cases(engine: Engine, now: datetime) -> None:
    for centre, workers in workers_by_centre(engine).items():
        execute(
            engine,
            f"open cases of centre {centre}",
            "INSERT INTO cases (returnee_id, status, is_child, assigned_to_id, assigned_at, "
            "opened_at, close_note) "
            "SELECT id, 'open', child, CASE WHEN draw < :assigned THEN "
            "(CAST(:workers AS integer[]))[1 + id % :n] END, "
            "CASE WHEN draw < :assigned THEN opened + interval '1 day' END, opened, NULL "
            "FROM (SELECT r.id, a.arrived_at AS opened, random() AS draw, "
            "coalesce(r.birth_date > CAST(:now AS date) - 18 * 365, false) OR a.is_unaccompanied "
            "AS child "
            "FROM returnees r JOIN arrivals a ON a.returnee_id = r.id "
            "WHERE r.centre_id = :centre) drawn ORDER BY id",
            assigned=ASSIGNED,
            workers=workers,
            n=len(workers),
            centre=centre,
            now=now,
        )
    execute(
        engine,
        "earlier closed cases",
        "INSERT INTO cases (returnee_id, status, is_child, opened_at, close_reason, close_note, "
        "closed_at) "
        "SELECT returnee_id, 'closed', false, opened_at - interval '400 days', 'migrated_again', "
        "NULL, opened_at - interval '200 days' FROM cases WHERE random() < :share",
        share=EARLIER_CASES,
    )


HIGH_REASONS = (
    '[{"rule": "family_abroad", "weight": 30, "evidence": {"who": ["children"]}}, '
    '{"rule": "two_or_more_earlier_returns", "weight": 20, "evidence": {"earlier_returns": 2}}]'
)
MEDIUM_REASONS = (
    '[{"rule": "one_earlier_return", "weight": 10, "evidence": {}}, '
    '{"rule": "unanswered_check_ins", "weight": 8, "evidence": {"unanswered": 2, "of": 3}}, '
    '{"rule": "journey_debt", "weight": 5, "evidence": {}}]'
)


def load_risk_flags(engine: Engine, now: datetime) -> None:
    execute(
        engine,
        "risk flags",
        "INSERT INTO risk_flags (returnee_id, score, level, reasons, rules_version, set_reason, "
        "computed_at) "
        "SELECT id, CASE WHEN draw < 0.10 THEN 40 + id % 40 WHEN draw < 0.35 THEN 20 + id % 20 "
        "ELSE id % 20 END, "
        "CASE WHEN draw < 0.10 THEN 'high' WHEN draw < 0.35 THEN 'medium' ELSE 'low' END, "
        "CAST(CASE WHEN draw < 0.10 THEN :high WHEN draw < 0.35 THEN :medium ELSE '[]' END "
        "AS json), 1, NULL, :now "
        "FROM (SELECT id, random() AS draw FROM returnees) drawn ORDER BY id",
        high=HIGH_REASONS,
        medium=MEDIUM_REASONS,
        now=now,
    )


TASK_COLUMNS = (
    "returnee_id, kind, status, priority, reason, subject, due_at, created_at, closed_at, "
    "close_note"
)
ROUTINE_KINDS = (
    "CASE WHEN k < 0.40 THEN 'call' WHEN k < 0.60 THEN 'review_reply' WHEN k < 0.75 THEN 'visit' "
    "WHEN k < 0.90 THEN 'find_new_number' ELSE 'referral_follow_up' END"
)
PRIORITIES = (
    "CASE kind WHEN 'urgent_safety' THEN 0 WHEN 'call' THEN 10 WHEN 'find_new_number' THEN 10 "
    "WHEN 'referral_follow_up' THEN 15 WHEN 'high_risk' THEN 20 WHEN 'approve_closing' THEN 25 "
    "WHEN 'review_reply' THEN 30 ELSE 40 END"
)
REASONS = {
    "urgent_safety": "answered: not safe",
    "call": "no answer x2",
    "visit": "no answer x3",
    "review_reply": "danger words: me amenazaron",
    "find_new_number": "wrong number",
    "high_risk": "high risk: 2 earlier returns, children abroad",
}


def seal_reasons(engine: Engine) -> None:
    """The open tasks' reasons, sealed to their rows as the app seals them (one COPY into a
    temporary table, one UPDATE)."""
    keys, started = keyring(), time.perf_counter()
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT id, kind FROM tasks WHERE status = 'open'")).all()
        connection.exec_driver_sql("CREATE TEMPORARY TABLE sealed (id integer, reason text)")
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy("COPY sealed (id, reason) FROM STDIN") as copy:
            for task_id, kind in rows:
                reason = REASONS.get(kind, "did they attend?")
                copy.write_row((task_id, keys.seal(reason, f"tasks.reason.{task_id}")))
        connection.exec_driver_sql(
            "UPDATE tasks SET reason = sealed.reason FROM sealed WHERE tasks.id = sealed.id"
        )
    log(f"{len(rows):,} open tasks' reasons sealed in {time.perf_counter() - started:.1f} s")


def load_tasks(engine: Engine, now: datetime, people: int) -> None:
    """Open tasks, due from a week ago to a fortnight on, and the closed ones of the past."""

    def insert(label: str, kinds: str, source: str, due: str, created: str, **extra: Any) -> None:
        execute(
            engine,
            label,
            f"INSERT INTO tasks ({TASK_COLUMNS}) "
            f"SELECT returnee_id, kind, 'open', {PRIORITIES}, NULL, kind, due, created, "
            f"NULL, NULL FROM (SELECT returnee_id, kind, created, {due} AS due FROM ("
            f"SELECT returnee_id, kind, d, {created} AS created FROM ("
            f"SELECT returnee_id, {kinds} AS kind, random() AS d FROM ({source}) chosen) kinded"
            ") created) timed ORDER BY due",
            now=now,
            **extra,
        )

    insert(
        "open urgent_safety tasks",
        "'urgent_safety'",
        "SELECT id AS returnee_id FROM returnees WHERE random() < :share",
        "created",
        ":now - d * interval '3 days'",
        share=min(1.0, URGENT_OPEN / people),
    )
    insert(
        "open high_risk tasks",
        "'high_risk'",
        "SELECT returnee_id FROM risk_flags WHERE level = 'high' AND random() < :share",
        ":now + (d * 8 - 3) * interval '1 day'",
        "least(:now, :now + (d * 8 - 4) * interval '1 day')",
        share=HIGH_RISK_OPEN,
    )
    insert(
        "open routine tasks",
        ROUTINE_KINDS,
        "SELECT id AS returnee_id, random() AS k FROM returnees WHERE random() < :share",
        ":now + (d * 21 - 7) * interval '1 day'",
        "least(:now, :now + (d * 21 - 10) * interval '1 day')",
        share=ROUTINE_OPEN,
    )
    insert(
        "open approve_closing tasks",
        "'approve_closing'",
        "SELECT returnee_id FROM cases WHERE is_child AND status = 'open' AND random() < :share",
        ":now + (d * 4 - 2) * interval '1 day'",
        ":now - interval '2 days'",
        share=min(1.0, APPROVALS_OPEN / max(1, people * 0.15)),
    )
    execute(
        engine,
        "closed tasks",
        f"INSERT INTO tasks ({TASK_COLUMNS}) "
        f"SELECT returnee_id, kind, CASE WHEN d < 0.9 THEN 'done' ELSE 'cancelled' END, "
        f"{PRIORITIES}, NULL, kind, created + interval '1 day', created, "
        "created + interval '2 days', NULL "
        "FROM (SELECT id AS returnee_id, d, "
        f"{ROUTINE_KINDS} AS kind, "
        ":now - (7 + d * 700) * interval '1 day' AS created "
        "FROM (SELECT id, random() AS d, random() AS k FROM returnees) drawn "
        "WHERE random() < :share) chosen ORDER BY created",
        now=now,
        share=CLOSED_TASKS,
    )


def vacuum(engine: Engine) -> None:
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in TABLES:
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
    log(f"VACUUM (ANALYZE): {time.perf_counter() - started:.1f} s")


OFFICE, OFFICE_WORKER = "BENCH-OFFICE", "office.worker@bench.returnees.test"


def ensure_office(app: Flask) -> None:
    """A follow-up office of the busiest region that follows up the people of its busiest
    centre (their cases and records name it, as routing leaves them), and a social worker of
    that office: the scope of an office's worker. Made once; kept with the registry."""
    engine: Engine = app.extensions[EXTENSION].engine
    with engine.connect() as connection:
        if connection.scalar(text("SELECT 1 FROM centres WHERE code = :c"), {"c": OFFICE}):
            return
        centre_id, country, region = connection.execute(
            text(
                "SELECT c.id, c.country, c.region FROM tasks t "
                "JOIN returnees r ON r.id = t.returnee_id JOIN centres c ON c.id = r.centre_id "
                "WHERE t.status = 'open' GROUP BY c.id ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
    with app.app_context(), unit_of_work() as session:
        from returnees.centres.services import NewCentre, create_centre

        office = create_centre(
            session,
            BENCH_ADMIN,
            NewCentre(OFFICE, "Oficina de la prueba", "office", country, region=region),
        )
        create_user(
            session,
            BENCH_ADMIN,
            NewUser(OFFICE_WORKER, "social_worker", OFFICE, app.config["DEMO_PASSWORD"], "Oficina"),
        )
        office_id = office.id
    for table in ("returnees", "cases"):
        column = "centre_id" if table == "returnees" else "returnee_id"
        followed = (
            "centre_id = :centre"
            if table == "returnees"
            else f"{column} IN (SELECT id FROM returnees WHERE centre_id = :centre)"
        )
        execute(
            engine,
            f"{table} of the office",
            f"UPDATE {table} SET office_id = :office WHERE {followed}",
            office=office_id,
            centre=centre_id,
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE) returnees")
        connection.exec_driver_sql("VACUUM (ANALYZE) cases")


def load_registry(app: Flask, people: int) -> float:
    """Everything from the people on; the seconds it took."""
    engine: Engine = app.extensions[EXTENSION].engine
    now = datetime.now(UTC)
    started = time.perf_counter()
    rate = populate(engine, people)
    log(f"{people:,} people and phones at {rate:,.0f}/s")
    with engine.begin() as connection:
        connection.exec_driver_sql("SELECT setseed(0.2026)")
    load_arrivals(engine, now)
    load_check_ins(engine, now)
    load_cases(engine, now)
    load_risk_flags(engine, now)
    load_tasks(engine, now, people)
    seal_reasons(engine)
    vacuum(engine)
    return time.perf_counter() - started


def prepared(url: str, encrypted: bool) -> tuple[Flask, Counts, float | None]:
    people = people_wanted()
    if make_url(url).database in ("test", "test_wt", "returnees_bench"):
        raise SystemExit(f"queue: {make_url(url).database} belongs to others; use another one")
    if os.environ.get("BENCH_REPOPULATE") == "1":
        ensure_database(url, recreate=True)
    app = bench_app(url, encrypted)
    ensure_staff(app)
    engine: Engine = app.extensions[EXTENSION].engine
    counts, took = Counts.of(engine), None
    if not counts.complete(people):
        if counts.people:
            log(f"incomplete registry ({counts}), loading it again")
            app.extensions[EXTENSION].engine.dispose()
            ensure_database(url, recreate=True)
            app = bench_app(url, encrypted)
            ensure_staff(app)
            engine = app.extensions[EXTENSION].engine
        with app.app_context():
            took = load_registry(app, people)
        counts = Counts.of(engine)
    ensure_caseloads(engine)
    ensure_office(app)
    with engine.connect() as connection:
        loaded_at = connection.scalar(text("SELECT max(computed_at) FROM risk_flags"))
    app.extensions[CLOCK] = FixedClock(loaded_at)
    return app, counts, took


# a. build_queue ----------------------------------------------------------------------------


BUCKETS = ("urgent", "overdue", "high_risk", "due_today", "later")
ONE_QUERY = "every bucket in one"  # a worker's own queue (see casework.queue._caseload_queue)


@dataclass(frozen=True)
class Scenario:
    label: str
    email: str
    criteria: QueueCriteria
    limit: int = 50


@dataclass
class Measured:
    scenario: Scenario
    times: list[float]
    items: int
    buckets: dict[str, list[float]]  # each bucket query's milliseconds, in build_queue's order
    statements: dict[str, tuple[str, Any]]


def measure_scenario(app: Flask, scenario: Scenario) -> Measured:
    engine: Engine = app.extensions[EXTENSION].engine
    times: list[float] = []
    buckets: dict[str, list[float]] = defaultdict(list)
    statements: dict[str, tuple[str, Any]] = {}
    items = 0
    with app.app_context():
        session = get_session()
        actor = Actor.for_user(find_user(session, scenario.email))
        session.rollback()

        def run() -> int:
            found = build_queue(session, actor, scenario.criteria, limit=scenario.limit)
            session.rollback()
            session.expunge_all()
            return len(found)

        for _ in range(WARMUP):
            run()
        with StatementTimer(engine) as timer:
            for _ in range(RUNS):
                timer.seen = []
                started = time.perf_counter()
                items = run()
                times.append((time.perf_counter() - started) * 1000)
                queries = [seen for seen in timer.seen if "FROM tasks" in seen[0]]
                labels = (ONE_QUERY,) if scenario.criteria.mine else BUCKETS
                for bucket, (statement, parameters, took) in zip(labels, queries, strict=False):
                    buckets[bucket].append(took)
                    statements[bucket] = (statement, parameters)
    return Measured(scenario, times, items, dict(buckets), statements)


def scenarios(app: Flask) -> tuple[list[Scenario], str]:
    """The scenarios, for a social worker of the region with the most open tasks (one with
    cases of their own) and a supervisor of its country; and that region's name."""
    engine: Engine = app.extensions[EXTENSION].engine
    with engine.connect() as connection:
        country, region = connection.execute(
            text(
                "SELECT c.country, c.region FROM tasks t JOIN returnees r ON r.id = t.returnee_id "
                "JOIN centres c ON c.id = r.centre_id WHERE t.status = 'open' "
                "GROUP BY c.country, c.region ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
        worker = connection.scalar(
            text(
                "SELECT u.email FROM users u JOIN centres c ON c.id = u.centre_id "
                "WHERE u.role = 'social_worker' AND c.country = :country AND c.region = :region "
                "AND u.email NOT LIKE 'caseload.%' "
                "AND EXISTS (SELECT 1 FROM cases WHERE assigned_to_id = u.id) "
                "ORDER BY u.id LIMIT 1"
            ),
            {"country": country, "region": region},
        )
        usual = connection.scalar(
            text(
                "SELECT u.email FROM users u JOIN centres c ON c.id = u.centre_id "
                "WHERE u.email LIKE 'caseload.%' AND c.country = :country "
                "AND c.region = :region ORDER BY u.id LIMIT 1"
            ),
            {"country": country, "region": region},
        )
        supervisor = connection.scalar(
            text(
                "SELECT u.email FROM users u JOIN centres c ON c.id = u.centre_id "
                "WHERE u.role = 'supervisor' AND c.country = :country ORDER BY u.id LIMIT 1"
            ),
            {"country": country},
        )
    found = [
        Scenario("worker, no filter", worker, QueueCriteria()),
        Scenario("worker, mine", worker, QueueCriteria(mine=True)),
        Scenario("worker, children", worker, QueueCriteria(children=True)),
        Scenario("worker, overdue", worker, QueueCriteria(overdue=True)),
        Scenario("worker, mine+children", worker, QueueCriteria(mine=True, children=True)),
        Scenario("worker, limit=200", worker, QueueCriteria(), limit=200),
        Scenario(
            "worker, mine+children", worker, QueueCriteria(mine=True, children=True), limit=200
        ),
        Scenario(f"{CASELOAD}-case worker, mine", usual, QueueCriteria(mine=True)),
        Scenario("supervisor (country)", supervisor, QueueCriteria()),
        Scenario("supervisor, children", supervisor, QueueCriteria(children=True)),
        Scenario("office worker, no filter", OFFICE_WORKER, QueueCriteria()),
        Scenario("office worker, children", OFFICE_WORKER, QueueCriteria(children=True)),
        Scenario("office worker, overdue", OFFICE_WORKER, QueueCriteria(overdue=True)),
        Scenario("office worker, limit=200", OFFICE_WORKER, QueueCriteria(), limit=200),
    ]
    return found, f"{region} ({country})"


def baseline_ms(app: Flask, people: int) -> list[float]:
    """session.get(Returnee, id) of people spread over the table, a transaction each."""
    times = []
    with app.app_context():
        session = get_session()
        for n in range(WARMUP + RUNS):
            some_id = 1 + (n * 7919) % people
            took = timed(lambda some_id=some_id: session.get(Returnee, some_id))
            session.rollback()
            session.expunge_all()
            if n >= WARMUP:
                times.append(took)
    return times


def explain(connection: Connection, statement: str, parameters: Any) -> list[str]:
    """The plan as build_queue runs it: without parallel workers (its SET LOCAL), rolled back."""
    inner = connection.begin_nested() if connection.in_transaction() else connection.begin()
    connection.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
    plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
    lines = [row[0] for row in plan]
    inner.rollback()
    return lines


def queue_figures(app: Flask, people: int) -> list[Measured]:
    found, region = scenarios(app)
    base = p50(baseline_ms(app, people))
    print(f"  a. build_queue, busiest region {region}")
    print(f"     (p50 / p95 of {RUNS} runs after {WARMUP}; ratio of the p50 to the baseline)")
    with app.extensions[EXTENSION].engine.connect() as connection:
        for email in dict.fromkeys(scenario.email for scenario in found):
            cases = connection.scalar(
                text(
                    "SELECT count(*) FROM cases k JOIN users u ON u.id = k.assigned_to_id "
                    "WHERE u.email = :email AND k.status <> 'closed'"
                ),
                {"email": email},
            )
            print(f"     {email}: {cases:,} open cases assigned")
    print(f"     session.get(Returnee) baseline   : {base:7.2f} ms")
    measured = []
    for scenario in found:
        result = measure_scenario(app, scenario)
        measured.append(result)
        times = result.times
        verdict = "ok" if p95(times) < TARGET_MS else f"OVER {TARGET_MS:.0f} ms"
        print(
            f"     {scenario.label:<22} limit {scenario.limit:<3}: {spread(times)}  "
            f"({p50(times) / base:4.0f}x)  {result.items:>3} items  {verdict}"
        )
        parts = ", ".join(
            f"{bucket} {p50(values):.1f}" for bucket, values in result.buckets.items()
        )
        print(f"       bucket queries, p50 ms: {parts}")
    return measured


def slowest(measured: list[Measured]) -> tuple[Measured, str]:
    return max(
        ((m, bucket) for m in measured for bucket in m.buckets),
        key=lambda pair: p50(pair[0].buckets[pair[1]]),
    )


def show_plan(connection: Connection, result: Measured, bucket: str, title: str) -> None:
    statement, parameters = result.statements[bucket]
    print(
        f"     {title}: {bucket} of '{result.scenario.label}' limit {result.scenario.limit} "
        f"(p50 {p50(result.buckets[bucket]):.1f} ms), EXPLAIN (ANALYZE, BUFFERS):"
    )
    for line in explain(connection, statement, parameters):
        print(f"       {line}")


# b. the pages ------------------------------------------------------------------------------


@dataclass
class Clients:
    email: str
    api: FlaskClient
    web: FlaskClient
    headers: dict[str, str]

    @classmethod
    def of(cls, app: Flask, email: str) -> Clients:
        with app.app_context(), unit_of_work() as session:
            token = issue_api_token(session, BENCH_ADMIN, email).secret
        return cls(
            email, app.test_client(), signed_in(app, email), {"Authorization": f"Bearer {token}"}
        )


class Rendering:
    """The milliseconds spent rendering templates while it listens."""

    def __init__(self, app: Flask) -> None:
        self.app, self.ms, self.started = app, 0.0, 0.0

    def before(self, *_: Any, **__: Any) -> None:
        self.started = time.perf_counter()

    def after(self, *_: Any, **__: Any) -> None:
        self.ms += (time.perf_counter() - self.started) * 1000

    def __enter__(self) -> Rendering:
        before_render_template.connect(self.before, self.app)
        template_rendered.connect(self.after, self.app)
        return self

    def __exit__(self, *_: object) -> None:
        before_render_template.disconnect(self.before, self.app)
        template_rendered.disconnect(self.after, self.app)


def timed_requests(
    app: Flask, get: Callable[[], Any], runs: int
) -> tuple[list[float], float, float]:
    """Milliseconds of each request (answered 200), and the p50 of its SQL and its rendering."""
    engine: Engine = app.extensions[EXTENSION].engine
    times, sql, rendering = [], [], []
    with StatementTimer(engine) as statements, Rendering(app) as templates:
        for n in range(WARMUP + runs):
            statements.seen, templates.ms = [], 0.0
            started = time.perf_counter()
            response = get()
            took = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, f"answered {response.status_code}"
            if n >= WARMUP:
                times.append(took)
                sql.append(sum(ms for *_, ms in statements.seen))
                rendering.append(templates.ms)
    return times, p50(sql), p50(rendering)


def page_figures(app: Flask, clients: Clients, more: tuple = ()) -> dict[str, float]:
    api, web, headers = clients.api, clients.web, clients.headers
    health, *_ = timed_requests(app, lambda: api.get("/healthz"), 2 * RUNS)
    base = p50(health)
    print(f"  b. HTTP through the test client as {clients.email} (p50 / p95 of {RUNS}, in process)")
    print(f"     GET /healthz (baseline)    : {spread(health)}")
    p95s = {}
    for label, get in (
        ("GET /api/v1/me (token only)", lambda: api.get("/api/v1/me", headers=headers)),
        ("GET /api/v1/queue", lambda: api.get("/api/v1/queue", headers=headers)),
        ("GET /queue (signed in)", lambda: web.get("/queue")),
        *more,
    ):
        times, sql, rendering = timed_requests(app, get, RUNS)
        verdict = "ok" if p95(times) < TARGET_MS else f"OVER {TARGET_MS:.0f} ms"
        print(
            f"     {label:<27}: {spread(times)}  ({p50(times) / base:4.1f}x)  "
            f"SQL p50 {sql:6.1f} ms, templates p50 {rendering:6.1f} ms  {verdict}"
        )
        p95s[f"{clients.email} {label}"] = p95(times)
    return p95s


def seal_numbers_of(engine: Engine, person: int) -> None:
    """The numbers of one person's check-ins, sealed to their rows as the app seals them: the
    record shows them (the load leaves them empty, see d.)."""
    keys = keyring()
    with engine.begin() as connection:
        held = {
            index: keys.open(envelope, f"phones.number.{phone_id}")
            for phone_id, envelope, index in connection.execute(
                text("SELECT id, number, number_index FROM phones WHERE returnee_id = :id"),
                {"id": person},
            )
        }
        rows = connection.execute(
            text("SELECT id, phone_index FROM check_ins WHERE returnee_id = :id AND phone IS NULL"),
            {"id": person},
        ).all()
        changes = [
            {
                "id": row_id,
                "phone": keys.seal(held.get(index, "+50230000000"), f"check_ins.phone.{row_id}"),
            }
            for row_id, index in rows
        ]
        if changes:
            connection.execute(text("UPDATE check_ins SET phone = :phone WHERE id = :id"), changes)


def office_pages(app: Flask, clients: Clients) -> dict[str, float]:
    """b. for an office's social worker, with their search and a record of their office."""
    engine: Engine = app.extensions[EXTENSION].engine
    with engine.connect() as connection:
        person, family = connection.execute(
            text(
                "SELECT r.id, r.family_names FROM returnees r JOIN centres c ON c.id = r.office_id "
                "WHERE c.code = :office ORDER BY r.id LIMIT 1"
            ),
            {"office": OFFICE},
        ).one()
    with app.app_context():
        seal_numbers_of(engine, person)
    api, web, headers = clients.api, clients.web, clients.headers
    word = family.split()[0]
    return page_figures(
        app,
        clients,
        (
            ("GET /returnees/<id> (record)", lambda: web.get(f"/returnees/{person}")),
            (
                "GET /api/v1/returnees/<id>",
                lambda: api.get(f"/api/v1/returnees/{person}", headers=headers),
            ),
            ("GET /returnees/?q= (search)", lambda: web.get(f"/returnees/?q={word}")),
        ),
    )


# c. what-ifs -------------------------------------------------------------------------------


@contextmanager
def what_if(app: Flask, statements: tuple[str, ...]) -> Iterator[Connection]:
    """The app on one connection whose transaction holds `statements` (CREATE INDEX, ANALYZE)
    and is rolled back at the end; every session of the app joins it by a savepoint.

    ANALYZE writes a table's page and row counts in place, outside the transaction: those of the
    tables it names are put back as they were, so the next run starts from the same state."""
    database = app.extensions[EXTENSION]
    original = database.sessionmaker
    analysed = [s.split()[1] for s in statements if s.upper().startswith("ANALYZE ")]
    sizes = (
        "SELECT relpages, reltuples, relallvisible FROM pg_class WHERE oid = CAST(:t AS regclass)"
    )
    with database.engine.connect() as connection:
        kept = {table: connection.execute(text(sizes), {"t": table}).one() for table in analysed}
        connection.rollback()
        transaction = connection.begin()
        try:
            for statement in statements:
                connection.exec_driver_sql(statement)
            database.sessionmaker = sessionmaker(
                bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
            yield connection
        finally:
            database.sessionmaker = original
            transaction.rollback()
            with connection.begin():
                for table, (pages, tuples, visible) in kept.items():
                    connection.execute(
                        text(
                            "UPDATE pg_class SET relpages = :pages, reltuples = :tuples, "
                            "relallvisible = :visible WHERE oid = CAST(:t AS regclass)"
                        ),
                        {"pages": pages, "tuples": tuples, "visible": visible, "t": table},
                    )


def what_ifs(app: Flask, people: int, clients: Clients, before: list[Measured]) -> None:
    old, old_bucket = slowest(before)
    for number, (label, statements) in enumerate(WHAT_IFS.items(), start=1):
        print(f"  c{number}. with {label} (in a transaction rolled back after):")
        for statement in statements:
            print(f"     {statement}")
        with what_if(app, statements) as connection:
            after = queue_figures(app, people)
            print("     p95 before -> after (ms):")
            for was, now in zip(before, after, strict=True):
                print(
                    f"       {was.scenario.label:<22} limit {was.scenario.limit:<3}: "
                    f"{p95(was.times):7.2f} -> {p95(now.times):7.2f}"
                )
            again = next(m for m in after if m.scenario == old.scenario)
            if old_bucket in again.statements:
                show_plan(connection, again, old_bucket, "the slowest query before, now")
            show_plan(connection, *slowest(after), "the slowest query now")
            page_figures(app, clients)


def main() -> None:
    url = bench_url()
    if make_url(url).database in ("test", "test_wt", "returnees_bench"):
        raise SystemExit(f"queue: {make_url(url).database} belongs to others; use another one")
    ratios: dict[str, list[float]] = defaultdict(list)
    sealed: dict[str, float] = {}
    for round_ in range(1, ROUNDS + 1):
        print(f"queue: round {round_} of {ROUNDS}, encryption off then on")
        plain = run(f"{url}_plain", encrypted=False)
        sealed = run(url, encrypted=True)
        for name, off in plain.items():
            ratios[name].append(sealed[name] / off)
    print(
        "  d. encryption at rest: each p95 with it on, as a ratio to it off measured just before;"
        f" the median of {ROUNDS} rounds, and the last round's p95s"
    )
    for name, found in ratios.items():
        print(f"     {name:<62}: {sealed[name]:7.2f} ms  ratio {median(found):5.2f}")
    verdict = "ok" if max(sealed.values()) < TARGET_MS else f"OVER {TARGET_MS:.0f} ms"
    print(f"     worst p95 with encryption on: {max(sealed.values()):.1f} ms  {verdict}")


def run(url: str, encrypted: bool) -> dict[str, float]:
    """a, b (and c when a target is missed) on the database at `url`; every p95, by name."""
    app, counts, took = prepared(url, encrypted)
    settle_heap()  # as wsgi.py does once the app is loaded
    if took is not None:
        print(f"queue: registry loaded in {took:,.0f} s")
    said = "encryption on" if encrypted else "encryption OFF, for the comparison"
    print(
        f"queue (postgresql, {counts.people:,} people, {counts.check_ins:,} check-ins, "
        f"{counts.open_cases:,} open cases, {counts.open_tasks:,} open tasks; target p95 < "
        f"{TARGET_MS:.0f} ms; {said})"
    )
    measured = queue_figures(app, counts.people)
    engine: Engine = app.extensions[EXTENSION].engine
    with engine.connect() as connection:
        show_plan(connection, *slowest(measured), "the slowest bucket query")
    clients = Clients.of(app, measured[0].scenario.email)
    figures = (
        {f"build_queue {m.scenario.label} limit {m.scenario.limit}": p95(m.times) for m in measured}
        | page_figures(app, clients)
        | office_pages(app, Clients.of(app, OFFICE_WORKER))
    )
    wanted = max(figures.values()) >= TARGET_MS or os.environ.get("BENCH_QUEUE_WHAT_IFS") == "1"
    if WHAT_IFS and wanted:
        what_ifs(app, counts.people, clients, measured)
    app.extensions[EXTENSION].engine.dispose()
    return figures
