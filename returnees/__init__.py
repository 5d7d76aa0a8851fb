"""returnees: reintegration tracking for people returned to Guatemala, Honduras and El Salvador."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from returnees.core import clock, db, encryption, i18n, limits, settings, web
from returnees.core.bounds import IdConverter
from returnees.duplicates.pointers import follow_merged_records
from returnees.models import import_all_models

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
csrf = CSRFProtect()


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: settings, database, sign-in, language, blueprints and commands."""
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.url_map.converters["int"] = IdConverter
    settings.load_settings(app, overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.extensions[clock.EXTENSION] = clock.SystemClock()
    encryption.init_app(app)
    import_all_models()  # every table known before the first flush, in any process
    db.init_app(app)
    _init_extensions(app)
    _register_blueprints(app)
    app.before_request(follow_merged_records)
    _register_jobs(app)
    app.before_request(_refuse_out_of_scope)
    _register_commands(app)
    return app


def run_worker() -> None:
    """Console script `returnees-worker`: the same as `flask --app wsgi worker`."""
    from returnees.core.scheduler import worker_command

    app = create_app()
    with app.app_context():
        worker_command.main(standalone_mode=True, prog_name="returnees-worker")


def _refuse_out_of_scope() -> None:
    """A route that names a person, their arrival, referral or task answers 403 or 404 to
    someone whose scope leaves the person out, before it reads a form or a body: an error about
    the body would tell that the person exists. The route checks again with what it does."""
    from flask import current_app, g, request
    from flask_login import current_user

    named = request.view_args or {}
    if not named or not current_user.is_authenticated:
        return
    if request.blueprint == "api" and not g.get("authenticated_by_token"):
        return  # the API answers 401 to a browser's session
    from returnees.auth.access import current_actor
    from returnees.casework.services import task_in_scope
    from returnees.core.db import get_session
    from returnees.people.services import require_returnee
    from returnees.reception.services import require_arrival
    from returnees.referrals.services import require_referral, returnee_for_referral

    view = current_app.view_functions[request.endpoint]
    if getattr(view, "checks_own_scope", False):
        return
    # Referrals answer 404 to those outside, as if the person had none (people.services: 403).
    in_referrals = view.__module__.startswith("returnees.referrals")
    checks = {
        "returnee_id": returnee_for_referral if in_referrals else require_returnee,
        "arrival_id": require_arrival,
        "referral_id": require_referral,
        "task_id": task_in_scope,
    }
    for name, require in checks.items():
        if name in named:
            require(get_session(), current_actor(), named[name])


def _init_extensions(app: Flask) -> None:
    from returnees.audit import refusals
    from returnees.auth import login
    from returnees.casework import handlers as casework
    from returnees.followups import handlers as followups
    from returnees.referrals import handlers as referrals
    from returnees.rights import handlers as rights
    from returnees.risk import handlers as risk
    from returnees.surveys import handlers as surveys

    # Cases open before risk is scored: a high score opens a task on the case.
    for package in (followups, casework, risk, referrals, surveys, rights):
        package.subscribe()
    limits.init_app(app)
    login.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    web.init_app(app)
    refusals.init_app(app)
    app.context_processor(_labels)


def _labels() -> dict[str, object]:
    """Names of roles, kinds, countries and actions in the reader's language."""
    from flask_babel import get_locale

    from returnees.audit.forms import ACTION_LABELS, record_type_label
    from returnees.auth.forms import ROLE_LABELS
    from returnees.centres.forms import COUNTRY_LABELS, KIND_LABELS
    from returnees.messaging.labels import STATUS_LABELS as MESSAGE_STATUS_LABELS
    from returnees.people.matching import REASON_WORDS, reasons_in_words
    from returnees.people.models import LANGUAGES
    from returnees.reception import forms as reception
    from returnees.tasks.labels import RISK_LABELS, TASK_LABELS

    return {
        "risk_labels": RISK_LABELS,
        "sex_labels": dict(reception.SEX_CHOICES),
        "owner_labels": dict(reception.OWNER_CHOICES),
        "channel_labels": dict(reception.CHANNEL_CHOICES),
        "mode_labels": dict(reception.MODE_CHOICES),
        "deporting_labels": dict(reception.DEPORTING_CHOICES),
        "return_type_labels": dict(reception.RETURN_TYPE_CHOICES),
        "task_labels": TASK_LABELS,
        "relationship_labels": dict(reception.RELATIONSHIP_CHOICES),
        "match_reasons": REASON_WORDS,
        "match_reasons_in_words": reasons_in_words,
        "language_labels": LANGUAGES,
        "current_locale": str(get_locale() or "es"),
        "role_labels": ROLE_LABELS,
        "kind_labels": KIND_LABELS,
        "country_labels": COUNTRY_LABELS,
        "action_labels": ACTION_LABELS,
        "record_type_label": record_type_label,
        "message_status_labels": MESSAGE_STATUS_LABELS,
        "document_labels": reception.DOCUMENT_NAMES,
    }


def _register_jobs(app: Flask) -> None:
    from returnees.auth.jobs import JOBS as auth_jobs
    from returnees.casework.jobs import JOBS as casework_jobs
    from returnees.core.scheduler import register_jobs
    from returnees.duplicates.jobs import JOBS as duplicate_jobs
    from returnees.followups.jobs import JOBS as followup_jobs
    from returnees.messaging.jobs import JOBS as messaging_jobs
    from returnees.referrals.jobs import JOBS as referral_jobs
    from returnees.reports.jobs import JOBS as report_jobs
    from returnees.rights.jobs import JOBS as rights_jobs
    from returnees.risk.jobs import JOBS as risk_jobs
    from returnees.surveys.jobs import JOBS as survey_jobs
    from returnees.tasks.jobs import JOBS as task_jobs

    # Replies are read first and check-ins queued before messages are sent, in one --once run.
    for jobs in (
        auth_jobs,
        followup_jobs,
        task_jobs,
        referral_jobs,
        risk_jobs,
        casework_jobs,
        survey_jobs,
        report_jobs,
        messaging_jobs,
        rights_jobs,
        duplicate_jobs,
    ):
        register_jobs(app, jobs)


def _register_blueprints(app: Flask) -> None:
    from returnees.api import limit_requests, register_routes
    from returnees.audit.views import bp as audit_bp
    from returnees.auth.views import bp as auth_bp
    from returnees.casework.views import bp as casework_bp
    from returnees.centres.views import bp as centres_bp
    from returnees.duplicates.views import bp as duplicates_bp
    from returnees.followups.views import bp as followups_bp
    from returnees.home.views import bp as home_bp
    from returnees.people.views import bp as people_bp
    from returnees.places.views import bp as places_bp
    from returnees.reception.views import bp as reception_bp
    from returnees.referrals.views import bp as referrals_bp
    from returnees.reports.views import bp as reports_bp
    from returnees.rights.views import bp as rights_bp
    from returnees.risk.views import bp as risk_bp
    from returnees.surveys.views import bp as surveys_bp

    for blueprint in (
        home_bp,
        auth_bp,
        centres_bp,
        audit_bp,
        people_bp,
        duplicates_bp,
        places_bp,
        reception_bp,
        followups_bp,
        casework_bp,
        referrals_bp,
        reports_bp,
        risk_bp,
        surveys_bp,
        rights_bp,
    ):
        app.register_blueprint(blueprint)
    from returnees.messaging.simulator import bp as simulator_bp
    from returnees.messaging.views import bp as messaging_bp
    from returnees.messaging.webhooks import bp as webhooks_bp

    app.register_blueprint(simulator_bp)
    app.register_blueprint(messaging_bp)

    csrf.exempt(webhooks_bp)
    app.register_blueprint(webhooks_bp)
    api = register_routes()
    limit_requests(limits.limiter_of(app))
    csrf.exempt(api)
    app.register_blueprint(api)


def _register_commands(app: Flask) -> None:
    from returnees.audit.cli import audit_cli
    from returnees.auth.cli import users_cli
    from returnees.centres.cli import centres_cli
    from returnees.core.keys import keys_cli
    from returnees.core.migrations import db_cli
    from returnees.core.scheduler import serve_command, worker_command
    from returnees.demo.cli import seed_demo_command
    from returnees.followups.cli import replies_cli
    from returnees.reports.cli import reports_cli

    for command in (
        db_cli,
        audit_cli,
        keys_cli,
        users_cli,
        centres_cli,
        replies_cli,
        reports_cli,
        seed_demo_command,
        worker_command,
        serve_command,
    ):
        app.cli.add_command(command)
