"""Every figure of a hand-built cohort, counted in SQL, before any cell is hidden."""

from __future__ import annotations

from sqlalchemy import bindparam, text

from returnees.auth.access import Actor
from returnees.reception.models import Arrival
from returnees.reports.cohorts import FIGURES, count_outcomes
from returnees.reports.facts import refresh_figures
from returnees.reports.services import OutcomeCriteria, resolve_cohort
from tests.reports.conftest import at

MARCH = OutcomeCriteria(at(3, 1).date(), at(3, 31).date())
# Someone registered through the API (POST /api/v1/returnees), arriving in March.
PERSON = {"family_names": "Pérez", "estimated_age": 30, "sex": "F", "nationality": "GT"}
MARCH_ARRIVAL = {"centre": "GT-AURORA", "arrived_at": "2026-03-26T08:10:00-06:00"}


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


def arrivals_by(in_app, name: str) -> dict[str, int]:
    return {group[0]: figures["arrivals"] for group, figures in counted(in_app, (name,)).items()}


def test_a_third_return_is_in_the_2_plus_group_and_homes_group_by_country(
    cohort, arrive, in_app, outcomes_api
):
    """F, Honduran, back in March after two returns in 2025."""
    fields = {"given_names": "Fidel", "sex": "M", "estimated_age": 35, "nationality": "HN"}
    first = arrive(at(1, 10, 2025), "95550003", home="HN-0101", **fields)
    arrive(at(9, 1, 2025), "95550003", match=first.returnee_id, **fields)
    arrive(at(3, 25), "95550003", match=first.returnee_id, **fields)
    assert arrivals_by(in_app, "earlier_returns") == {"0": 4, "1": 1, "2+": 1}
    assert arrivals_by(in_app, "home_country") == {"GT": 1, "HN": 1, "unknown": 4}
    body = outcomes_api(by="earlier_returns,home_country").get_json()
    groups = [tuple(row["group"].values()) for row in body["rows"]]
    assert ("2+", "HN") in groups and ("1", "unknown") in groups and len(groups) == 4
    assert body["total"]["arrivals"] == 6


def test_each_type_of_return_is_its_own_group_and_earlier_arrivals_were_deportations(
    cohort, api, in_app, outcomes_api
):
    for names, return_type in (("Irma", "assisted"), ("Juana", "voluntary")):
        body = PERSON | {
            "given_names": names,
            "arrival": MARCH_ARRIVAL | {"return_type": return_type},
        }
        assert api("POST", "/returnees", body).status_code == 201
    with in_app() as session:  # an arrival written before the type was recorded: no value given
        session.execute(
            text(
                "INSERT INTO arrivals (returnee_id, centre_id, arrived_at, mode,"
                " deporting_country, reference, is_unaccompanied, created_at)"
                " SELECT returnee_id, centre_id, :when, mode, deporting_country, '', false,"
                " created_at FROM arrivals WHERE id = :arrival"
            ).bindparams(
                bindparam("when", at(3, 28), type_=Arrival.__table__.c.arrived_at.type),
                arrival=cohort.arrivals["c"],
            )
        )
        refresh_figures(session)
    assert arrivals_by(in_app, "return_type") == {"assisted": 1, "deported": 6, "voluntary": 1}
    rows = outcomes_api(by="return_type").get_json()["rows"]
    assert [row["group"]["return_type"] for row in rows] == ["assisted", "deported", "voluntary"]
