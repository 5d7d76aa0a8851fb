"""The phone simulator of the embedded default: what each phone received, and a box to answer
that goes through the real inbound webhook, signed as Twilio signs it. A call rings there too:
answered, its prompt plays in the browser and a keypad sends the key to the same signed voice
webhooks Twilio calls; what the call last said is kept in the user's session cookie. A call
that puts the person through to a member of staff shows whose phone it rang, and is hung up
here when the talk is over."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ElementTree
from dataclasses import asdict, dataclass, field

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie
from flask_babel import gettext as _
from twilio.request_validator import RequestValidator
from werkzeug.wrappers import Response

from returnees.audit.services import record_list_shown
from returnees.auth.access import current_actor, requires_role
from returnees.core.clock import utcnow
from returnees.core.db import get_session
from returnees.core.errors import Forbidden, InvalidInput
from returnees.messaging.calls import call_status_url, twiml_url
from returnees.messaging.gateway import SimulatedGateway
from returnees.messaging.models import MessageStatus, OutboundMessage
from returnees.messaging.queries import may_answer_as, simulated_phones
from returnees.messaging.services import gateway
from returnees.messaging.webhooks import signing_token
from returnees.messaging.window import sending_hold
from returnees.people.models import Channel
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
    return render_template(
        "messaging/simulator.html",
        phones=phones,
        holds=holds,
        screens={int(key): CallScreen(**value) for key, value in cookie.get(CALLS, {}).items()},
        keys="1234567890",
    )


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
    answer = _post_signed(INBOUND_PATH, form)
    if answer.status_code == 200:
        flash(_("Reply sent from %(number)s.", number=number), "success")
    else:
        flash(_("The webhook refused the reply (%(status)s).", status=answer.status_code), "error")
    return redirect(url_for("simulator.index", _anchor=f"phone-{number.lstrip('+')}"))


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def _post_signed(path: str, form: dict[str, str]) -> Response:
    """POST to one of our Twilio webhooks (path and query) as Twilio would, signed."""
    signature = RequestValidator(signing_token()).compute_signature(_base() + path, form)
    return current_app.test_client().post(
        path, data=form, headers={"X-Twilio-Signature": signature}
    )


# Calls ---------------------------------------------------------------------------------------

CALLS = "simulator_calls"  # in the session cookie: message id -> what the call last said
KEYS = set("0123456789")


@dataclass
class CallScreen:
    """What a call's TwiML said: recordings to play (URLs on this site), text read aloud,
    where the key goes, and the phone it put the person through to (both None once the call
    hung up)."""

    plays: list[str] = field(default_factory=list)
    says: list[str] = field(default_factory=list)
    action: str | None = None
    dialled: str | None = None

    @property
    def ended(self) -> bool:
        return self.action is None and self.dialled is None


def read_twiml(twiml: str) -> CallScreen:
    """The recordings, the spoken text and the <Gather> action of our own TwiML."""
    screen = CallScreen()
    for element in ElementTree.fromstring(twiml).iter():
        text = (element.text or "").strip()
        if element.tag == "Play" and text.startswith(_base()):
            screen.plays.append(text.removeprefix(_base()))
        elif element.tag == "Say" and text:
            screen.says.append(text)
        elif element.tag == "Gather":
            screen.action = element.get("action", "").removeprefix(_base()) or None
        elif element.tag == "Dial" and text:
            screen.dialled = text
    return screen


def _call_to_answer(message_id: int) -> OutboundMessage:
    """A call to a phone the user may answer as, still ringing or picked up; 404 otherwise."""
    message = get_session().get(OutboundMessage, message_id)
    in_progress = (MessageStatus.SENDING, MessageStatus.SENT)
    if message is None or message.channel is not Channel.VOICE or message.status not in in_progress:
        abort(404)
    if not may_answer_as(get_session(), current_actor(), message.phone):
        raise Forbidden(_("You can answer only as the phones of people you follow."))
    return message


def _call_form(message: OutboundMessage, status: str, **more: str) -> dict[str, str]:
    return {
        "CallSid": message.twilio_sid or "",
        "AccountSid": "ACsimulator",
        "From": current_app.config["PROGRAMME_PHONE"],
        "To": message.phone,
        "Direction": "outbound-api",
        "CallStatus": status,
        "AnsweredBy": "human",
    } | more


def _show(message: OutboundMessage, answer: Response) -> Response:
    """Keep what the call said for the page; a call that hung up is reported completed."""
    if answer.status_code != 200:
        flash(_("The webhook refused the call (%(status)s).", status=answer.status_code), "error")
        return redirect(url_for("simulator.index", _anchor=f"call-{message.id}"))
    screen = read_twiml(answer.get_data(as_text=True))
    if screen.ended:
        _post_signed(_path(call_status_url(message.id)), _call_form(message, "completed"))
    return _keep(message, screen)


def _keep(message: OutboundMessage, screen: CallScreen) -> Response:
    """What the call says now, for the page, beside the last few calls' screens."""
    calls = dict(list(cookie.get(CALLS, {}).items())[-4:])
    calls[str(message.id)] = asdict(screen)
    cookie[CALLS] = calls
    return redirect(url_for("simulator.index", _anchor=f"call-{message.id}"))


def _path(url: str) -> str:
    return url.removeprefix(_base())


@bp.post("/calls/<int:message_id>/answer")
@requires_role(*PEOPLE_ROLES)
def answer_call(message_id: int) -> Response:
    """Pick up a ringing call: the voice webhook's TwiML is its prompt and keypad."""
    message = _call_to_answer(message_id)
    answer = _post_signed(_path(twiml_url(message.id)), _call_form(message, "in-progress"))
    return _show(message, answer)


@bp.post("/calls/<int:message_id>/decline")
@requires_role(*PEOPLE_ROLES)
def decline_call(message_id: int) -> Response:
    """Let it ring: Twilio reports no answer, and the call is placed again later."""
    message = _call_to_answer(message_id)
    form = _call_form(message, "no-answer", AnsweredBy="")
    answer = _post_signed(_path(call_status_url(message.id)), form)
    if answer.status_code < 300:
        flash(_("The call was not answered: it will be placed again later."), "success")
    return redirect(url_for("simulator.index", _anchor=f"phone-{message.phone.lstrip('+')}"))


@bp.post("/calls/<int:message_id>/hang-up")
@requires_role(*PEOPLE_ROLES)
def hang_up(message_id: int) -> Response:
    """End a call put through to a member of staff: Twilio reports it completed."""
    message = _call_to_answer(message_id)
    _post_signed(_path(call_status_url(message.id)), _call_form(message, "completed"))
    return _keep(message, CallScreen())


@bp.post("/calls/<int:message_id>/key")
@requires_role(*PEOPLE_ROLES)
def press_key(message_id: int) -> Response:
    """A key of the keypad (or none: the wait ran out) to where the call's <Gather> sends it."""
    message = _call_to_answer(message_id)
    digit = request.form.get("digit", "")
    screen = cookie.get(CALLS, {}).get(str(message.id))
    action = screen and screen.get("action")
    if digit not in KEYS | {""} or not action:
        raise InvalidInput(_("Answer the call first, then press one key from 0 to 9."), {})
    return _show(message, _post_signed(action, _call_form(message, "in-progress", Digits=digit)))
