"""The baseline under gunicorn for bench/messaging.py: a bare Flask endpoint, same empty TwiML."""

from __future__ import annotations

from flask import Flask, Response

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

app = Flask("bare")


@app.get("/healthz")
def healthz() -> Response:
    return Response("ok", mimetype="text/plain")


@app.post("/webhooks/twilio/inbound")
def inbound() -> Response:
    return Response(EMPTY_TWIML, mimetype="text/xml")
