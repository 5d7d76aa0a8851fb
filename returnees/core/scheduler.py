"""The clock that drives background work: a few fixed periodic jobs, never one job per message.

`flask --app wsgi worker` runs them on APScheduler in their own process; `--once` runs each
once (optionally as if it were `--now`); the embedded default runs them inside `flask serve`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session
from werkzeug.serving import run_simple

from returnees.core.clock import as_of
from returnees.core.db import (
    limit_statements,
    postgres_connect_args,
    ran_out_of_time,
    unit_of_work,
)
from returnees.core.heap import settle_heap
from returnees.core.wake import listen_for_wakes

log = logging.getLogger(__name__)
JOBS_EXTENSION = "returnees.periodic_jobs"


@dataclass(frozen=True)
class PeriodicJob:
    """Work that runs every `seconds`; safe to run twice and in several workers at once. An
    urgent job also runs as soon as work is announced (core.wake)."""

    id: str
    run: Callable[[Session], object]
    seconds: int
    urgent: bool = False


def drain(session: Session, batch: Callable[[Session], tuple[int, bool]]) -> int:
    """Run `batch` and commit, again and again, until it says nothing more is waiting or the
    job's time budget (JOB_BUDGET_SECONDS) is spent; what the batches did, added up.

    `batch` returns what it did and whether more may be waiting (it took a full batch). One
    batch a run would cap a worker at one batch every interval (100 check-ins in 15 s); the
    budget, shorter than the interval, keeps a run from overlapping the next.
    """
    budget = float(current_app.config["JOB_BUDGET_SECONDS"])
    started, done = time.monotonic(), 0
    while True:
        did, more = batch(session)
        session.commit()
        done += did
        if not more or time.monotonic() - started >= budget:
            return done


def register_jobs(app: Flask, jobs: list[PeriodicJob]) -> None:
    """Add a package's periodic jobs to the app's, as its blueprint is added: the worker runs
    them in the order they were registered (the app factory registers the packages in order)."""
    app.extensions.setdefault(JOBS_EXTENSION, []).extend(jobs)


def periodic_jobs(app: Flask | None = None) -> list[PeriodicJob]:
    """The jobs registered with `app` (the current one when not given), in order."""
    return list((app or current_app).extensions.get(JOBS_EXTENSION, []))


def run_job(app: Flask, job: PeriodicJob) -> object:
    """Run one job in its own app context and transaction, each of its statements limited to
    JOB_STATEMENT_TIMEOUT_SECONDS: a job stuck behind a lock or on a database that stopped
    answering fails, is logged by its name and runs again at its next interval, instead of
    holding its place (one instance at a time) for ever. What it committed before stays."""
    try:
        with app.app_context(), unit_of_work() as session:
            limit_statements(session, "JOB_STATEMENT_TIMEOUT_SECONDS")
            result = job.run(session)
    except Exception as error:
        _log_failure(app, job, error)
        raise
    log.info("job %s done: %s", job.id, result)
    return result


def _log_failure(app: Flask, job: PeriodicJob, error: Exception) -> None:
    if ran_out_of_time(error):
        log.error(
            "job %s failed: a statement ran longer than JOB_STATEMENT_TIMEOUT_SECONDS (%s s) "
            "and was cancelled; what it did since its last commit is rolled back",
            job.id,
            app.config["JOB_STATEMENT_TIMEOUT_SECONDS"],
        )
    else:
        log.exception("job %s failed", job.id)


def run_logged(app: Flask, job: PeriodicJob) -> None:
    """Run a job from the scheduler or a wake: one that fails is logged (by run_job) and runs
    again at its next interval."""
    with suppress(Exception):
        run_job(app, job)


def run_urgent_jobs(app: Flask) -> None:
    """Run the urgent jobs once, in order (read the replies, then send what they queued)."""
    for job in periodic_jobs(app):
        if job.urgent:
            run_logged(app, job)


def wakes_on_notify(app: Flask) -> bool:
    return bool(app.config["WORKER_WAKE_ON_NOTIFY"]) and app.config["DATABASE_URL"].startswith(
        "postgresql"
    )


def schedule_jobs(app: Flask, scheduler: BaseScheduler) -> BaseScheduler:
    for job in periodic_jobs(app):
        scheduler.add_job(
            run_logged,
            "interval",
            seconds=job.seconds,
            args=[app, job],
            id=job.id,
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )
    return scheduler


def start_in_process(app: Flask) -> BackgroundScheduler:
    """Run the jobs in a thread of this process (the embedded default's dev server)."""
    scheduler = BackgroundScheduler(timezone=app.config["SCHEDULER_TIMEZONE"], daemon=True)
    schedule_jobs(app, scheduler).start()
    return scheduler


def parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 time such as 2026-12-01T08:00:00-06:00."
        ) from error
    if moment.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no UTC offset: add one, such as -06:00 or Z.")
    return moment


def run_once(app: Flask, now: datetime | None) -> dict[str, object]:
    """Run every job once, as if it were `now` when given."""
    if now is None:
        return {job.id: run_job(app, job) for job in periodic_jobs(app)}
    with as_of(app, now):
        return {job.id: run_job(app, job) for job in periodic_jobs(app)}


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every job once, then exit.")
@click.option("--now", "now_text", help="With --once: run as if it were this ISO-8601 time.")
@with_appcontext
def worker_command(once: bool, now_text: str | None) -> None:
    """Run the background jobs."""
    now = parse_now(now_text)
    if now is not None and not once:
        raise click.UsageError("--now goes with --once.")
    app = current_app._get_current_object()
    settle_heap()
    if once:
        for job_id, result in run_once(app, now).items():
            click.echo(f"{job_id}: {result}")
        return
    logging.basicConfig(level=logging.INFO)
    click.echo(f"worker: {len(periodic_jobs(app))} periodic jobs; Ctrl+C to stop.")
    stop = threading.Event()
    if wakes_on_notify(app):
        listen_for_wakes(
            app.config["DATABASE_URL"],
            lambda: run_urgent_jobs(app),
            stop,
            postgres_connect_args(app.config),
        )
        click.echo("worker: urgent work wakes it at once (LISTEN/NOTIFY).")
    try:
        schedule_jobs(app, BlockingScheduler(timezone=app.config["SCHEDULER_TIMEZONE"])).start()
    finally:
        stop.set()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the web app on the dev server, with the background jobs inside it."""
    app = current_app._get_current_object()
    if app.config["SCHEDULER_IN_PROCESS"]:
        start_in_process(app)
    run_simple(host, port, app, use_reloader=False, threaded=True)
