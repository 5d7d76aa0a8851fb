"""Flask-Login wiring: server-side sessions for the web, bearer tokens for the API."""

from __future__ import annotations

from flask import Flask, Request, current_app, g, jsonify, redirect, request, url_for
from flask import session as cookie
from flask_babel import lazy_gettext as _
from flask_login import LoginManager, login_user, logout_user

from returnees.auth.models import User
from returnees.auth.sessions import SessionLapsed, end_session, resume_session, start_session
from returnees.auth.tokens import TokenExpired, user_for_api_token
from returnees.core.db import get_session
from returnees.core.errors import NotAuthenticated

login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.session_protection = "basic"
# The cookie's entry holding the key of the browser's server-side session.
SESSION_KEY = "session_key"


def is_api_request(req: Request) -> bool:
    return req.path.startswith("/api/")


def sign_in_user(user: User) -> None:
    """Give this browser a fresh session of the user (nothing of an earlier cookie is kept)."""
    cookie.clear()
    login_user(user)
    cookie[SESSION_KEY] = start_session(get_session(), user)


def sign_out_user() -> None:
    """End this browser's session on the server, then forget it here."""
    if key := cookie.get(SESSION_KEY):
        end_session(get_session(), key)
    logout_user()
    cookie.clear()


def current_session_key() -> str:
    return cookie.get(SESSION_KEY, "")


@login_manager.user_loader
def _load_from_session(token: str) -> User | None:
    if is_api_request(request):
        return None
    try:
        return resume_session(
            get_session(), token, current_session_key(), touch=not _view_reads_only()
        )
    except SessionLapsed as lapsed:
        cookie.pop(SESSION_KEY, None)
        g.session_lapsed = lapsed
        return None


def _view_reads_only() -> bool:
    """Whether the view only reads (core.db.reads_only): a polled page is not activity."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "reads_only", False)


@login_manager.request_loader
def _load_from_bearer(req: Request) -> User | None:
    if not is_api_request(req):
        return None
    scheme, _space, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        user = user_for_api_token(get_session(), token.strip())
    except TokenExpired as expired:
        g.api_refusal = expired
        return None
    if user is None:
        return None
    g.authenticated_by_token = True
    return user


def api_refusal() -> NotAuthenticated:
    """Why the API refuses this request's credentials: an expired token says so."""
    return g.get("api_refusal") or NotAuthenticated(
        _("Send a valid API token as 'Authorization: Bearer <token>'.")
    )


@login_manager.unauthorized_handler
def _unauthorized():
    if is_api_request(request):
        error = api_refusal()
        return jsonify(error.as_json()), error.status
    return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
