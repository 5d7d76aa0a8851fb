"""Register arrivals, recognise earlier records, complete screening, hand children over."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session, contains_eager, selectinload

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.centres.models import Centre, CentreKind
from returnees.centres.services import find_centre
from returnees.core.clock import utcnow
from returnees.core.db import get_required, separate_unit_of_work
from returnees.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from returnees.core.events import (
    ARRIVAL_REGISTERED,
    FOLLOW_UP_NUMBER_ADDED,
    HOME_CHANGED,
    SCREENING_RECORDED,
    publish,
)
from returnees.messaging.services import record_consent
from returnees.people.identity import InvalidValue, fold, normalise_phone
from returnees.people.matching import Candidate, IdentityProbe, find_candidates
from returnees.people.models import Channel, Phone, PhoneOwner, Returnee
from returnees.people.scope import covers_returnee, returnee_scope
from returnees.people.services import PEOPLE_ROLES, kept_record, require_returnee
from returnees.reception.intake import CleanIntake, Intake, check_intake
from returnees.reception.models import (
    PARENTAL,
    Arrival,
    Custody,
    ExpectedPassenger,
    GuardianRelationship,
    HandoverStatus,
    Household,
    PassengerStatus,
    Screening,
)

RECEPTION_ROLES = (Role.RECEPTION, Role.SUPERVISOR)
DEFAULT_LANGUAGE = "es"
# What the intake says about a person, as a record holds it (nationality is set once).
IDENTITY_FIELDS = (
    "given_names",
    "family_names",
    "birth_date",
    "estimated_age",
    "sex",
    "document_type",
    "document_number",
    "language",
    "municipality",
    "home_code",
)
HANDOVER_DEADLINE = timedelta(hours=72)
# People who arrived at one centre within this time of each other may be one household.
SAME_TRIP = timedelta(hours=24)


class PossibleMatch(Conflict):
    """Earlier records may be this person: staff must choose before anything is saved."""

    code = "possible_match"

    def __init__(self, candidates: list[Candidate]) -> None:
        super().__init__(
            _("This person may have been registered before: choose the same person or a new one.")
        )
        self.candidates = candidates


def desk_centre(session: Session, actor: Actor, code: str) -> Centre:
    """The centre an arrival is registered at: it must exist and be inside the actor's scope."""
    centre = find_centre(session, code) if code else None
    if centre is None:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"arrival.centre": [_("Choose the centre of arrival.")]},
        )
    if not actor.covers_centre(centre):
        raise Forbidden(_("You can register arrivals only at the centres of your scope."))
    return centre


def register_arrival(
    session: Session, actor: Actor, intake: Intake, match: int | str | None = None
) -> Arrival:
    """Register one arrival: on a new record, or on the earlier record staff recognised.

    Without a decision (`match` None) and with likely earlier records, raises PossibleMatch.
    `match` may only name one of the earlier records this intake brings up: staff cannot attach
    an arrival to, and so reach, any other record.
    """
    actor.require_role(*RECEPTION_ROLES)
    now = utcnow()
    centre = desk_centre(session, actor, intake.arrival.centre)
    clean = check_intake(intake, now, centre.timezone)
    if match == "new":
        returnee = _new_returnee(session, clean, centre, now)
        record_event(session, actor, AuditAction.CREATE, "returnee", returnee.id)
    else:
        candidates = find_candidates(session, probe_for(clean), country=centre.country)
        if match is None and candidates:
            raise PossibleMatch(candidates)
        if match is None:
            returnee = _new_returnee(session, clean, centre, now)
            record_event(session, actor, AuditAction.CREATE, "returnee", returnee.id)
        else:
            returnee = _chosen_candidate(candidates, _current_choice(session, match))
            _update_known_returnee(session, actor, returnee, clean, centre, now)
    return _record_arrival(session, actor, returnee, clean, centre, intake.passenger_id, now)


