"""The JSON API under /api/v1: bearer tokens, marshmallow bodies, one error shape."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, request
from flask_babel import lazy_gettext as _
from flask_limiter import Limiter
from flask_login import current_user
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import BadRequest

from returnees.auth.login import api_refusal
from returnees.auth.sessions import key_digest
from returnees.core.bounds import EARLIEST_DATE, LATEST_DATE, dates_out_of_calendar
from returnees.core.errors import InvalidInput
from returnees.core.limits import client_address, refusal_message

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _require_token() -> None:
    """Only a bearer token opens the API; a browser's session cookie does not."""
    if request.endpoint == "api.openapi":
        return
    if not (current_user.is_authenticated and g.get("authenticated_by_token")):
        raise api_refusal()


def load_body(schema: Schema) -> Any:
    """Parse the JSON body with a schema; bad JSON is a 400, invalid fields a 422."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest(_("The body must be a JSON object."))
    return _load(schema, body, _("Some fields are not valid."))


def load_query(schema: Schema) -> Any:
    """Parse the query string with a schema; invalid parameters are a 422 naming each."""
    return _load(schema, request.args, _("Some parameters are not valid."))


def load_form(schema: Schema) -> Any:
    """Parse a multipart form, its files among its fields, with a schema."""
    return _load(
        schema, request.form.to_dict() | request.files.to_dict(), _("Some fields are not valid.")
    )


def _load(schema: Schema, values: Any, message: object) -> Any:
    """The loaded values; a 422 naming each field that is invalid, or a date outside the
    calendar the app computes with."""
    try:
        loaded = schema.load(values)
    except ValidationError as error:
        raise InvalidInput(message, _flatten(error.messages)) from error
    if outside := dates_out_of_calendar(loaded):
        years = _(
            "Give a date between %(first)s and %(last)s.",
            first=EARLIEST_DATE.year,
            last=LATEST_DATE.year,
        )
        raise InvalidInput(message, {name: [years] for name in outside})
    return loaded


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(messages, list):
        return {prefix or "_body": [str(text) for text in messages]}
    flat: dict[str, list[str]] = {}
    for name, inner in messages.items():
        flat.update(_flatten(inner, f"{prefix}.{name}" if prefix else str(name)))
    return flat


def limit_requests(limiter: Limiter) -> None:
    """Limit the API's rate per token and per client address (RATELIMIT_API_PER_TOKEN and
    RATELIMIT_API_PER_ADDRESS): a 429 with Retry-After past either."""
    limiter.shared_limit(
        lambda: current_app.config["RATELIMIT_API_PER_TOKEN"],
        scope="api-token",
        key_func=_token_key,
        error_message=refusal_message,
    )(bp)
    limiter.shared_limit(
        lambda: current_app.config["RATELIMIT_API_PER_ADDRESS"],
        scope="api-address",
        key_func=client_address,
        error_message=refusal_message,
    )(bp)


def _token_key() -> str:
    """The bearer token's digest (never the token itself), or the address without one."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return f"token:{key_digest(token.strip())}"
    return f"address:{client_address()}"


def register_routes() -> Blueprint:
    """Import the modules that add routes to the API blueprint, then hand it over."""
    from returnees.api import openapi  # noqa: F401
    from returnees.audit import api as audit_api  # noqa: F401
    from returnees.auth import api as auth_api  # noqa: F401
    from returnees.casework import api as casework_api  # noqa: F401
    from returnees.centres import api as centres_api  # noqa: F401
    from returnees.duplicates import api as duplicates_api  # noqa: F401
    from returnees.followups import api as followups_api  # noqa: F401
    from returnees.people import api as people_api  # noqa: F401
    from returnees.places import api as places_api  # noqa: F401
    from returnees.reception import api as reception_api  # noqa: F401
    from returnees.referrals import api as referrals_api  # noqa: F401
    from returnees.reports import api as reports_api  # noqa: F401
    from returnees.rights import api as rights_api  # noqa: F401
    from returnees.risk import api as risk_api  # noqa: F401
    from returnees.surveys import api as surveys_api  # noqa: F401

    return bp
