"""What every page and API call shares: error pages and JSON errors, health, security headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
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
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SqlTimeoutError
from werkzeug.exceptions import HTTPException

from returnees.core.db import get_session
from returnees.core.errors import (
    DomainError,
    HiddenOutOfScope,
    InvalidInput,
    NotAuthenticated,
    OutOfScope,
)
from returnees.core.forms import DATE_PATTERN, day_month_year

bp = Blueprint("core", __name__)
V = TypeVar("V", bound=Callable[..., Any])
REFUSED_RECORD = "refused_record"  # g: (record type, id) a refusal of this request was about


def checks_own_scope(view: V) -> V:
    """Mark a view that checks the scope of the record it names itself, and answers a refusal
    its own way (the record's break-glass form): the app-wide check before it stands aside."""
    view.checks_own_scope = True  # type: ignore[attr-defined]
    return view


ANSWERS_MERGED_ITSELF = "answers_merged_itself"


def answers_merged_itself(view: V) -> V:
    """Mark a view that answers for a record merged into another its own way (who looked at
    the merged record, the merge itself), instead of pointing to the record kept."""
    setattr(view, ANSWERS_MERGED_ITSELF, True)
    return view


def remember_refusal(record: tuple[str, str]) -> None:
    """Name the record this request was refused (read by the audit of refusals): the error
    handler does for a scope refusal, and so does a view that answers one itself."""
    g.setdefault(REFUSED_RECORD, record)


NUL = "\x00"
# No page uses the browser's powerful features: a script injected into one gets none of them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


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


def _http_error(error: HTTPException) -> tuple[Response | str, int, list[tuple[str, str]]]:
    """Werkzeug's error in the app's shape, keeping the headers it carries (a 405's `Allow`,
    a 429's `Retry-After`)."""
    status = error.code or 500
    headers = [(name, value) for name, value in error.get_headers() if name != "Content-Type"]
    if _wants_json():
        code = (error.name or "error").lower().replace(" ", "_")
        body = {"error": {"code": code, "message": str(error.description), "fields": {}}}
        return jsonify(body), status, headers
    page = render_template("errors/error.html", status=status, message=error.description)
    return page, status, headers


def _database_unavailable(
    error: OperationalError | SqlTimeoutError,
) -> tuple[Response | str, int, dict[str, str]]:
    """503 when the database cannot be reached or a statement ran out of time: the worker
    stays alive and the transaction was rolled back, so nothing was saved."""
    current_app.logger.warning("database unavailable: %s", error)
    g._login_user = current_app.login_manager.anonymous_user()  # the page must not ask again
    message = _("The database is not answering. Nothing was saved: try again in a moment.")
    headers = {"Retry-After": "30"}
    if _wants_json():
        body = {"error": {"code": "unavailable", "message": message, "fields": {}}}
        return jsonify(body), 503, headers
    return render_template("errors/error.html", status=503, message=message), 503, headers


def _refuse_nul_characters() -> None:
    """Refuse a request whose query, form, JSON body or path holds a NUL character, naming
    where: no text the app keeps may hold one (PostgreSQL cannot store it), so it is refused
    here, once, before any view reads it and before anything is changed."""
    if found := sorted(_nul_carriers()):
        message = _("The character NUL (\\0) cannot be stored: remove it.")
        raise InvalidInput(_("Some fields are not valid."), {name: [message] for name in found})


def _nul_carriers() -> set[str]:
    found = {
        name
        for values in (request.args, request.form)
        for name, value in values.items(multi=True)
        if NUL in name or NUL in value
    }
    if NUL in request.path:
        found.add("_path")
    if request.is_json:
        found.update(_nul_paths(request.get_json(silent=True)))
    return found


def _nul_paths(value: object, prefix: str = "") -> list[str]:
    """The names ("phones.0.number") of the JSON strings, keys included, that hold a NUL."""
    if isinstance(value, str):
        return [prefix or "_body"] if NUL in value else []
    if isinstance(value, list):
        value = {str(index): inner for index, inner in enumerate(value)}
    if not isinstance(value, dict):
        return []
    found: list[str] = []
    for key, inner in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        found += [name] if NUL in str(key) else _nul_paths(inner, name)
    return found


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
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if hsts := current_app.config["STRICT_TRANSPORT_SECURITY"]:
        response.headers.setdefault("Strict-Transport-Security", hsts)
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(SqlTimeoutError, _database_unavailable)
    app.before_request(_refuse_nul_characters)
    app.after_request(_security_headers)
    app.add_template_filter(day_month_year, "day_month_year")
    app.add_template_global(DATE_PATTERN, "date_pattern")


def safe_next(target: str | None) -> str:
    """Only follow a 'next' that stays on this site."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("home.index")
    return target
