"""The survey's words in the reader's language: dimensions, the answers every item allows, and
an item's question and answers in Spanish or English as the instrument holds them."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _

from returnees.surveys.models import DECLINED, DONT_KNOW, SurveyItem

DIMENSION_LABELS = {
    "economic": _("Economic dimension"),
    "social": _("Social dimension"),
    "psychosocial": _("Psychosocial dimension"),
}
UNSCORED_LABELS = {DECLINED: _("Declined to answer"), DONT_KNOW: _("Doesn't know")}
KIND_LABELS = {"yes_no": _("Yes or no"), "scale": _("Scale"), "choice": _("Choice")}


def _english() -> bool:
    return str(get_locale() or "es").startswith("en")


def question(item: SurveyItem) -> str:
    return item.question_en if _english() else item.question_es


def answer_label(item: SurveyItem, value: str) -> str:
    """An answer's words; "declined" and "don't know" in the reader's language."""
    if value in UNSCORED_LABELS:
        return str(UNSCORED_LABELS[value])
    option = item.option(value)
    if option is None:
        return value
    return option["label_en"] if _english() else option["label_es"]


def score_text(score: float | None) -> str:
    """A score as people read it, 0.00 to 1.00; a dash for none."""
    return "\u2013" if score is None else f"{score:.2f}"
