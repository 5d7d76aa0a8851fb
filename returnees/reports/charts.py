"""Month-by-month bar charts drawn on the server as SVG: labelled axes, a title, text large
enough on a 390 px phone and on paper, and no script. The template draws what this places."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from returnees.reports.services import OutcomeTable

WIDTH, HEIGHT = 360, 230
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 16, 58


@dataclass(frozen=True)
class Bar:
    month: str  # 2026-03
    shown: str  # what the table shows: a count, "<5" or "pending"
    x: float
    width: float
    y: float
    height: float


@dataclass(frozen=True)
class MonthChart:
    figure: str
    bars: list[Bar]
    ticks: list[tuple[int, float]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM


def month_chart(table: OutcomeTable, figure: str) -> MonthChart:
    """One figure of a monthly table as bars; a hidden or pending month has no bar, only its
    word above the axis."""
    values = [row.values[figure] for row in table.rows]
    top = _nice_top(max((v for v in values if isinstance(v, int)), default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(values), 1)
    bars = []
    for index, (row, value) in enumerate(zip(table.rows, values, strict=True)):
        height = plot_height * value / top if isinstance(value, int) and top else 0
        bars.append(
            Bar(
                month=row.group["month"],
                shown=str(value),
                x=round(LEFT + index * slot + slot * 0.15, 1),
                width=round(slot * 0.7, 1),
                y=round(HEIGHT - BOTTOM - height, 1),
                height=round(height, 1),
            )
        )
    ticks = [(step, round(HEIGHT - BOTTOM - plot_height * step / top, 1)) for step in _steps(top)]
    return MonthChart(figure, bars, ticks)


def _nice_top(largest: int) -> int:
    """The axis' top: 5, 10, 20, 50, 100, ... at or above the largest count."""
    if largest <= 5:
        return 5
    magnitude = 10 ** math.floor(math.log10(largest))
    for factor in (1, 2, 5, 10):
        if largest <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _steps(top: int) -> list[int]:
    return [0, top // 2, top] if top % 2 == 0 else [0, top]
