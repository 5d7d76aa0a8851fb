"""Dates are typed in text boxes read day first, never in the browser's own date box, which
orders day and month by the browser's language (15061994 was saved as 06/12/1994)."""

from __future__ import annotations

import re

import pytest

from returnees.auth.models import Role


@pytest.mark.parametrize(
    ("role", "path", "boxes"),
    [
        (Role.RECEPTION, "/reception/register", ["birth_date", "arrived_at"]),
        (Role.RECEPTION, "/reception/manifests/new", ["expected_at"]),
        (Role.RECEPTION, "/returnees/", ["arrived_from", "arrived_to"]),
        (Role.SUPERVISOR, "/audit/", ["since", "until"]),
    ],
)
def test_every_date_box_is_a_text_box_that_shows_its_format(
    app, demo, make_user, sign_in_as, clock, role, path, boxes
):
    page = sign_in_as(make_user(role, "GT-AURORA")).get(path).get_data(as_text=True)
    assert not re.search(r'type="(date|datetime-local)"', page), f"a browser date box on {path}"
    for name in boxes:
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'type="text"' in box and "pattern=" in box, box
        assert re.search(rf'id="{name}-hint">dd/mm/aaaa', page), f"no format shown for {name}"
