"""Spanish first, English on a switch: the language of a request."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, session
from flask_babel import Babel
from flask_login import current_user

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


def select_locale() -> str:
    """The signed-in user's choice, else this browser's choice, else Spanish."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    return chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Times are shown in the signed-in user's centre's timezone."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.centre.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