def add_return(session: Session, actor: Actor, returnee_id: int, intake: Intake) -> Arrival:
    """Record a new return of a person whose record the actor holds (not found by matching)."""
    actor.require_role(*RECEPTION_ROLES)
    returnee = require_returnee(session, actor, returnee_id)
    now = utcnow()
    centre = desk_centre(session, actor, intake.arrival.centre)
    clean = check_intake(intake, now, centre.timezone)
    _update_known_returnee(session, actor, returnee, clean, centre, now)
    return _record_arrival(session, actor, returnee, clean, centre, intake.passenger_id, now)


def _chosen_candidate(candidates: list[Candidate], match: int | str) -> Returnee:
    chosen = next((c.returnee for c in candidates if str(c.returnee.id) == str(match)), None)
    if chosen is None:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"match": [_("Choose one of the earlier records shown, or a new person.")]},
        )
    return chosen


def _current_choice(session: Session, match: int | str) -> int | str:
    """A record merged into another since the desk was shown it stands for the one it was
    merged into (the one the desk is offered now)."""
    kept = kept_record(session, int(match)) if str(match).isdigit() else None
    return kept or match


def _record_arrival(
    session: Session,
    actor: Actor,
    returnee: Returnee,
    clean: CleanIntake,
    centre: Centre,
    passenger_id: int | None,
    now: datetime,
) -> Arrival:
    arrival = _add_arrival(session, actor, returnee, clean, centre, now)
    if passenger_id:
        _mark_passenger_arrived(session, actor, passenger_id, arrival)
    publish(ARRIVAL_REGISTERED, session, arrival_ids=[arrival.id])
    return arrival


def record_candidates_shown(actor: Actor, candidates: list[Candidate]) -> None:
    """Earlier records shown at the desk are views of a person. They are written to the audit
    trail in a transaction of their own, kept although the registration waits for a choice."""
    with separate_unit_of_work() as session:
        for candidate in candidates:
            record_event(
                session,
                actor,
                AuditAction.VIEW,
                "returnee",
                candidate.returnee.id,
                reason="match_candidate",
                because=candidate.reasons,
            )


@dataclass(frozen=True)
class ShownCandidate:
    """What the desk sees of an earlier record that may be this person. Outside its scope only
    what tells the person apart: names, birth date or age, earlier returns and the last arrival;
    no document, phone, address or screening."""

    returnee: Returnee
    reasons: list[str]
    in_scope: bool
    arrivals: list[Arrival]

    def as_json(self) -> dict[str, object]:
        person = self.returnee
        shown: dict[str, object] = {
            "id": person.id,
            "given_names": person.given_names,
            "family_names": person.family_names,
            "birth_date": person.birth_date.isoformat() if person.birth_date else None,
            "estimated_age": person.estimated_age,
            "returns_count": person.returns_count,
            "reasons": self.reasons,
            "arrivals": [
                {"arrived_at": a.arrived_at.isoformat(), "centre": a.centre.code}
                for a in self.arrivals
            ],
        }
        if self.in_scope:
            shown["document"] = (
                {"type": person.document_type.value, "number": person.document_number}
                if person.document_number
                else None
            )
            shown["arrivals_count"] = person.arrivals_count
        return shown


def shown_candidates(
    session: Session, actor: Actor, candidates: list[Candidate]
) -> list[ShownCandidate]:
    """The candidates as the desk may see them (see ShownCandidate)."""
    shown = []
    for candidate in candidates:
        in_scope = covers_returnee(session, actor, candidate.returnee)
        arrivals = arrivals_of(session, candidate.returnee)
        shown.append(
            ShownCandidate(
                candidate.returnee,
                candidate.reasons,
                in_scope,
                arrivals if in_scope else arrivals[:1],
            )
        )
    return shown


def probe_for(clean: CleanIntake) -> IdentityProbe:
    return IdentityProbe(
        given_names=clean.given_names,
        family_names=clean.family_names,
        birth_date=clean.birth_date,
        document_type=clean.document_type.value if clean.document_type else None,
        document_number=clean.document_number,
        phones=tuple(phone.number for phone in clean.phones),
        sex=clean.sex.value,
        estimated_age=clean.estimated_age,
        on=clean.arrived_at.date(),
    )


