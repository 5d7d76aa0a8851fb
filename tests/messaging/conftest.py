from __future__ import annotations

import pytest

from returnees.auth.access import Actor
from returnees.auth.models import Role, User
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


@pytest.fixture
def prompt_dir(app, tmp_path):
    """Prompts stored on disk in a folder of the test's own."""
    saved = app.config["VOICE_PROMPT_DIR"]
    app.config["VOICE_PROMPT_DIR"] = str(tmp_path / "prompts")
    yield tmp_path / "prompts"
    app.config["VOICE_PROMPT_DIR"] = saved


@pytest.fixture
def admin(make_user, demo):
    return make_user(Role.ADMIN, "GT-AURORA")


@pytest.fixture
def as_admin(in_app, admin):
    """`with as_admin() as (session, actor):` services run as the admin, then commit."""

    def context():
        return _AdminContext(in_app, admin)

    return context


class _AdminContext:
    def __init__(self, in_app, admin: User) -> None:
        self.context, self.admin = in_app(), admin

    def __enter__(self):
        session = self.context.__enter__()
        return session, Actor.for_user(session.get(User, self.admin.id))

    def __exit__(self, *exc):
        return self.context.__exit__(*exc)
