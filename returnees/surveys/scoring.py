"""How a wave is scored (the README's "Reintegration survey" says the same).

- An answer's score is its option's score, between 0 and 1; "declined", "don't know" and an
  option without a score (no school-age children) are not scored.
- A dimension's score is the weighted mean of its scored answers:
  sum(weight x score) / sum(weight), over the items of that dimension answered with a score;
  none when no item of the dimension has one.
- The composite is the mean of the three dimension scores, only when all three have one (a
  composite over two dimensions would not compare with one over three).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from returnees.surveys.models import Dimension


@dataclass(frozen=True)
class ScoredAnswer:
    dimension: Dimension
    weight: float
    score: float | None


@dataclass(frozen=True)
class Scores:
    economic: float | None
    social: float | None
    psychosocial: float | None
    composite: float | None

    def of(self, dimension: Dimension) -> float | None:
        return getattr(self, dimension.value)


def dimension_score(answers: Iterable[ScoredAnswer], dimension: Dimension) -> float | None:
    """The weighted mean of the dimension's scored answers, or None when there is none."""
    scored = [a for a in answers if a.dimension is dimension and a.score is not None]
    weights = sum(a.weight for a in scored)
    if not scored or weights <= 0:
        return None
    return round(sum(a.weight * a.score for a in scored) / weights, 4)


def score_wave(answers: Iterable[ScoredAnswer]) -> Scores:
    """Each dimension's score and the composite (the mean of the three, when all three exist)."""
    given = list(answers)
    by_dimension = [dimension_score(given, dimension) for dimension in Dimension]
    composite = None
    if all(score is not None for score in by_dimension):
        composite = round(sum(by_dimension) / len(by_dimension), 4)
    return Scores(*by_dimension, composite)
