"""Each reply form is read as documented; what is unclear is not guessed."""

from __future__ import annotations

import pytest

from returnees.followups.replies import read_choice, read_reply, read_yes_no

DANGER = ["auxilio", "ayuda urgente", "me amenazan", "me quieren matar"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("si", "yes"),
        ("sí", "yes"),
        ("SI", "yes"),
        ("Sí, gracias", "yes"),
        ("s", "yes"),
        ("1", "yes"),
        ("claro", "yes"),
        ("Claro que sí!", "yes"),
        ("ok", "yes"),
        ("OK.", "yes"),
        ("yes", "yes"),
        ("Y", "yes"),
        ("  sí  ", "yes"),
        ("¡Sí!", "yes"),
        ("no", "no"),
        ("No.", "no"),
        ("n", "no"),
        ("2", "no"),
        ("NO gracias", "no"),
        ("no, todavía no", "no"),
        ("", None),
        ("tal vez", None),
        ("si... bueno no", None),
        ("3", None),
        ("👍", None),
        ("no sé, sí", None),
        ("quién es?", None),
    ],
)
def test_yes_no(text, expected):
    assert read_yes_no(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", "3"),
        ("3.", "3"),
        ("opción 3", "3"),
        ("Opcion 2", "2"),
        (" 12 ", "12"),
        ("#1", "1"),
        ("la 3", None),
        ("tres", None),
        ("3 y 4", None),
        ("", None),
    ],
)
def test_numbered_choices(text, expected):
    assert read_choice(text) == expected


@pytest.mark.parametrize(
    ("text", "answer_type", "value", "danger"),
    [
        ("Sí", "yes_no", "yes", False),
        ("No. Me amenazan", "yes_no", "no", True),
        ("AUXILIO", "yes_no", None, True),
        ("ayuda urgente por favor", "choice", None, True),
        ("Estoy bien, gracias a Dios", "free_text", None, False),
        ("1", "confirm", "yes", False),
    ],
)
def test_a_reply_is_read_by_its_answer_type_and_danger_words_are_seen(
    text, answer_type, value, danger
):
    read = read_reply(text, answer_type, DANGER)
    assert (read.value, read.is_danger) == (value, danger)
