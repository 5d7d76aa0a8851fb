"""Small cells: a count under the threshold (REPORT_SMALL_CELL, 5) is shown as "<5", and where
a hidden count could be worked out from what is shown, a second count is hidden too.

A table's rows are groups whose counts add up to its total row (each arrival is in exactly one
group), so in every column the total minus the shown cells gives the sum of the hidden ones:
a column with exactly one hidden cell has the smallest shown cell of that column hidden as
well. Rows carry no totals of their own (the figures of a row are not parts of one whole), so
nothing is derived along a row. Zero is hidden like any count under the threshold: "none of
the seven girls were reached" says something about each of them."""

from __future__ import annotations

from collections.abc import Sequence

SUPPRESSED = "<5"
PENDING = "pending"
Value = int | str


def suppress(
    rows: Sequence[dict[str, Value]], total: dict[str, Value], figures: Sequence[str], at: int
) -> None:
    """Hide small cells in place: the rows, then their total, then complements per column."""
    for values in (*rows, total):
        _hide_small(values, figures, at)
    for figure in figures:
        _hide_complement(rows, total, figure)


def _hide_small(values: dict[str, Value], figures: Sequence[str], at: int) -> None:
    """A count under `at` is hidden; so is every count of a group of fewer than `at` arrivals
    (a referral count may pass 5 with two people)."""
    few = isinstance(values.get("arrivals"), int) and values["arrivals"] < at
    for figure in figures:
        value = values[figure]
        if isinstance(value, int) and (few or value < at):
            values[figure] = SUPPRESSED


def _hide_complement(rows: Sequence[dict[str, Value]], total: dict[str, Value], figure: str):
    if not isinstance(total[figure], int):
        return
    hidden = [values for values in rows if values[figure] == SUPPRESSED]
    shown = [values for values in rows if isinstance(values[figure], int)]
    if len(hidden) == 1 and shown:
        min(shown, key=lambda values: values[figure])[figure] = SUPPRESSED