def _new_returnee(session: Session, clean: CleanIntake, centre: Centre, now: datetime) -> Returnee:
    returnee = Returnee(
        **{name: getattr(clean, name) for name in IDENTITY_FIELDS},
        age_estimated_on=clean.arrived_at.date() if clean.estimated_age is not None else None,
        folded_name=fold(f"{clean.given_names} {clean.family_names}"),
        nationality=clean.nationality,
        centre_id=centre.id,
        arrivals_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(returnee)
    changed = _add_phones(returnee, clean, now)
    session.flush()
    _log_consent(session, returnee, changed, "desk")
    return returnee


def _update_known_returnee(
    session: Session,
    actor: Actor,
    returnee: Returnee,
    clean: CleanIntake,
    centre: Centre,
    now: datetime,
) -> None:
    """The earlier record gets the new arrival (its custody, if a child travels alone) and the
    numbers it did not have: numbers change between returns. Nothing else: names, documents,
    screening stay as the office that follows the person up keeps them, and what staff typed
    differently this time is kept in the audit trail, so nothing is lost. A different home is
    recorded and, covered by another office, proposes a transfer (events.HOME_CHANGED)."""
    moved = bool(clean.home_code) and clean.home_code != returnee.home_code
    if moved:
        returnee.home_code = clean.home_code
    returnee.updated_at = now
    _log_consent(
        session, returnee, _add_phones(returnee, clean, now, may_withdraw_consent=False), "desk"
    )
    typed = {
        "given_names": clean.given_names,
        "family_names": clean.family_names,
        "birth_date": clean.birth_date.isoformat() if clean.birth_date else None,
        "sex": clean.sex.value,
        "document": clean.document_number,
        "language": clean.language,
        "municipality": clean.municipality,
    }
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "returnee",
        returnee.id,
        reason="returned_again",
        typed=sorted(name for name, value in typed.items() if value),  # which fields, not what
    )
    if moved:
        session.flush()
        publish(HOME_CHANGED, session, returnee_id=returnee.id, by=actor.user_id)


def _add_phones(
    returnee: Returnee, clean: CleanIntake, now: datetime, may_withdraw_consent: bool = True
) -> list[tuple[str, bool]]:
    """The numbers of the intake on the record; each change of consent it made (a number
    agreed to, or no longer), for the consent log. For a person registered again elsewhere
    (`may_withdraw_consent=False`) a number already known keeps its owner, channel and state as
    the follow-up office keeps them; only a consent the person gives now is added."""
    known = {phone.number: phone for phone in returnee.phones}
    changed = []
    for entry in clean.phones:
        phone = known.get(entry.number)
        if phone is None:
            phone = Phone(number=entry.number, created_at=now)
            returnee.phones.append(phone)
        elif not may_withdraw_consent:
            if entry.has_consent and not phone.has_consent:
                phone.has_consent, phone.consent_at = True, now
                changed.append((phone.number, True))
            continue
        phone.owner, phone.channel = entry.owner, entry.channel
        phone.calls_welcome = entry.calls_welcome
        if entry.has_consent and not phone.has_consent:
            phone.consent_at = now
            changed.append((phone.number, True))
        elif phone.has_consent and not entry.has_consent and may_withdraw_consent:
            changed.append((phone.number, False))
        if entry.has_consent or may_withdraw_consent:
            phone.has_consent = entry.has_consent
        phone.is_usable = True
    return changed


def _log_consent(
    session: Session, returnee: Returnee, changed: list[tuple[str, bool]], source: str
) -> None:
    """Each change of consent in the log, as a STOP's is (a withdrawal also cancels what is
    pending for this person on that number)."""
    for number, has_consent in changed:
        record_consent(session, number, returnee.id, has_consent, source)


