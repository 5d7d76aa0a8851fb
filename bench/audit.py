"""What the audit trail's hash chain costs.

1. A record page (`GET /returnees/<id>`, which writes one view entry) with the chain written at
   commit against the same page with the chain switched off, in the same process, alternating
   blocks so that drift falls on both: milliseconds per request and the ratio.
2. Concurrent writers: WRITERS threads each committing TRANSACTIONS transactions of one entry,
   with the chain and without; transactions per second and the ratio, then `verify_chain` over
   what the chained run wrote (every entry in one unbroken chain, none lost to a race).

BENCH_AUDIT_DATABASE_URL picks the database (default
postgresql://127.0.0.1:5432/returnees_bench_audit); its public schema is dropped and built
again each run. A SQLite URL runs part 1 only (one writer at a time there by design).
"""

from __future__ import annotations

import os
import threading
import time

from alembic import command
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from bench.populate import ensure_database
from bench.reception import signed_in
from bench.sizes import sized
from returnees import create_app
from returnees.audit import chain
from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.core.db import build_engine, unit_of_work
from returnees.core.migrations import alembic_config
from returnees.demo.services import seed_demo
from returnees.reception.intake import ArrivalEntry, Intake
from returnees.reception.services import register_arrival

DEFAULT_URL = "postgresql://127.0.0.1:5432/returnees_bench_audit"
REQUESTS, BLOCKS = sized(300, 4), sized(4, 2)
WRITERS, TRANSACTIONS = sized(8, 2), sized(150, 3)


def chained(on: bool) -> None:
    """Switch the chain on or off for this process (off: entries are written unchained)."""
    if on and not event.contains(Session, "before_commit", chain._seal):
        event.listen(Session, "before_commit", chain._seal)
    if not on and event.contains(Session, "before_commit", chain._seal):
        event.remove(Session, "before_commit", chain._seal)


def fresh_schema(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    ensure_database(url)
    engine = build_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def record_page_ms(app, client, path: str, on: bool) -> float:
    chained(on)
    started = time.perf_counter()
    for _ in range(REQUESTS // BLOCKS):
        assert client.get(path).status_code == 200
    return (time.perf_counter() - started) * 1000


def writers_per_second(app, on: bool) -> float:
    chained(on)
    barrier = threading.Barrier(WRITERS + 1)

    def write() -> None:
        barrier.wait()
        for number in range(TRANSACTIONS):
            with app.app_context(), unit_of_work() as session:
                record_event(session, Actor.system("bench"), AuditAction.VIEW, "returnee", number)

    threads = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return WRITERS * TRANSACTIONS / (time.perf_counter() - started)


def main() -> None:
    url = os.environ.get("BENCH_AUDIT_DATABASE_URL", DEFAULT_URL)
    fresh_schema(url)
    app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": url})
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        with unit_of_work() as session:
            seed_demo(session, app.config["DEMO_PASSWORD"])
            intake = Intake(
                given_names="Ana",
                family_names="López",
                estimated_age=30,
                sex="F",
                nationality="GT",
                arrival=ArrivalEntry(centre="GT-AURORA"),
            )
            person = register_arrival(session, Actor.system("bench"), intake, "new").returnee_id
            supervisor = session.scalar(select(User).where(User.role == Role.SUPERVISOR)).email
    client = signed_in(app, supervisor)
    path = f"/returnees/{person}"
    record_page_ms(app, client, path, True)  # warm up
    timings = {True: 0.0, False: 0.0}
    for _block in range(BLOCKS):
        for on in (False, True):
            timings[on] += record_page_ms(app, client, path, on)
    dialect = app.extensions["returnees.db"].dialect
    print(f"audit chain ({dialect}, {REQUESTS} record pages each)")
    print(f"  record page, chained   : {timings[True] / REQUESTS:7.2f} ms")
    print(f"  record page, unchained : {timings[False] / REQUESTS:7.2f} ms")
    print(f"  ratio                  : {timings[True] / timings[False]:7.2f}")
    if dialect != "postgresql":
        chained(True)
        return
    plain = writers_per_second(app, False)
    chained_rate = writers_per_second(app, True)
    with app.app_context(), unit_of_work() as session:
        report = chain.verify_chain(session)
    runs = f"{WRITERS} writers x {TRANSACTIONS} transactions"
    print(f"  {runs}, unchained : {plain:7.0f} tx/s")
    print(f"  {runs}, chained   : {chained_rate:7.0f} tx/s")
    print(f"  ratio{' ' * (len(runs) - 3)}: {chained_rate / plain:7.2f}")
    # Entries written with the chain off are outside it, as verify says; the chain must hold.
    intact = report.broken is None or report.broken.position is None
    print(f"  chain: {report.entries} entries, {'intact' if intact else report.broken}")
