"""Small cells hidden as "<5", and a second cell where the first could be worked out."""

from __future__ import annotations

from returnees.reports.suppression import SUPPRESSED, suppress

FIGURES = ("arrivals", "reached")


def test_a_count_under_five_is_hidden_and_so_is_its_complement_in_the_column():
    rows = [
        {"arrivals": 12, "reached": 9},
        {"arrivals": 7, "reached": 3},
        {"arrivals": 20, "reached": 15},
    ]
    total = {"arrivals": 39, "reached": 27}
    suppress(rows, total, FIGURES, 5)
    assert [row["reached"] for row in rows] == [SUPPRESSED, SUPPRESSED, 15], (
        "27 - 9 - 15 would give the hidden 3: the smallest other cell (9) is hidden too"
    )
    assert [row["arrivals"] for row in rows] == [12, 7, 20]
    assert total == {"arrivals": 39, "reached": 27}


def test_a_group_of_fewer_than_five_hides_every_figure_of_its_row():
    rows = [
        {"arrivals": 3, "reached": 0},
        {"arrivals": 30, "reached": 8},
        {"arrivals": 9, "reached": 6},
    ]
    total = {"arrivals": 42, "reached": 14}
    suppress(rows, total, FIGURES, 5)
    assert rows[0] == {"arrivals": SUPPRESSED, "reached": SUPPRESSED}
    assert rows[2]["arrivals"] == SUPPRESSED, "the smallest other arrivals count hides the 3"
    assert rows[2]["reached"] == SUPPRESSED and rows[1] == {"arrivals": 30, "reached": 8}


def test_two_hidden_cells_need_no_third_and_a_hidden_total_needs_none():
    rows = [
        {"arrivals": 2, "reached": 1},
        {"arrivals": 1, "reached": 1},
        {"arrivals": 8, "reached": 5},
    ]
    total = {"arrivals": 11, "reached": 7}
    suppress(rows, total, FIGURES, 5)
    assert rows[2] == {"arrivals": 8, "reached": 5}
    small = [{"arrivals": 3, "reached": 2}]
    small_total = {"arrivals": 3, "reached": 2}
    suppress(small, small_total, FIGURES, 5)
    assert small_total == {"arrivals": SUPPRESSED, "reached": SUPPRESSED}


def test_pending_is_left_as_it_is():
    rows = [{"arrivals": 10, "reached": "pending"}]
    total = {"arrivals": 10, "reached": "pending"}
    suppress(rows, total, FIGURES, 5)
    assert rows[0]["reached"] == "pending" and total["reached"] == "pending"


def test_hidden_children_hide_the_adults_beside_shown_arrivals_then_down_the_column():
    figures = ("arrivals", "children", "adults")
    rows = [
        {"arrivals": 20, "children": 3, "adults": 17},
        {"arrivals": 30, "children": 10, "adults": 20},
        {"arrivals": 25, "children": 12, "adults": 13},
    ]
    total = {"arrivals": 75, "children": 25, "adults": 50}
    suppress(rows, total, figures, 5)
    assert rows[0] == {"arrivals": 20, "children": SUPPRESSED, "adults": SUPPRESSED}, (
        "20 - 17 would give the hidden 3"
    )
    assert rows[1]["children"] == SUPPRESSED, "25 - 12 - 10 would give it down the column"
    assert rows[1]["adults"] == SUPPRESSED, "then 30 - 10 along the row"
    assert rows[2] == {"arrivals": 25, "children": 12, "adults": 13}, "two hidden in each column"
    assert total == {"arrivals": 75, "children": 25, "adults": 50}