def _add_arrival(
    session: Session,
    actor: Actor,
    returnee: Returnee,
    clean: CleanIntake,
    centre: Centre,
    now: datetime,
) -> Arrival:
    arrival = Arrival(
        returnee=returnee,
        centre_id=centre.id,
        arrived_at=clean.arrived_at,
        mode=clean.mode,
        deporting_country=clean.deporting_country,
        return_type=clean.return_type,
        reference=clean.reference,
        is_unaccompanied=clean.is_unaccompanied,
        registered_by_id=actor.user_id,
        created_at=now,
    )
    session.add(arrival)
    returnee.arrivals_count += 1
    if clean.is_unaccompanied:
        arrival.custody = Custody(status=HandoverStatus.IN_CUSTODY)
    session.flush()
    record_event(session, actor, AuditAction.CREATE, "arrival", arrival.id, returnee=returnee.id)
    return arrival


def _mark_passenger_arrived(
    session: Session, actor: Actor, passenger_id: int, arrival: Arrival
) -> None:
    passenger = session.get(ExpectedPassenger, passenger_id)
    if passenger is None or not actor.covers_centre(passenger.manifest.centre):
        raise NotFound(_("That passenger is not on a list you can reach."))
    if passenger.status is PassengerStatus.ARRIVED:
        raise Conflict(_("This passenger was already marked as arrived."))
    if passenger.status is not PassengerStatus.EXPECTED:
        raise Conflict(_("Import this passenger onto the checklist first."))
    if passenger.manifest.centre_id != arrival.centre_id:
        raise Conflict(_("This passenger is expected at another centre."))
    passenger.status, passenger.arrival_id = PassengerStatus.ARRIVED, arrival.id
    arrival.manifest_id = passenger.manifest_id


def require_arrival(session: Session, actor: Actor, arrival_id: int) -> Arrival:
    missing = _("No arrival has the number %(id)s.", id=arrival_id)
    arrival = get_required(session, Arrival, arrival_id, missing)
    actor.require_role(*PEOPLE_ROLES)
    require_returnee(session, actor, arrival.returnee_id)
    return arrival


def arrivals_of(session: Session, returnee: Returnee) -> list[Arrival]:
    query = select(Arrival).where(Arrival.returnee_id == returnee.id)
    return list(session.scalars(query.order_by(Arrival.arrived_at.desc())))


@dataclass
class ScreeningEntry:
    reasons_for_leaving: list[str] = field(default_factory=list)
    was_crime_victim: bool | None = None
    was_threatened: bool | None = None
    family_abroad: list[str] = field(default_factory=list)
    reported_deportations: int | None = None
    months_abroad: int | None = None
    has_journey_debt: bool | None = None
    intends_to_migrate_again: bool | None = None
    health_needs: str = ""
    psychosocial_needs: str = ""
    trafficking_indicators: list[str] = field(default_factory=list)
    school_status: str = ""
    occupation: str = ""
    skills: str = ""
    notes: str = ""


REASONS = ("violence", "economic", "family_reunification", "other")
FAMILY_ABROAD = ("spouse", "children", "parents")
TRAFFICKING_INDICATORS = (
    "deceived_about_work",
    "documents_taken",
    "debt_bondage",
    "controlled_movement",
    "sexual_exploitation",
    "forced_labour",
)
SCHOOL_STATUSES = ("enrolled", "not_enrolled", "dropped_out", "finished")


def record_screening(
    session: Session, actor: Actor, arrival_id: int, entry: ScreeningEntry
) -> Screening:
    """Save (or complete) the screening of an arrival; every value is checked first."""
    actor.require_role(*RECEPTION_ROLES, Role.SOCIAL_WORKER)
    arrival = require_arrival(session, actor, arrival_id)
    _check_screening(entry)
    screening = arrival.screening or Screening(arrival=arrival)
    for name, value in vars(entry).items():
        setattr(screening, name, value.strip() if isinstance(value, str) else value)
    screening.completed_by_id, screening.completed_at = actor.user_id, utcnow()
    session.add(screening)
    session.flush()
    record_event(
        session, actor, AuditAction.UPDATE, "screening", screening.id, returnee=arrival.returnee_id
    )
    publish(SCREENING_RECORDED, session, returnee_id=arrival.returnee_id)
    return screening


