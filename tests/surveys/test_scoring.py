"""A wave's scores: per dimension the weighted mean of its scored answers, the composite the
mean of the three; "declined", "don't know" and an option without a score count for nothing."""

from __future__ import annotations

import pytest

from returnees.surveys.models import Dimension
from returnees.surveys.scoring import ScoredAnswer, score_wave
from returnees.surveys.services import complete_wave
from tests.surveys.conftest import BEST, actor_of

E, S, P = Dimension.ECONOMIC, Dimension.SOCIAL, Dimension.PSYCHOSOCIAL


def test_a_hand_built_wave_scores_each_dimension_by_its_weighted_mean():
    scores = score_wave(
        [
            ScoredAnswer(E, 1.0, 1.0),
            ScoredAnswer(E, 3.0, 0.0),  # weighs three times: (1 + 0) -> 1/4
            ScoredAnswer(S, 1.0, 0.5),
            ScoredAnswer(S, 1.0, None),  # declined: not scored
            ScoredAnswer(P, 2.0, 1.0),
            ScoredAnswer(P, 2.0, 0.5),
        ]
    )
    assert (scores.economic, scores.social, scores.psychosocial) == (0.25, 0.5, 0.75)
    assert scores.composite == 0.5


def test_a_dimension_with_no_scored_answer_has_no_score_and_no_composite():
    scores = score_wave([ScoredAnswer(E, 1.0, 1.0), ScoredAnswer(S, 1.0, 0.0)])
    assert scores.psychosocial is None
    assert scores.composite is None


def test_a_completed_wave_stores_its_scores_and_declined_or_unknown_answers_count_for_nothing(
    app, in_app, world, wave_id, answer
):
    answers = BEST | {
        "ate_less": "often",  # 0
        "debt": "declined",  # not scored
        "working": "dont_know",  # not scored
        "housing": "partly",  # 0.5
        "children_in_school": "no_children",  # an option without a score
        "distress": "sometimes",  # 0.5
        "wants_support": "yes",  # 0
    }
    answer(wave_id, **answers)
    with in_app() as session:
        wave = complete_wave(session, actor_of(session, world.worker), world.returnee_id, wave_id)
        # economic: 5 scored items (debt and working not), one of them 0 -> 4/5
        # social: 5 scored (children not), housing 0.5 -> 4.5/5
        # psychosocial: 8 scored, distress 0.5 and wants_support 0 -> 6.5/8
        assert wave.economic_score == pytest.approx(0.8)
        assert wave.social_score == pytest.approx(0.9)
        assert wave.psychosocial_score == pytest.approx(0.8125)
        assert wave.composite_score == pytest.approx((0.8 + 0.9 + 0.8125) / 3, abs=1e-4)
        scored = {a.item.code: a.score for a in wave.answers}
        assert scored["debt"] is None and scored["working"] is None
        assert scored["children_in_school"] is None
