"""Check-ins by phone call (the voice channel). A call is an outbound message whose channel is
voice, queued and claimed like any other; when it is answered Twilio fetches its TwiML from
the signed webhooks: the step's recorded prompt, then one key. The key is stored as a reply
from the number and read by the same reading as a text answer (1 yes, 2 no, a numbered
choice); 9 withdraws consent like STOP. No key: the prompt once more, then unanswered. Busy,
no answer, failed or an answering machine: called again, at most twice, an hour apart at
least (within the sending window, as the claim holds it); then failed. Nothing is ever left
on an answering machine.

A member of staff may also place a call to talk with the person (a survey wave taken on a call):
the same outbound voice message, queued and claimed like the others, whose TwiML puts the person
through to the staff's own phone (<Dial>) instead of asking for a key. Such a call is never
placed again by itself: the member of staff, waiting for it, calls again if they wish."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from returnees.core import events
from returnees.core.clock import utcnow
from returnees.core.wake import wake_worker
from returnees.messaging.keywords import Keyword
from returnees.messaging.models import REPLY, InboundMessage, MessageStatus, OutboundMessage
from returnees.messaging.prompts import (
    SPOKEN_PLACEHOLDERS,
    STOP_KEY_PROMPT,
    VoicePromptChoice,
    thanks_prompt_for,
    voice_prompt_for,
)
from returnees.messaging.services import (
    advance_status,
    change_consent,
    holder_of,
    queue_message,
)
from returnees.people.identity import country_of_phone
from returnees.people.models import Channel

VOICE_PATH = "/webhooks/twilio/voice"
ANSWER_PATH = f"{VOICE_PATH}/answer"
CALL_STATUS_PATH = f"{VOICE_PATH}/status"
STOP_KEY = "9"
# "To stop these calls, press 9" (a template of its own, recorded or read aloud), played after
# each question.
# Times the prompt is played when no key is pressed, and seconds given to press one.
ROUNDS = 2
KEY_WAIT_SECONDS = 8
MAX_REDIALS = 2
REDIAL_AFTER = timedelta(hours=1)
# Call statuses that end a call nobody took; a machine answering is one more.
NOT_TAKEN = {"busy", "no-answer", "failed", "canceled"}
# Twilio's call statuses as the statuses of the message that is the call.
CALL_STATUS = {
    "queued": "sending",
    "initiated": "sending",
    "ringing": "sending",
    "in-progress": "sent",
    "completed": "delivered",
}
# What {names} says in a question about a family's children asked by phone: no names.
CHILDREN_SPOKEN = SPOKEN_PLACEHOLDERS["names"]
# The template of a call placed for a member of staff, and where its content_variables keep
# the staff's phone the person is put through to.
STAFF_CALL = "staff_call"
CONNECT_TO = "connect_to"
# Seconds the staff's phone rings before the call gives up on them.
DIAL_SECONDS = 30


def base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def twiml_url(message_id: int) -> str:
    """What Twilio fetches when the call is answered (its signature checked like any webhook)."""
    return f"{base_url()}{VOICE_PATH}?message={message_id}"


def call_status_url(message_id: int) -> str:
    return f"{base_url()}{CALL_STATUS_PATH}?message={message_id}"


def answer_url(message_id: int, round_: int) -> str:
    return f"{base_url()}{ANSWER_PATH}?message={message_id}&round={round_}"


def is_machine(answered_by: str) -> bool:
    """Twilio's AnsweredBy for an answering machine (machine_start, machine_end_beep...) or a
    fax: nothing is said to it."""
    return answered_by.startswith("machine") or answered_by == "fax"


def _call(session: Session, message_id: int | None, form: dict[str, str]) -> OutboundMessage | None:
    """Our call this request is about: a voice message, being called now, with this CallSid
    (or none recorded yet). A late request about an earlier call of it finds nothing."""
    if message_id is None:
        return None
    message = session.get(OutboundMessage, message_id, with_for_update=True)
    if message is None or message.channel is not Channel.VOICE:
        return None
    sid = form.get("CallSid", "")
    if message.twilio_sid is not None and sid != message.twilio_sid:
        return None
    if message.status not in (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED):
        return None
    return message


def queue_staff_call(
    session: Session, phone: str, staff_phone: str, body: str, returnee_id: int
) -> OutboundMessage:
    """Queue a call to a person's phone that puts them through to a member of staff's phone
    when they answer; `body` says on their record what the call was. It goes at any hour, as
    a reply does (the member of staff chose the moment), and ahead of routine check-ins."""
    message = queue_message(
        session,
        phone,
        body,
        channel=Channel.VOICE,
        returnee_id=returnee_id,
        template=STAFF_CALL,
        content_variables={CONNECT_TO: staff_phone},
        priority=REPLY,
    )
    wake_worker(session)
    return message


def start_call(session: Session, message_id: int | None, form: dict[str, str]) -> str:
    """The TwiML of an answered call: a machine is hung up on (and called again later);
    a person hears the question and is asked for one key, or is put through to the member of
    staff who placed the call."""
    message = _call(session, message_id, form)
    if message is None:
        return hang_up()
    _take_sid(message, form)
    if is_machine(form.get("AnsweredBy", "")):
        redial(session, message, "answering machine")
        return hang_up()
    advance_status(message, MessageStatus.SENT.value)
    message.updated_at = utcnow()
    if message.template == STAFF_CALL:
        return put_through(message)
    return ask(message, 1)


def put_through(message: OutboundMessage) -> str:
    """<Dial> the staff's phone (it shows our number calling); the person hears it ring."""
    staff_phone = (message.content_variables or {}).get(CONNECT_TO, "")
    if not staff_phone:
        return hang_up()
    response = VoiceResponse()
    response.dial(staff_phone, timeout=DIAL_SECONDS)
    return str(response)


