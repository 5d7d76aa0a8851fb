"""What every page and API call shares: error pages and JSON errors, health, security headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from returnees.core.db import get_session
from returnees.core.errors import DomainError, HiddenOutOfScope, NotAuthenticated, OutOfScope
from returnees.core.forms import DATE_PATTERN, day_month_year

bp = Blueprint("core", __name__)
V = TypeVar("V", bound=Callable[..., Any])
REFUSED_RECORD = "refused_record"  # g: (record type, id) a refusal of this request was about


def checks_own_scope(view: V) -> V:
    """Mark a view that checks the scope of the record it names itself, and answers a refusal
    its own way (the record's break-glass form): the app-wide check before it stands aside."""
    view.checks_own_scope = True  # type: ignore[attr-defined]
    return view


def remember_refusal(record: tuple[str, str]) -> None:
    """Name the record this request was refused (read by the audit of refusals): the error
    handler does for a scope refusal, and so does a view that answers one itself."""
    g.setdefault(REFUSED_RECORD, record)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database answers, 503 when it does not."""
    try:
        get_session().execute(text("SELECT 1"))
    except Exception as error:  # any failure to reach the database means "not healthy"
        return jsonify(status="unavailable", database=type(error).__name__), 503
    return jsonify(status="ok", database="ok"), 200


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/webhooks/")


def _domain_error(error: DomainError) -> Response | tuple[Response | str, int]:
    if isinstance(error, OutOfScope | HiddenOutOfScope):
        remember_refusal(error.record)
    if _wants_json():
        return jsonify(error.as_json()), error.status
    if isinstance(error, NotAuthenticated):
        if type(error) is not NotAuthenticated:  # it says why, as a lapsed session does
            flash(str(error.message), "info")
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    return render_template(
        "errors/error.html", status=error.status, message=str(error.message)
    ), error.status


def _http_error(error: HTTPException) -> Response | tuple[Response | str, int]:
    status = error.code or 500
    if _wants_json():
        code = (error.name or "error").lower().replace(" ", "_")
        body = {"error": {"code": code, "message": str(error.description), "fields": {}}}
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=error.description), status


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    message = _(
        "This form was sent without its security token, or the token has expired. "
        "Nothing was saved: go back, reload the page and send it again."
    )
    return render_template("errors/error.html", status=400, message=message), 400


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    )
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.after_request(_security_headers)
    app.add_template_filter(day_month_year, "day_month_year")
    app.add_template_global(DATE_PATTERN, "date_pattern")


def safe_next(target: str | None) -> str:
    """Only follow a 'next' that stays on this site."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("home.index")
    return target
