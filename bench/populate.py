"""Bulk-load generated returnees and their phones into PostgreSQL with COPY, then ANALYZE.

`python -m bench.populate [N]` loads N people (default BENCH_PEOPLE, else 1,000,000) into the
bench database (BENCH_DATABASE_URL, default postgresql://127.0.0.1:5432/returnees_bench), which
is created, migrated and seeded with the demo centres and users first.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime

from alembic import command
from flask import Flask
from sqlalchemy import Engine, make_url, text

from bench.generator import Generator
from returnees import create_app
from returnees.core.db import EXTENSION, build_engine, unit_of_work
from returnees.core.migrations import alembic_config
from returnees.demo.services import seed_demo
from returnees.people.identity import fold

DEFAULT_URL = "postgresql://127.0.0.1:5432/returnees_bench"
BATCH = 50_000
RETURNEE_COLUMNS = (
    "id, given_names, family_names, folded_name, birth_date, sex, nationality, document_type, "
    "document_number, language, municipality, centre_id, arrivals_count, created_at, updated_at"
)
PHONE_COLUMNS = (
    "returnee_id, number, owner, channel, has_consent, consent_at, is_usable, created_at"
)


def bench_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def people_wanted() -> int:
    return int(os.environ.get("BENCH_PEOPLE", "1000000"))


def ensure_database(url: str) -> None:
    """Create the database of `url` when missing (the test suite owns `test`: never use it)."""
    name = make_url(url).database
    server = build_engine(
        make_url(url).set(database="postgres").render_as_string(hide_password=False)
    )
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()


def bench_app(url: str | None = None) -> Flask:
    """The app on the bench database, migrated to head, with the demo centres and users."""
    url = url or bench_url()
    ensure_database(url)
    app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": url})
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        with unit_of_work() as session:
            seed_demo(session, app.config["DEMO_PASSWORD"])
    return app


def count_people(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT count(*) FROM returnees"))


def populate(engine: Engine, count: int, seed: int = 1) -> float:
    """Add `count` generated people (about 80% with a phone); returns people per second."""
    with engine.begin() as connection:
        rows = connection.execute(
            text("SELECT country, id FROM centres WHERE kind <> 'shelter' ORDER BY id")
        )
        centres: dict[str, list[int]] = {}
        for country, centre_id in rows:
            centres.setdefault(country, []).append(centre_id)
        sequence = "pg_get_serial_sequence('returnees', 'id')"
        first = connection.scalar(text(f"SELECT nextval({sequence})"))
        connection.execute(text(f"SELECT setval({sequence}, :last)"), {"last": first + count - 1})
    generator, now = Generator(seed=seed + first), datetime.now(UTC)
    started = time.perf_counter()
    for start in range(first, first + count, BATCH):
        phones = []
        with engine.begin() as connection:
            cursor = connection.connection.driver_connection.cursor()
            with cursor.copy(f"COPY returnees ({RETURNEE_COLUMNS}) FROM STDIN") as copy:
                for returnee_id in range(start, min(start + BATCH, first + count)):
                    person = generator.person()
                    name = f"{person.given_names} {person.family_names}"
                    centre = generator.rng.choice(centres[person.nationality])
                    copy.write_row(
                        (returnee_id, person.given_names, person.family_names, fold(name))
                        + (person.birth_date, person.sex, person.nationality)
                        + (person.document_type, person.document_number, "es", "", centre)
                        + (1, now, now)
                    )
                    if person.phone:
                        phones.append((returnee_id, person.phone, "self", "sms", True, now))
            with cursor.copy(f"COPY phones ({PHONE_COLUMNS}) FROM STDIN") as copy:
                for returnee_id, number, owner, channel, consent, at in phones:
                    copy.write_row((returnee_id, number, owner, channel, consent, at, True, at))
        done = min(start + BATCH, first + count) - first
        rate = done / (time.perf_counter() - started)
        print(f"  populate: {done:>9,} people ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    rate = count / (time.perf_counter() - started)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE returnees")
        connection.exec_driver_sql("ANALYZE phones")
    return rate


def main(argv: list[str]) -> None:
    wanted = int(argv[0]) if argv else people_wanted()
    app = bench_app()
    engine = app.extensions[EXTENSION].engine
    existing = count_people(engine)
    if existing >= wanted:
        print(f"populate: {existing:,} people already there, nothing to add")
        return
    rate = populate(engine, wanted - existing)
    print(f"populate: {wanted - existing:,} people added at {rate:,.0f} people/s")


if __name__ == "__main__":
    main(sys.argv[1:])
