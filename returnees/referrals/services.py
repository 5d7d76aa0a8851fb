"""Partner organisations, and referrals of people to their services: consent first, a status
machine with its history, follow-up tasks when nothing moves, the attendance check-in, and
protection referrals that open only with a stated reason."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import String, and_, cast, exists, func, literal, or_, select, update
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event, record_view, state_reason
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.casework.models import Case, CaseStatus
from returnees.centres.models import Country
from returnees.core.clock import utcnow
from returnees.core.db import separate_unit_of_work
from returnees.core.errors import Conflict, Forbidden, HiddenOutOfScope, InvalidInput, NotFound
from returnees.followups.models import AnswerType, CheckIn, CheckInState, Indicator
from returnees.followups.services import contact_phone
from returnees.people.identity import InvalidValue, normalise_phone
from returnees.people.models import Returnee
from returnees.people.scope import covers_returnee
from returnees.reception.models import Arrival
from returnees.referrals.models import (
    OrganisationKind,
    PartnerOrganisation,
    PartnerService,
    Referral,
    ReferralChange,
    ReferralStatus,
    ServiceKind,
)
from returnees.tasks.models import Task, TaskKind, TaskStatus
from returnees.tasks.services import open_task

E = TypeVar("E", bound=enum.Enum)


def _days(name: str) -> int:
    """REFERRAL_ACCEPT_DAYS, REFERRAL_ATTEND_DAYS or ATTENDANCE_CHECK_IN_DAYS (config/)."""
    return int(current_app.config[name])


ATTENDANCE_TEMPLATE = "referral_attended"
# Between overdue (10) and high risk (20) in the queue.
FOLLOW_UP_PRIORITY = 15
NOT_ACCEPTED, NOT_ATTENDED = "not-accepted", "not-attended"

REFERRAL_ROLES = (Role.SOCIAL_WORKER, Role.SUPERVISOR)
PARTNER_MANAGERS = (Role.ADMIN, Role.SUPERVISOR)
PARTNER_READERS = (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.ADMIN)

# The status machine: every other status is final.
TRANSITIONS: dict[ReferralStatus, tuple[ReferralStatus, ...]] = {
    ReferralStatus.MADE: (
        ReferralStatus.ACCEPTED,
        ReferralStatus.DECLINED,
        ReferralStatus.WITHDRAWN,
    ),
    ReferralStatus.ACCEPTED: (
        ReferralStatus.ATTENDED,
        ReferralStatus.NO_SHOW,
        ReferralStatus.WITHDRAWN,
    ),
}
OPEN_STATUSES = tuple(TRANSITIONS)
MAX_NOTE = 2000
MAX_REASON = 300
NOT_SAVED = _("Nothing was saved: correct the fields marked.")


def _as_enum(kind: type[E], value: object) -> E | None:
    try:
        return kind(value)
    except ValueError:
        return None


def _too_long(errors: dict[str, list[object]], name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors[name] = [_("At most %(limit)s characters.", limit=limit)]


# Partner organisations


@dataclass(frozen=True)
class PartnerEntry:
    """A partner organisation as typed in a form or sent to the API."""

    name: str
    kind: str
    country: str
    services: tuple[str, ...] = ()
    region: str = ""
    municipality: str = ""
    phone: str = ""


@dataclass(frozen=True)
class _CleanPartner:
    name: str
    kind: OrganisationKind
    country: Country
    services: frozenset[ServiceKind]
    region: str
    municipality: str
    phone: str


def create_partner(session: Session, actor: Actor, entry: PartnerEntry) -> PartnerOrganisation:
    """Add a partner organisation with the services it offers and where it works."""
    actor.require_role(*PARTNER_MANAGERS)
    clean = _clean_partner(session, actor, entry)
    organisation = PartnerOrganisation(is_active=True, created_at=utcnow())
    session.add(organisation)
    return _save_partner(session, actor, organisation, clean, AuditAction.CREATE)


def change_partner(
    session: Session, actor: Actor, organisation_id: int, entry: PartnerEntry
) -> PartnerOrganisation:
    """Change a partner organisation: its name, kind, place, phone and services."""
    actor.require_role(*PARTNER_MANAGERS)
    organisation = require_partner(session, actor, organisation_id)
    clean = _clean_partner(session, actor, entry, organisation.id)
    return _save_partner(session, actor, organisation, clean, AuditAction.UPDATE)


def _save_partner(
    session: Session,
    actor: Actor,
    organisation: PartnerOrganisation,
    clean: _CleanPartner,
    action: AuditAction,
) -> PartnerOrganisation:
    _apply(organisation, clean)
    session.flush()
    record_event(session, actor, action, "partner_organisation", organisation.id)
    return organisation


def set_partner_active(
    session: Session, actor: Actor, organisation_id: int, is_active: bool
) -> PartnerOrganisation:
    """Stop (or resume) new referrals to an organisation; its referrals are kept."""
    actor.require_role(*PARTNER_MANAGERS)
    organisation = require_partner(session, actor, organisation_id)
    organisation.is_active = is_active
    session.flush()
    action = AuditAction.UPDATE if is_active else AuditAction.DISABLE
    record_event(session, actor, action, "partner_organisation", organisation.id)
    return organisation


def require_partner(session: Session, actor: Actor, organisation_id: int) -> PartnerOrganisation:
    """A partner organisation of the actor's country (any country for admins)."""
    actor.require_role(*PARTNER_READERS)
    organisation = session.get(PartnerOrganisation, organisation_id)
    if organisation is None or not _covers_country(actor, organisation.country):
        raise NotFound(_("No partner organisation has the number %(id)s.", id=organisation_id))
    return organisation


