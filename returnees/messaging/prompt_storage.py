"""Where recorded prompts are kept, behind VOICE_PROMPT_STORAGE: "disk" (a folder, by default
under instance/) for now. A key is "<template key>/<language>/<digest>.<wav|mp3>"."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

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


def prompt_storage() -> PromptStorage:
    """The storage VOICE_PROMPT_STORAGE names, read from the settings at each use."""
    config = current_app.config
    kind = config["VOICE_PROMPT_STORAGE"]
    if kind == "disk":
        folder = config["VOICE_PROMPT_DIR"].replace("{instance_path}", current_app.instance_path)
        return DiskStorage(Path(folder))
    raise SettingsError(f"VOICE_PROMPT_STORAGE={kind!r} is not one of: disk.")
