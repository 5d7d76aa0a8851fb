"""Everything held about one person, gathered for an export: the same sections feed the JSON
download, the API and the printable page. Other people appear by id only (a household, a
shared phone), staff not at all."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.casework.models import Case, CaseContact, CaseOfficeChange, Transfer
from returnees.core.clock import utcnow
from returnees.followups.models import CheckIn, IndicatorReading
from returnees.messaging.models import ConsentChange, InboundMessage, OutboundMessage
from returnees.people.models import Returnee
from returnees.people.services import require_returnee
from returnees.reception.models import Arrival
from returnees.referrals.models import Referral, ReferralChange
from returnees.rights.models import Erasure
from returnees.risk.models import RiskFlag, RiskLevelChange
from returnees.surveys.models import SurveyWave
from returnees.tasks.models import Task

Section = list[dict[str, Any]]


def export_person(session: Session, actor: Actor, returnee_id: int) -> dict[str, Any]:
    """Everything held about a person in the actor's scope (a supervisor's), protection
    referrals included; the export is written to the audit trail with the ids it holds."""
    actor.require_role(Role.SUPERVISOR)
    person = require_returnee(session, actor, returnee_id)
    held = gather(session, person)
    record_event(
        session,
        actor,
        AuditAction.EXPORT,
        "returnee",
        person.id,
        arrivals=[arrival["id"] for arrival in held["arrivals"]],
        referrals=[referral["id"] for referral in held["referrals"]],
        restricted=[r["id"] for r in held["referrals"] if r["is_protection"]],
    )
    return held


def gather(session: Session, person: Returnee) -> dict[str, Any]:
    """The sections of an export, in the order a reader goes through them."""
    return {
        "exported_at": utcnow(),
        "person": _identity(person),
        "erasures": _erasures(session, person.id),
        "phones": _phones(person),
        "consent_changes": _consent_changes(session, person.id),
        "arrivals": _arrivals(session, person.id),
        "cases": _cases(session, person.id),
        "transfers": _transfers(session, person.id),
        "contacts": _contacts(session, person.id),
        "tasks": _tasks(session, person.id),
        "check_ins": _check_ins(session, person.id),
        "indicator_readings": _readings(session, person.id),
        "messages": _messages(session, person.id),
        "referrals": _referrals(session, person.id),
        "risk": _risk(session, person.id),
        "survey_waves": _survey_waves(session, person.id),
    }


def as_json(value: Any) -> Any:
    """The export with times and dates as ISO-8601 text, ready for json.dumps."""
    if isinstance(value, dict):
        return {key: as_json(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(inner) for inner in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _columns(row: object, *names: str) -> dict[str, Any]:
    return {name: _value(getattr(row, name)) for name in names}


def _all(session: Session, query) -> list:
    return list(session.scalars(query))


def _identity(person: Returnee) -> dict[str, Any]:
    found = _columns(
        person,
        "id",
        "given_names",
        "family_names",
        "birth_date",
        "estimated_age",
        "sex",
        "nationality",
        "document_type",
        "document_number",
        "language",
        "municipality",
        "home_code",
        "arrivals_count",
        "created_at",
        "updated_at",
    )
    home = person.home
    found["home"] = home.label if home else ""
    found["centre"] = person.centre.code
    found["office"] = person.office.code if person.office else ""
    return found


def _erasures(session: Session, returnee_id: int) -> Section:
    query = select(Erasure).where(Erasure.returnee_id == returnee_id).order_by(Erasure.id)
    return [
        _columns(e, "id", "status", "requested_at", "decided_at", "age_band")
        | {"by_retention": e.is_retention}
        for e in _all(session, query)
    ]


def _phones(person: Returnee) -> Section:
    return [
        _columns(
            p,
            "number",
            "owner",
            "channel",
            "has_consent",
            "calls_welcome",
            "consent_at",
            "is_usable",
        )
        | {"created_at": p.created_at}
        for p in person.phones
    ]


def _consent_changes(session: Session, returnee_id: int) -> Section:
    query = select(ConsentChange).where(ConsentChange.returnee_id == returnee_id)
    return [
        _columns(c, "phone", "has_consent", "source", "at")
        for c in _all(session, query.order_by(ConsentChange.at, ConsentChange.id))
    ]


SCREENING = (
    "completed_at",
    "reasons_for_leaving",
    "was_crime_victim",
    "was_threatened",
    "family_abroad",
    "reported_deportations",
    "months_abroad",
    "has_journey_debt",
    "intends_to_migrate_again",
    "health_needs",
    "psychosocial_needs",
    "trafficking_indicators",
    "school_status",
    "occupation",
    "skills",
    "notes",
)
CUSTODY = (
    "status",
    "placed_at",
    "guardian_name",
    "guardian_relationship",
    "guardian_document",
    "guardian_phone",
    "is_guardian_verified",
    "guardian_consents",
    "requested_at",
    "handed_over_at",
)


def _arrivals(session: Session, returnee_id: int) -> Section:
    query = select(Arrival).where(Arrival.returnee_id == returnee_id).order_by(Arrival.arrived_at)
    return [_arrival(session, arrival) for arrival in _all(session, query)]


def _arrival(session: Session, arrival: Arrival) -> dict[str, Any]:
    found = _columns(
        arrival,
        "id",
        "arrived_at",
        "mode",
        "deporting_country",
        "return_type",
        "reference",
        "is_unaccompanied",
        "household_id",
    )
    found["centre"] = arrival.centre.code
    found["household_member_ids"] = (
        _all(
            session,
            select(Arrival.returnee_id)
            .where(
                Arrival.household_id == arrival.household_id,
                Arrival.returnee_id != arrival.returnee_id,
            )
            .distinct(),
        )
        if arrival.household_id
        else []
    )
    found["screening"] = _columns(arrival.screening, *SCREENING) if arrival.screening else None
    custody = arrival.custody
    found["custody"] = (
        _columns(custody, *CUSTODY) | {"shelter": custody.shelter.code if custody.shelter else ""}
        if custody
        else None
    )
    return found


def _office(centre) -> str:
    return centre.code if centre else ""


def _cases(session: Session, returnee_id: int) -> Section:
    query = select(Case).where(Case.returnee_id == returnee_id).order_by(Case.opened_at, Case.id)
    return [
        _columns(
            case,
            "id",
            "status",
            "is_child",
            "opened_at",
            "close_reason",
            "close_note",
            "closed_at",
        )
        | {"office": _office(case.office), "office_history": _office_history(session, case.id)}
        for case in _all(session, query)
    ]


def _office_history(session: Session, case_id: int) -> Section:
    query = select(CaseOfficeChange).where(CaseOfficeChange.case_id == case_id)
    return [
        {
            "from_office": _office(change.from_office),
            "to_office": _office(change.to_office),
            "reason": change.reason,
            "at": change.at,
        }
        for change in _all(session, query.order_by(CaseOfficeChange.at, CaseOfficeChange.id))
    ]


def _transfers(session: Session, returnee_id: int) -> Section:
    query = select(Transfer).where(Transfer.returnee_id == returnee_id)
    return [
        _columns(t, "id", "case_id", "status", "reason", "proposed_at", "decided_at")
        | {
            "from_office": _office(t.from_office),
            "to_office": _office(t.to_office),
            "decline_reason": t.decline_reason,
        }
        for t in _all(session, query.order_by(Transfer.proposed_at, Transfer.id))
    ]


def _contacts(session: Session, returnee_id: int) -> Section:
    query = select(CaseContact).where(CaseContact.returnee_id == returnee_id)
    return [
        _columns(c, "kind", "outcome", "note", "made_at")
        for c in _all(session, query.order_by(CaseContact.made_at, CaseContact.id))
    ]


def _tasks(session: Session, returnee_id: int) -> Section:
    query = select(Task).where(Task.returnee_id == returnee_id)
    return [
        _columns(t, "id", "kind", "status", "reason", "created_at", "due_at", "closed_at")
        | {"close_note": t.close_note}
        for t in _all(session, query.order_by(Task.created_at, Task.id))
    ]


def _check_ins(session: Session, returnee_id: int) -> Section:
    query = select(CheckIn).where(CheckIn.returnee_id == returnee_id)
    return [
        _columns(
            c,
            "template",
            "state",
            "due_at",
            "sent_at",
            "answered_at",
            "answer",
            "indicator",
            "phone",
            "channel",
        )
        for c in _all(session, query.order_by(CheckIn.due_at, CheckIn.id))
    ]


def _readings(session: Session, returnee_id: int) -> Section:
    query = select(IndicatorReading).where(IndicatorReading.returnee_id == returnee_id)
    return [
        _columns(r, "indicator", "value", "observed_at")
        for r in _all(session, query.order_by(IndicatorReading.observed_at, IndicatorReading.id))
    ]


def _survey_waves(session: Session, returnee_id: int) -> Section:
    """Each survey wave with its scores and every answer as given (declined, don't know)."""
    query = select(SurveyWave).where(SurveyWave.returnee_id == returnee_id)
    return [
        _columns(
            w,
            "id",
            "day",
            "status",
            "created_at",
            "completed_at",
            "not_taken_reason",
            "economic_score",
            "social_score",
            "psychosocial_score",
            "composite_score",
        )
        | {
            "survey_version": w.instrument.version,
            "survey_answers": [
                {"question": a.item.question_es}
                | _columns(a, "value", "score", "source", "answered_at")
                for a in sorted(w.answers, key=lambda a: a.item.position)
            ],
        }
        for w in _all(session, query.order_by(SurveyWave.created_at, SurveyWave.id))
    ]


def _messages(session: Session, returnee_id: int) -> Section:
    """Messages both ways, oldest first; a text the retention job erased reads empty."""
    sent = select(OutboundMessage).where(OutboundMessage.returnee_id == returnee_id)
    received = select(InboundMessage).where(InboundMessage.returnee_id == returnee_id)
    lines = [
        {
            "direction": "out",
            "at": m.created_at,
            "phone": m.phone,
            "channel": m.channel.value,
            "template": m.template,
            "body": m.body,
            "status": m.status.value,
        }
        for m in _all(session, sent)
    ] + [
        {
            "direction": "in",
            "at": m.received_at,
            "phone": m.from_number,
            "channel": m.channel.value,
            "template": "",
            "body": m.body,
            "status": "",
        }
        for m in _all(session, received)
    ]
    return sorted(lines, key=lambda line: line["at"])


def _referrals(session: Session, returnee_id: int) -> Section:
    query = select(Referral).where(Referral.returnee_id == returnee_id)
    return [
        _columns(
            r,
            "id",
            "service",
            "status",
            "is_protection",
            "has_consent",
            "note",
            "outcome",
            "made_at",
            "accepted_at",
            "closed_at",
        )
        | {"organisation": r.organisation.name, "changes": _referral_changes(session, r.id)}
        for r in _all(session, query.order_by(Referral.made_at, Referral.id))
    ]


def _referral_changes(session: Session, referral_id: int) -> Section:
    query = select(ReferralChange).where(ReferralChange.referral_id == referral_id)
    return [
        _columns(c, "from_status", "to_status", "note", "changed_at")
        for c in _all(session, query.order_by(ReferralChange.changed_at, ReferralChange.id))
    ]


def _risk(session: Session, returnee_id: int) -> dict[str, Any] | None:
    flag = session.get(RiskFlag, returnee_id)
    if flag is None:
        return None
    query = select(RiskLevelChange).where(RiskLevelChange.returnee_id == returnee_id)
    changes = _all(session, query.order_by(RiskLevelChange.changed_at, RiskLevelChange.id))
    return _columns(flag, "level", "score", "reasons", "set_level", "set_reason", "computed_at") | {
        "changes": [
            _columns(c, "from_level", "to_level", "score", "reasons", "changed_at") for c in changes
        ]
    }
