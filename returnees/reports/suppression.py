"""Small cells: a count under the threshold (REPORT_SMALL_CELL, 5) is shown as "<5", and where
a hidden count could be worked out from what is shown, a second count is hidden too.

A table's rows are groups whose counts add up to its total row (each arrival is in exactly one
group), so in every column the total minus the shown cells gives the sum of the hidden ones:
a column with exactly one hidden cell has the smallest shown cell of that column hidden as
well. Along a row, a group's children and adults are parts of its arrivals (with those of
unknown age, often none): where one of the two is hidden and the arrivals are shown, the other
is hidden too. The other figures of a row add up to nothing shown. Hiding a cell for one rule
may give the other rule a cell to hide, so both run until nothing changes. Zero is hidden like
any count under the threshold: "none of the seven girls were reached" says something about
each of them."""

from __future__ import annotations

from collections.abc import Sequence

SUPPRESSED = "<5"
PENDING = "pending"
Value = int | str

# Figures of one row that add up to another figure of the same row.
PARTS = {"arrivals": ("children", "adults")}


def suppress(
    rows: Sequence[dict[str, Value]], total: dict[str, Value], figures: Sequence[str], at: int
) -> None:
    """Hide small cells in place: the rows and their total, then the complements per column
    and along each row until none is left to hide."""
    for values in (*rows, total):
        _hide_small(values, figures, at)
    hid = True
    while hid:
        hid = False
        for figure in figures:
            hid |= _hide_complement(rows, total, figure)
        for values in (*rows, total):
            hid |= _hide_parts(values, figures)


def _hide_small(values: dict[str, Value], figures: Sequence[str], at: int) -> None:
    """A count under `at` is hidden; so is every count of a group of fewer than `at` arrivals
    (a referral count may pass 5 with two people)."""
    few = isinstance(values.get("arrivals"), int) and values["arrivals"] < at
    for figure in figures:
        value = values[figure]
        if isinstance(value, int) and (few or value < at):
            values[figure] = SUPPRESSED


def _hide_complement(
    rows: Sequence[dict[str, Value]], total: dict[str, Value], figure: str
) -> bool:
    """In one column: a single hidden cell under a shown total hides the smallest shown one."""
    if not isinstance(total[figure], int):
        return False
    hidden = [values for values in rows if values[figure] == SUPPRESSED]
    shown = [values for values in rows if isinstance(values[figure], int)]
    if len(hidden) == 1 and shown:
        min(shown, key=lambda values: values[figure])[figure] = SUPPRESSED
        return True
    return False


def _hide_parts(values: dict[str, Value], figures: Sequence[str]) -> bool:
    """Along one row: a single hidden part of a shown whole hides the smallest shown part."""
    hid = False
    for whole, parts in PARTS.items():
        if whole not in figures or not set(parts) <= set(figures):
            continue
        if not isinstance(values[whole], int):
            continue
        hidden = [part for part in parts if values[part] == SUPPRESSED]
        shown = [part for part in parts if isinstance(values[part], int)]
        if len(hidden) == 1 and shown:
            values[min(shown, key=lambda part: values[part])] = SUPPRESSED
            hid = True
    return hid
