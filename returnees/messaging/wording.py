"""What a message may say: no word a third person must not read, and one SMS segment if it can."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app

from returnees.people.identity import fold

# GSM 03.38: the basic set, and the extension set whose characters take two septets.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€\f")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
PLACEHOLDERS = {"first_name", "names", "options"}


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int
    segments: int


def count_segments(text: str) -> Segments:
    """How many SMS segments a text takes: 160/153 GSM-7 septets, or 70/67 UCS-2 characters."""
    if all(char in GSM_BASIC or char in GSM_EXTENSION for char in text):
        septets = sum(2 if char in GSM_EXTENSION else 1 for char in text)
        parts = 1 if septets <= 160 else -(-septets // 153)
        return Segments("GSM-7", septets, parts)
    units = sum(2 if ord(char) > 0xFFFF else 1 for char in text)
    parts = 1 if units <= 70 else -(-units // 67)
    return Segments("UCS-2", units, parts)


def find_forbidden_word(text: str) -> str | None:
    """The first word of the text on the configured list; 'deport-' also stops 'deportado'."""
    words = fold(text).split()
    for entry in current_app.config["MESSAGE_FORBIDDEN_WORDS"]:
        stem = fold(entry.rstrip("-"))
        prefix = entry.endswith("-")
        for word in words:
            if word == stem or (prefix and word.startswith(stem)):
                return word
    return None


def unknown_placeholders(text: str) -> list[str]:
    return sorted(set(PLACEHOLDER.findall(text)) - PLACEHOLDERS)
