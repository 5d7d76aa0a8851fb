"""The names of the report's figures, groups and values, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _

from returnees.casework.labels import CLOSE_REASON_LABELS
from returnees.referrals.forms import SERVICE_LABELS
from returnees.reports.cohorts import REFERRAL_KINDS, RETURN_MONTHS, SCHOOL_DAYS
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


@dataclass(frozen=True)
class TrendPanel:
    """One chart of a family: at most four figures drawn together (each its own line, marker
    and dash), named in its legend; `listed` figures are in its table only (another scale)."""

    title: str
    figures: tuple[str, ...]
    legend: tuple[str, ...]
    listed: tuple[tuple[str, str], ...] = ()  # a figure and its table's header


@dataclass(frozen=True)
class TrendFamily:
    """Figures read together month by month, with what the vertical axis counts."""

    name: str
    title: str
    unit: str
    panels: tuple[TrendPanel, ...]

    @property
    def figures(self) -> tuple[str, ...]:
        return tuple(
            name
            for panel in self.panels
            for name in (*(listed for listed, _header in panel.listed), *panel.figures)
        )


def _panel(title: str, figures: tuple[str, ...]) -> TrendPanel:
    return TrendPanel(title, figures, tuple(FIGURE_LABELS[name] for name in figures))


def _closed(title: str, reasons: tuple[str, ...]) -> TrendPanel:
    figures = tuple(f"closed_{reason}" for reason in reasons)
    return TrendPanel(title, figures, tuple(CLOSE_REASON_LABELS[reason] for reason in reasons))


REACHED = ("arrivals", "reached_day_3", "reached", "answered_any")
ENDED = ("reintegrated", "moved", "migrated_again", "died")
STOPPED = ("contact_lost", "declined", "merged")


def trend_families() -> tuple[TrendFamily, ...]:
    """Every figure of the outcomes, and the survey's waves configured, in the families the
    page and the monthly workbook draw month by month."""
    people, referrals, cases = _("People"), _("Referrals"), _("Cases")
    return (
        TrendFamily(
            "reach",
            _("Reached and safe"),
            people,
            (
                _panel(_("Reached after return"), REACHED),
                _panel(_("Safety"), ("safe_answered", "safe_at_last_answer")),
            ),
        ),
        TrendFamily(
            "school",
            _("Children in school"),
            people,
            (_panel("", ("children", *(f"in_school_day_{day}" for day in SCHOOL_DAYS))),),
        ),
        TrendFamily(
            "work",
            _("Adults working or referred to work"),
            people,
            (_panel("", ("adults", "adults_working_or_referred")),),
        ),
        TrendFamily(
            "referrals",
            _("Referrals made and attended, by kind"),
            referrals,
            tuple(
                TrendPanel(
                    SERVICE_LABELS[kind],
                    (f"referrals_{kind}", f"attended_{kind}"),
                    (_("Referrals made"), _("Referrals attended")),
                )
                for kind in REFERRAL_KINDS
            ),
        ),
        TrendFamily(
            "returns",
            _("Returned again"),
            people,
            (_panel("", tuple(f"returned_{months}_months" for months in RETURN_MONTHS)),),
        ),
        TrendFamily(
            "closed",
            _("Cases closed, by reason"),
            cases,
            (
                _closed(_("Reintegrated, moved, migrated again or died"), ENDED),
                _closed(_("Contact lost, declined or merged"), STOPPED),
            ),
        ),
        TrendFamily(
            "surveys",
            _("Reintegration survey: median scores by month of arrival"),
            _("Median score"),
            tuple(
                TrendPanel(
                    _("Wave of day %(day)s", day=day),
                    tuple(f"survey_day_{day}_{name}" for name in SCORES),
                    tuple(SCORE_LABELS[name] for name in SCORES),
                    listed=((f"survey_day_{day}_people", _("Surveyed")),),
                )
                for day in wave_days()
            ),
        ),
    )
