from __future__ import annotations

import pytest

from returnees import create_app
from returnees.core.encryption import new_key
from returnees.core.settings import SettingsError


def test_health_answers_200_when_the_database_answers(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_health_answers_503_when_the_database_does_not():
    down = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": "postgresql://127.0.0.1:1/none"})
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_production_refuses_to_start_without_its_secrets_naming_them(monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError, match="SECRET_KEY, DATABASE_URL"):
        create_app({"RETURNEES_ENV": "production"})


def test_production_names_only_what_is_missing(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s3cret-from-the-environment")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SettingsError) as refused:
        create_app({"RETURNEES_ENV": "production"})
    assert "DATABASE_URL" in str(refused.value) and "SECRET_KEY" not in str(refused.value)


@pytest.fixture
def keys_in_the_environment(monkeypatch):
    """Production's encryption keys (tests/core/test_encryption.py shows it refuses without)."""
    monkeypatch.setenv("ENCRYPTION_KEYS", f"k1={new_key()}")
    monkeypatch.setenv("BLIND_INDEX_KEY", new_key())


def test_production_refuses_to_start_without_twilio_unless_told_to(
    monkeypatch, keys_in_the_environment
):
    monkeypatch.setenv("SECRET_KEY", "s3cret-from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.internal/returnees")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://returnees.example.org")
    with pytest.raises(SettingsError, match="TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN"):
        create_app({"RETURNEES_ENV": "production"})
    monkeypatch.setenv("MESSAGING_REQUIRES_TWILIO", "false")
    assert create_app({"RETURNEES_ENV": "production"}).config["MESSAGING_REQUIRES_TWILIO"] is False


def test_production_reads_its_settings_from_the_environment(monkeypatch, keys_in_the_environment):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token-from-the-environment")
    monkeypatch.setenv("TWILIO_MESSAGING_SERVICE_SID", "MG" + "1" * 32)
    monkeypatch.setenv("SECRET_KEY", "s3cret-from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.internal/returnees")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://returnees.example.org")
    app = create_app({"RETURNEES_ENV": "production"})
    assert app.config["SECRET_KEY"] == "s3cret-from-the-environment"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PUBLIC_BASE_URL"] == "https://returnees.example.org"
    assert app.config["SCHEDULER_IN_PROCESS"] is False


def test_an_unknown_environment_is_refused(monkeypatch):
    with pytest.raises(SettingsError, match="RETURNEES_ENV"):
        create_app({"RETURNEES_ENV": "staging"})


def test_pages_carry_security_headers_and_no_third_party_assets(app):
    response = app.test_client().get("/auth/sign-in")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert "http://" not in page and "https://" not in page, "every asset is served by the app"


def test_the_first_load_of_a_page_stays_under_200_kb(app):
    client = app.test_client()
    page = client.get("/auth/sign-in")
    with client.get("/static/app.css") as css:
        assert css.status_code == 200
        assert len(page.data) + len(css.data) < 200 * 1024


def test_follow_up_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DANGER_WORDS", "Socorro, me siguen ,")
    monkeypatch.setenv("SENDING_WINDOW", "HN=9-18")
    monkeypatch.setenv("REPLY_WAIT_HOURS", "24")
    monkeypatch.setenv("FOLLOW_UP_GRACE_HOURS", "48")
    config = create_app({"RETURNEES_ENV": "test"}).config
    assert config["DANGER_WORDS"] == ("socorro", "me siguen")
    assert config["SENDING_WINDOW"] == {"GT": (8, 19), "HN": (9, 18), "SV": (8, 19)}
    assert (config["REPLY_WAIT_HOURS"], config["FOLLOW_UP_GRACE_HOURS"]) == (24, 48)


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("SENDING_WINDOW", "GT=8", "GT=8"),
        ("SENDING_WINDOW", "GT=19-8", "GT 19-8"),
        ("SENDING_WINDOW", "MX=8-19", "'MX'"),
        ("SENDING_WINDOW", "SV=8-25", "SV 8-25"),
        ("REPLY_WAIT_HOURS", "two days", "REPLY_WAIT_HOURS"),
        ("DANGER_WORDS", " , ", "DANGER_WORDS names nothing"),
    ],
)
def test_a_bad_follow_up_setting_stops_the_start_and_says_which(monkeypatch, name, value, said):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=said):
        create_app({"RETURNEES_ENV": "test"})
