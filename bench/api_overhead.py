"""What the foundation costs per API call: token check, scope, session, audit-ready request.

Compares `GET /api/v1/me` (bearer token looked up in the database, role check, JSON dump)
with a bare Flask endpoint that returns the same JSON, both through the WSGI test client in
this process. Prints requests per second for each and the ratio. BENCH_DATABASE_URL picks the
database (default: a SQLite file in a temporary folder).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable

from alembic import command
from flask import Flask, jsonify

from bench.sizes import sized
from returnees import create_app
from returnees.auth.access import Actor
from returnees.auth.tokens import issue_api_token
from returnees.core.db import unit_of_work
from returnees.core.migrations import alembic_config
from returnees.demo.services import seed_demo

REQUESTS = sized(2000, 20)


def rate(call: Callable[[], object], requests: int = REQUESTS) -> float:
    for _ in range(sized(50, 2)):
        call()
    started = time.perf_counter()
    for _ in range(requests):
        call()
    return requests / (time.perf_counter() - started)


def bare_app() -> Flask:
    bare = Flask("bare")

    @bare.get("/me")
    def me():
        return jsonify(id=1, email="reception@demo.returnees.test", role="reception")

    return bare


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-")
    url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{folder}/bench.sqlite3")
    app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": url})
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        with unit_of_work() as session:
            seed_demo(session, "bench-password")
            desk = "reception@demo.returnees.test"
            token = issue_api_token(session, Actor.system("bench"), desk).secret
    headers = {"Authorization": f"Bearer {token}"}
    ours, bare = app.test_client(), bare_app().test_client()
    assert ours.get("/api/v1/me", headers=headers).status_code == 200

    ours_rate = rate(lambda: ours.get("/api/v1/me", headers=headers))
    bare_rate = rate(lambda: bare.get("/me"))
    print(f"api_overhead ({app.extensions['returnees.db'].dialect}, {REQUESTS} requests each)")
    print(f"  GET /api/v1/me with token : {ours_rate:8.0f} req/s")
    print(f"  bare Flask endpoint       : {bare_rate:8.0f} req/s")
    print(f"  ratio                     : {ours_rate / bare_rate:8.2f}")
