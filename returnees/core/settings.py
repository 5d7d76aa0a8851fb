"""Load settings from config/ files, then the environment, then test overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Config, Flask
from limits import parse_many

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
ENVIRONMENTS = ("development", "production", "test")
INTEGER_SETTINGS = {
    "PROXY_FIX_HOPS",
    "MESSAGE_RETENTION_DAYS",
    "MESSAGE_RETENTION_BATCH_SIZE",
    "FOLLOW_UP_GRACE_HOURS",
    "REPLY_WAIT_HOURS",
    "URGENT_ACK_MINUTES",
    "RECEPTION_SCOPE_DAYS",
    "SURVEY_WAVE_WINDOW_DAYS",
    "SURVEY_PREFILL_DAYS",
    "SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS",
    "CASE_RETENTION_YEARS",
    "BREAK_GLASS_HOURS",
    "DUPLICATE_WEIGHT",
    "DUPLICATE_BLOCK_LIMIT",
    "MERGE_UNDO_DAYS",
    "DATABASE_CONNECT_TIMEOUT_SECONDS",
    "WEB_STATEMENT_TIMEOUT_SECONDS",
    "EXPORT_STATEMENT_TIMEOUT_SECONDS",
    "BULK_EXPORT_STATEMENT_TIMEOUT_SECONDS",
    "JOB_STATEMENT_TIMEOUT_SECONDS",
    "KEY_ROTATION_STATEMENT_TIMEOUT_SECONDS",
    "DATABASE_KEEPALIVE_IDLE_SECONDS",
    "DATABASE_KEEPALIVE_INTERVAL_SECONDS",
    "DATABASE_KEEPALIVE_COUNT",
    "DATABASE_JIT_ABOVE_COST",
    "DATABASE_TCP_USER_TIMEOUT_SECONDS",
    "REPORT_SMALL_CELL",
    "REPORT_REACHED_DAYS",
    "REPORT_TREND_MONTHS",
    "SEND_CONCURRENCY",
    "VOICE_PROMPT_MAX_BYTES",
    "VOICE_PROMPT_MAX_SECONDS",
    "VOICE_PROMPT_URL_SECONDS",
}
# Whole numbers that must be at least 1 (a session that lasts 0 minutes signs nobody in, a worker
# with no send in flight sends nothing); the others must be at least 0 (a timeout of -1 second
# is refused by PostgreSQL at every statement).
POSITIVE_SETTINGS = {
    "SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS",
    "REPORT_SMALL_CELL",
    "REPORT_REACHED_DAYS",
    "REPORT_TREND_MONTHS",
    "SEND_CONCURRENCY",
    "DUPLICATE_BLOCK_LIMIT",
    "VOICE_PROMPT_MAX_BYTES",
    "VOICE_PROMPT_MAX_SECONDS",
    "VOICE_PROMPT_URL_SECONDS",
}
BOOLEAN_SETTINGS = {"MESSAGING_REQUIRES_TWILIO", "WORKER_WAKE_ON_NOTIFY", "RATELIMIT_ENABLED"}
# Flask-Limiter's notation: "600 per minute", several separated by ";".
RATE_LIMIT_SETTINGS = (
    "RATELIMIT_API_PER_TOKEN",
    "RATELIMIT_API_PER_ADDRESS",
    "RATELIMIT_WEBHOOK_FORGED",
)
# Comma-separated in the environment: "auxilio, me amenazan, ayuda urgente".
LIST_SETTINGS = {"DANGER_WORDS"}
TWILIO_SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
MIN_SECRET_BYTES = 32


class SettingsError(RuntimeError):
    """The app cannot start with these settings."""


def environment_name(overrides: Mapping[str, Any]) -> str:
    name = overrides.get("RETURNEES_ENV") or os.environ.get("RETURNEES_ENV") or "development"
    if name not in ENVIRONMENTS:
        raise SettingsError(f"RETURNEES_ENV={name!r} is not one of {', '.join(ENVIRONMENTS)}.")
    return name


def load_settings(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Fill app.config from config/default.py, config/<env>.py, the environment and overrides."""
    overrides = dict(overrides or {})
    name = environment_name(overrides)
    app.config["RETURNEES_ENV"] = name
    app.config.from_pyfile(str(CONFIG_DIR / "default.py"))
    countries = set(app.config["SENDING_WINDOW"])  # each must keep a window
    env_file = CONFIG_DIR / f"{name}.py"
    if env_file.exists():
        app.config.from_pyfile(str(env_file))
    configured_window = dict(app.config["SENDING_WINDOW"])
    for key in app.config["ENVIRONMENT_SETTINGS"]:
        if os.environ.get(key):
            app.config[key] = os.environ[key]
    app.config.update(overrides)
    _coerce(app)
    app.config["SENDING_WINDOW"] = sending_window(app.config["SENDING_WINDOW"], configured_window)
    if missing := countries - set(app.config["SENDING_WINDOW"]):
        raise SettingsError(f"SENDING_WINDOW has no window for {', '.join(sorted(missing))}.")
    _check_required(app)
    _check_prompt_storage(app)
    if name == "production":
        _check_secrets(app)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    app.config["DATABASE_URL"] = app.config["DATABASE_URL"].replace(
        "{instance_path}", app.instance_path
    )


