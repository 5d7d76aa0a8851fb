"""The names of the outcome figures and groups: what a cohort's table has, what the table of
one row per arrival (arrival_figures) holds, and the README's "Outcomes by cohort" defines."""

from __future__ import annotations

from returnees.casework.models import CloseReason
from returnees.referrals.models import ServiceKind

AGE_GROUPS = ("0-11", "12-17", "18-29", "30+", "unknown")
CHILD_GROUPS = ("0-11", "12-17")
ADULT_GROUPS = ("18-29", "30+")
REFERRAL_KINDS = (
    ServiceKind.SCHOOL,
    ServiceKind.JOBS,
    ServiceKind.TRAINING,
    ServiceKind.PSYCHOSOCIAL,
    ServiceKind.HEALTH,
    ServiceKind.LEGAL_AID,
    ServiceKind.PROTECTION,
)
RETURN_MONTHS = (3, 6, 12)
SCHOOL_DAYS = (30, 90, 180)
DIMENSIONS = (
    "sex",
    "age_group",
    "unaccompanied",
    "earlier_returns",
    "return_type",
    "home_country",
    "home_department",
)
PEOPLE_FIGURES = (
    "arrivals",
    "reached_day_3",
    "reached",
    "answered_any",
    "safe_answered",
    "safe_at_last_answer",
    "children",
    *(f"in_school_day_{day}" for day in SCHOOL_DAYS),
    "adults",
    "adults_working_or_referred",
    *(f"returned_{months}_months" for months in RETURN_MONTHS),
)
REFERRAL_FIGURES = tuple(
    name for kind in REFERRAL_KINDS for name in (f"referrals_{kind}", f"attended_{kind}")
)
CLOSURE_FIGURES = tuple(f"closed_{reason}" for reason in CloseReason)
FIGURES = PEOPLE_FIGURES + REFERRAL_FIGURES + CLOSURE_FIGURES
