"""Twilio's webhooks: every request's X-Twilio-Signature is checked before anything is stored."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from returnees.core.db import get_session
from returnees.messaging.services import apply_status_callback, record_inbound

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def signing_token() -> str:
    """Twilio's auth token; with the simulated gateway, a token derived from SECRET_KEY."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if token:
        return token
    return hashlib.sha256(f"simulator:{current_app.config['SECRET_KEY']}".encode()).hexdigest()


def public_url() -> str:
    """The URL Twilio called: PUBLIC_BASE_URL, the path and the query, as a proxy cannot change."""
    query = request.query_string.decode()
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def require_signature() -> dict[str, str]:
    """The form, once its signature is proven; otherwise 403 and nothing is read further."""
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(signing_token())
    if not signature or not validator.validate(public_url(), request.form, signature):
        abort(403)
    return request.form.to_dict()


@bp.post("/inbound")
def inbound() -> Response:
    """A message from a returnee (or anyone): stored once, keywords answered, work left to jobs."""
    form = require_signature()
    record_inbound(get_session(), form)
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.post("/status")
def status() -> Response:
    """A delivery-status callback; statuses only move forward."""
    form = require_signature()
    message_id = request.args.get("message", "")
    apply_status_callback(get_session(), int(message_id) if message_id.isdigit() else None, form)
    return Response("", status=204)