def _check_screening(entry: ScreeningEntry) -> None:
    errors: dict[str, list[object]] = {}
    for name, allowed in (
        ("reasons_for_leaving", REASONS),
        ("family_abroad", FAMILY_ABROAD),
        ("trafficking_indicators", TRAFFICKING_INDICATORS),
    ):
        if set(getattr(entry, name)) - set(allowed):
            errors[name] = [_("Choose from the list.")]
    if entry.school_status and entry.school_status not in SCHOOL_STATUSES:
        errors["school_status"] = [_("Choose from the list.")]
    for name in ("reported_deportations", "months_abroad"):
        value = getattr(entry, name)
        if value is not None and not 0 <= value <= 1200:
            errors[name] = [_("Give a whole number of 0 or more.")]
    if errors:
        raise InvalidInput(_("Nothing was saved: correct the fields marked."), errors)


def place_in_shelter(session: Session, actor: Actor, arrival_id: int, shelter_code: str) -> Custody:
    """Record the shelter a child travelling alone was placed in."""
    actor.require_role(*RECEPTION_ROLES)
    custody = _custody_of(session, actor, arrival_id)
    shelter = find_centre(session, shelter_code)
    if shelter is None or shelter.kind is not CentreKind.SHELTER:
        raise InvalidInput(_("Choose a shelter."), {"shelter": [_("Choose a shelter.")]})
    custody.shelter_id, custody.placed_at = shelter.id, utcnow()
    record_event(session, actor, AuditAction.UPDATE, "custody", custody.id, shelter=shelter.code)
    return custody


def _custody_of(session: Session, actor: Actor, arrival_id: int) -> Custody:
    arrival = require_arrival(session, actor, arrival_id)
    if arrival.custody is None:
        raise Conflict(_("This arrival is not a child travelling alone."))
    return arrival.custody


@dataclass
class HandoverEntry:
    guardian_name: str = ""
    relationship: str = ""
    guardian_document: str = ""
    guardian_phone: str = ""
    is_document_checked: bool = False
    # The guardian agrees to be asked about the child on guardian_phone (the child's plan).
    guardian_consents: bool = False


def hand_over_child(
    session: Session, actor: Actor, arrival_id: int, entry: HandoverEntry
) -> Custody:
    """Hand a child to a parent or guardian whose document staff checked.

    Anyone else (an aunt, a neighbour, an unchecked document) waits for a supervisor's approval;
    a supervisor recording the handover approves it.
    """
    actor.require_role(*RECEPTION_ROLES)
    custody = _custody_of(session, actor, arrival_id)
    if custody.status is HandoverStatus.HANDED_OVER:
        raise Conflict(_("This child has already been handed over."))
    if custody.status is HandoverStatus.AWAITING_APPROVAL:
        raise Conflict(_("A handover of this child is waiting for a supervisor's approval."))
    relationship, phone = _check_handover(entry, custody.arrival.returnee.nationality.value)
    now = utcnow()
    custody.guardian_name = " ".join(entry.guardian_name.split())
    custody.guardian_relationship = relationship
    custody.guardian_document = entry.guardian_document.strip()
    custody.guardian_phone = phone
    custody.is_guardian_verified = relationship in PARENTAL and entry.is_document_checked
    custody.checked_by_id, custody.requested_at = actor.user_id, now
    custody.guardian_consents = bool(phone) and entry.guardian_consents
    if custody.is_guardian_verified or actor.role is Role.SUPERVISOR:
        _complete_handover(session, custody, actor, now)
    else:
        custody.status = HandoverStatus.AWAITING_APPROVAL
    record_event(
        session, actor, AuditAction.UPDATE, "custody", custody.id, status=custody.status.value
    )
    return custody


