"""What an export holds: cases, arrivals, check-ins, referrals, survey answers or the outcome
table, one row per record, within the reader's scope and period; identifying or pseudonymised.

A pseudonymised file names no one: no names, phones, documents or free text; a birth date
becomes an age group; a home, its department; every id (person, case, arrival, check-in,
referral, survey wave) becomes HMAC-SHA256(the recipient's key, "kind:id"). One recipient
joins its own files and waves by those pseudonyms; two recipients, holding different keys,
cannot join theirs. Recipients and their keys are EXPORT_RECIPIENT_KEYS
("ministry-gt=<base64 key>,...").

Each export writes one audit entry (EXPORT) naming what, the format, the filters, the
recipient and how many rows: the rows are counted when the export starts."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, aliased

from returnees.audit.models import AuditAction
from returnees.audit.services import name_people_shown, record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.casework.models import Case
from returnees.centres.models import Centre
from returnees.core.clock import utcnow
from returnees.core.errors import Forbidden, InvalidInput, NotFound
from returnees.followups.models import AnswerType, CheckIn
from returnees.people.models import Returnee, age_on
from returnees.people.scope import returnee_scope
from returnees.reception.models import Arrival
from returnees.referrals.models import PartnerOrganisation, Referral
from returnees.reports.periods import local_midnight
from returnees.reports.services import (
    REPORT_ROLES,
    OutcomeCriteria,
    OutcomeTable,
    SurveyTable,
    outcome_table,
    report_timezone,
    resolve_cohort,
)
from returnees.surveys.models import Instrument, SurveyAnswer, SurveyItem, SurveyWave

EXPORTS = ("cases", "arrivals", "check-ins", "referrals", "surveys", "outcomes")
PSEUDONYMISED_ROLES = (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.ADMIN)
IDENTIFYING_ROLES = REPORT_ROLES
PSEUDONYM_LENGTH = 20
BATCH = 2_000
# The filters of a list or report page an export carries, besides its period.
PLACES = ("centre", "office", "department", "country")


@dataclass(frozen=True)
class ExportRequest:
    what: str
    pseudonymised: bool = False
    recipient: str = ""
    first_day: date | None = None
    last_day: date | None = None
    # The outcome table's own criteria.
    by: tuple[str, ...] = ()
    centre: str = ""
    office: str = ""
    department: str = ""
    country: str = ""


@dataclass
class Export:
    what: str
    header: list[str]
    count: int
    rows: Iterator[Sequence[Any]] = field(repr=False)
    # The ids of the people in the file, as a query: the export's audit entry names them.
    people: Select | None = field(default=None, repr=False)

    @property
    def filename(self) -> str:
        return self.what.replace("-", "_")


class Pseudonyms:
    """A recipient's keyed pseudonyms: the same id gives the same pseudonym in every file made
    for that recipient, and another recipient's key gives another."""

    def __init__(self, key: bytes | None) -> None:
        self.key = key

    def __call__(self, kind: str, record_id: int | None) -> Any:
        if record_id is None or self.key is None:
            return record_id
        digest = hmac.new(self.key, f"{kind}:{record_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:PSEUDONYM_LENGTH]


def recipient_keys() -> dict[str, bytes]:
    """EXPORT_RECIPIENT_KEYS as {recipient: key}; a malformed entry is refused when read."""
    keys: dict[str, bytes] = {}
    for part in filter(
        None, (p.strip() for p in (current_app.config["EXPORT_RECIPIENT_KEYS"] or "").split(","))
    ):
        name, _sep, encoded = part.partition("=")
        key = base64.b64decode(encoded.strip() + "=" * (-len(encoded.strip()) % 4), altchars=b"-_")
        keys[name.strip()] = key
    return keys


def prepare_export(session: Session, actor: Actor, asked: ExportRequest) -> Export:
    """The export's header, row count and rows (read as they are written), after checking
    the role, and audited."""
    if asked.what not in EXPORTS:
        raise NotFound(_("Nothing to export by that name."))
    _check_role(actor, asked)
    pseudonyms = _pseudonyms(asked)
    if asked.what == "outcomes":
        export = _outcomes(session, actor, asked)
    else:
        export = _records(session, actor, asked, pseudonyms)
    entry = record_event(
        session,
        actor,
        AuditAction.EXPORT,
        "export",
        asked.what,
        rows=export.count,
        pseudonymised=asked.pseudonymised,
        recipient=asked.recipient,
        **{name: value for name in PLACES if (value := getattr(asked, name))},
        **{
            "from": asked.first_day.isoformat() if asked.first_day else "",
            "to": asked.last_day.isoformat() if asked.last_day else "",
        },
    )
    if export.people is not None:
        name_people_shown(session, entry, export.people)
    return export


def _check_role(actor: Actor, asked: ExportRequest) -> None:
    if asked.what == "outcomes":
        actor.require_role(*REPORT_ROLES)
    elif asked.pseudonymised:
        actor.require_role(*PSEUDONYMISED_ROLES)
    elif not actor.has_role(*IDENTIFYING_ROLES):
        raise Forbidden(_("Only supervisors and admins export identifying files."))


def _pseudonyms(asked: ExportRequest) -> Pseudonyms:
    if not asked.pseudonymised or asked.what == "outcomes":
        return Pseudonyms(None)
    keys = recipient_keys()
    if asked.recipient not in keys:
        raise InvalidInput(
            _("Some parameters are not valid."),
            {"recipient": [_("Choose a recipient the programme has a key for.")]},
        )
    return Pseudonyms(keys[asked.recipient])


def _outcomes(session: Session, actor: Actor, asked: ExportRequest) -> Export:
    """One row per group and one for the whole cohort (its groups "all"): the outcome
    table's figures, then its survey figures per wave."""
    if asked.first_day is None or asked.last_day is None:
        raise InvalidInput(
            _("Some parameters are not valid."),
            {"from": [_("Give the period's first and last day.")]},
        )
    criteria = OutcomeCriteria(
        asked.first_day,
        asked.last_day,
        asked.by,
        asked.centre,
        asked.office,
        asked.department,
        asked.country,
    )
    table = outcome_table(session, actor, criteria)
    surveys = table.surveys or SurveyTable((), (), [{} for _row in table.rows], {})
    header = [*criteria.by, *table.figures, *surveys.figures]
    rows = [
        [*row.group.values(), *_cells(table, row.values), *_cells(surveys, scored)]
        for row, scored in zip(table.rows, surveys.rows, strict=True)
    ]
    rows.append(
        [
            *(["all"] * len(criteria.by)),
            *_cells(table, table.total),
            *_cells(surveys, surveys.total),
        ]
    )
    return Export("outcomes", header, len(rows), iter(rows))


def _cells(table: OutcomeTable | SurveyTable, values: dict[str, Any]) -> list[Any]:
    """One group's values in the order of the table's figures."""
    return [values[name] for name in table.figures]


@dataclass(frozen=True)
class Columns:
    """One kind of record: its query, and each column's name and how a row gives it."""

    query: Select
    identifying: list[tuple[str, Callable[[Any, Pseudonyms], Any]]]
    pseudonymised: list[tuple[str, Callable[[Any, Pseudonyms], Any]]]
    order: tuple[Any, ...]
    # What `centre=` filters: the arrival's centre for arrivals; None: the registering centre.
    centre: Any = None


def _records(session: Session, actor: Actor, asked: ExportRequest, ids: Pseudonyms) -> Export:
    starts, ends = _period(actor, asked)
    columns = RECORDS[asked.what](starts, ends)
    query = columns.query.where(
        returnee_scope(actor, session), *_places(session, actor, asked, columns)
    )
    count = session.scalar(select(func.count()).select_from(query.subquery()))
    chosen = columns.pseudonymised if asked.pseudonymised else columns.identifying
    stream = session.execute(query.order_by(*columns.order).execution_options(yield_per=BATCH))
    rows = ([give(row, ids) for _name, give in chosen] for row in stream)
    people = select(query.subquery().c.returnee_id)
    return Export(asked.what, [name for name, _give in chosen], int(count or 0), rows, people)


def _places(session: Session, actor: Actor, asked: ExportRequest, columns: Columns) -> list:
    """The list or report page's centre, office, department and country, as the report reads
    them (a code the reader does not reach is refused, naming the parameter)."""
    if not (asked.centre or asked.office or asked.department or asked.country):
        return []
    day = asked.first_day or asked.last_day or utcnow().date()  # the period is applied apart
    cohort = resolve_cohort(
        session,
        actor,
        OutcomeCriteria(
            day,
            day,
            centre=asked.centre,
            office=asked.office,
            department=asked.department,
            country=asked.country,
        ),
    )
    countrys_centres = select(Centre.id).where(Centre.country == cohort.country)
    return [
        *([_centre_of(columns) == cohort.centre_id] if cohort.centre_id else []),
        *([Returnee.office_id == cohort.office_id] if cohort.office_id else []),
        *([Returnee.home_code.startswith(cohort.department)] if cohort.department else []),
        *([_centre_of(columns).in_(countrys_centres)] if cohort.country else []),
    ]


def _centre_of(columns: Columns) -> Any:
    return Returnee.centre_id if columns.centre is None else columns.centre


def _period(actor: Actor, asked: ExportRequest) -> tuple[datetime | None, datetime | None]:
    timezone = report_timezone(actor, "")
    starts = asked.first_day and local_midnight(asked.first_day, timezone)
    ends = asked.last_day and local_midnight(asked.last_day + timedelta(days=1), timezone)
    return starts or None, ends or None


def _within(column: ColumnElement, starts: datetime | None, ends: datetime | None) -> list:
    return [
        *([column >= starts] if starts else []),
        *([column < ends] if ends else []),
    ]


def age_group(age: int | None) -> str:
    if age is None:
        return "unknown"
    return "0-11" if age < 12 else "12-17" if age < 18 else "18-29" if age < 30 else "30+"


def _age_group_on(moment_name: str) -> Callable[[Any, Pseudonyms], str]:
    def give(row: Any, _ids: Pseudonyms) -> str:
        moment = getattr(row, moment_name)
        return age_group(age_on(moment.date(), row.birth_date, row.estimated_age))

    return give


def _value(name: str) -> Callable[[Any, Pseudonyms], Any]:
    return lambda row, _ids: getattr(row, name)


def _id(kind: str, name: str) -> Callable[[Any, Pseudonyms], Any]:
    return lambda row, ids: ids(kind, getattr(row, name))


def _department(row: Any, _ids: Pseudonyms) -> str:
    return row.home_code[:5] if row.home_code else ""


PERSON = (
    Returnee.given_names,
    Returnee.family_names,
    Returnee.birth_date,
    Returnee.estimated_age,
    Returnee.sex,
    Returnee.nationality,
    Returnee.home_code,
)


def _cases(starts: datetime | None, ends: datetime | None) -> Columns:
    office = aliased(Centre)
    query = (
        select(
            Case.id.label("case_id"),
            Case.returnee_id,
            *PERSON,
            Case.status,
            Case.is_child,
            office.code.label("office"),
            Case.opened_at,
            Case.closed_at,
            Case.close_reason,
        )
        .join(Returnee, Returnee.id == Case.returnee_id)
        .outerjoin(office, office.id == Case.office_id)
        .where(*_within(Case.opened_at, starts, ends))
    )
    common = _plain("sex", "nationality", "status")
    common += [("child_case", _value("is_child"))]
    common += _plain("office", "opened_at", "closed_at", "close_reason")
    identifying = [
        ("case_id", _value("case_id")),
        ("person_id", _value("returnee_id")),
        *_plain("given_names", "family_names", "birth_date", "estimated_age"),
        ("home", _value("home_code")),
        *common,
    ]
    pseudonymised = [
        ("case", _id("case", "case_id")),
        ("person", _id("person", "returnee_id")),
        ("age_group", _age_group_on("opened_at")),
        ("home_department", _department),
        *common,
    ]
    return Columns(query, identifying, pseudonymised, (Case.id,))


def _arrivals(starts: datetime | None, ends: datetime | None) -> Columns:
    query = (
        select(
            Arrival.id.label("arrival_id"),
            Arrival.returnee_id,
            *PERSON,
            Centre.code.label("centre"),
            Arrival.arrived_at,
            Arrival.mode,
            Arrival.deporting_country,
            Arrival.return_type,
            Arrival.is_unaccompanied,
            Arrival.reference,
        )
        .join(Returnee, Returnee.id == Arrival.returnee_id)
        .join(Centre, Centre.id == Arrival.centre_id)
        .where(*_within(Arrival.arrived_at, starts, ends))
    )
    common = _plain("sex", "nationality", "centre", "arrived_at", "mode", "deporting_country")
    common += [
        ("return_type", _value("return_type")),
        ("unaccompanied", _value("is_unaccompanied")),
    ]
    identifying = [
        ("arrival_id", _value("arrival_id")),
        ("person_id", _value("returnee_id")),
        *_plain("given_names", "family_names", "birth_date", "estimated_age"),
        ("home", _value("home_code")),
        *common,
        ("reference", _value("reference")),
    ]
    pseudonymised = [
        ("arrival", _id("arrival", "arrival_id")),
        ("person", _id("person", "returnee_id")),
        ("age_group", _age_group_on("arrived_at")),
        ("home_department", _department),
        *common,
    ]
    return Columns(query, identifying, pseudonymised, (Arrival.id,), Arrival.centre_id)


def _check_ins(starts: datetime | None, ends: datetime | None) -> Columns:
    query = (
        select(
            CheckIn.id.label("check_in_id"),
            CheckIn.arrival_id,
            CheckIn.returnee_id,
            CheckIn.due_at,
            CheckIn.channel,
            CheckIn.template,
            CheckIn.indicator,
            CheckIn.state,
            CheckIn.sent_at,
            CheckIn.answered_at,
            CheckIn.answer_type,
            CheckIn.answer,
        )
        .join(Returnee, Returnee.id == CheckIn.returnee_id)
        .where(*_within(CheckIn.due_at, starts, ends))
    )
    common = _plain("due_at", "channel", "template", "indicator", "state", "sent_at", "answered_at")
    identifying = [
        ("check_in_id", _value("check_in_id")),
        ("arrival_id", _value("arrival_id")),
        ("person_id", _value("returnee_id")),
        *common,
        ("answer", _value("answer")),
    ]
    pseudonymised = [
        ("check_in", _id("check_in", "check_in_id")),
        ("arrival", _id("arrival", "arrival_id")),
        ("person", _id("person", "returnee_id")),
        *common,
        ("answer", _coded_answer),
    ]
    return Columns(query, identifying, pseudonymised, (CheckIn.id,))


def _coded_answer(row: Any, _ids: Pseudonyms) -> str:
    """A yes/no or numbered answer; never what someone wrote in their own words."""
    return "" if row.answer_type is AnswerType.FREE_TEXT else row.answer


def _referrals(starts: datetime | None, ends: datetime | None) -> Columns:
    query = (
        select(
            Referral.id.label("referral_id"),
            Referral.returnee_id,
            Referral.service,
            Referral.status,
            Referral.is_protection,
            Referral.has_consent,
            PartnerOrganisation.name.label("organisation"),
            Referral.made_at,
            Referral.accepted_at,
            Referral.closed_at,
        )
        .join(Returnee, Returnee.id == Referral.returnee_id)
        .join(PartnerOrganisation, PartnerOrganisation.id == Referral.organisation_id)
        .where(*_within(Referral.made_at, starts, ends))
    )
    common = _plain("service", "status")
    common += [("protection", _value("is_protection")), ("consent", _value("has_consent"))]
    common += _plain("organisation", "made_at", "accepted_at", "closed_at")
    identifying = [
        ("referral_id", _value("referral_id")),
        ("person_id", _value("returnee_id")),
        *common,
    ]
    pseudonymised = [
        ("referral", _id("referral", "referral_id")),
        ("person", _id("person", "returnee_id")),
        *common,
    ]
    return Columns(query, identifying, pseudonymised, (Referral.id,))


def _surveys(starts: datetime | None, ends: datetime | None) -> Columns:
    """One row per answer given in a wave opened in the period (a wave with no answer yet: one
    row with the item's columns empty); the wave's scores repeat on each of its rows. Answers
    are option codes ("yes", "often", "declined", "dont_know"), never words someone said."""
    query = (
        select(
            SurveyWave.id.label("wave_id"),
            SurveyWave.returnee_id,
            SurveyWave.arrival_id,
            Returnee.given_names,
            Returnee.family_names,
            Returnee.birth_date,
            Returnee.estimated_age,
            Returnee.sex,
            SurveyWave.day,
            SurveyWave.status,
            SurveyWave.not_taken_reason,
            Instrument.version.label("instrument_version"),
            SurveyItem.position.label("item_position"),
            SurveyItem.code.label("item"),
            SurveyItem.dimension,
            SurveyAnswer.value.label("answer"),
            SurveyAnswer.score.label("answer_score"),
            SurveyAnswer.source,
            SurveyAnswer.answered_at,
            SurveyWave.economic_score,
            SurveyWave.social_score,
            SurveyWave.psychosocial_score,
            SurveyWave.composite_score,
            SurveyWave.created_at.label("opened_at"),
            SurveyWave.completed_at,
        )
        .join(Returnee, Returnee.id == SurveyWave.returnee_id)
        .join(Instrument, Instrument.id == SurveyWave.instrument_id)
        .outerjoin(SurveyAnswer, SurveyAnswer.wave_id == SurveyWave.id)
        .outerjoin(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
        .where(*_within(SurveyWave.created_at, starts, ends))
    )
    common = _plain("day", "status", "not_taken_reason", "instrument_version", "item")
    common += _plain("dimension", "answer", "answer_score", "source", "answered_at")
    common += _plain("economic_score", "social_score", "psychosocial_score", "composite_score")
    common += _plain("opened_at", "completed_at")
    identifying = [
        ("wave_id", _value("wave_id")),
        ("person_id", _value("returnee_id")),
        ("arrival_id", _value("arrival_id")),
        *_plain("given_names", "family_names", "birth_date", "estimated_age", "sex"),
        *common,
    ]
    pseudonymised = [
        ("wave", _id("wave", "wave_id")),
        ("person", _id("person", "returnee_id")),
        ("arrival", _id("arrival", "arrival_id")),
        ("age_group", _age_group_on("opened_at")),
        ("sex", _value("sex")),
        *common,
    ]
    return Columns(query, identifying, pseudonymised, (SurveyWave.id, SurveyItem.position))


def _plain(*names: str) -> list[tuple[str, Callable[[Any, Pseudonyms], Any]]]:
    return [(name, _value(name)) for name in names]


RECORDS: dict[str, Callable[[datetime | None, datetime | None], Columns]] = {
    "cases": _cases,
    "arrivals": _arrivals,
    "check-ins": _check_ins,
    "referrals": _referrals,
    "surveys": _surveys,
}
