"""Flask-Login wiring: session cookies for the web, bearer tokens for the API."""

from __future__ import annotations

from flask import Flask, Request, g, jsonify, redirect, request, url_for
from flask_babel import lazy_gettext as _
from flask_login import LoginManager

from returnees.auth.models import User
from returnees.auth.services import user_for_api_token, user_for_session_token
from returnees.core.db import get_session
from returnees.core.errors import NotAuthenticated

login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.session_protection = "basic"


def is_api_request(req: Request) -> bool:
    return req.path.startswith("/api/")


@login_manager.user_loader
def _load_from_session(token: str) -> User | None:
    if is_api_request(request):
        return None
    user = user_for_session_token(get_session(), token)
    return user


@login_manager.request_loader
def _load_from_bearer(req: Request) -> User | None:
    if not is_api_request(req):
        return None
    scheme, _space, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = user_for_api_token(get_session(), token.strip())
    if user is None:
        return None
    g.authenticated_by_token = True
    return user


@login_manager.unauthorized_handler
def _unauthorized():
    if is_api_request(request):
        error = NotAuthenticated(_("Send a valid API token as 'Authorization: Bearer <token>'."))
        return jsonify(error.as_json()), 401
    return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