def ask(message: OutboundMessage, round_: int) -> str:
    """The question, then one key: the answer (or nothing, after KEY_WAIT_SECONDS) goes to the
    answer webhook with the round it was."""
    response = VoiceResponse()
    gather = Gather(
        input="dtmf",
        num_digits=1,
        timeout=KEY_WAIT_SECONDS,
        action=answer_url(message.id, round_),
        method="POST",
        action_on_empty_result=True,
    )
    question = voice_prompt_for(message.template, message.language)
    stop = voice_prompt_for(STOP_KEY_PROMPT, message.language)
    if question is None or stop is None:
        response.hangup()  # removed since it was placed: the reminder asks in writing
        return str(response)
    _speak(gather, question)
    _speak(gather, stop)
    response.append(gather)
    return str(response)


def _speak(verb: Gather | VoiceResponse, prompt: VoicePromptChoice) -> None:
    """<Play> the recording, or <Say> the Spanish wording an admin allowed to be read aloud."""
    if prompt.url:
        verb.play(prompt.url)
    elif prompt.say_text:
        verb.say(prompt.say_text, language="es-MX")


def hang_up(thanks: VoicePromptChoice | None = None) -> str:
    response = VoiceResponse()
    if thanks is not None:
        _speak(response, thanks)
    response.hangup()
    return str(response)


def answer_call(session: Session, message_id: int | None, round_: int, form: dict[str, str]) -> str:
    """A key pressed (Digits), or none: 9 stops the calls; any other is the answer, read as
    a text answer would be; none, the question once more, then the call is unanswered."""
    message = _call(session, message_id, form)
    if message is None:
        return hang_up()
    _take_sid(message, form)
    key = form.get("Digits", "").strip()[:1]
    if key == STOP_KEY:
        _record_key(session, message, form, key, round_, Keyword.STOP)
        change_consent(session, message.phone, False, "voice:9")
        return hang_up(thanks_prompt_for(message.language))
    if key:
        _record_key(session, message, form, key, round_)
        return hang_up(thanks_prompt_for(message.language))
    if round_ < ROUNDS:
        return ask(message, round_ + 1)
    events.publish(events.CALL_UNANSWERED, session, message_id=message.id)
    return hang_up()


def _record_key(
    session: Session,
    message: OutboundMessage,
    form: dict[str, str],
    key: str,
    round_: int,
    keyword: Keyword | None = None,
) -> None:
    """The key as a reply from the number called (once, however often Twilio asks), for
    followups' reading of replies; a keyword is acted on here and not read as an answer."""
    now = utcnow()
    sid = form.get("CallSid") or message.twilio_sid or f"call-{message.id}"
    inbound = InboundMessage(
        message_sid=f"{sid}:{round_}"[:40],
        from_number=message.phone,
        sender_country=country_of_phone(message.phone),
        channel=Channel.VOICE,
        body=key,
        returnee_id=holder_of(session, message.phone),
        keyword=keyword.value if keyword else "",
        received_at=now,
        handled_at=now if keyword else None,
        payload=dict(form),
    )
    try:
        with session.begin_nested():
            session.add(inbound)
    except IntegrityError:
        return  # the same key again: stored once
    if keyword is None:
        wake_worker(session)


def _take_sid(message: OutboundMessage, form: dict[str, str]) -> None:
    if message.twilio_sid is None and form.get("CallSid"):
        message.twilio_sid, message.is_ambiguous = form["CallSid"], False


def apply_call_status(session: Session, message_id: int | None, form: dict[str, str]) -> bool:
    """A call's StatusCallback: ringing, answered, completed move its message forward; a call
    nobody (or a machine) took is called again later, or fails. Whether it changed anything."""
    message = _call(session, message_id, form)
    if message is None:
        return False
    _take_sid(message, form)
    status, answered_by = form.get("CallStatus", ""), form.get("AnsweredBy", "")
    message.updated_at = utcnow()
    if status in NOT_TAKEN:
        redial(session, message, status)
        return True
    if is_machine(answered_by) and status in ("in-progress", "completed"):
        redial(session, message, "answering machine")
        return True
    return advance_status(message, CALL_STATUS.get(status, ""))


def redial(session: Session, message: OutboundMessage, why: str) -> None:
    """Call again in REDIAL_AFTER (the claim holds it to the sending window), at most
    MAX_REDIALS times; then the call has failed (followups escalate it as unanswered). A call
    placed for a member of staff fails at once."""
    now = utcnow()
    message.twilio_sid, message.is_ambiguous, message.confirmed_at = None, False, None
    message.updated_at = now
    if message.redials < MAX_REDIALS and message.template != STAFF_CALL:
        message.redials += 1
        message.status, message.next_attempt_at = MessageStatus.QUEUED, now + REDIAL_AFTER
        message.error_message = f"{why}: called again"
    else:
        message.status, message.next_attempt_at = MessageStatus.FAILED, None
        message.error_message = why
