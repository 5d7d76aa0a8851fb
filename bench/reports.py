"""Outcome reports and exports on a full registry.

The registry: BENCH_PEOPLE people (default 1,000,000, bench.populate.populate), one arrival
each spread over the last 24 months and a second one for about 10%, CHECK_INS_PER_ARRIVAL
check-ins an arrival (10,000,000: about a third answered, each answer a reading of safe, in
school or working), a referral for about 10% of people and a completed survey wave (day 30 or
180) for one arrival in 11 (100,000). Everything past the people is INSERT ... SELECT in SQL;
then each arrival's figures are worked out by the refresh job's own function
(reports.facts.fill_missing, in batches), timed, and put in time order (CLUSTER), as a
registry that records arrivals as they come writes them. The database is BENCH_DATABASE_URL (default
postgresql://127.0.0.1:5432/returnees_reports_bench), loaded once and reused.

a. outcome_table (one month of Guatemala, by sex and age group) and outcome_trend (its twelve
   months) for a supervisor of Guatemala: p50 / p95 of RUNS runs, against a plain COUNT(*)
   over the same month's arrivals in the same run. Then what that supervisor asks over HTTP,
   through the Flask test client as bench.queue measures its pages: the page
   GET /reports/?from=..&to=..&by=sex&by=age_group (signed in through the sign-in form; the
   table and the twelve months' trend and charts) and GET /api/v1/reports/outcomes?from=..&to=..
   &by=sex,age_group (a bearer token): p50 / p95 of RUNS runs, each p95 as a ratio to the
   COUNT(*)'s and against the target.
b. The arrivals export of every person as CSV (identifying and pseudonymised), written to
   /dev/null through the export's own path (query, columns, formula guard, csv_chunks), against
   the same rows read the same way and written by the csv module alone: rows per second, and
   each one's peak RSS measured in a process of its own.
c. GET /reports/ as the demo supervisor of Guatemala, the whole page: the month's table by sex
   and age group with its survey scores, the twelve months of every figure and survey score
   (services.monthly_outcome_table) and their sixteen charts: p50 / p95 of RUNS requests.
"""

from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import make_url, select, text

from bench.populate import StatementTimer, bench_app, count_people, people_wanted, populate
from bench.queue import Clients, timed_requests
from bench.reception import p95, spread
from bench.sizes import sized
from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.core.db import EXTENSION, get_session, unit_of_work
from returnees.reports.exports import ExportRequest, prepare_export
from returnees.reports.facts import fill_missing
from returnees.reports.files import csv_chunks
from returnees.reports.periods import add_months
from returnees.reports.services import OutcomeCriteria, outcome_table, outcome_trend

DEFAULT_URL = "postgresql://127.0.0.1:5432/returnees_reports_bench"
CHECK_INS_PER_ARRIVAL = 9
RUNS, WARMUP = sized(20, 2), sized(2, 0)
TARGET_MS = 500
EXPORT_PATH = "/api/v1/exports/arrivals"
AUDIT_PEOPLE = "INSERT INTO AUDIT_ENTRY_PEOPLE"
# The people the export's entry names: the newest entry, the bench's own (rolled back after).
NAMED = (
    "SELECT count(*) FROM audit_entry_people WHERE entry_id = (SELECT max(id) FROM audit_entries)"
)


def bench_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def load(app) -> None:
    engine = app.extensions[EXTENSION].engine
    wanted = people_wanted()
    if count_people(engine) < wanted:
        started = time.perf_counter()
        populate(engine, wanted - count_people(engine))
        with engine.begin() as connection:
            for statement in LOAD:
                connection.execute(text(statement))
        _analyze(engine, "arrivals", "check_ins", "indicator_readings", "referrals")
        print(f"  loaded in {time.perf_counter() - started:,.0f} s", file=sys.stderr)
    with engine.begin() as connection:
        if not connection.scalar(text("SELECT count(*) FROM survey_waves")):
            connection.execute(text(WAVES))
    _analyze(engine, "survey_waves")
    fill_figures(app)


def fill_figures(app) -> None:
    """Every arrival's figures, as the refresh job fills those missing, batch by batch."""
    started, filled = time.perf_counter(), 0
    with app.app_context():
        session = get_session()
        while done := fill_missing(session):
            session.commit()
            filled += done
            if filled % 100_000 < done:
                print(f"  figures: {filled:,} arrivals", file=sys.stderr)
        session.commit()
    if filled:
        engine = app.extensions[EXTENSION].engine
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # In time order, as a registry writes them: arrivals are registered as they come
            # (the load here gives them random times in id order).
            connection.exec_driver_sql(
                "CLUSTER arrival_figures USING ix_arrival_figures_arrived_at"
            )
        _analyze(engine, "arrival_figures")
        seconds = time.perf_counter() - started
        print(
            f"  figures of {filled:,} arrivals worked out in {seconds:,.0f} s "
            f"({filled / seconds:,.0f} a second)",
            file=sys.stderr,
        )


