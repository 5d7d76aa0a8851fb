"""The S3 prompt storage against moto's S3, served over HTTP on 127.0.0.1 and reached with
boto3 as a real object store would be: an upload lands in the bucket, Twilio's signed URL
serves it from there, and a refused file leaves the bucket empty."""

from __future__ import annotations

import pytest

from returnees import create_app
from returnees.core.settings import SettingsError
from returnees.messaging.prompt_storage import CLIENTS
from tests.messaging.audio import mp3_bytes
from tests.messaging.test_voice_prompts import arrived_safe, choose, upload

BUCKET = "returnees-prompts"


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(app, s3_server, monkeypatch):
    """The app keeps its prompts in a fresh bucket of the moto server."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    settings = {
        "VOICE_PROMPT_STORAGE": "s3",
        "VOICE_PROMPT_S3_BUCKET": BUCKET,
        "VOICE_PROMPT_S3_ENDPOINT_URL": s3_server,
        "VOICE_PROMPT_S3_REGION": "us-east-1",
    }
    saved = {key: app.config[key] for key in settings}
    app.config.update(settings)
    yield client
    app.config.update(saved)
    app.extensions.pop(CLIENTS, None)
    for found in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=found["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client) -> list[str]:
    return [found["Key"] for found in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_an_upload_lands_in_the_bucket_and_is_served_from_it(
    app, bucket, as_admin, admin, sign_in_as
):
    arrived_safe(as_admin)
    audio = mp3_bytes(3)
    assert upload(sign_in_as(admin), audio, "saludo.mp3", language="es").status_code == 302
    [key] = keys(bucket)
    assert key.startswith("voice-prompts/arrived_safe/es/") and key.endswith(".mp3")
    stored = bucket.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == audio and stored["ContentType"] == "audio/mpeg"
    path = choose(app, "arrived_safe", "es").url.removeprefix("http://returnees.test")
    served = app.test_client().get(path)
    assert served.status_code == 200 and served.data == audio and served.mimetype == "audio/mpeg"
    bucket.delete_object(Bucket=BUCKET, Key=key)
    assert app.test_client().get(path).status_code == 404  # gone from the store


def test_a_refused_file_leaves_the_bucket_empty(app, bucket, as_admin, admin, sign_in_as):
    arrived_safe(as_admin)
    response = upload(sign_in_as(admin), b"not audio at all" * 10, "saludo.mp3", language="es")
    assert response.status_code == 422
    assert keys(bucket) == []


def test_s3_storage_needs_a_bucket():
    with pytest.raises(SettingsError, match="VOICE_PROMPT_S3_BUCKET"):
        create_app({"RETURNEES_ENV": "test", "VOICE_PROMPT_STORAGE": "s3"})
    with pytest.raises(SettingsError, match="not one of: disk, s3"):
        create_app({"RETURNEES_ENV": "test", "VOICE_PROMPT_STORAGE": "ftp"})