def list_partners(
    session: Session,
    actor: Actor,
    *,
    service: str = "",
    region: str = "",
    country: str = "",
    include_inactive: bool = False,
) -> list[PartnerOrganisation]:
    """Partner organisations of the actor's country (admins: any, or `country`), by service
    and region; one with no region serves the whole country, so it is always listed."""
    actor.require_role(*PARTNER_READERS)
    errors: dict[str, list[object]] = {}
    kind = _as_enum(ServiceKind, service) if service else None
    if service and kind is None:
        errors["service"] = [_("Choose a service from the list.")]
    wanted_country = _as_enum(Country, country.strip().upper()) if country else None
    if country and wanted_country is None:
        errors["country"] = [_("Country must be GT, HN or SV.")]
    if errors:
        raise InvalidInput(_("Some filters are not valid."), errors)
    query = select(PartnerOrganisation)
    if not (actor.is_system or actor.role is Role.ADMIN):
        query = query.where(PartnerOrganisation.country == actor.country)
    elif wanted_country is not None:
        query = query.where(PartnerOrganisation.country == wanted_country)
    if kind is not None:
        query = query.where(
            exists().where(
                PartnerService.organisation_id == PartnerOrganisation.id,
                PartnerService.kind == kind,
            )
        )
    if region.strip():
        query = query.where(
            or_(
                func.lower(PartnerOrganisation.region) == region.strip().lower(),
                PartnerOrganisation.region == "",
            )
        )
    if not include_inactive:
        query = query.where(PartnerOrganisation.is_active.is_(True))
    order = (PartnerOrganisation.country, PartnerOrganisation.name, PartnerOrganisation.id)
    return list(session.scalars(query.order_by(*order)))


def _covers_country(actor: Actor, country: Country) -> bool:
    return actor.is_system or actor.role is Role.ADMIN or actor.country == country


def _clean_partner(
    session: Session, actor: Actor, entry: PartnerEntry, organisation_id: int | None = None
) -> _CleanPartner:
    errors: dict[str, list[object]] = {}
    name = entry.name.strip()
    if not name:
        errors["name"] = [_("Enter the organisation's name.")]
    _too_long(errors, "name", name, 200)
    kind = _as_enum(OrganisationKind, entry.kind)
    if kind is None:
        errors["kind"] = [_("Choose the kind of organisation.")]
    country = _as_enum(Country, entry.country.strip().upper())
    if country is None:
        errors["country"] = [_("Country must be GT, HN or SV.")]
    elif not _covers_country(actor, country):
        errors["country"] = [_("You manage the organisations of your own country only.")]
    services = {_as_enum(ServiceKind, value) for value in entry.services}
    if None in services:
        errors["services"] = [_("Choose services from the list.")]
    elif not services:
        errors["services"] = [_("Choose at least one service it offers.")]
    region, municipality = entry.region.strip(), entry.municipality.strip()
    _too_long(errors, "region", region, 100)
    _too_long(errors, "municipality", municipality, 100)
    phone = _clean_phone(errors, entry.phone, country)
    if errors:
        raise InvalidInput(NOT_SAVED, errors)
    if _name_taken(session, name, country, organisation_id):
        raise Conflict(
            _("An organisation named %(name)s exists already in this country.", name=name),
            {"name": [_("Already in use.")]},
        )
    return _CleanPartner(name, kind, country, frozenset(services), region, municipality, phone)