def _analyze(engine, *tables: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.exec_driver_sql(f"ANALYZE {table}")


LOAD = (
    """INSERT INTO arrivals (returnee_id, centre_id, arrived_at, mode, deporting_country,
           return_type, reference, is_unaccompanied, created_at)
       SELECT id, centre_id, now() - (random() * interval '730 days'), 'flight', 'US',
           (ARRAY['deported','deported','deported','assisted','voluntary'])[1 + id % 5], '',
           id % 50 = 0, now()
       FROM returnees""",
    """INSERT INTO arrivals (returnee_id, centre_id, arrived_at, mode, deporting_country,
           return_type, reference, is_unaccompanied, created_at)
       SELECT returnee_id, centre_id, arrived_at + (30 + random() * 300) * interval '1 day',
           'bus', 'MX', 'deported', '', false, now()
       FROM arrivals WHERE returnee_id % 10 = 3""",
    f"""INSERT INTO check_ins (returnee_id, arrival_id, plan_version, due_at, channel, template,
           answer_type, indicator, state, answered_at, answer, created_at)
       SELECT a.returnee_id, a.id, 1, a.arrived_at + g * interval '12 days', 'sms', 'checkin',
           'yes_no', (ARRAY['safe','in_school','working'])[1 + g % 3],
           CASE WHEN (a.id + g) % 3 = 0 THEN 'answered' ELSE 'unanswered' END,
           CASE WHEN (a.id + g) % 3 = 0 THEN a.arrived_at + g * interval '12 days'
               + interval '2 hours' END,
           CASE WHEN (a.id + g) % 3 = 0 THEN '1' ELSE '' END, now()
       FROM arrivals a CROSS JOIN generate_series(0, {CHECK_INS_PER_ARRIVAL - 1}) g""",
    """INSERT INTO indicator_readings (returnee_id, indicator, value, observed_at, check_in_id,
           source)
       SELECT returnee_id, indicator, id % 4 <> 0, answered_at, id, 'check-in'
       FROM check_ins WHERE answered_at IS NOT NULL""",
    """INSERT INTO partner_organisations (name, kind, country, region, municipality, phone,
           is_active, created_at)
       VALUES ('Bench partner', 'employment', 'GT', '', '', '', true, now())""",
    """INSERT INTO referrals (returnee_id, organisation_id, service, status, is_protection,
           has_consent, made_by_id, made_at, updated_at)
       SELECT a.returnee_id, (SELECT max(id) FROM partner_organisations),
           (ARRAY['school','jobs','training','psychosocial','health'])[1 + a.id % 5],
           (ARRAY['made','attended','no_show'])[1 + a.id % 3], false, true,
           (SELECT min(id) FROM users), a.arrived_at + interval '5 days', now()
       FROM arrivals a WHERE a.returnee_id % 10 = 7""",
)


# One arrival in 11 has a completed wave: day 30 or day 180, scores spread between 0 and 1.
WAVES = """INSERT INTO survey_waves (returnee_id, arrival_id, day, instrument_id, status,
        created_at, completed_at, economic_score, social_score, psychosocial_score,
        composite_score)
    SELECT returnee_id, id, CASE WHEN id % 2 = 0 THEN 30 ELSE 180 END,
        (SELECT max(id) FROM survey_instruments), 'completed', now(), now(),
        round(random()::numeric, 4), round(random()::numeric, 4), round(random()::numeric, 4),
        round(random()::numeric, 4)
    FROM arrivals WHERE id % 11 = 0"""


def supervisor(session) -> Actor:
    user = session.scalar(
        select(User).where(User.role == Role.SUPERVISOR).join(User.centre).limit(1)
    )
    return Actor.for_user(user)


def measure_reports(app) -> None:
    month = add_months(datetime.now(UTC).date().replace(day=1), -2)
    after = add_months(month, 1)
    criteria = OutcomeCriteria(month, after - timedelta(days=1), by=("sex", "age_group"))
    with app.app_context():  # no web statement limit: the bench says how long it takes
        session = get_session()
        actor = supervisor(session)
        email = session.get(User, actor.user_id).email
        print(f"a. one month ({month:%Y-%m}) of {actor.country}, {RUNS} runs, p50 / p95:")
        counted = _sample(
            lambda: session.execute(
                text("SELECT count(*) FROM arrivals WHERE arrived_at >= :a AND arrived_at < :b"),
                {"a": month, "b": after},
            ).scalar()
        )
        table = _sample(lambda: outcome_table(session, actor, criteria))
        trend = _sample(lambda: outcome_trend(session, actor, criteria), runs=3, warmup=0)
        session.rollback()
        arrivals = outcome_table(session, actor, criteria).total["arrivals"]
        session.rollback()
    print(f"   COUNT(*) over the month's arrivals  {spread(counted)}")
    print(
        f"   outcome_table by sex, age group      {spread(table)}  "
        f"({p95(table) / p95(counted):.1f}x the count; {arrivals} arrivals; "
        f"target p95 {TARGET_MS} ms: {'met' if p95(table) < TARGET_MS else 'MISSED'})"
    )
    print(f"   outcome_trend, 12 months (3 runs)    {spread(trend)}")
    measure_pages(app, email, criteria, p95(counted))


def measure_pages(app, email: str, criteria: OutcomeCriteria, counted_p95: float) -> None:
    """The page and the API answer of the same month as `email` asks for them, in process
    (the web statement limit applies, as in production); each p95 against the COUNT(*)'s."""
    clients = Clients.of(app, email)
    period = f"from={criteria.first_day.isoformat()}&to={criteria.last_day.isoformat()}"
    print(f"   over HTTP as {email}, {RUNS} runs (test client, in process), p50 / p95:")
    for label, get in (
        (
            "GET /reports/ (signed in)",
            lambda: clients.web.get(f"/reports/?{period}&by=sex&by=age_group"),
        ),
        (
            "GET /api/v1/reports/outcomes",
            lambda: clients.api.get(
                f"/api/v1/reports/outcomes?{period}&by=sex,age_group", headers=clients.headers
            ),
        ),
    ):
        times, sql, rendering = timed_requests(app, get, RUNS)
        verdict = "met" if p95(times) < TARGET_MS else "MISSED"
        print(
            f"   {label:<36} {spread(times)}  ({p95(times) / counted_p95:.1f}x the count; "
            f"SQL p50 {sql:,.0f} ms, templates p50 {rendering:,.0f} ms; "
            f"target p95 {TARGET_MS} ms: {verdict})"
        )


def _sample(call, runs: int = RUNS, warmup: int = WARMUP) -> list[float]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure_exports() -> None:
    print("b. every arrival as CSV to /dev/null, each in a process of its own:")
    for variant in ("csv-module", "export", "export-pseudonymised"):
        output = subprocess.run(
            [sys.executable, "-m", "bench.reports", "--export", variant],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ | {"BENCH_CHILD": "1"},
        ).stdout.strip()
        print(f"   {output}")


def export_once(variant: str) -> None:
    """One export in this process: rows, seconds, rows a second, peak RSS; and what its start
    took (the count, the query's start, the audit entry naming its people), with the longest
    of the statements naming them."""
    app = bench_app(bench_url())
    engine = app.extensions[EXTENSION].engine
    # The export route's request: its statement limit (BULK_EXPORT_STATEMENT_TIMEOUT_SECONDS),
    # not the web one a request with no route would get.
    with app.test_request_context(EXPORT_PATH), unit_of_work() as session:
        actor = Actor.system("bench")
        started = time.perf_counter()
        asked = ExportRequest(
            "arrivals", pseudonymised=variant.endswith("pseudonymised"), recipient="donor"
        )
        with StatementTimer(engine) as statements:
            export = prepare_export(session, actor, asked)
        prepared = time.perf_counter() - started
        naming = [ms for sql, _p, ms in statements.seen if AUDIT_PEOPLE in sql.upper()]
        rows = 0
        with open(os.devnull, "wb") as sink:
            if variant == "csv-module":
                text_sink = open(os.devnull, "w")  # noqa: SIM115 - closed below
                writer = csv.writer(text_sink)
                writer.writerow(export.header)
                for row in export.rows:
                    writer.writerow(row)
                    rows += 1
                text_sink.close()
            else:
                for chunk in csv_chunks(export.header, export.rows):
                    sink.write(chunk)
                rows = export.count
        seconds = time.perf_counter() - started
        named = session.scalar(text(NAMED))
        session.rollback()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{variant:22} {rows:>9,} rows in {seconds:6.1f} s = {rows / seconds:>9,.0f} rows/s, "
        f"peak RSS {peak:,.0f} MB; started in {prepared:.1f} s: {named:,} people named by "
        f"{len(naming)} statements in {sum(naming) / 1000:.1f} s, the longest "
        f"{max(naming, default=0):,.0f} ms"
    )


def main() -> None:
    os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_URL)
    app = bench_app(bench_url())
    load(app)
    print(f"reports bench on {make_url(bench_url()).database}: {people_wanted():,} people")
    measure_reports(app)

    measure_exports()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--export"]:
        export_once(sys.argv[2])
    else:
        main()
