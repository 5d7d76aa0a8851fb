"""The names of the report's figures, groups and values, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _

from returnees.casework.labels import CLOSE_REASON_LABELS
from returnees.referrals.forms import SERVICE_LABELS
from returnees.reports.cohorts import REFERRAL_KINDS
from returnees.reports.scores import SCORES, wave_days

FIGURE_LABELS = {
    "arrivals": _("Arrivals"),
    "reached_day_3": _("Reached by day 3"),
    "reached": _("Reached (answered within 7 days)"),
    "answered_any": _("Answered any check-in"),
    "safe_answered": _("Answered the safety question"),
    "safe_at_last_answer": _("Safe at last answer"),
    "children": _("Children (under 18)"),
    "in_school_day_30": _("Children in school at day 30"),
    "in_school_day_90": _("Children in school at day 90"),
    "in_school_day_180": _("Children in school at day 180"),
    "adults": _("Adults (18 and over)"),
    "adults_working_or_referred": _("Adults working or referred to work"),
    "returned_3_months": _("Returned again within 3 months"),
    "returned_6_months": _("Returned again within 6 months"),
    "returned_12_months": _("Returned again within 12 months"),
}
for _kind in REFERRAL_KINDS:
    FIGURE_LABELS[f"referrals_{_kind}"] = _("Referrals: %(kind)s", kind=SERVICE_LABELS[_kind])
    FIGURE_LABELS[f"attended_{_kind}"] = _("Attended: %(kind)s", kind=SERVICE_LABELS[_kind])
for _reason, _label in CLOSE_REASON_LABELS.items():
    FIGURE_LABELS[f"closed_{_reason}"] = _("Cases closed: %(reason)s", reason=_label)

DIMENSION_LABELS = {
    "sex": _("Sex"),
    "age_group": _("Age group at arrival"),
    "unaccompanied": _("Travelling alone"),
    "earlier_returns": _("Earlier returns"),
    "return_type": _("Type of return"),
    "home_country": _("Country of home"),
    "home_department": _("Department of home"),
    "month": _("Month"),
}
VALUE_LABELS = {
    "F": _("Female"),
    "M": _("Male"),
    "X": _("Other"),
    "yes": _("Yes"),
    "no": _("No"),
    "unknown": _("Unknown"),
    "deported": _("Deported"),
    "assisted": _("Assisted return"),
    "voluntary": _("Voluntary return"),
    "pending": _("pending"),
}
# The figures drawn month by month on the page and in the monthly workbook.
TREND_FIGURES = (
    "arrivals",
    "reached",
    "safe_at_last_answer",
    "in_school_day_90",
    "adults_working_or_referred",
    "returned_3_months",
)
EXPORT_LABELS = {
    "cases": _("Cases"),
    "arrivals": _("Arrivals"),
    "check-ins": _("Check-ins and answers"),
    "referrals": _("Referrals"),
    "surveys": _("Survey waves and answers"),
    "outcomes": _("Outcome table"),
}
SCORE_LABELS = {
    "economic": _("economic"),
    "social": _("social"),
    "psychosocial": _("psychosocial"),
    "composite": _("composite"),
}


def survey_figure_labels() -> dict[str, str]:
    """The survey's figures for the waves configured (SURVEY_WAVE_DAYS)."""
    labels: dict[str, str] = {}
    for day in wave_days():
        labels[f"survey_day_{day}_people"] = str(_("Day %(day)s: people surveyed", day=day))
        for name in SCORES:
            labels[f"survey_day_{day}_{name}"] = str(
                _("Day %(day)s: median %(score)s score", day=day, score=SCORE_LABELS[name])
            )
    return labels