def _clean_phone(errors: dict[str, list[object]], phone: str, country: Country | None) -> str:
    if not phone.strip():
        return ""
    try:
        return normalise_phone(phone, (country or Country.GUATEMALA).value)
    except InvalidValue as error:
        errors["phone"] = [error.message]
        return ""


def _name_taken(session: Session, name: str, country: Country, organisation_id: int | None) -> bool:
    query = select(PartnerOrganisation.id).where(
        func.lower(PartnerOrganisation.name) == name.lower(),
        PartnerOrganisation.country == country,
    )
    if organisation_id is not None:
        query = query.where(PartnerOrganisation.id != organisation_id)
    return session.scalar(query.limit(1)) is not None


def _apply(organisation: PartnerOrganisation, clean: _CleanPartner) -> None:
    organisation.name, organisation.kind, organisation.country = (
        clean.name,
        clean.kind,
        clean.country,
    )
    organisation.region, organisation.municipality = clean.region, clean.municipality
    organisation.phone = clean.phone
    # Keep the rows of services still offered: (organisation, kind) is unique.
    offered = {service.kind: service for service in organisation.services}
    for kind, service in offered.items():
        if kind not in clean.services:
            organisation.services.remove(service)
    for kind in sorted(clean.services - offered.keys()):
        organisation.services.append(PartnerService(kind=kind))


# Referrals


@dataclass(frozen=True)
class ReferralListing:
    """A referral as a list shows it: a protection referral only as "a restricted referral
    exists" (`referral` is None), with whether this reader may open it."""

    id: int
    made_at: datetime
    restricted: bool
    can_open: bool
    referral: Referral | None


def returnee_for_referral(session: Session, actor: Actor, returnee_id: int) -> Returnee:
    """A person inside the actor's scope, to refer; NotFound otherwise."""
    actor.require_role(*REFERRAL_ROLES)
    return _returnee_in_scope(session, actor, returnee_id)


def make_referral(
    session: Session,
    actor: Actor,
    returnee_id: int,
    organisation_id: int | None,
    service: str,
    has_consent: bool,
    is_protection: bool = False,
    note: str = "",
) -> Referral:
    """Refer a person, with their consent, to a service an active partner offers; a referral
    to a protection service is always a protection referral."""
    actor.require_role(*REFERRAL_ROLES)
    returnee = _returnee_in_scope(session, actor, returnee_id)
    if actor.user_id is None:
        raise Forbidden(_("A referral is made by a member of staff."))
    kind, organisation = _check_referral(
        session, returnee, organisation_id, service, has_consent, note
    )
    now = utcnow()
    referral = Referral(
        returnee_id=returnee.id,
        organisation_id=organisation.id,
        service=kind,
        status=ReferralStatus.MADE,
        is_protection=bool(is_protection) or kind is ServiceKind.PROTECTION,
        has_consent=True,
        note=note.strip(),
        outcome="",
        made_by_id=actor.user_id,
        made_at=now,
        updated_at=now,
    )
    session.add(referral)
    session.flush()
    _add_change(session, actor, referral, None, note.strip(), now)
    # The audit trail is read by admins too: it does not say where a protection referral went.
    detail = {"returnee_id": returnee.id, "is_protection": referral.is_protection}
    if not referral.is_protection:
        detail |= {"service": kind.value, "organisation_id": organisation.id}
    record_event(session, actor, AuditAction.CREATE, "referral", referral.id, **detail)
    return referral


def _check_referral(
    session: Session,
    returnee: Returnee,
    organisation_id: int | None,
    service: str,
    has_consent: bool,
    note: str,
) -> tuple[ServiceKind, PartnerOrganisation]:
    errors: dict[str, list[object]] = {}
    if not has_consent:
        errors["has_consent"] = [
            _("A referral needs the person's consent: ask them, and tick this when they agree.")
        ]
    kind = _as_enum(ServiceKind, service)
    if kind is None:
        errors["service"] = [_("Choose the service the person is referred to.")]
    organisation = session.get(PartnerOrganisation, organisation_id) if organisation_id else None
    if organisation is None or organisation.country != returnee.centre.country:
        errors["organisation_id"] = [_("Choose an organisation from the list.")]
    elif not organisation.is_active:
        errors["organisation_id"] = [
            _("%(name)s no longer takes referrals.", name=organisation.name)
        ]
    elif kind is not None and kind not in {offered.kind for offered in organisation.services}:
        errors["service"] = [
            _("%(name)s does not offer this service: choose one it offers.", name=organisation.name)
        ]
    _too_long(errors, "note", note.strip(), MAX_NOTE)
    if errors:
        raise InvalidInput(_("The referral was not made: correct the fields marked."), errors)
    return kind, organisation  # type: ignore[return-value]


