"""Every benchmark still runs to its end: `python -m bench NAME` once each at a tiny size
(BENCH_SMOKE=1), exiting 0. Their figures mean nothing at that size and are not looked at.

Each runs in a process of its own on databases of its own, named after the test database
(TEST_DATABASE_URL's `test` gives `test_bench_audit`, ...), so that neither the benches' own
databases (returnees_bench, returnees_queue_bench, ...) nor another checkout's test run are
touched; those a bench keeps are reused by the next run. Two run at once: most of a bench's
time is spent waiting on its database, its subprocesses and its fake Twilio.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import make_url

from bench.__main__ import BENCHMARKS
from tests.conftest import POSTGRES_URL, _postgres_reachable, unavailable

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]
AT_ONCE = 2
TIMEOUT_S = 600
PEOPLE = "300"


def database(bench: str) -> str:
    """A database of the test server for this bench, named after the test database."""
    url = make_url(POSTGRES_URL)
    return url.set(database=f"{url.database}_bench_{bench}").render_as_string(False)


def smoke_settings(folder: Path) -> dict[str, dict[str, str]]:
    """What each benchmark is given besides BENCH_SMOKE=1: its databases and its data sizes."""
    return {
        "api_overhead": {"BENCH_DATABASE_URL": f"sqlite:///{folder / 'api.sqlite3'}"},
        "audit": {"BENCH_AUDIT_DATABASE_URL": database("audit")},
        "reception": {"BENCH_DATABASE_URL": database("reception"), "BENCH_PEOPLE": PEOPLE},
        "messaging": {
            "BENCH_DATABASE_URL": f"sqlite:///{folder / 'messaging.sqlite3'}",
            "BENCH_WEBHOOK_DATABASE_URL": database("webhooks"),
            "BENCH_SENDING_DATABASE_URL": database("sending"),
        },
        "followups": {
            "BENCH_FOLLOWUPS_DATABASE_URL": database("followups"),
            "BENCH_CHECK_INS": "120",
        },
        "queue": {
            "BENCH_DATABASE_URL": database("queue"),
            "BENCH_PEOPLE": PEOPLE,
            "BENCH_QUEUE_ROUNDS": "1",
        },
        "risk": {"BENCH_RISK_DATABASE_URL": database("risk"), "BENCH_PEOPLE": PEOPLE},
        "reports": {"BENCH_DATABASE_URL": database("reports"), "BENCH_PEOPLE": PEOPLE},
        "urgent": {"BENCH_URGENT_DATABASE_URL": database("urgent")},
        "duplicates": {
            "BENCH_DUPLICATES_DATABASE_URL": database("duplicates"),
            "BENCH_PEOPLE": PEOPLE,
        },
    }


def run_bench(name: str, settings: dict[str, str]) -> subprocess.CompletedProcess:
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BENCH_", "TWILIO_"))
        and key not in ("DATABASE_URL", "RETURNEES_ENV")
    }
    return subprocess.run(
        [sys.executable, "-m", "bench", name],
        cwd=ROOT,
        env=inherited | {"BENCH_SMOKE": "1", "PYTHONPATH": str(ROOT)} | settings,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future]]:
    """Every benchmark started, AT_ONCE at a time, the slowest first."""
    if not _postgres_reachable(POSTGRES_URL):
        unavailable(
            f"PostgreSQL is not reachable at {POSTGRES_URL}: start it, or set TEST_DATABASE_URL"
        )
    settings = smoke_settings(tmp_path_factory.mktemp("bench"))
    slowest_first = sorted(BENCHMARKS, key=lambda name: name not in ("messaging", "followups"))
    with ThreadPoolExecutor(AT_ONCE) as pool:
        futures = {
            name: pool.submit(run_bench, name, settings[name])
            for name in slowest_first
            if name in settings
        }
        yield futures
        for future in futures.values():
            future.cancel()


def test_every_benchmark_has_a_smoke_run(tmp_path):
    missing = set(BENCHMARKS) - set(smoke_settings(tmp_path))
    assert not missing, f"give {sorted(missing)} their databases and sizes in smoke_settings"


@pytest.mark.parametrize("name", BENCHMARKS)
def test_the_benchmark_runs_to_its_end(name, runs):
    if name not in runs:
        pytest.fail(f"{name} has no smoke settings (see smoke_settings)")
    done = runs[name].result()
    assert done.returncode == 0, (
        f"python -m bench {name} exited {done.returncode} at its smoke size:\n{done.stdout[-4000:]}"
    )
