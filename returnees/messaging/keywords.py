"""Whole-message keywords, read ignoring case, accents and punctuation."""

from __future__ import annotations

import enum

from returnees.people.identity import fold


class Keyword(enum.StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


WORDS = {
    Keyword.STOP: {"stop", "alto", "baja", "cancelar", "parar", "detener", "salir"},
    Keyword.START: {"start", "inicio", "alta"},
    Keyword.HELP: {"ayuda", "help", "info"},
}


def read_keyword(body: str) -> Keyword | None:
    """The keyword a whole message is, if it is one: 'Alto!' is STOP, 'alto ahí' is not."""
    text = fold(body)
    for keyword, words in WORDS.items():
        if text in words:
            return keyword
    return None