def change_referral_status(
    session: Session,
    actor: Actor,
    referral_id: int,
    status: str,
    outcome: str = "",
    note: str = "",
    reason: str = "",
) -> Referral:
    """Move a referral along the status machine, with its outcome and a note; a protection
    referral needs the reason it is opened for, written to the audit trail."""
    actor.require_role(*REFERRAL_ROLES)
    referral = _referral_in_scope(session, actor, referral_id)
    if referral.is_protection:
        _record_opening(session, actor, referral, reason)
    target = _as_enum(ReferralStatus, status)
    if target is None:
        raise InvalidInput(NOT_SAVED, {"status": [_("Choose a status from the list.")]})
    _check_move(referral.status, target)
    errors: dict[str, list[object]] = {}
    if target is ReferralStatus.DECLINED and not outcome.strip():
        errors["outcome"] = [_("Say why the organisation declined.")]
    _too_long(errors, "outcome", outcome.strip(), MAX_NOTE)
    _too_long(errors, "note", note.strip(), MAX_NOTE)
    if errors:
        raise InvalidInput(NOT_SAVED, errors)
    return _move(session, actor, referral, target, outcome.strip(), note.strip())


def next_statuses(referral: Referral) -> tuple[ReferralStatus, ...]:
    """Where the referral can go from here; nothing once it is final."""
    return TRANSITIONS.get(referral.status, ())


def _check_move(current: ReferralStatus, target: ReferralStatus) -> None:
    from returnees.referrals.forms import STATUS_LABELS

    allowed = TRANSITIONS.get(current, ())
    if target in allowed:
        return
    if not allowed:
        raise Conflict(
            _(
                "This referral is %(current)s already: that is final, it cannot become %(target)s.",
                current=STATUS_LABELS[current],
                target=STATUS_LABELS[target],
            ),
            {"status": [_("A final status does not change.")]},
        )
    raise Conflict(
        _(
            "A referral that is %(current)s cannot become %(target)s; it can become: %(allowed)s.",
            current=STATUS_LABELS[current],
            target=STATUS_LABELS[target],
            allowed=", ".join(str(STATUS_LABELS[status]) for status in allowed),
        ),
        {"status": [_("Not possible from here.")]},
    )


def _move(
    session: Session,
    actor: Actor,
    referral: Referral,
    target: ReferralStatus,
    outcome: str,
    note: str,
) -> Referral:
    now, previous = utcnow(), referral.status
    referral.status, referral.updated_at = target, now
    if target is ReferralStatus.ACCEPTED:
        referral.accepted_at = now
        schedule_attendance_check_in(session, referral, now)
    if target not in TRANSITIONS:
        referral.closed_at = now
        _cancel_attendance_check_ins(session, referral.id)
    if outcome:
        referral.outcome = outcome
    _add_change(session, actor, referral, previous, note, now)
    _close_follow_up_tasks(session, actor, referral, now)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "referral",
        referral.id,
        returnee_id=referral.returnee_id,
        from_status=previous.value,
        to_status=target.value,
    )
    return referral


def _add_change(
    session: Session,
    actor: Actor,
    referral: Referral,
    previous: ReferralStatus | None,
    note: str,
    now: datetime,
) -> None:
    session.add(
        ReferralChange(
            referral_id=referral.id,
            from_status=previous,
            to_status=referral.status,
            note=note,
            changed_by=actor.label,
            changed_at=now,
        )
    )


def changes_of(session: Session, referral: Referral) -> list[ReferralChange]:
    """The referral's history, oldest first."""
    query = select(ReferralChange).where(ReferralChange.referral_id == referral.id)
    return list(session.scalars(query.order_by(ReferralChange.changed_at, ReferralChange.id)))


# Reading referrals; protection referrals ("break the glass")


