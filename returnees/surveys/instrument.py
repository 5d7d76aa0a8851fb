"""The survey instrument, edited by admins: every change of items or weights is a new version,
and the waves already opened keep the version they were opened with."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.core.clock import utcnow
from returnees.core.errors import InvalidInput, NotFound
from returnees.followups.models import Indicator
from returnees.surveys.models import (
    UNSCORED_ANSWERS,
    Dimension,
    Instrument,
    ItemKind,
    SurveyItem,
)

CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_QUESTION = 500
MAX_LABEL = 120
MAX_WEIGHT = 100


@dataclass(frozen=True)
class ItemEntry:
    """One item as an admin writes it; options are {"value", "label_es", "label_en", "score"}."""

    code: str
    dimension: str
    question_es: str
    question_en: str
    kind: str
    options: list[dict] = field(default_factory=list)
    weight: float | str = 1.0
    is_safe_by_sms: bool = False
    indicator: str = ""


def active_instrument(session: Session) -> Instrument:
    """The version asked in new waves."""
    found = session.scalar(select(Instrument).where(Instrument.is_active.is_(True)))
    if found is None:
        raise NotFound(_("No survey instrument is active."))
    return found


def require_instrument(session: Session, actor: Actor, version: int | None = None) -> Instrument:
    """A version of the instrument for an admin (the active one when `version` is None)."""
    actor.require_role(Role.ADMIN)
    if version is None:
        return active_instrument(session)
    found = session.scalar(select(Instrument).where(Instrument.version == version))
    if found is None:
        raise NotFound(_("No survey version has the number %(n)s.", n=version))
    return found


def list_instruments(session: Session, actor: Actor) -> list[Instrument]:
    actor.require_role(Role.ADMIN)
    return list(session.scalars(select(Instrument).order_by(Instrument.version.desc())))


def entry_of(item: SurveyItem) -> ItemEntry:
    """An item as an admin would write it: what a new version is compared against."""
    return ItemEntry(
        code=item.code,
        dimension=item.dimension.value,
        question_es=item.question_es,
        question_en=item.question_en,
        kind=item.kind.value,
        options=[dict(option) for option in item.options],
        weight=float(item.weight),
        is_safe_by_sms=item.is_safe_by_sms,
        indicator=item.indicator.value if item.indicator else "",
    )


def change_instrument(session: Session, actor: Actor, entries: list[ItemEntry]) -> Instrument:
    """Make the items given the new active version; the same items as now change nothing."""
    actor.require_role(Role.ADMIN)
    current = active_instrument(session)
    checked = check_items(entries)
    if checked == [entry_of(item) for item in current.items]:
        return current
    version = (session.scalar(select(func.max(Instrument.version))) or 0) + 1
    session.execute(update(Instrument).values(is_active=False))
    instrument = Instrument(
        version=version, is_active=True, created_at=utcnow(), created_by_id=actor.user_id
    )
    session.add(instrument)
    session.flush()
    for position, entry in enumerate(checked, start=1):
        values = asdict(entry) | {
            "dimension": Dimension(entry.dimension),
            "kind": ItemKind(entry.kind),
            "indicator": Indicator(entry.indicator) if entry.indicator else None,
        }
        session.add(SurveyItem(instrument_id=instrument.id, position=position, **values))
    session.flush()
    session.expire(instrument, ["items"])
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "survey_instrument",
        instrument.id,
        version=version,
        items=len(checked),
    )
    return instrument


def check_items(entries: list[ItemEntry]) -> list[ItemEntry]:
    """The items, normalised; every problem of every item at once, by field, and nothing saved
    when there is one."""
    errors: dict[str, list[object]] = {}
    checked, codes = [], set()
    for n, entry in enumerate(entries):
        problems = _item_problems(entry, codes)
        codes.add(entry.code)
        errors.update({f"items.{n}.{name}": [text] for name, text in problems.items()})
        if not problems:
            checked.append(_normalised(entry))
    asked = {entry.dimension for entry in entries}
    if missing := [d.value for d in Dimension if d.value not in asked]:
        errors["items"] = [
            _(
                "Each dimension needs at least one item: none for %(missing)s.",
                missing=", ".join(missing),
            )
        ]
    if errors:
        raise InvalidInput(_("Nothing was saved: correct the items marked."), errors)
    return checked


def _item_problems(entry: ItemEntry, codes: set[str]) -> dict[str, object]:
    problems: dict[str, object] = {}
    if not CODE.match(entry.code or ""):
        problems["code"] = _(
            "Lower-case letters, digits and _, starting with a letter (40 at most)."
        )
    elif entry.code in codes:
        problems["code"] = _("Another item has this code.")
    if entry.dimension not in Dimension._value2member_map_:
        problems["dimension"] = _("Economic, social or psychosocial.")
    if entry.kind not in ItemKind._value2member_map_:
        problems["kind"] = _("Yes or no, a scale, or a choice.")
    for name in ("question_es", "question_en"):
        text = (getattr(entry, name) or "").strip()
        if not text or len(text) > MAX_QUESTION:
            problems[name] = _("A question of 1 to %(max)s characters.", max=MAX_QUESTION)
    weight = _number(entry.weight)
    if weight is None or not 0 < weight <= MAX_WEIGHT:
        problems["weight"] = _("A weight above 0 and at most %(max)s.", max=MAX_WEIGHT)
    if problem := _options_problem(entry.options):
        problems["options"] = problem
    if entry.indicator:
        if entry.indicator not in (Indicator.WORKING.value, Indicator.IN_SCHOOL.value):
            problems["indicator"] = _("Only the check-ins' working or in-school answer.")
        elif not entry.is_safe_by_sms:
            problems["indicator"] = _("Only an item safe to ask by SMS takes a check-in's answer.")
        elif not {"yes", "no"} <= {o.get("value") for o in entry.options if isinstance(o, dict)}:
            problems["indicator"] = _("A check-in answers yes or no: give options yes and no.")
    return problems


def _options_problem(options: object) -> object | None:
    if not isinstance(options, list) or len(options) < 2:
        return _("At least two answers.")
    values = set()
    for option in options:
        if not isinstance(option, dict):
            return _("Each answer has a value, a label in Spanish and English, and a score.")
        value = option.get("value")
        if not isinstance(value, str) or not CODE.match(value) or value in UNSCORED_ANSWERS:
            return _(
                "An answer's value: lower-case letters, digits and _ (not “declined” or "
                "“dont_know”, which every item allows)."
            )
        if value in values:
            return _("Two answers have the value “%(value)s”.", value=value)
        values.add(value)
        for name in ("label_es", "label_en"):
            label = option.get(name)
            if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL:
                return _("Each answer needs a label in Spanish and in English.")
        score = option.get("score")
        if score is not None and (_number(score) is None or not 0 <= _number(score) <= 1):
            return _("A score between 0 and 1, or empty for an answer not scored.")
    return None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _normalised(entry: ItemEntry) -> ItemEntry:
    options = [
        {
            "value": option["value"],
            "label_es": option["label_es"].strip(),
            "label_en": option["label_en"].strip(),
            "score": None if option.get("score") is None else float(option["score"]),
        }
        for option in entry.options
    ]
    return ItemEntry(
        code=entry.code,
        dimension=entry.dimension,
        question_es=entry.question_es.strip(),
        question_en=entry.question_en.strip(),
        kind=entry.kind,
        options=options,
        weight=float(entry.weight),
        is_safe_by_sms=bool(entry.is_safe_by_sms),
        indicator=entry.indicator or "",
    )
