"""Month-by-month line charts drawn on the server as SVG: one chart per family of figures
(reports.labels.trend_families), each figure a line told apart by its marker and its dash as
well as its colour, labelled axes, text large enough on a 390 px phone and on paper, and no
script. Beside each chart, a table of the same figures by month as the report shows them
("<5", "pending"). The template draws what this places."""

from __future__ import annotations

import math
from dataclasses import dataclass

from returnees.reports.labels import TrendFamily, TrendPanel
from returnees.reports.services import OutcomeTable
from returnees.reports.suppression import Value

WIDTH, HEIGHT = 360, 224
LEFT, RIGHT, TOP, BOTTOM = 54, 10, 14, 56
BASELINE = HEIGHT - BOTTOM
PLOT_HEIGHT = BASELINE - TOP


@dataclass(frozen=True)
class Style:
    """How a line is told apart without its colour: a marker shape and a dash."""

    colour: str
    dash: str
    marker: str  # circle (filled), square (hollow), triangle (filled), diamond (hollow)


# Okabe and Ito's colours, which most colour-blind readers tell apart, each with its own
# marker and dash so that a grey print and a colour-blind reader lose nothing.
STYLES = (
    Style("#0072B2", "", "circle"),
    Style("#D55E00", "7 4", "square"),
    Style("#009E73", "2 3", "triangle"),
    Style("#7A3E9D", "9 3 2 3", "diamond"),
)


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True)
class Line:
    figure: str
    label: str
    style: Style
    points: list[Point]  # the months shown as a count or a median
    segments: list[str]  # polyline points of each run of shown months


@dataclass(frozen=True)
class Panel:
    """One chart and its table: the months across, the figures' values up the axis."""

    key: str
    title: str
    lines: list[Line]
    ticks: list[tuple[str, float]]
    months: list[tuple[str, float]]  # label (2026-03) and the x of its middle
    columns: list[tuple[str, str]]  # the table's figures and their headers
    rows: list[tuple[str, list[Value]]]  # each month and what the table shows


@dataclass(frozen=True)
class FamilyChart:
    name: str
    title: str
    unit: str
    panels: list[Panel]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    baseline: int = BASELINE

    @property
    def compact(self) -> bool:
        """Tables of two figures are narrow enough for two panels abreast on a wide screen."""
        return all(len(panel.columns) <= 2 for panel in self.panels)


def trend_charts(trend: OutcomeTable, families: tuple[TrendFamily, ...]) -> list[FamilyChart]:
    """The families' charts of a monthly table (its survey scores included)."""
    months = [row.group["month"] for row in trend.rows]
    values = _values_by_month(trend)
    return [
        FamilyChart(
            family.name,
            family.title,
            family.unit,
            [
                _panel(f"{family.name}-{index}", panel, months, values)
                for index, panel in enumerate(family.panels)
            ],
        )
        for family in families
    ]


def _values_by_month(trend: OutcomeTable) -> list[dict[str, Value | float]]:
    surveys = trend.surveys.rows if trend.surveys else [{} for _row in trend.rows]
    return [row.values | scores for row, scores in zip(trend.rows, surveys, strict=True)]


def _panel(
    key: str,
    panel: TrendPanel,
    months: list[str],
    values: list[dict[str, Value | float]],
) -> Panel:
    drawn = [[month[name] for month in values] for name in panel.figures]
    numbers = [v for series in drawn for v in series if _shown(v)]
    top = 1.0 if _is_score(panel) else _nice_top(max(numbers, default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(len(months), 1)
    xs = [round(LEFT + slot * (index + 0.5), 1) for index in range(len(months))]
    lines = [
        _line(name, str(label), STYLES[index], series, xs, top)
        for index, (name, label, series) in enumerate(
            zip(panel.figures, panel.legend, drawn, strict=True)
        )
    ]
    columns = [
        *((name, str(header)) for name, header in panel.listed),
        *((line.figure, line.label) for line in lines),
    ]
    return Panel(
        key=key,
        title=str(panel.title),
        lines=lines,
        ticks=[(_tick_label(step), _y(step, top)) for step in _steps(top)],
        months=list(zip(months, xs, strict=True)),
        columns=columns,
        rows=[
            (month, [values[index][name] for name, _header in columns])
            for index, month in enumerate(months)
        ],
    )


def _line(figure: str, label: str, style: Style, series: list, xs: list[float], top: float) -> Line:
    """A figure's line, broken where a month is hidden or pending (its value is not known,
    only that it is small or not yet measurable)."""
    points: list[Point] = []
    segments: list[list[Point]] = [[]]
    for x, value in zip(xs, series, strict=True):
        if not _shown(value):
            segments.append([])
            continue
        point = Point(x, _y(value, top))
        points.append(point)
        segments[-1].append(point)
    runs = [" ".join(f"{p.x},{p.y}" for p in run) for run in segments if len(run) > 1]
    return Line(figure, label, style, points, runs)


def _shown(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_score(panel: TrendPanel) -> bool:
    return all(name.startswith("survey_day_") for name in panel.figures)


def _y(value: float, top: float) -> float:
    return round(BASELINE - PLOT_HEIGHT * value / top, 1) if top else BASELINE


def _nice_top(largest: float) -> int:
    """The axis' top: 10, 20, 50, 100, 200, ... at or above the largest count (a count
    shown is 5 or more)."""
    if largest <= 10:
        return 10
    magnitude = 10 ** math.floor(math.log10(largest))
    for factor in (1, 2, 5, 10):
        if largest <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _steps(top: float) -> list[float]:
    """Gridlines at the quarters of the axis, or at its halves where a quarter is not whole."""
    if top == 1.0 or top % 4 == 0:
        return [top * quarter / 4 for quarter in range(5)]
    return [0, top / 2, top]


def _tick_label(step: float) -> str:
    return str(int(step)) if float(step).is_integer() else f"{step:g}"