def require_referral(session: Session, actor: Actor, referral_id: int) -> Referral:
    """A referral of a person inside the actor's scope, without writing a view to the audit
    trail; what a protection referral says is only for `view_referral`."""
    actor.require_role(*REFERRAL_ROLES)
    return _referral_in_scope(session, actor, referral_id)


def view_referral(session: Session, actor: Actor, referral_id: int, reason: str = "") -> Referral:
    """A referral inside the actor's scope; a protection referral only for those
    `may_open_restricted` names, with a reason. Every view goes to the audit trail, with the
    reason."""
    actor.require_role(*REFERRAL_ROLES)
    referral = _referral_in_scope(session, actor, referral_id)
    if referral.is_protection:
        _record_opening(session, actor, referral, reason)
    else:
        record_view(session, actor, "referral", referral.id, returnee_id=referral.returnee_id)
    return referral


def check_restricted_opening(session: Session, actor: Actor, referral_id: int, reason: str) -> str:
    """The reason, cleaned, once the actor may open this protection referral with it; each
    opening is then written by `view_referral`."""
    referral = require_referral(session, actor, referral_id)
    return _opening_reason(session, actor, referral, reason)


def require_restricted_right(session: Session, actor: Actor, referral: Referral) -> None:
    """Forbidden unless the actor may open this protection referral (given a reason)."""
    if not may_open_restricted(session, actor, referral):
        raise Forbidden(
            _(
                "This protection referral is restricted: only supervisors, the social worker "
                "assigned to the person and the one who made it may open it."
            )
        )


def may_open_restricted(session: Session, actor: Actor, referral: Referral) -> bool:
    """Supervisors in scope; while the person's case is open, the social worker assigned to it
    and the one who made this referral (she follows it up before anyone assigns her the case)."""
    if actor.is_system or actor.role is Role.SUPERVISOR:
        return True
    if actor.role is not Role.SOCIAL_WORKER or actor.user_id is None:
        return False
    open_case = select(Case.id).where(
        Case.returnee_id == referral.returnee_id, Case.status != CaseStatus.CLOSED
    )
    if referral.made_by_id != actor.user_id:
        open_case = open_case.where(Case.assigned_to_id == actor.user_id)
    return session.scalar(open_case.limit(1)) is not None


def record_referral_shown(actor: Actor, referral_id: int, returnee_id: int, reason: str) -> None:
    """A referral shown beside a refused change: the view is kept although the request is
    rolled back."""
    detail: dict[str, object] = {"returnee_id": returnee_id}
    with separate_unit_of_work() as session:
        if reason:
            detail |= {"reason_id": state_reason(session, actor, reason), "restricted": True}
        record_view(session, actor, "referral", referral_id, **detail)


def _opening_reason(session: Session, actor: Actor, referral: Referral, reason: str) -> str:
    require_restricted_right(session, actor, referral)
    reason = (reason or "").strip()
    errors: dict[str, list[object]] = {}
    if not reason:
        errors["reason"] = [_("Give a reason: it is written to the audit log.")]
    _too_long(errors, "reason", reason, MAX_REASON)
    if errors:
        raise InvalidInput(_("Say why you are opening this restricted referral."), errors)
    return reason


def _record_opening(session: Session, actor: Actor, referral: Referral, reason: str) -> None:
    reason = _opening_reason(session, actor, referral, reason)
    record_view(
        session,
        actor,
        "referral",
        referral.id,
        returnee_id=referral.returnee_id,
        restricted=True,
        reason_id=state_reason(session, actor, reason),
    )


def list_referrals(session: Session, actor: Actor, returnee_id: int) -> list[ReferralListing]:
    """A person's referrals, newest first, protection referrals as restricted entries; the
    view is written to the audit trail."""
    actor.require_role(*REFERRAL_ROLES)
    returnee = _returnee_in_scope(session, actor, returnee_id)
    listings = referrals_of(session, actor, returnee)
    record_view(
        session,
        actor,
        "returnee_referrals",
        returnee.id,
        shown=[listing.id for listing in listings],
    )
    return listings