def _check_handover(entry: HandoverEntry, country: str) -> tuple[GuardianRelationship, str]:
    errors: dict[str, list[object]] = {}
    if not entry.guardian_name.strip():
        errors["guardian_name"] = [_("Give the name of the person who collects the child.")]
    try:
        relationship = GuardianRelationship(entry.relationship)
    except ValueError:
        errors["relationship"] = [_("Choose the relationship to the child.")]
        relationship = None
    if entry.is_document_checked and not entry.guardian_document.strip():
        errors["guardian_document"] = [_("Give the document you checked.")]
    phone = ""
    if entry.guardian_phone.strip():
        try:
            phone = normalise_phone(entry.guardian_phone, country)
        except InvalidValue as error:
            errors["guardian_phone"] = [error.message]
    elif entry.guardian_consents:
        errors["guardian_phone"] = [_("Give the number they agreed to be asked on.")]
    if errors:
        raise InvalidInput(_("Nothing was saved: correct the fields marked."), errors)
    return relationship, phone


def _complete_handover(session: Session, custody: Custody, actor: Actor, now: datetime) -> None:
    custody.status, custody.handed_over_at = HandoverStatus.HANDED_OVER, now
    if not custody.is_guardian_verified:
        custody.approved_by_id = actor.user_id
    if custody.guardian_consents:
        _add_guardian_phone(session, custody, now)
        session.flush()
        publish(FOLLOW_UP_NUMBER_ADDED, session, arrival_id=custody.arrival_id)


def _add_guardian_phone(session: Session, custody: Custody, now: datetime) -> None:
    """The guardian's number joins the child's record, agreed to: the child's plan asks them
    (and a reply from it is the child's)."""
    child = custody.arrival.returnee
    phone = next((p for p in child.phones if p.number == custody.guardian_phone), None)
    if phone is None:
        phone = Phone(number=custody.guardian_phone, channel=Channel.SMS, created_at=now)
        child.phones.append(phone)
    phone.owner, phone.is_usable = PhoneOwner.RELATIVE, True
    if not phone.has_consent:
        phone.has_consent, phone.consent_at = True, now
        record_consent(session, phone.number, child.id, True, "handover")


def approve_handover(
    session: Session, actor: Actor, arrival_id: int, requested_at: datetime | None = None
) -> Custody:
    """A supervisor approves a handover to someone who is not a verified parent or guardian.

    `requested_at` is the request the supervisor saw; a handover changed since is not approved.
    """
    actor.require_role(Role.SUPERVISOR)
    custody = _custody_of(session, actor, arrival_id)
    if custody.status is not HandoverStatus.AWAITING_APPROVAL:
        raise Conflict(_("This handover is not waiting for approval."))
    if requested_at is not None and custody.requested_at != requested_at:
        raise Conflict(_("This handover changed since you opened it: look at it again."))
    _complete_handover(session, custody, actor, utcnow())
    record_event(session, actor, AuditAction.UPDATE, "custody", custody.id, status="approved")
    return custody


def children_in_custody(
    session: Session, actor: Actor, arrived_before: datetime | None = None, limit: int = 200
) -> list[Arrival]:
    """Children travelling alone not yet handed over, inside the actor's scope, longest first."""
    query = (
        select(Arrival)
        .join(Custody)
        .join(Centre, Arrival.centre_id == Centre.id)
        .where(
            Custody.status != HandoverStatus.HANDED_OVER,
            actor.centre_clause() | (Custody.shelter_id == actor.centre_id),
        )
        .options(selectinload(Arrival.returnee), contains_eager(Arrival.custody))
        .order_by(Arrival.arrived_at)
        .limit(limit)
    )
    if arrived_before is not None:
        query = query.where(Arrival.arrived_at <= arrived_before)
    return list(session.scalars(query))


def overdue_handovers(session: Session, actor: Actor) -> list[Arrival]:
    """Children not handed over within 72 hours of arriving."""
    return children_in_custody(session, actor, arrived_before=utcnow() - HANDOVER_DEADLINE)


