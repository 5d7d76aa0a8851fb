"""A fake Twilio REST API on 127.0.0.1: Messages create and fetch shaped as the real API answers
them, a record of every request, and answers on demand (error codes, 429, 500, a timeout)."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-twilio-auth-token"


@dataclass
class Scripted:
    """One answer to the next create: an HTTP error with a Twilio code, or a slow answer."""

    status: int = 201
    code: int | None = None
    message: str = ""
    delay: float = 0.0


@dataclass
class FakeTwilio:
    requests: list[dict] = field(default_factory=list)
    messages: dict[str, dict] = field(default_factory=dict)
    script: deque[Scripted] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def answer_next(self, *answers: Scripted) -> None:
        self.script.extend(answers)

    def created(self) -> list[dict]:
        return [r["form"] for r in self.requests if r["method"] == "POST"]

    def __call__(self, environ, start_response):
        request = Request(environ)
        form = {key: values[-1] for key, values in parse_qs(request.get_data(as_text=True)).items()}
        with self.lock:
            self.requests.append({"method": request.method, "path": request.path, "form": form})
            answer = self.script.popleft() if request.method == "POST" and self.script else None
        if request.method == "POST" and request.path.endswith("/Messages.json"):
            response = self._create(form, answer)
            if answer and answer.delay:
                # Created, then slow to answer: the client times out after the message went out.
                time.sleep(answer.delay)
        elif request.method == "GET" and request.path.endswith("/Messages.json"):
            response = self._list(request.args.get("To", ""))
        elif request.method == "GET" and "/Messages/" in request.path:
            response = self._fetch(request.path.rsplit("/", 1)[-1].removesuffix(".json"))
        else:
            response = self._error(404, 20404, "The requested resource was not found")
        return response(environ, start_response)

    def _create(self, form: dict, answer: Scripted | None) -> Response:
        if answer and answer.status >= 400:
            return self._error(answer.status, answer.code, answer.message or "error")
        sid = "SM" + secrets.token_hex(16)
        message = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": form.get("To"),
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body", ""),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "date_created": "Tue, 01 Dec 2026 14:00:00 +0000",
            "date_sent": None,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            "status_callback": form.get("StatusCallback"),
        }
        with self.lock:
            self.messages[sid] = message
        return Response(json.dumps(message), status=201, content_type="application/json")

    def _list(self, to: str) -> Response:
        found = [m for m in self.messages.values() if not to or m["to"] == to]
        page = {
            "messages": found,
            "end": len(found),
            "first_page_uri": "",
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": "",
        }
        return Response(json.dumps(page), status=200, content_type="application/json")

    def _fetch(self, sid: str) -> Response:
        message = self.messages.get(sid)
        if message is None:
            return self._error(404, 20404, f"The requested resource {sid} was not found")
        return Response(json.dumps(message), status=200, content_type="application/json")

    @staticmethod
    def _error(status: int, code: int | None, message: str) -> Response:
        body = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        return Response(json.dumps(body), status=status, content_type="application/json")

    def signed_callback(self, sid: str, status: str, public_base: str, error_code: str = ""):
        """The status callback Twilio would send for a message: (path, form, headers)."""
        message = self.messages[sid]
        url = message["status_callback"]
        form = {
            "MessageSid": sid,
            "MessageStatus": status,
            "AccountSid": ACCOUNT_SID,
            "To": message["to"] or "",
            "SmsStatus": status,
        }
        if error_code:
            form["ErrorCode"] = error_code
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
        return url.removeprefix(public_base.rstrip("/")), form, {"X-Twilio-Signature": signature}


def serve_fake_twilio(fake: FakeTwilio | None = None):
    """Start the fake (a new FakeTwilio unless given) on a free port; returns (fake, stop)."""
    fake = fake or FakeTwilio()
    server = make_server("127.0.0.1", 0, fake, threaded=True)
    fake.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join()

    return fake, stop
