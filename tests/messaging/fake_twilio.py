"""A fake Twilio REST API on 127.0.0.1: Messages and Calls create, list and fetch shaped as the
real API answers them, a record of every request, and answers on demand (error codes, 429, 500,
a timeout).

A call is driven from the test as Twilio drives it: `call_status` gives the signed StatusCallback
(ringing, busy, completed, with AnsweredBy), and `pick_up` fetches the call's TwiML as Twilio
does when it is answered, then presses a key (or none) at each <Gather>, posting to its action;
both sign as Twilio signs, and post with what the test gives them (the app's test client).

Like the real API it can take its time (`latency`: each answer takes that long, as Twilio's
150-300 ms) and hold the account to a number of requests at once (`concurrency_limit`: past it,
429 with code 20429, as Twilio answers); it notes the most requests it held at once.
`python -m tests.messaging.fake_twilio --latency-ms 200 --concurrency-limit 10` serves it as a
process of its own, for a worker or a benchmark to send to.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
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
    calls: dict[str, dict] = field(default_factory=dict)
    script: deque[Scripted] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""
    latency: float = 0.0
    concurrency_limit: int | None = None
    in_flight: int = 0
    peak_in_flight: int = 0
    refused: int = 0
    holding: Callable[[FakeTwilio], bool] | None = None
    hold_seconds: float = 10.0

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def __repr__(self) -> str:
        return (
            f"<FakeTwilio {len(self.messages)} messages, {self.in_flight} in flight (at most "
            f"{self.peak_in_flight}), {self.refused} refused past its limit>"
        )

    def answer_next(self, *answers: Scripted) -> None:
        self.script.extend(answers)

    def hold_until(self, condition: Callable[[FakeTwilio], bool], seconds: float = 10.0) -> None:
        """Hold every request it takes until `condition` holds once (or `seconds` pass): a test
        sees requests at once without timing them (`lambda fake: fake.in_flight == 4`)."""
        with self.lock:
            self.holding, self.hold_seconds = condition, seconds

    def reset(self) -> None:
        """Forget every request, message and scripted answer, and answer at once, unlimited."""
        with self.lock:
            self.requests.clear()
            self.messages.clear()
            self.calls.clear()
            self.script.clear()
            self.latency, self.concurrency_limit, self.holding = 0.0, None, None
            self.peak_in_flight, self.refused = self.in_flight, 0

    def created(self) -> list[dict]:
        """The messages created (calls: `placed`)."""
        return [
            r["form"]
            for r in self.requests
            if r["method"] == "POST" and r["path"].endswith("/Messages.json")
        ]

    def placed(self) -> list[dict]:
        """The calls created, in order, each with every value of its form (StatusCallbackEvent
        is a list)."""
        return [
            r["form"] | {"StatusCallbackEvent": r["events"]}
            for r in self.requests
            if r["method"] == "POST" and r["path"].endswith("/Calls.json")
        ]

    def __call__(self, environ, start_response):
        request = Request(environ)
        values = parse_qs(request.get_data(as_text=True))
        form = {key: found[-1] for key, found in values.items()}
        with self.lock:
            self.requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "form": form,
                    "events": values.get("StatusCallbackEvent", []),
                    "at": time.monotonic(),
                }
            )
        if not self._take():
            return self._error(429, 20429, "Too Many Requests")(environ, start_response)
        try:
            with self.lock:
                scripted = request.method == "POST" and self.script
                answer = self.script.popleft() if scripted else None
            self._wait()
            return self._answer(request, form, answer)(environ, start_response)
        finally:
            with self.changed:
                self.in_flight -= 1
                self.changed.notify_all()

    def _take(self) -> bool:
        """Count the request in, or refuse it: the account has as many as it may at once."""
        with self.changed:
            if self.concurrency_limit is not None and self.in_flight >= self.concurrency_limit:
                self.refused += 1
                self.changed.notify_all()
                return False
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            self.changed.notify_all()
            return True

    def _wait(self) -> None:
        """Held until the hold's condition is met, then as long as the latency says."""
        with self.changed:
            if self.holding is not None:
                self.changed.wait_for(
                    lambda: self.holding is None or self.holding(self), self.hold_seconds
                )
                self.holding = None  # met (or given up on): every request goes on now
                self.changed.notify_all()
        if self.latency:
            time.sleep(self.latency)

    def _answer(self, request: Request, form: dict, answer: Scripted | None) -> Response:
        if request.path.endswith("/Calls.json") or "/Calls/" in request.path:
            response = self._calls(request, form, answer)
            if answer and answer.delay:
                time.sleep(answer.delay)  # placed, then slow to answer, as a message above
        elif request.method == "POST" and request.path.endswith("/Messages.json"):
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
        return response

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
        with self.lock:
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

    def _calls(self, request: Request, form: dict, answer: Scripted | None) -> Response:
        if request.method == "POST" and request.path.endswith("/Calls.json"):
            if answer and answer.status >= 400:
                return self._error(answer.status, answer.code, answer.message or "error")
            return self._create_call(form)
        if request.method == "GET" and request.path.endswith("/Calls.json"):
            to = request.args.get("To", "")
            with self.lock:
                found = [c for c in self.calls.values() if not to or c["to"] == to]
            page = {"calls": found, "end": len(found), "next_page_uri": None, "page": 0}
            page |= {"page_size": 50, "start": 0, "uri": ""}
            return Response(json.dumps(page), status=200, content_type="application/json")
        call = self.calls.get(request.path.rsplit("/", 1)[-1].removesuffix(".json"))
        if request.method == "GET" and call is not None:
            return Response(json.dumps(call), status=200, content_type="application/json")
        return self._error(404, 20404, "The requested resource was not found")

    def _create_call(self, form: dict) -> Response:
        sid = "CA" + secrets.token_hex(16)
        call = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": form.get("To"),
            "from": form.get("From"),
            "status": "queued",
            "direction": "outbound-api",
            "answered_by": None,
            "date_created": "Tue, 01 Dec 2026 14:00:00 +0000",
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json",
            # Not in Twilio's answer: what the fake needs to call back as Twilio would.
            "url": form.get("Url"),
            "status_callback": form.get("StatusCallback"),
            "machine_detection": form.get("MachineDetection"),
        }
        with self.lock:
            self.calls[sid] = call
        return Response(json.dumps(call), status=201, content_type="application/json")

    def _signed_call_request(self, sid: str, url: str, public_base: str, **fields: str):
        """A request Twilio makes about a call, to `url`, signed: (path, form, headers)."""
        call = self.calls[sid]
        form = {
            "CallSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": call["from"] or "",
            "To": call["to"] or "",
            "Direction": "outbound-api",
        } | {key: value for key, value in fields.items() if value is not None}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
        return url.removeprefix(public_base.rstrip("/")), form, {"X-Twilio-Signature": signature}

    def call_status(self, sid: str, status: str, public_base: str, answered_by: str = ""):
        """The StatusCallback Twilio sends as a call goes (ringing, in-progress, busy,
        no-answer, completed...): (path, form, headers); the call takes that status."""
        with self.lock:
            self.calls[sid]["status"] = status
            self.calls[sid]["answered_by"] = answered_by or self.calls[sid]["answered_by"]
        return self._signed_call_request(
            sid,
            self.calls[sid]["status_callback"],
            public_base,
            CallStatus=status,
            AnsweredBy=answered_by or None,
        )

    def pick_up(
        self,
        sid: str,
        post: Callable[[str, dict, dict], str],
        public_base: str,
        keys: tuple[str, ...] = (),
        answered_by: str = "human",
    ) -> list[str]:
        """The call answered (by a person, or `answered_by` a machine): its TwiML fetched, then
        at each <Gather> the next of `keys` pressed ("" none: the Gather times out and posts no
        Digits) to the Gather's action. `post(path, form, headers)` sends a request to the app
        and gives the TwiML it answered; returns every TwiML document, in order."""
        with self.lock:
            self.calls[sid] |= {"status": "in-progress", "answered_by": answered_by}
        request = self._signed_call_request(
            sid,
            self.calls[sid]["url"],
            public_base,
            CallStatus="in-progress",
            AnsweredBy=answered_by,
        )
        pages = [post(*request)]
        for key in keys:
            action = re.search(r'<Gather[^>]*action="([^"]+)"', pages[-1])
            if action is None:
                break
            request = self._signed_call_request(
                sid,
                html.unescape(action.group(1)),
                public_base,
                CallStatus="in-progress",
                Digits=key or None,
            )
            pages.append(post(*request))
        return pages

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


def serve_fake_twilio(fake: FakeTwilio | None = None, port: int = 0):
    """Start the fake (a new FakeTwilio unless given) on `port` (0: a free one); returns (fake,
    stop)."""
    fake = fake or FakeTwilio()
    server = make_server("127.0.0.1", port, fake, threaded=True)
    fake.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join()

    return fake, stop


def main() -> None:
    """Serve the fake as a process of its own until interrupted; prints its base URL."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="each answer takes this")
    parser.add_argument("--concurrency-limit", type=int, help="requests at once; past: 429")
    options = parser.parse_args()
    fake = FakeTwilio(
        latency=options.latency_ms / 1000, concurrency_limit=options.concurrency_limit
    )
    fake, stop = serve_fake_twilio(fake, options.port)
    print(fake.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        stop()


if __name__ == "__main__":
    main()