def link_household(session: Session, actor: Actor, arrival_ids: Sequence[int]) -> Household:
    """Link people who arrived together (one centre, within a day) as one household: a family
    from one passenger list in one step. Households they were in already become this one."""
    actor.require_role(*RECEPTION_ROLES)
    arrivals = [
        require_arrival(session, actor, arrival_id) for arrival_id in dict.fromkeys(arrival_ids)
    ]
    if len(arrivals) < 2:
        raise InvalidInput(_("Choose another person."), {"other": [_("Choose another person.")]})
    _refuse_a_person_with_themself(arrivals)
    earlier = sorted({a.household_id for a in arrivals if a.household_id is not None})
    members = set(session.scalars(select(Arrival).where(Arrival.household_id.in_(earlier))))
    family = {*arrivals, *members}
    times = [arrival.arrived_at for arrival in family]
    same_trip = len({a.centre_id for a in family}) == 1 and max(times) - min(times) <= SAME_TRIP
    if not same_trip:
        raise Conflict(_("Only people on the same arrival can be linked as a household."))
    household = session.get(Household, earlier[0]) if earlier else None
    if household is None:
        household = Household(created_at=utcnow())
        session.add(household)
        session.flush()
    for arrival in family:
        arrival.household_id = household.id
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "household",
        household.id,
        arrivals=sorted(arrival.id for arrival in arrivals),
    )
    return household


def _with_themself(name: str) -> str:
    return _(
        "%(name)s cannot be linked as a household with themself: choose another person.",
        name=name,
    )


def _refuse_a_person_with_themself(arrivals: Sequence[Arrival]) -> None:
    """Two arrivals of one person are one person, not a household."""
    seen: set[int] = set()
    for arrival in arrivals:
        if arrival.returnee_id in seen:
            message = _with_themself(arrival.returnee.full_name)
            raise InvalidInput(message, {"other": [message]})
        seen.add(arrival.returnee_id)


def join_household(session: Session, actor: Actor, arrival: Arrival, returnee_id: int) -> Household:
    """Link an arrival just recorded with the latest arrival of another person, as the API's
    `household_with` asks; refused, by that field, when the person is outside the actor's scope,
    arrived at another time or is this same person."""
    try:
        other = require_returnee(session, actor, returnee_id)
    except (NotFound, Forbidden) as error:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {
                "household_with": [
                    _("No person has the number %(id)s in your scope.", id=returnee_id)
                ]
            },
        ) from error
    if other.id == arrival.returnee_id:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"household_with": [_with_themself(other.full_name)]},
        )
    latest = arrivals_of(session, other)[:1]
    if not latest or not _same_trip(latest[0], arrival):
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {
                "household_with": [
                    _(
                        "%(name)s did not arrive with this person (the same centre, within a day).",
                        name=other.full_name,
                    )
                ]
            },
        )
    return link_household(session, actor, [latest[0].id, arrival.id])


def _same_trip(first: Arrival, second: Arrival) -> bool:
    return (
        first.centre_id == second.centre_id
        and abs(first.arrived_at - second.arrived_at) <= SAME_TRIP
    )


def _others_in_scope(session: Session, actor: Actor, arrival: Arrival) -> Select:
    """Other arrivals than this one, of people the actor reaches."""
    return (
        select(Arrival)
        .join(Returnee, Returnee.id == Arrival.returnee_id)
        .where(Arrival.id != arrival.id, returnee_scope(actor, session))
    )


def household_members(session: Session, actor: Actor, arrival: Arrival) -> list[Arrival]:
    """The others of the arrival's household the actor may reach (a family split between two
    offices shows each office only its own)."""
    if arrival.household_id is None:
        return []
    return list(
        session.scalars(
            _others_in_scope(session, actor, arrival).where(
                Arrival.household_id == arrival.household_id
            )
        )
    )


