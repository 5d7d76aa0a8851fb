"""A task's reason in the reader's language, the same on every page and in the API.

A task keeps its reason as the English words the code that opened it wrote (followups.reading
and followups.dispatch, casework.services, referrals.services, risk.services); this module
reads each of those shapes back and says it in the reader's language. Free text (what a person
wrote, a provider's error) stays as it came.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _
from sqlalchemy.orm import Session

from returnees.casework.labels import CLOSE_REASON_LABELS
from returnees.referrals.forms import SERVICE_LABELS
from returnees.risk.models import RiskFlag
from returnees.risk.services import describe
from returnees.tasks.models import Task, TaskKind

NO_ANSWER = re.compile(r"^no answer x(\d+)$")
# The reasons followups.reading gives a danger signal or a family's answer.
NOT_SAFE = "answered: not safe"
DANGER_WORDS = "danger words: "
NOT_ALL_SAFE = re.compile(r"^answered: not all safe \((.*)\)$")
FAMILY_NO = re.compile(r"^family answered no \((.*)\)$")
FAMILY_DANGER = re.compile(r"^family \(([^()]*)\): danger words: (.*)$", re.DOTALL)
SHARED_PHONE = re.compile(r"^shared phone \(([^()]*)\): (.*)$", re.DOTALL)
UNKNOWN_NUMBER = "unknown number: "
# casework.services: a call that reached a wrong number; a child's case waiting to close.
WRONG_NUMBER = "wrong number on a call"
CLOSING = "close: "
# referrals.services: a referral not accepted or not attended in time.
REFERRAL_LATE = re.compile(
    r"^(?P<restricted>restricted )?referral not (?P<step>accepted|attended) in (?P<days>\d+) "
    r"days(?:: (?P<service>[a-z ]+?) at (?P<organisation>.*))?$",
    re.DOTALL,
)
HIGH_RISK = "high risk"
# surveys.services: a survey wave to take on a call.
SURVEY_WAVE = re.compile(r"^survey wave: day (\d+)$")


def task_reason(session: Session, task: Task) -> str:
    """A task's reason in the reader's language; a high-risk task's names the person's current
    reasons, as the queue does."""
    flag = None
    if task.kind is TaskKind.HIGH_RISK and task.returnee_id is not None:
        flag = session.get(RiskFlag, task.returnee_id)
    return reason_in_words(task.kind, task.reason, flag.reasons if flag else None)


def reason_in_words(kind: TaskKind, reason: str, risk_reasons: list | None = None) -> str:
    """The reason in the reader's language: "answered: not safe", "no answer x2", "high risk:
    2 earlier returns, children abroad"; what nobody wrote in code (a reply, a provider's
    error), as it came."""
    if kind is TaskKind.HIGH_RISK and risk_reasons:
        phrases = ", ".join(str(phrase) for phrase in describe(risk_reasons))
        return str(_("high risk: %(reasons)s", reasons=phrases))
    if kind is TaskKind.HIGH_RISK and reason.startswith(HIGH_RISK):
        return str(_("high risk"))
    for read in (_about_one, _about_many, _about_the_case, _about_a_referral):
        if (words := read(reason)) is not None:
            return words
    return reason


def _about_one(reason: str) -> str | None:
    if reason == NOT_SAFE:
        return str(_("answered: not safe"))
    if reason.startswith(DANGER_WORDS):
        return str(_("danger words: %(text)s", text=reason.removeprefix(DANGER_WORDS)))
    if reason == "no answer":
        return str(_("no answer"))
    if match := NO_ANSWER.match(reason):
        return str(_("no answer x%(count)s", count=match.group(1)))
    return None


def _about_many(reason: str) -> str | None:
    """A reason about a family or a shared phone, or from an unknown number."""
    if match := NOT_ALL_SAFE.match(reason):
        return str(_("answered: not all safe (%(names)s)", names=match.group(1)))
    if match := FAMILY_NO.match(reason):
        return str(_("answered no about %(names)s: find out which", names=match.group(1)))
    if match := FAMILY_DANGER.match(reason):
        names, text = match.groups()
        return str(_("family (%(names)s): danger words: %(text)s", names=names, text=text))
    if match := SHARED_PHONE.match(reason):
        names, text = match.groups()
        return str(_("shared phone (%(names)s): %(text)s", names=names, text=text))
    if reason.startswith(UNKNOWN_NUMBER):
        return str(_("unknown number: %(text)s", text=reason.removeprefix(UNKNOWN_NUMBER)))
    return None


def _about_the_case(reason: str) -> str | None:
    if reason == WRONG_NUMBER:
        return str(_("wrong number on a call"))
    if reason.startswith(CLOSING):
        code = reason.removeprefix(CLOSING)
        return str(_("closing asked: %(reason)s", reason=CLOSE_REASON_LABELS.get(code, code)))
    if match := SURVEY_WAVE.match(reason):
        return str(_("survey of day %(day)s after the arrival", day=match.group(1)))
    return None


def _about_a_referral(reason: str) -> str | None:
    """A protection referral's reason names neither service nor organisation."""
    match = REFERRAL_LATE.match(reason)
    if match is None:
        return None
    days = int(match["days"])
    if match["restricted"] or not match["service"]:
        if match["step"] == "accepted":
            return str(_("restricted referral not accepted in %(days)d days", days=days))
        return str(_("restricted referral not attended in %(days)d days", days=days))
    code = match["service"].replace(" ", "_")
    service = str(SERVICE_LABELS.get(code, match["service"]))
    organisation = match["organisation"]
    if match["step"] == "accepted":
        return str(
            _(
                "referral not accepted in %(days)d days: %(service)s at %(organisation)s",
                days=days,
                service=service,
                organisation=organisation,
            )
        )
    return str(
        _(
            "referral not attended in %(days)d days: %(service)s at %(organisation)s",
            days=days,
            service=service,
            organisation=organisation,
        )
    )
