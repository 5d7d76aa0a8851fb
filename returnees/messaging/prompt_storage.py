"""Where recorded prompts are kept, behind VOICE_PROMPT_STORAGE: "disk" (a folder, by default
under instance/) or "s3" (a bucket of an S3-compatible object store, through boto3). A key is
"<template key>/<language>/<digest>.<wav|mp3>"."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from flask import current_app

from returnees.core.settings import SettingsError


class PromptStorage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def read(self, key: str) -> bytes | None: ...


class DiskStorage:
    """Files in one folder; a key never leaves it (keys are built by us, checked all the same)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"prompt key {key!r} leaves the storage folder")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(path)  # never a half-written file under the key

    def read(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None


class ObjectStorage:
    """Objects in a bucket, each key under a prefix; the client is boto3's S3 client."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self.prefix + key, Body=data, ContentType=content_type
        )

    def read(self, key: str) -> bytes | None:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except self.client.exceptions.NoSuchKey:
            return None
        return found["Body"].read()


STORAGES = ("disk", "s3")
CLIENTS = "returnees.voice_prompt_s3_clients"


def prompt_storage() -> PromptStorage:
    """The storage VOICE_PROMPT_STORAGE names, read from the settings at each use."""
    config = current_app.config
    kind = config["VOICE_PROMPT_STORAGE"]
    if kind == "disk":
        folder = config["VOICE_PROMPT_DIR"].replace("{instance_path}", current_app.instance_path)
        return DiskStorage(Path(folder))
    if kind == "s3":
        return ObjectStorage(
            _s3_client(
                config.get("VOICE_PROMPT_S3_ENDPOINT_URL"), config.get("VOICE_PROMPT_S3_REGION")
            ),
            config["VOICE_PROMPT_S3_BUCKET"],
            config.get("VOICE_PROMPT_S3_PREFIX") or "",
        )
    raise SettingsError(f"VOICE_PROMPT_STORAGE={kind!r} is not one of: {', '.join(STORAGES)}.")


def _s3_client(endpoint_url: str | None, region: str | None) -> Any:
    """boto3's S3 client, made once per endpoint and region (making one takes tens of ms);
    credentials come as boto3 finds them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY...)."""
    clients = current_app.extensions.setdefault(CLIENTS, {})
    if (endpoint_url, region) not in clients:
        try:
            import boto3
        except ImportError as error:
            raise SettingsError(
                'VOICE_PROMPT_STORAGE=s3 needs boto3: pip install "returnees[s3]".'
            ) from error
        clients[(endpoint_url, region)] = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None
        )
    return clients[(endpoint_url, region)]
