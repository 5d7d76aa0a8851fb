"""What an uploaded prompt is: WAV or MP3 by its first bytes (never its name), and how long."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from typing import NoReturn

from flask_babel import lazy_gettext as _
from mutagen import MutagenError
from mutagen.mp3 import MP3

from returnees.core.errors import InvalidInput

WAV, MP3_TYPE = "audio/wav", "audio/mpeg"
EXTENSIONS = {WAV: "wav", MP3_TYPE: "mp3"}


@dataclass(frozen=True)
class Audio:
    content_type: str
    byte_size: int
    duration_seconds: float

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def sniff_type(data: bytes) -> str | None:
    """audio/wav for a RIFF/WAVE file, audio/mpeg for an ID3 tag or an MPEG audio frame sync."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return WAV
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return MP3_TYPE
    return None


def check_audio(data: bytes, max_bytes: int, max_seconds: float) -> Audio:
    """The file's type and length, or InvalidInput naming what is wrong (the field "audio")."""
    if not data:
        _refuse(_("Choose a WAV or MP3 file."))
    if len(data) > max_bytes:
        _refuse(_("The file is larger than the %(limit)s KB allowed.", limit=max_bytes // 1024))
    content_type = sniff_type(data)
    if content_type is None:
        _refuse(_("This is not a WAV or MP3 file, whatever its name says."))
    seconds = _wav_seconds(data) if content_type == WAV else _mp3_seconds(data)
    if seconds <= 0:
        _refuse(_("The recording is silent: it lasts no time at all."))
    if seconds > max_seconds:
        _refuse(
            _(
                "The recording lasts %(seconds)s seconds: at most %(limit)s.",
                seconds=round(seconds, 1),
                limit=max_seconds,
            )
        )
    return Audio(content_type, len(data), round(seconds, 3))


def _wav_seconds(data: bytes) -> float:
    try:
        with wave.open(io.BytesIO(data)) as audio:
            return audio.getnframes() / audio.getframerate()
    except (wave.Error, EOFError, ZeroDivisionError):
        _refuse(_("The WAV file cannot be read: save it as PCM WAV (16-bit) and try again."))


def _mp3_seconds(data: bytes) -> float:
    try:
        return float(MP3(io.BytesIO(data)).info.length)
    except (MutagenError, ValueError):
        _refuse(_("The MP3 file cannot be read: export it again and try again."))


def _refuse(message: object) -> NoReturn:
    raise InvalidInput(_("Nothing was saved: correct the fields marked."), {"audio": [message]})
