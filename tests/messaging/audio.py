"""Small audio files made on the spot: PCM WAV by the stdlib, MP3 as silent MPEG-1 Layer III
frames (128 kbit/s, 44.1 kHz: 417 bytes and 1152 samples each), as an encoder writes them."""

from __future__ import annotations

import io
import wave

MP3_FRAME_HEADER = bytes([0xFF, 0xFB, 0x90, 0x64])
MP3_FRAME_BYTES = 417
MP3_FRAME_SECONDS = 1152 / 44100


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def mp3_bytes(seconds: float) -> bytes:
    frame = MP3_FRAME_HEADER + bytes(MP3_FRAME_BYTES - len(MP3_FRAME_HEADER))
    return frame * round(seconds / MP3_FRAME_SECONDS)