def _coerce(app: Flask) -> None:
    for key in LIST_SETTINGS:
        if isinstance(app.config.get(key), str):
            app.config[key] = tuple(
                w for w in (w.strip().lower() for w in app.config[key].split(",")) if w
            )
        if not app.config.get(key):
            raise SettingsError(f"{key} names nothing: give its phrases, separated by commas.")
    for key in BOOLEAN_SETTINGS:
        if isinstance(app.config.get(key), str):
            app.config[key] = app.config[key].strip().lower() in ("1", "true", "yes", "on")
    for key in INTEGER_SETTINGS:
        try:
            app.config[key] = int(app.config[key])
        except (TypeError, ValueError) as error:
            raise SettingsError(
                f"{key} must be a whole number, not {app.config[key]!r}."
            ) from error
        least = 1 if key in POSITIVE_SETTINGS else 0
        if app.config[key] < least:
            raise SettingsError(f"{key} must be {least} or more, not {app.config[key]}.")
    for key in RATE_LIMIT_SETTINGS:
        try:
            parse_many(app.config[key])
        except ValueError as error:
            raise SettingsError(
                f'{key}: {app.config[key]!r} is not a rate such as "600 per minute".'
            ) from error


def sending_window(
    value: str | Mapping[str, tuple[int, int]], configured: Mapping[str, tuple[int, int]]
) -> dict[str, tuple[int, int]]:
    """Each country's sending window, local hours (from, to). From the environment it reads
    "GT=8-19,HN=8-19,SV=8-19": a country left out keeps its window of config/; every country
    must be one config/ has a window for."""
    window = dict(configured)
    if isinstance(value, str):
        for part in filter(None, (p.strip() for p in value.split(","))):
            country, _sep, hours = part.partition("=")
            start, _dash, end = hours.partition("-")
            try:
                window[country.strip().upper()] = (int(start), int(end))
            except ValueError as error:
                raise SettingsError(
                    f"SENDING_WINDOW: {part!r} is not COUNTRY=FROM-TO, such as GT=8-19."
                ) from error
    else:
        window |= dict(value)
    for country, (start, end) in window.items():
        if country not in configured:
            raise SettingsError(
                f"SENDING_WINDOW: {country!r} is not one of {', '.join(configured)}."
            )
        if not 0 <= start < end <= 24:
            raise SettingsError(
                f"SENDING_WINDOW: {country} {start}-{end} is not a window of the day "
                "(hours from 0 to 24, the first before the second)."
            )
    return window


def _check_required(app: Flask) -> None:
    missing = [key for key in app.config["REQUIRED_SETTINGS"] if not app.config.get(key)]
    if app.config.get("MESSAGING_REQUIRES_TWILIO"):
        missing += [key for key in TWILIO_SETTINGS if not app.config.get(key)]
        if not (
            app.config.get("TWILIO_MESSAGING_SERVICE_SID") or app.config.get("TWILIO_SMS_FROM")
        ):
            missing.append("TWILIO_MESSAGING_SERVICE_SID or TWILIO_SMS_FROM")
    if missing:
        raise SettingsError(
            f"Cannot start in {app.config['RETURNEES_ENV']}: set {', '.join(missing)} "
            "in the environment."
        )


def _check_prompt_storage(app: Flask) -> None:
    kind = app.config["VOICE_PROMPT_STORAGE"]
    if kind not in ("disk", "s3"):
        raise SettingsError(f"VOICE_PROMPT_STORAGE={kind!r} is not one of: disk, s3.")
    if kind == "s3" and not app.config.get("VOICE_PROMPT_S3_BUCKET"):
        raise SettingsError("VOICE_PROMPT_STORAGE=s3 needs VOICE_PROMPT_S3_BUCKET.")


def _check_secrets(app: Flask) -> None:
    """Refuse a secret that is short or one of those written in config/, naming its setting: with
    a known SECRET_KEY anyone can sign a session cookie."""
    for key in app.config["SECRET_SETTINGS"]:
        value = app.config.get(key)
        if not value:
            continue
        if value in shipped_values(key):
            raise SettingsError(
                f"{key} is a value shipped in config/: set a random one of your own, such as "
                'python -c "import secrets; print(secrets.token_urlsafe(48))" prints.'
            )
        if len(str(value).encode()) < MIN_SECRET_BYTES:
            raise SettingsError(
                f"{key} is shorter than {MIN_SECRET_BYTES} bytes: set a long random one, such as "
                'python -c "import secrets; print(secrets.token_urlsafe(48))" prints.'
            )


def shipped_values(key: str) -> set[str]:
    """Every value a file of config/ gives the setting: known to anyone with the code."""
    values = set()
    for path in sorted(CONFIG_DIR.glob("*.py")):
        config = Config(str(CONFIG_DIR))
        config.from_pyfile(str(path))
        if isinstance(config.get(key), str):
            values.add(config[key])
    return values