def same_trip_arrivals(session: Session, actor: Actor, arrival: Arrival) -> list[Arrival]:
    """Other people who arrived at the same centre within a day, to link as one household."""
    window = SAME_TRIP
    query = (
        _others_in_scope(session, actor, arrival)
        .where(
            Arrival.returnee_id != arrival.returnee_id,
            Arrival.centre_id == arrival.centre_id,
            Arrival.arrived_at.between(arrival.arrived_at - window, arrival.arrived_at + window),
        )
        .order_by(Arrival.arrived_at)
        .limit(200)
    )
    if arrival.manifest_id:
        query = query.where(Arrival.manifest_id == arrival.manifest_id)
    return list(session.scalars(query))


def intake_for(returnee: Returnee, **changes: object) -> Intake:
    """An intake holding what a record says, with some values changed."""
    from returnees.reception.intake import ArrivalEntry, PhoneEntry

    values: dict[str, object] = {
        "given_names": returnee.given_names,
        "family_names": returnee.family_names,
        "birth_date": returnee.birth_date,
        "estimated_age": returnee.estimated_age,
        "sex": returnee.sex.value,
        "nationality": returnee.nationality.value,
        "document_type": returnee.document_type.value if returnee.document_type else "",
        "document_number": returnee.document_number or "",
        "language": returnee.language,
        "municipality": returnee.municipality,
        "home": returnee.home_code or "",
        "phones": [
            PhoneEntry(p.number, p.owner.value, p.channel.value, p.has_consent, p.calls_welcome)
            for p in returnee.phones
        ],
        "arrival": ArrivalEntry(centre=returnee.centre.code),
    }
    return Intake(**(values | changes))


def _may_edit(session: Session, actor: Actor, returnee: Returnee) -> None:
    """A desk corrects the records it created; a person who came back through another desk
    first is the office's to change (a desk that registered a return reaches the record, but
    may not rename or re-document the person the office follows up)."""
    if actor.role is not Role.RECEPTION:
        return
    first = session.scalar(
        select(Arrival.centre_id)
        .where(Arrival.returnee_id == returnee.id)
        .order_by(Arrival.arrived_at, Arrival.id)
        .limit(1)
    )
    if first != actor.centre_id:
        raise Forbidden(_("Only the office that follows this person up changes their record."))


def update_returnee(
    session: Session, actor: Actor, returnee_id: int, changes: dict[str, object]
) -> Returnee:
    """Change a record; the same rules as at the desk apply, and numbers are added, not dropped."""
    actor.require_role(*RECEPTION_ROLES, Role.SOCIAL_WORKER)
    returnee = require_returnee(session, actor, returnee_id)
    _may_edit(session, actor, returnee)
    now = utcnow()
    clean = check_intake(intake_for(returnee, **changes), now, returnee.centre.timezone)
    moved = clean.home_code != returnee.home_code
    if clean.estimated_age != returnee.estimated_age:
        returnee.age_estimated_on = now.date() if clean.estimated_age is not None else None
    for name in IDENTITY_FIELDS:
        setattr(returnee, name, getattr(clean, name))
    returnee.folded_name = fold(f"{clean.given_names} {clean.family_names}")
    returnee.updated_at = now
    _log_consent(session, returnee, _add_phones(returnee, clean, now), "record edit")
    record_event(
        session, actor, AuditAction.UPDATE, "returnee", returnee.id, fields=sorted(changes)
    )
    if moved:
        session.flush()
        publish(HOME_CHANGED, session, returnee_id=returnee.id, by=actor.user_id)
    return returnee


def recount_arrivals(session: Session, returnee_ids: list[int]) -> None:
    """Set each person's count of arrivals from their arrivals (after arrivals moved from one
    record to another): the returns count and the repeat-migration flag read it."""
    counted = (
        select(func.count(Arrival.id))
        .where(Arrival.returnee_id == Returnee.id)
        .correlate(Returnee)
        .scalar_subquery()
    )
    session.execute(
        update(Returnee)
        .where(Returnee.id.in_(returnee_ids))
        .values(arrivals_count=counted)
        .execution_options(synchronize_session=False)
    )