def referrals_of(session: Session, actor: Actor, returnee: Returnee) -> list[ReferralListing]:
    """A person's referrals as this actor may see them in a list (the caller checked scope)."""
    query = select(Referral).where(Referral.returnee_id == returnee.id)
    found = session.scalars(query.order_by(Referral.made_at.desc(), Referral.id.desc())).all()
    return [
        ReferralListing(
            id=referral.id,
            made_at=referral.made_at,
            restricted=referral.is_protection,
            can_open=may_open_restricted(session, actor, referral)
            if referral.is_protection
            else True,
            referral=None if referral.is_protection else referral,
        )
        for referral in found
    ]


def _returnee_in_scope(session: Session, actor: Actor, returnee_id: int) -> Returnee:
    returnee = session.get(Returnee, returnee_id)
    missing = _("No returnee has the number %(id)s.", id=returnee_id)
    if returnee is None:
        raise NotFound(missing)
    if not covers_returnee(session, actor, returnee):
        raise HiddenOutOfScope(missing, "returnee", returnee_id)
    return returnee


def _referral_in_scope(session: Session, actor: Actor, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    returnee = session.get(Returnee, referral.returnee_id) if referral else None
    missing = _("No referral has the number %(id)s.", id=referral_id)
    if returnee is None:
        raise NotFound(missing)
    if not covers_returnee(session, actor, returnee):
        raise HiddenOutOfScope(missing, "referral", referral_id)
    return referral  # type: ignore[return-value]


# Follow-up: the tasks when nothing moves, and the check-in that asks about attendance


def subject_of(referral_id: int, why: str) -> str:
    return f"referral:{referral_id}:{why}"


def open_referral_follow_up_tasks(session: Session, limit: int = 500) -> int:
    """A task in the queue for each referral not accepted in REFERRAL_ACCEPT_DAYS or not
    attended in REFERRAL_ATTEND_DAYS, once: a task already opened for it, even closed since,
    is not opened again. Returns how many were opened."""
    now = utcnow()
    opened = 0
    for status, days, why in (
        (ReferralStatus.MADE, _days("REFERRAL_ACCEPT_DAYS"), NOT_ACCEPTED),
        (ReferralStatus.ACCEPTED, _days("REFERRAL_ATTEND_DAYS"), NOT_ATTENDED),
    ):
        for referral in _late(session, status, now - timedelta(days=days), why, limit):
            open_task(
                session,
                TaskKind.REFERRAL_FOLLOW_UP,
                referral.returnee_id,
                _task_reason(referral, why),
                subject=subject_of(referral.id, why),
                priority=FOLLOW_UP_PRIORITY,
            )
            opened += 1
    return opened


def _late(
    session: Session, status: ReferralStatus, made_before: datetime, why: str, limit: int
) -> list[Referral]:
    subject = literal("referral:") + cast(Referral.id, String) + literal(f":{why}")
    tasked = exists().where(
        Task.kind == TaskKind.REFERRAL_FOLLOW_UP,
        Task.returnee_id == Referral.returnee_id,
        Task.subject == subject,
    )
    query = select(Referral).where(
        and_(Referral.status == status, Referral.made_at <= made_before), ~tasked
    )
    return list(session.scalars(query.order_by(Referral.made_at, Referral.id).limit(limit)))


def _task_reason(referral: Referral, why: str) -> str:
    """In words, for the queue; a protection referral's says neither service nor organisation
    (the person's record shows tasks to reception too)."""
    if why == NOT_ACCEPTED:
        late = f"not accepted in {_days('REFERRAL_ACCEPT_DAYS')} days"
    else:
        late = f"not attended in {_days('REFERRAL_ATTEND_DAYS')} days"
    if referral.is_protection:
        return f"restricted referral {late}"
    service = referral.service.value.replace("_", " ")
    return f"referral {late}: {service} at {referral.organisation.name}"


def _close_follow_up_tasks(
    session: Session, actor: Actor, referral: Referral, now: datetime
) -> None:
    """The referral moved on: the tasks about the state it left are done."""
    stale = []
    if referral.status is not ReferralStatus.MADE:
        stale.append(subject_of(referral.id, NOT_ACCEPTED))
    if referral.status is not ReferralStatus.ACCEPTED:
        stale.append(subject_of(referral.id, NOT_ATTENDED))
    tasks = session.scalars(
        select(Task).where(
            Task.kind == TaskKind.REFERRAL_FOLLOW_UP,
            Task.returnee_id == referral.returnee_id,
            Task.subject.in_(stale),
            Task.status == TaskStatus.OPEN,
        )
    )
    for task in tasks:
        task.status, task.closed_at, task.closed_by_id = TaskStatus.DONE, now, actor.user_id
        task.close_note = f"referral {referral.status.value}"


def schedule_attendance_check_in(
    session: Session, referral: Referral, now: datetime
) -> CheckIn | None:
    """Ask the person, ATTENDANCE_CHECK_IN_DAYS after the acceptance, whether they went; none
    without a usable number they agreed to be contacted on."""
    returnee = session.get(Returnee, referral.returnee_id)
    phone = contact_phone(returnee)
    arrival_id = session.scalar(
        select(Arrival.id)
        .where(Arrival.returnee_id == returnee.id)
        .order_by(Arrival.arrived_at.desc(), Arrival.id.desc())
        .limit(1)
    )
    if phone is None or arrival_id is None:
        return None
    check_in = CheckIn(
        returnee_id=returnee.id,
        arrival_id=arrival_id,
        step_id=None,
        referral_id=referral.id,
        plan_version=0,
        due_at=now + timedelta(days=_days("ATTENDANCE_CHECK_IN_DAYS")),
        phone=phone.number,
        channel=phone.channel,
        template=ATTENDANCE_TEMPLATE,
        answer_type=AnswerType.YES_NO,
        indicator=Indicator.REFERRAL_ATTENDED,
        state=CheckInState.SCHEDULED,
        created_at=now,
    )
    session.add(check_in)
    return check_in


def _cancel_attendance_check_ins(session: Session, referral_id: int) -> None:
    session.execute(
        update(CheckIn)
        .where(CheckIn.referral_id == referral_id, CheckIn.state == CheckInState.SCHEDULED)
        .values(state=CheckInState.CANCELLED)
        .execution_options(synchronize_session=False)
    )


def record_attendance_answer(session: Session, check_in: CheckIn) -> Referral | None:
    """The answer to "were you able to go?": yes marks the referral attended; no leaves it
    accepted, with a note in its history (the REFERRAL_ATTEND_DAYS task follows)."""
    if check_in.referral_id is None or check_in.answer not in ("yes", "no"):
        return None
    referral = session.get(Referral, check_in.referral_id)
    if referral is None or referral.status is not ReferralStatus.ACCEPTED:
        return None
    actor = Actor.system("check-in")
    if check_in.answer == "yes":
        return _move(session, actor, referral, ReferralStatus.ATTENDED, "", "check-in: went")
    now = utcnow()
    referral.updated_at = now
    _add_change(session, actor, referral, referral.status, "check-in: not attended yet", now)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "referral",
        referral.id,
        returnee_id=referral.returnee_id,
        check_in_id=check_in.id,
        answer="no",
    )
    return referral


