"""The supervisor's numbers count the last seven days, so a Monday morning shows last week's
work and not an empty week that has just begun."""

from __future__ import annotations

from datetime import UTC, datetime

from returnees.auth.models import Role


def test_on_a_monday_morning_the_numbers_show_the_last_seven_days(
    app, register, make_user, sign_in_as, clock
):
    clock.at = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Monday, 08:00 in Guatemala
    register(arrived_at=datetime(2026, 12, 5, 16, 0, tzinfo=UTC))  # Saturday
    register(arrived_at=datetime(2026, 11, 27, 16, 0, tzinfo=UTC))  # the week before
    page = sign_in_as(make_user(Role.SUPERVISOR, "GT-AURORA")).get("/").get_data(as_text=True)
    assert "<tr><td>GT-AURORA</td><td>1</td><td>1</td></tr>" in page
