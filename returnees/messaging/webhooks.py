"""Twilio's webhooks: every request's X-Twilio-Signature is checked before anything is stored."""

from __future__ import annotations

import json
import secrets
from typing import NoReturn

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from returnees.core.db import get_session
from returnees.core.limits import count_refusal, refusal_message
from returnees.messaging.calls import answer_call, apply_call_status, start_call
from returnees.messaging.services import apply_status_callback, record_inbound

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")
SIMULATOR_KEY = "returnees.simulator_signing_key"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def signing_token() -> str:
    """Twilio's auth token; with the simulated gateway, a random key of this process's own,
    which only the phone simulator (in the same process) signs with: derived from anything
    else, whoever knows that could forge a reply (a STOP) as any number."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if token:
        return token
    return current_app.extensions.setdefault(SIMULATOR_KEY, secrets.token_urlsafe(32))


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
        _refuse_unsigned()
    return request.form.to_dict()


def _refuse_unsigned() -> NoReturn:
    """403; past RATELIMIT_WEBHOOK_FORGED such refusals from one address, 429 with Retry-After.
    Only refused requests count, so Twilio's own bursts are never slowed."""
    wait = count_refusal("RATELIMIT_WEBHOOK_FORGED", "webhook-signature")
    if wait is None:
        abort(403)
    body = {"error": {"code": "too_many_requests", "message": refusal_message(), "fields": {}}}
    abort(Response(json.dumps(body), 429, {"Retry-After": str(wait)}, "application/json"))


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


def _message_id() -> int | None:
    message_id = request.args.get("message", "")
    return int(message_id) if message_id.isdigit() else None


def _twiml(twiml: str) -> Response:
    return Response(twiml, mimetype="text/xml")


@bp.post("/voice")
def voice() -> Response:
    """An answered call (`?message=` the call): its question and a key to press, or, for an
    answering machine, nothing at all."""
    form = require_signature()
    return _twiml(start_call(get_session(), _message_id(), form))


@bp.post("/voice/answer")
def voice_answer() -> Response:
    """The key pressed (Digits) after the question's round (`?round=`), or none."""
    form = require_signature()
    round_ = request.args.get("round", "")
    number = int(round_) if round_.isdigit() and int(round_) < 10 else 1
    return _twiml(answer_call(get_session(), _message_id(), number, form))


@bp.post("/voice/status")
def voice_status() -> Response:
    """A call's StatusCallback (CallStatus, AnsweredBy)."""
    form = require_signature()
    apply_call_status(get_session(), _message_id(), form)
    return Response("", status=204)