# Demo data

DEMO_PARTNERS = (
    PartnerEntry(
        "Programa Escuela para Todos",
        "school",
        "GT",
        ("school",),
        region="Guatemala",
        municipality="Guatemala",
    ),
    PartnerEntry(
        "Centro de Formación Técnica Occidente",
        "employment",
        "GT",
        ("jobs", "training"),
        region="San Marcos",
        municipality="San Marcos",
    ),
    PartnerEntry(
        "Clínica de Atención Psicosocial Esperanza",
        "health",
        "GT",
        ("psychosocial", "health"),
        region="Guatemala",
        municipality="Mixco",
    ),
    PartnerEntry(
        "Defensoría de la Niñez y Protección Familiar",
        "protection",
        "GT",
        ("legal_aid", "protection"),
    ),
    PartnerEntry(
        "Oficina Municipal de Empleo y Educación",
        "employment",
        "HN",
        ("jobs", "school"),
        region="Cortés",
        municipality="San Pedro Sula",
    ),
    PartnerEntry(
        "Casa Refugio Cortés", "shelter", "HN", ("shelter", "protection"), region="Cortés"
    ),
    PartnerEntry(
        "Centro de Salud Mental Comunitaria",
        "health",
        "SV",
        ("psychosocial", "health"),
        region="San Salvador",
        municipality="San Salvador",
    ),
    PartnerEntry("Asistencia Legal para Personas Retornadas", "protection", "SV", ("legal_aid",)),
)


def seed_demo_partners(session: Session, actor: Actor) -> list[str]:
    """A few partner organisations per country, those not there yet; returns their names."""
    created = []
    for entry in DEMO_PARTNERS:
        if not _name_taken(session, entry.name, Country(entry.country), None):
            create_partner(session, actor, entry)
            created.append(entry.name)
    return created
