"""Supervisors review the pairs the nightly search proposes: the same person (merged) or
different people (remembered, never proposed again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session, aliased, selectinload

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event, record_list_shown
from returnees.auth.access import Actor
from returnees.centres.forms import COUNTRY_LABELS
from returnees.centres.models import Centre
from returnees.core.clock import utcnow
from returnees.core.errors import Conflict, InvalidInput, NotFound
from returnees.duplicates.merging import MERGE_ROLES, merge_returnees
from returnees.duplicates.models import DuplicatePair, Merge, PairStatus
from returnees.people.identity import format_document, format_phone
from returnees.people.models import Returnee
from returnees.people.scope import in_ordinary_scope
from returnees.reception.forms import DOCUMENT_NAMES, SEX_CHOICES

REVIEW_LIMIT = 50


def _in_reach(actor: Actor, country_column) -> ColumnElement[bool]:
    """A supervisor reviews their country's registry; the system, every country's."""
    return true() if actor.is_system else country_column == actor.country


def pairs_to_review(
    session: Session,
    actor: Actor,
    status: PairStatus = PairStatus.PENDING,
    limit: int = REVIEW_LIMIT,
) -> list[DuplicatePair]:
    """The pairs of the supervisor's country in this state, strongest evidence first; a
    pending pair only while neither record was merged since. The list shown is audited."""
    actor.require_role(*MERGE_ROLES)
    first, second = aliased(Returnee), aliased(Returnee)
    query = (
        select(DuplicatePair)
        .join(first, first.id == DuplicatePair.first_id)
        .join(second, second.id == DuplicatePair.second_id)
        .where(DuplicatePair.status == status, _in_reach(actor, DuplicatePair.country))
        .options(selectinload(DuplicatePair.first), selectinload(DuplicatePair.second))
        .order_by(DuplicatePair.weight.desc(), DuplicatePair.id)
        .limit(limit)
    )
    if status is PairStatus.PENDING:
        query = query.where(first.merged_into_id.is_(None), second.merged_into_id.is_(None))
    pairs = list(session.scalars(query))
    people = [person for pair in pairs for person in pair.ids]
    record_list_shown(session, actor, "duplicate_pairs", people, pairs=[pair.id for pair in pairs])
    return pairs


def require_pair(session: Session, actor: Actor, pair_id: int) -> DuplicatePair:
    """A pair of the supervisor's country whose two records they reach; 404 otherwise."""
    actor.require_role(*MERGE_ROLES)
    pair = session.get(DuplicatePair, pair_id)
    reached = pair is not None and (actor.is_system or pair.country == actor.country)
    if not reached or not all(
        in_ordinary_scope(session, actor, p) for p in (pair.first, pair.second)
    ):
        raise NotFound(_("No possible duplicate has the number %(id)s.", id=pair_id))
    return pair


@dataclass(frozen=True)
class Comparison:
    """One line of the side-by-side view: what it is, as each record says it."""

    label: str
    first: str
    second: str

    @property
    def differs(self) -> bool:
        return self.first != self.second


@dataclass(frozen=True)
class PairReview:
    pair: DuplicatePair
    lines: list[Comparison]
    # The record kept unless the supervisor chooses the other: the one registered first.
    older_id: int


def review_pair(session: Session, actor: Actor, pair_id: int) -> PairReview:
    """A pair side by side, line by line; the view is audited naming both people."""
    pair = require_pair(session, actor, pair_id)
    record_event(
        session, actor, AuditAction.VIEW, "duplicate_pair", pair.id, returnees=list(pair.ids)
    )
    first, second = pair.first, pair.second
    lines = [Comparison(str(label), read(first), read(second)) for label, read in _LINES]
    older = min((first, second), key=lambda person: (person.created_at, person.id))
    return PairReview(pair, lines, older.id)


def _birth(person: Returnee) -> str:
    if person.birth_date:
        return person.birth_date.strftime("%d/%m/%Y")
    if person.estimated_age is not None:
        return str(_("about %(age)s years (estimated)", age=person.estimated_age))
    return "—"


def _document(person: Returnee) -> str:
    if not (person.document_type and person.document_number):
        return "—"
    kind = DOCUMENT_NAMES.get(person.document_type.value, person.document_type.value)
    return f"{kind} {format_document(person.document_type, person.document_number)}"


def _phones(person: Returnee) -> str:
    return ", ".join(format_phone(phone.number) for phone in person.phones) or "—"


_LINES = (
    (_("Given names"), lambda person: person.given_names),
    (_("Family names"), lambda person: person.family_names),
    (_("Birth date"), _birth),
    (_("Sex"), lambda person: str(dict(SEX_CHOICES).get(person.sex.value, person.sex.value))),
    (_("Nationality"), lambda person: str(COUNTRY_LABELS.get(person.nationality, ""))),
    (_("Document"), _document),
    (_("Phones"), _phones),
    (_("Lives in"), lambda person: person.home.label if person.home else "—"),
    (_("Registered at"), lambda person: person.centre.code),
    (_("Registered on"), lambda person: person.created_at.strftime("%d/%m/%Y")),
    (_("Arrivals recorded"), lambda person: str(person.arrivals_count)),
    (_("Followed by"), lambda person: person.office.code if person.office else "—"),
)


def _pending(session: Session, actor: Actor, pair_id: int) -> DuplicatePair:
    pair = require_pair(session, actor, pair_id)
    if pair.status is not PairStatus.PENDING:
        raise Conflict(_("This pair was already decided."))
    return pair


def decide_different(session: Session, actor: Actor, pair_id: int) -> DuplicatePair:
    """Two different people: the pair is never proposed again."""
    pair = _pending(session, actor, pair_id)
    pair.status, pair.decided_by_id, pair.decided_at = PairStatus.DIFFERENT, actor.user_id, utcnow()
    record_event(
        session, actor, AuditAction.UPDATE, "duplicate_pair", pair.id,
        decided=PairStatus.DIFFERENT.value, returnees=list(pair.ids),
    )  # fmt: skip
    return pair


def decide_same(session: Session, actor: Actor, pair_id: int, kept_id: int | str) -> Merge:
    """One person: the other record of the pair is merged into `kept_id`, one of the two."""
    pair = _pending(session, actor, pair_id)
    kept = int(kept_id) if str(kept_id).isdigit() else None
    if kept not in pair.ids:
        raise InvalidInput(
            _("Nothing was merged: choose which record is kept."),
            {"keep": [_("Choose one of the two records.")]},
        )
    merged = pair.second_id if kept == pair.first_id else pair.first_id
    return merge_returnees(session, actor, merged, kept)


def recent_merges(session: Session, actor: Actor) -> list[Merge]:
    """The merges of the supervisor's country that can still be undone, newest first."""
    actor.require_role(*MERGE_ROLES)
    since = utcnow() - timedelta(days=current_app.config["MERGE_UNDO_DAYS"])
    kept = aliased(Returnee)
    query = (
        select(Merge)
        .join(kept, kept.id == Merge.kept_id)
        .join(Centre, Centre.id == kept.centre_id)
        .where(Merge.merged_at >= since, Merge.undone_at.is_(None))
        .where(_in_reach(actor, Centre.country))
        .order_by(Merge.merged_at.desc(), Merge.id.desc())
        .limit(REVIEW_LIMIT)
    )
    merges = list(session.scalars(query))
    if merges:
        people = [person for merge in merges for person in (merge.kept_id, merge.merged_id)]
        record_list_shown(session, actor, "merge", people, merges=[m.id for m in merges])
    return merges
