"""Read a reply by the step's answer type; what cannot be read with confidence goes to a person."""

from __future__ import annotations

import re
from dataclasses import dataclass

from returnees.people.identity import fold

YES = {"si", "s", "1", "claro", "ok", "okay", "yes", "y", "simon", "sip"}
NO = {"no", "n", "2", "nel"}
CHOICE = re.compile(r"^(?:opcion|opc|op|numero|no|#)?\s*(\d{1,2})$")


@dataclass(frozen=True)
class ReadReply:
    """What a reply says: a value when it could be read with confidence, else None."""

    value: str | None
    is_danger: bool = False


def read_yes_no(text: str) -> str | None:
    """'Sí, gracias' -> 'yes'; 'no' -> 'no'; anything unclear -> None. Trailing words are
    tolerated, but a reply that says both ('si... bueno no') is unclear."""
    words = fold(text).split()
    if not words:
        return None
    first = words[0]
    if first in YES and not set(words[1:3]) & NO:
        return "yes"
    if first in NO and not set(words[1:3]) & (YES - {"1"}):
        return "no"
    return None


def read_choice(text: str) -> str | None:
    """'3', '3.', 'opción 3' -> '3'."""
    match = CHOICE.match(fold(text).strip())
    return match.group(1) if match else None


def contains_danger(text: str, danger_words: list[str]) -> bool:
    """Whether the reply says one of the configured danger phrases, anywhere in it."""
    folded = f" {fold(text)} "
    return any(f" {fold(phrase)} " in folded for phrase in danger_words)


def read_reply(text: str, answer_type: str, danger_words: list[str]) -> ReadReply:
    danger = contains_danger(text, danger_words)
    if answer_type in ("yes_no", "confirm"):
        value = read_yes_no(text)
    elif answer_type == "choice":
        value = read_choice(text)
    else:
        value = None  # free text always goes to a person
    return ReadReply(value, danger)
