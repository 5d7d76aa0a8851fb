"""One gateway interface, two implementations: Twilio (the official client) and a simulation.
A message on the voice channel is a phone call, placed through the same interface."""

from __future__ import annotations

import json
import queue
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Protocol

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NameResolutionError, NewConnectionError

# Error codes that change what we do (shared/field-systems.md).
INVALID_NUMBER = {21211, 21614}
OPTED_OUT = {21610, 63014}
OUTSIDE_WHATSAPP_WINDOW = 63016
# What Twilio tells the StatusCallback of a call as it goes (status_callback_event).
CALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


@dataclass(frozen=True)
class OutgoingMessage:
    to: str
    channel: str
    body: str
    status_callback: str
    validity_seconds: int
    content_sid: str = ""
    content_variables: dict[str, str] = field(default_factory=dict)
    # A call (channel voice): the TwiML URL Twilio fetches when it is answered.
    twiml_url: str = ""


@dataclass(frozen=True)
class SendOutcome:
    """What the gateway answered. `retry` is safe to retry; `ambiguous` may have gone out."""

    sid: str | None = None
    status: str = "failed"
    error_code: int | None = None
    error_message: str = ""
    retry: bool = False
    ambiguous: bool = False


class Gateway(Protocol):
    def send(self, message: OutgoingMessage) -> SendOutcome: ...

    def find_sent(
        self, message: OutgoingMessage, after: datetime, known_sids: frozenset[str] = frozenset()
    ) -> SendOutcome | None:
        """The message as the provider holds it, if an ambiguous send did go out; a message
        whose sid is in `known_sids` is another of ours with the same words."""


