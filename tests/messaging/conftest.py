from __future__ import annotations

import pytest

from returnees.messaging.gateway import TwilioGateway
from returnees.messaging.services import GATEWAY
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, serve_fake_twilio


@pytest.fixture(scope="session")
def fake_twilio_server():
    fake, stop = serve_fake_twilio()
    yield fake
    stop()


@pytest.fixture
def fake_twilio(app, fake_twilio_server):
    """The app's gateway is the real Twilio client, pointed at the fake over HTTP."""
    fake = fake_twilio_server
    fake.reset()
    saved = {key: app.config.get(key) for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")}
    app.config.update(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN)
    app.extensions[GATEWAY] = TwilioGateway(
        ACCOUNT_SID,
        AUTH_TOKEN,
        sms_from="+15005550006",
        whatsapp_from="+15005550007",
        api_base_url=fake.base_url,
        timeout=5,
    )
    yield fake
    fake.reset()
    app.extensions.pop(GATEWAY, None)
    app.config.update(saved)
