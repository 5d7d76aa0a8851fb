"""Every figure of a hand-built cohort, counted in SQL, before any cell is hidden."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import bindparam, text

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.casework.models import Case, CaseStatus, CloseReason
from returnees.followups.models import Indicator
from returnees.reception.models import Arrival
from returnees.referrals.models import (
    OrganisationKind,
    PartnerOrganisation,
    ReferralStatus,
    ServiceKind,
)
from returnees.reports.cohorts import CLOSURE_FIGURES, FIGURES, REFERRAL_FIGURES, count_outcomes
from returnees.reports.facts import refresh_figures
from returnees.reports.services import OutcomeCriteria, resolve_cohort
from tests.reports.conftest import NOW, _read, _refer, at

MARCH = OutcomeCriteria(at(3, 1).date(), at(3, 31).date())
MAY = OutcomeCriteria(at(5, 1).date(), at(5, 31).date())  # D's second return alone
JUNE_2025 = OutcomeCriteria(at(6, 1, 2025).date(), at(6, 30, 2025).date())  # E's first alone
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


def test_a_child_is_in_school_at_day_180_only_by_an_answer_within_days_150_to_210(cohort, in_app):
    with in_app() as session:
        a, b = (session.get(Arrival, cohort.arrivals[name]) for name in "ab")
        _read(session, a, Indicator.IN_SCHOOL, True, a.arrived_at + timedelta(days=180))
        # B said yes a day before the window opened and a day after it closed.
        _read(session, b, Indicator.IN_SCHOOL, True, b.arrived_at + timedelta(days=149))
        _read(session, b, Indicator.IN_SCHOOL, True, b.arrived_at + timedelta(days=211))
    by_age = counted(in_app, ("age_group",))
    assert by_age[("0-11",)]["in_school_day_180"] == 1, "A, on day 180"
    assert by_age[("12-17",)]["in_school_day_180"] == 0, "B, outside days 150-210"
    whole = counted(in_app)[()]
    assert (whole["in_school_day_30"], whole["in_school_day_90"]) == (1, 1), "as before"
    assert whole["in_school_day_180"] == 1


# (person, service, status, month, day) of each referral added to the cohort's two.
REFERRALS = (
    ("c", ServiceKind.TRAINING, ReferralStatus.MADE, 4, 2),
    ("c", ServiceKind.TRAINING, ReferralStatus.ATTENDED, 4, 5),
    ("a", ServiceKind.PSYCHOSOCIAL, ReferralStatus.ATTENDED, 3, 9),
    ("b", ServiceKind.PSYCHOSOCIAL, ReferralStatus.ATTENDED, 3, 20),
    ("b", ServiceKind.PSYCHOSOCIAL, ReferralStatus.DECLINED, 4, 1),
    ("e", ServiceKind.HEALTH, ReferralStatus.ATTENDED, 3, 25),
    ("d", ServiceKind.LEGAL_AID, ReferralStatus.MADE, 3, 20),
    ("d_again", ServiceKind.LEGAL_AID, ReferralStatus.ATTENDED, 5, 3),  # after D came back
    ("a", ServiceKind.PROTECTION, ReferralStatus.ATTENDED, 3, 9),
    ("b", ServiceKind.PROTECTION, ReferralStatus.WITHDRAWN, 3, 12),
    ("d", ServiceKind.PROTECTION, ReferralStatus.ATTENDED, 4, 25),  # six days before
)


@pytest.fixture
def referred(cohort, in_app, make_user) -> None:
    """REFERRALS, and one to health for E between his two returns (his 2025 arrival's)."""
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA")
    with in_app() as session:
        partner = PartnerOrganisation(
            name="Servicios", kind=OrganisationKind.HEALTH, country="GT", created_at=NOW
        )
        session.add(partner)
        session.flush()
        for name, service, status, month, day in REFERRALS:
            arrival = session.get(Arrival, cohort.arrivals[name])
            _refer(session, arrival, partner, worker.id, service, status, at(month, day))
        e_before = session.get(Arrival, cohort.arrivals["e_before"])
        made = at(8, 1, 2025)
        _refer(session, e_before, partner, worker.id, ServiceKind.HEALTH, ReferralStatus.MADE, made)


def test_referrals_of_every_kind_count_for_the_arrival_before_them(referred, in_app):
    march = counted(in_app)[()]
    assert {name: march[name] for name in REFERRAL_FIGURES} == {
        "referrals_school": 1,
        "attended_school": 1,
        "referrals_jobs": 1,
        "attended_jobs": 0,
        "referrals_training": 2,  # C's two
        "attended_training": 1,
        "referrals_psychosocial": 3,  # A's, and B's attended and declined
        "attended_psychosocial": 2,
        "referrals_health": 1,  # E's in March; his of August 2025 is his first arrival's
        "attended_health": 1,
        "referrals_legal_aid": 1,  # D's of March 20; that of May 3 follows his return
        "attended_legal_aid": 0,
        "referrals_protection": 3,  # A's, B's withdrawn, D's before he came back
        "attended_protection": 2,
    }
    may = counted(in_app, criteria=MAY)[()]
    assert (may["arrivals"], may["referrals_legal_aid"], may["attended_legal_aid"]) == (1, 1, 1)
    assert may["referrals_protection"] == 0 and may["referrals_jobs"] == 1
    june = counted(in_app, criteria=JUNE_2025)[()]
    assert (june["arrivals"], june["referrals_health"], june["attended_health"]) == (1, 1, 0)


# (person, reason, opened, closed) of each closed case added to the cohort's cases.
CLOSED = (
    ("a", CloseReason.REINTEGRATED, at(3, 5), at(9, 1)),
    ("b", CloseReason.REINTEGRATED, at(3, 10), at(9, 2)),
    ("b", CloseReason.MOVED, at(6, 1), at(7, 1)),
    ("c", CloseReason.CONTACT_LOST, at(3, 12), at(6, 12)),
    ("c", CloseReason.DECLINED, at(4, 10), at(4, 11)),
    ("d", CloseReason.MOVED, at(3, 25), at(4, 10)),
    ("e", CloseReason.MERGED, at(3, 20), at(3, 21)),
    ("d", CloseReason.DIED, at(5, 1), at(6, 1)),  # opened at his second return: May's
    ("e", CloseReason.CONTACT_LOST, at(6, 10, 2025), at(9, 1, 2025)),  # his first arrival's
)


def test_closed_cases_are_counted_by_reason_for_the_arrival_that_opened_them(cohort, in_app):
    with in_app() as session:
        for name, reason, opened, closed in CLOSED:
            session.add(
                Case(
                    returnee_id=cohort.people[name],
                    opened_at=opened,
                    status=CaseStatus.CLOSED,
                    close_reason=reason,
                    closed_at=closed,
                )
            )
    march = counted(in_app)[()]
    assert {name: march[name] for name in CLOSURE_FIGURES} == {
        "closed_reintegrated": 2,  # A, B
        "closed_moved": 2,  # B's second case, D's
        "closed_migrated_again": 1,  # D's first case, the cohort's
        "closed_died": 0,  # D's case of May follows his return
        "closed_contact_lost": 1,  # C; E's of 2025 is before his March arrival
        "closed_declined": 1,  # C's second case
        "closed_merged": 1,  # E
    }
    may = counted(in_app, criteria=MAY)[()]
    assert (may["closed_died"], may["closed_moved"], may["closed_reintegrated"]) == (1, 0, 0)
    assert counted(in_app, criteria=JUNE_2025)[()]["closed_contact_lost"] == 1
