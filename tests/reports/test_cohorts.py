"""Every figure of a hand-built cohort, counted in SQL, before any cell is hidden."""

from __future__ import annotations

from returnees.auth.access import Actor
from returnees.reports.cohorts import FIGURES, count_outcomes
from returnees.reports.services import OutcomeCriteria, resolve_cohort
from tests.reports.conftest import at

MARCH = OutcomeCriteria(at(3, 1).date(), at(3, 31).date())


def counted(in_app, by=(), criteria=MARCH):
    actor = Actor.system("test")
    with in_app() as session:
        cohort = resolve_cohort(session, actor, criteria)
        return count_outcomes(session, actor, cohort, by)


def test_every_figure_of_the_cohort_is_counted_as_the_readme_defines_it(cohort, in_app):
    whole = counted(in_app)[()]
    expected = dict.fromkeys(FIGURES, 0) | {
        "arrivals": 5,
        "reached_day_3": 1,  # A answered on day 2
        "reached": 2,  # and B on day 5; C on day 20 is not reached
        "answered_any": 3,
        "safe_answered": 2,
        "safe_at_last_answer": 1,  # B's last safety answer was no
        "children": 2,
        "in_school_day_30": 1,  # A
        "in_school_day_90": 1,  # B on day 80; A said no on day 90
        "adults": 3,
        "adults_working_or_referred": 2,  # C working, D referred to work
        "returned_3_months": 1,  # D came back after 47 days
        "returned_6_months": 1,
        "returned_12_months": 1,
        "referrals_school": 1,
        "attended_school": 1,
        "referrals_jobs": 1,  # D's second referral follows his second return
        "closed_migrated_again": 1,
    }
    assert whole == expected


def test_figures_are_disaggregated_by_every_group(cohort, in_app):
    by_sex = counted(in_app, ("sex",))
    assert {group: figures["arrivals"] for group, figures in by_sex.items()} == {
        ("F",): 2,
        ("M",): 3,
    }
    assert by_sex[("F",)]["reached"] == 1 and by_sex[("M",)]["reached"] == 1
    by_age = counted(in_app, ("age_group",))
    assert {group: figures["arrivals"] for group, figures in by_age.items()} == {
        ("0-11",): 1,
        ("12-17",): 1,
        ("18-29",): 1,
        ("30+",): 2,
    }
    assert by_age[("30+",)]["returned_3_months"] == 1
    earlier = counted(in_app, ("earlier_returns", "unaccompanied"))
    assert {group: figures["arrivals"] for group, figures in earlier.items()} == {
        ("0", "yes"): 1,
        ("0", "no"): 3,
        ("1", "no"): 1,
    }
    home = counted(in_app, ("home_department", "return_type"))
    assert home[("GT-12", "deported")]["referrals_jobs"] == 1
    assert home[("unknown", "deported")]["arrivals"] == 4


def test_a_cohort_is_narrowed_to_a_department(cohort, in_app):
    from dataclasses import replace

    only = counted(in_app, criteria=replace(MARCH, department="GT-12"))
    assert only[()]["arrivals"] == 1 and only[()]["closed_migrated_again"] == 1