class TwilioGateway:
    """SMS and WhatsApp through the official twilio client (api_base_url: tests' fake Twilio).

    Called from several threads at once, each call borrows a client no other call is using: the
    twilio client keeps its last request and response on itself, its requests Session is not
    documented as safe to share between threads, and its pool of https connections holds the
    machine's CPUs + 4 (6 on two cores), past which connections are closed and opened again for
    each send. A client goes back to the idle ones after its call, its connection open.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        messaging_service_sid: str = "",
        sms_from: str = "",
        whatsapp_from: str = "",
        voice_from: str = "",
        api_base_url: str = "",
        timeout: float = 10.0,
    ) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.api_base_url, self.timeout = api_base_url.rstrip("/"), timeout
        self.messaging_service_sid = messaging_service_sid
        self.sms_from = sms_from
        self.whatsapp_from = whatsapp_from
        self.voice_from = voice_from or sms_from
        self.idle: queue.SimpleQueue[Client] = queue.SimpleQueue()

    @contextmanager
    def client(self) -> Iterator[Client]:
        """A client for this call alone, taken from the idle ones or made."""
        try:
            client = self.idle.get_nowait()
        except queue.Empty:
            client = Client(
                self.account_sid,
                self.auth_token,
                http_client=TwilioHttpClient(timeout=self.timeout),
            )
            if self.api_base_url:
                client.api.base_url = self.api_base_url
        try:
            yield client
        finally:
            self.idle.put(client)

    def _addresses(self, message: OutgoingMessage) -> dict[str, str]:
        if message.channel == "whatsapp":
            return {"to": f"whatsapp:{message.to}", "from_": f"whatsapp:{self.whatsapp_from}"}
        if self.messaging_service_sid:
            return {"to": message.to, "messaging_service_sid": self.messaging_service_sid}
        return {"to": message.to, "from_": self.sms_from}

    def send(self, message: OutgoingMessage) -> SendOutcome:
        if message.channel == "voice":
            return self._answered(partial(self._call, message))
        return self._answered(partial(self._message, message))

    def _message(self, message: OutgoingMessage) -> SendOutcome:
        content = (
            {
                "content_sid": message.content_sid,
                "content_variables": json.dumps(message.content_variables),
            }
            if message.content_sid
            else {"body": message.body}
        )
        with self.client() as client:
            sent = client.messages.create(
                **self._addresses(message),
                **content,
                status_callback=message.status_callback,
                validity_period=message.validity_seconds,
            )
        return SendOutcome(
            sid=sent.sid,
            status=sent.status or "queued",
            error_code=sent.error_code,
            error_message=sent.error_message or "",
        )

    def _call(self, message: OutgoingMessage) -> SendOutcome:
        """A phone call: Twilio fetches `twiml_url` when it is answered, tells the
        StatusCallback how it went, and says whether a person or a machine answered."""
        with self.client() as client:
            call = client.calls.create(
                to=message.to,
                from_=self.voice_from,
                url=message.twiml_url,
                status_callback=message.status_callback,
                status_callback_event=CALL_EVENTS,
                machine_detection="Enable",
            )
        return SendOutcome(sid=call.sid, status=call.status or "queued")

    @staticmethod
    def _answered(send: Callable[[], SendOutcome]) -> SendOutcome:
        """What a create answered, or what its failure means (retry, ambiguous, refused)."""
        try:
            return send()
        except TwilioRestException as error:
            return _outcome_of_error(error)
        except (requests.exceptions.ConnectTimeout, requests.exceptions.ConnectionError) as error:
            return SendOutcome(
                error_message=str(error)[:500],
                retry=never_arrived(error),
                ambiguous=not never_arrived(error),
            )
        except requests.exceptions.RequestException as error:
            return SendOutcome(error_message=str(error)[:500], ambiguous=True)

    def find_sent(
        self, message: OutgoingMessage, after: datetime, known_sids: frozenset[str] = frozenset()
    ) -> SendOutcome | None:
        # No DateSent filter: a message Twilio has queued but not sent yet has no DateSent and
        # would be missed, then sent twice. The number's latest messages are few; the same words
        # sent before (a reminder asks again) are told apart by their sids, which we hold.
        if message.channel == "voice":
            return self._find_call(message, after, known_sids)
        to = self._addresses(message)["to"]
        try:
            with self.client() as client:
                recent = client.messages.list(to=to, limit=50)
        except (TwilioRestException, requests.exceptions.RequestException):
            return SendOutcome(retry=True)
        for sent in recent:
            if sent.body == message.body and sent.sid not in known_sids:
                return SendOutcome(sid=sent.sid, status=sent.status)
        return None

    def _find_call(
        self, message: OutgoingMessage, after: datetime, known_sids: frozenset[str]
    ) -> SendOutcome | None:
        """A call to the number placed since `after` that is none of ours: the one whose
        answer never came back."""
        try:
            with self.client() as client:
                recent = client.calls.list(to=message.to, limit=20)
        except (TwilioRestException, requests.exceptions.RequestException):
            return SendOutcome(retry=True)
        for call in recent:
            made = call.date_created
            if call.sid not in known_sids and (made is None or made >= after):
                return SendOutcome(sid=call.sid, status=call.status)
        return None


def never_arrived(error: requests.exceptions.RequestException) -> bool:
    """Refused, unreachable or not connected in time: the request never reached Twilio, so
    sending again is safe. A connection dropped later (reset, aborted) may have delivered it."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError | NameResolutionError)


def _outcome_of_error(error: TwilioRestException) -> SendOutcome:
    message = str(error.msg or error)[:500]
    if error.status == 429:
        return SendOutcome(error_code=error.code, error_message=message, retry=True)
    if error.status >= 500:
        return SendOutcome(error_code=error.code, error_message=message, ambiguous=True)
    return SendOutcome(error_code=error.code, error_message=message)


class SimulatedGateway:
    """The embedded default: nothing leaves the machine; the phone simulator shows each message."""

    def send(self, message: OutgoingMessage) -> SendOutcome:
        prefix = "CA" if message.channel == "voice" else "SM"
        return SendOutcome(
            sid=f"{prefix}{secrets.token_hex(16)}",
            status="queued" if message.channel == "voice" else "sent",
        )

    def find_sent(
        self, message: OutgoingMessage, after: datetime, known_sids: frozenset[str] = frozenset()
    ) -> SendOutcome | None:
        return None
