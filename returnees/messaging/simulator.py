"""The phone simulator of the embedded default: what each phone received, and a box to answer
that goes through the real inbound webhook, signed as Twilio signs it."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from twilio.request_validator import RequestValidator
from werkzeug.wrappers import Response

from returnees.audit.services import record_list_shown
from returnees.auth.access import current_actor, requires_role
from returnees.core.clock import utcnow
from returnees.core.db import get_session
from returnees.core.errors import Forbidden, InvalidInput
from returnees.messaging.gateway import SimulatedGateway
from returnees.messaging.queries import may_answer_as, simulated_phones
from returnees.messaging.services import gateway
from returnees.messaging.webhooks import signing_token
from returnees.messaging.window import sending_hold
from returnees.people.services import PEOPLE_ROLES  # an admin opens no one's record

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
INBOUND_PATH = "/webhooks/twilio/inbound"


@bp.before_request
def _only_with_the_simulated_gateway() -> None:
    if not current_app.config["SIMULATOR_ENABLED"] or not isinstance(gateway(), SimulatedGateway):
        abort(404)


@bp.get("/")
@requires_role(*PEOPLE_ROLES)
def index() -> str:
    """Each phone of the people the user reaches, what it received, and why nothing more comes
    at night. Admins, who open no person's record, have no simulator either."""
    phones, now = simulated_phones(get_session(), current_actor()), utcnow()
    people = (person for phone in phones for person in phone.owner_ids)
    record_list_shown(get_session(), current_actor(), "simulator", people)
    holds = {phone.number: sending_hold(now, phone.nationality) for phone in phones}
    return render_template("messaging/simulator.html", phones=phones, holds=holds)


@bp.post("/reply")
@requires_role(*PEOPLE_ROLES)
def reply() -> Response:
    """Answer as the person holding this phone: a signed request to the inbound webhook."""
    number, body = request.form.get("number", ""), request.form.get("body", "")
    if not number.strip():
        raise InvalidInput(_("Say which phone answers."), {"number": [_("Give a number.")]})
    if not may_answer_as(get_session(), current_actor(), number):
        raise Forbidden(_("You can answer only as the phones of people you follow."))
    form = {
        "MessageSid": f"SM{secrets.token_hex(16)}",
        "AccountSid": "ACsimulator",
        "From": number,
        "To": "simulator",
        "Body": body,
        "NumMedia": "0",
    }
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + INBOUND_PATH
    signature = RequestValidator(signing_token()).compute_signature(url, form)
    answer = current_app.test_client().post(
        INBOUND_PATH, data=form, headers={"X-Twilio-Signature": signature}
    )
    if answer.status_code == 200:
        flash(_("Reply sent from %(number)s.", number=number), "success")
    else:
        flash(_("The webhook refused the reply (%(status)s).", status=answer.status_code), "error")
    return redirect(url_for("simulator.index", _anchor=f"phone-{number.lstrip('+')}"))
