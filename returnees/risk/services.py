"""Score the risk of leaving again for a batch of people at once, keep every change of level with
its reasons, let social workers set a level, and let admins change the rules.

The effective level: the computed one, unless staff set a level. For a child in the
child-protection process (under 18, or travelling alone, at the latest arrival: the same test as
a child's case) a set level is a floor that no recompute goes below. For an adult a set level
holds while the computed level stays what it was when last scored; once new evidence (or new
rules) moves the computed level, the computed level takes over and the set level is cleared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date, gettext, ngettext
from flask_babel import lazy_gettext as _
from sqlalchemy import (
    DateTime,
    Row,
    Text,
    and_,
    case,
    cast,
    delete,
    func,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import CASEWORK_ROLES, Actor
from returnees.auth.models import Role, User
from returnees.core.clock import utcnow
from returnees.core.db import among, bulk_insert, json_text, update_each
from returnees.core.encryption import open_value
from returnees.core.errors import Conflict, InvalidInput
from returnees.followups.models import CheckIn, CheckInState, Indicator, IndicatorReading
from returnees.people.models import Returnee, age_on
from returnees.people.services import require_returnee, view_returnee
from returnees.reception.intake import ADULT_AGE
from returnees.reception.models import Arrival, Screening
from returnees.risk.models import LEVEL_RANK, RiskFlag, RiskLevel, RiskLevelChange, RiskRules
from returnees.risk.rules import (
    LATEST_CHECK_INS,
    RULES,
    Inputs,
    Reading,
    in_force,
    level_for,
    tally,
)
from returnees.tasks.models import Task, TaskKind, TaskStatus
from returnees.tasks.services import DUE_AFTER

# People per batch: one query per kind of input for the whole batch.
BATCH = 2000
# The nightly recompute takes people scored longer ago than this, or under older rules.
NIGHTLY_AFTER = timedelta(hours=24)
# At most this many people per run of the job; it runs again minutes later for the rest.
PER_RUN = 100_000
RECOMPUTE, NIGHTLY = "recompute", "nightly"
HIGH_RISK_SUBJECT, HIGH_RISK_PRIORITY = "risk:high", 20
# A level set by staff, as it appears among the reasons of a change of level.
SET_LEVEL = "set_level"
MAX_REASON = 1000


# -- the rules in force ----------------------------------------------------------------------


def rules_in_force(session: Session) -> RiskRules:
    """The newest version of the rules (version 1 ships with the migrations)."""
    return session.scalars(select(RiskRules).order_by(RiskRules.version.desc()).limit(1)).one()


def rule_versions(session: Session) -> list[RiskRules]:
    """Every version of the rules, newest first."""
    return list(session.scalars(select(RiskRules).order_by(RiskRules.version.desc())))


@dataclass(frozen=True)
class RulesEntry:
    """A change of the rules as an admin writes it; a weight or threshold left out (None) keeps
    its value in force."""

    weights: Mapping[str, object] = field(default_factory=dict)
    medium_from: object = None
    high_from: object = None
    note: str = ""


def change_rules(session: Session, actor: Actor, entry: RulesEntry) -> RiskRules:
    """Put new weights or thresholds in force as a new version; the old ones stay, for the scores
    that used them. The same rules again change nothing."""
    actor.require_role(Role.ADMIN)
    current = rules_in_force(session)
    weights, medium_from, high_from = _check_rules(entry, current)
    if (weights, medium_from, high_from) == (
        _known_weights(current.weights),
        current.medium_from,
        current.high_from,
    ):
        return current
    rules = RiskRules(
        version=current.version + 1,
        weights=weights,
        medium_from=medium_from,
        high_from=high_from,
        note=entry.note.strip(),
        created_by=actor.label,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(rules)
    except IntegrityError as error:
        raise Conflict(
            _("Someone changed the rules meanwhile: reload them and try again.")
        ) from error
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "risk_rules",
        rules.version,
        weights=weights,
        medium_from=medium_from,
        high_from=high_from,
    )
    return rules


def _known_weights(weights: Mapping[str, object]) -> dict[str, int]:
    return {key: int(weights.get(key) or 0) for key in RULES}


def _whole(value: object, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if text.isascii() and text.isdigit() else None
    if isinstance(value, int) and low <= value <= high:
        return value
    return None


def _check_rules(entry: RulesEntry, current: RiskRules) -> tuple[dict[str, int], int, int]:
    errors: dict[str, list[object]] = {}
    unknown = sorted(set(entry.weights) - set(RULES))
    if unknown:
        errors["weights"] = [_("No rule is called %(names)s.", names=", ".join(unknown))]
    weights = _known_weights(current.weights)
    for key in RULES:
        given = entry.weights.get(key)
        if given is None:
            continue
        value = _whole(given, 0, 100)
        if value is None:
            errors[f"weights.{key}"] = [_("Give a whole number from 0 to 100.")]
        else:
            weights[key] = value
    thresholds = {}
    for name in ("medium_from", "high_from"):
        given = getattr(entry, name)
        value = getattr(current, name) if given is None else _whole(given, 1, 100)
        if value is None:
            errors[name] = [_("Give a whole number from 1 to 100.")]
        thresholds[name] = value
    medium_from, high_from = thresholds["medium_from"], thresholds["high_from"]
    if medium_from is not None and high_from is not None and medium_from >= high_from:
        errors["high_from"] = [_("The high level must start above the medium level.")]
    if len(entry.note) > 500:
        errors["note"] = [_("At most 500 characters.")]
    if errors:
        raise InvalidInput(_("Nothing was saved: correct the fields marked."), errors)
    return weights, medium_from, high_from


# -- gathering the inputs of a batch ---------------------------------------------------------


def _rows(session: Session, query) -> list:
    """All rows of a read at once, as plain rows (no ORM loading: thousands per batch)."""
    return session.connection().execute(query).all()


def _instant(session: Session, column):
    """A stored time as the driver gives it on PostgreSQL (aware already, which the rules turn
    to UTC where they keep it), without the per-value conversion of UTCDateTime: a million
    people have a few each. Elsewhere through UTCDateTime."""
    if session.get_bind().dialect.name != "postgresql":
        return column
    return type_coerce(column, DateTime(timezone=True)).label(column.key)


def gather(
    session: Session, returnee_ids: list[int], now: datetime, *, lock: bool = True
) -> dict[int, Inputs]:
    """The rules' inputs for these people: one query per kind of input for the whole batch.

    The people's rows are locked (FOR NO KEY UPDATE on PostgreSQL), so that two workers, or a
    worker and a request, never score the same person at the same time; `lock=False` when the
    caller claimed them locked already (each lock of a row is written to the WAL).
    """
    people = select(
        Returnee.id, Returnee.birth_date, Returnee.estimated_age, Returnee.arrivals_count
    ).where(among(session, Returnee.id, returnee_ids))
    people = _rows(session, people.with_for_update(key_share=True) if lock else people)
    visits = _latest_arrivals(session, returnee_ids)
    readings = _latest_readings(session, returnee_ids)
    outcomes = _latest_outcomes(session, returnee_ids)
    gathered = {}
    for person in people:
        arrival, screening = visits.get(person.id, (None, None))
        found = readings.get(person.id, {})
        latest, unanswered = outcomes.get(person.id, (0, 0))
        gathered[person.id] = Inputs(
            returnee_id=person.id,
            now=now,
            returns_count=max(person.arrivals_count - 1, 0),
            is_child=_is_child(person, arrival),
            arrived_at=arrival.arrived_at if arrival else None,
            **_screening_inputs(screening),
            said_leaving=found.get(Indicator.LEAVING_AGAIN),
            in_school=found.get(Indicator.IN_SCHOOL),
            working=found.get(Indicator.WORKING),
            latest_outcomes=latest,
            unanswered=unanswered,
        )
    return gathered


def _is_child(person, arrival) -> bool:
    """Under 18 or travelling alone at the latest arrival (as a child's case is opened)."""
    if arrival is None:
        return False
    if arrival.is_unaccompanied:
        return True
    age = age_on(arrival.arrived_at.astimezone(UTC).date(), person.birth_date, person.estimated_age)
    return age is not None and age < ADULT_AGE


def _screening_inputs(screening) -> dict:
    if screening is None:
        return {}
    return {
        "family_abroad": tuple(screening.family_abroad or ()),
        "was_crime_victim": screening.was_crime_victim,
        "was_threatened": screening.was_threatened,
        "months_abroad": screening.months_abroad,
        "has_journey_debt": screening.has_journey_debt,
        "intends_to_migrate_again": screening.intends_to_migrate_again,
        "screened_at": screening.completed_at,
    }


def _latest_arrivals(session: Session, returnee_ids: list[int]) -> dict[int, tuple]:
    """Each person's latest arrival, and the latest screening (a new arrival may not be
    screened yet: the earlier screening still tells about family abroad, debts, threats)."""
    rows = _rows(
        session,
        select(
            Arrival.returnee_id,
            _instant(session, Arrival.arrived_at),
            Arrival.is_unaccompanied,
            Screening.id.label("screening_id"),
            Screening.family_abroad,
            Screening.was_crime_victim,
            Screening.was_threatened,
            Screening.months_abroad,
            Screening.has_journey_debt,
            Screening.intends_to_migrate_again,
            _instant(session, Screening.completed_at),
        )
        .outerjoin(Screening, Screening.arrival_id == Arrival.id)
        .where(among(session, Arrival.returnee_id, returnee_ids))
        .order_by(Arrival.returnee_id, Arrival.arrived_at, Arrival.id),
    )
    latest: dict[int, tuple] = {}
    for row in rows:
        earlier_screening = latest.get(row.returnee_id, (None, None))[1]
        latest[row.returnee_id] = (row, row if row.screening_id is not None else earlier_screening)
    return latest


def _latest_readings(session: Session, returnee_ids: list[int]) -> dict[int, dict]:
    """Per person and indicator, the latest reading of school and of work, and the latest yes
    to leaving again."""
    reading = IndicatorReading
    ranked = (
        select(
            reading.returnee_id,
            reading.indicator,
            reading.value,
            _instant(session, reading.observed_at),
            reading.source,
            func.row_number()
            .over(
                partition_by=(reading.returnee_id, reading.indicator),
                order_by=(reading.observed_at.desc(), reading.id.desc()),
            )
            .label("rank"),
        )
        .where(
            among(session, reading.returnee_id, returnee_ids),
            or_(
                reading.indicator.in_((Indicator.IN_SCHOOL, Indicator.WORKING)),
                and_(reading.indicator == Indicator.LEAVING_AGAIN, reading.value.is_(True)),
            ),
        )
        .subquery()
    )
    rows = _rows(
        session,
        select(
            ranked.c.returnee_id,
            ranked.c.indicator,
            ranked.c.value,
            ranked.c.observed_at,
            ranked.c.source,
        ).where(ranked.c.rank == 1),
    )
    found: dict[int, dict] = {}
    for returnee_id, indicator, value, at, source in rows:
        source = "check-in" if source == "check-in" else "staff"
        found.setdefault(returnee_id, {})[indicator] = Reading(value, at, source)
    return found


def _latest_outcomes(session: Session, returnee_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Of each person's latest check-ins with an outcome: how many, and how many unanswered."""
    ranked = (
        select(
            CheckIn.returnee_id,
            CheckIn.state,
            func.row_number()
            .over(
                partition_by=CheckIn.returnee_id,
                order_by=(CheckIn.due_at.desc(), CheckIn.id.desc()),
            )
            .label("rank"),
        )
        .where(
            among(session, CheckIn.returnee_id, returnee_ids),
            CheckIn.state.in_((CheckInState.ANSWERED, CheckInState.UNANSWERED)),
        )
        .subquery()
    )
    unanswered = case((ranked.c.state == CheckInState.UNANSWERED, 1), else_=0)
    rows = _rows(
        session,
        select(ranked.c.returnee_id, func.count(), func.sum(unanswered))
        .where(ranked.c.rank <= LATEST_CHECK_INS)
        .group_by(ranked.c.returnee_id),
    )
    return {returnee_id: (total, int(missed or 0)) for returnee_id, total, missed in rows}


# -- scoring a batch -------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelSetting:
    """A level a member of staff set, with why."""

    level: RiskLevel
    user_id: int | None
    reason: str
    by: str


@dataclass
class _Batch:
    """What one batch writes."""

    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    touched: list[int] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    to_open: dict[int, str] = field(default_factory=dict)
    to_close: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Scoring:
    """What every person of a batch is scored with."""

    rules: RiskRules
    versions: dict[int, RiskRules]
    in_force: list
    changed_by: str
    # How the stored reasons are compared: as JSON text on PostgreSQL (no decoding of a
    # million flags), as decoded JSON elsewhere.
    stored: Callable[[list], object]


def _scoring(session: Session, versions: dict[int, RiskRules], changed_by: str) -> _Scoring:
    rules = versions[max(versions)]
    is_postgres = session.get_bind().dialect.name == "postgresql"
    return _Scoring(
        rules=rules,
        versions=versions,
        in_force=in_force(rules.weights),
        changed_by=changed_by,
        stored=json_text if is_postgres else (lambda reasons: reasons),
    )


class _StoredFlag(NamedTuple):
    """A stored flag as `_flags` reads it, its set level's reason opened."""

    returnee_id: int
    score: int
    level: RiskLevel
    reasons: object
    rules_version: int
    set_level: RiskLevel | None
    set_by_id: int | None
    set_reason: str


def _flags(session: Session, ids: list[int], scoring: _Scoring) -> dict:
    """The stored flags of a batch: (returnee_id, score, level, reasons, rules_version,
    set_level, set_by_id, set_reason), the reasons as `scoring.stored` gives them, the set
    reason opened (None when there is none: most flags, which are not opened one by one)."""
    reasons = RiskFlag.reasons
    if scoring.stored is json_text:
        reasons = cast(RiskFlag.reasons, Text).label("reasons")
    query = select(
        RiskFlag.returnee_id,
        RiskFlag.score,
        RiskFlag.level,
        reasons,
        RiskFlag.rules_version,
        RiskFlag.set_level,
        RiskFlag.set_by_id,
        RiskFlag.set_reason_sealed.label("set_reason"),
    ).where(among(session, RiskFlag.returnee_id, ids))
    return {row.returnee_id: _opened(row) for row in _rows(session, query)}


def _opened(row: Row) -> Row | _StoredFlag:
    if row.set_reason is None:
        return row
    reason = open_value(RiskFlag.set_reason, RiskFlag, row.returnee_id, row.set_reason)
    return _StoredFlag(*tuple(row)[:-1], reason)


def assess(session: Session, returnee_ids: Iterable[int], changed_by: str = RECOMPUTE) -> int:
    """Recompute these people's scores now; returns how many changed level.

    Only flags whose score, level or reasons changed are rewritten; the rest only get their
    computed time. Works in batches of BATCH, with one query per kind of input per batch.
    """
    ids = sorted(set(returnee_ids))
    versions = {rules.version: rules for rules in rule_versions(session)}
    return sum(
        _assess_batch(session, ids[start : start + BATCH], _scoring(session, versions, changed_by))
        for start in range(0, len(ids), BATCH)
    )


def _assess_batch(
    session: Session,
    ids: list[int],
    scoring: _Scoring,
    settings: Mapping[int, LevelSetting] | None = None,
    *,
    claimed: bool = False,
) -> int:
    """Score a batch and write what changed; `claimed`: the caller holds the people locked."""
    now = utcnow()
    people = gather(session, ids, now, lock=not claimed)
    flags = _flags(session, ids, scoring)
    batch = _Batch()
    setters = _setter_emails(session, flags.values(), settings or {})
    for returnee_id, person in people.items():
        setting = (settings or {}).get(returnee_id)
        _score_one(batch, person, flags.get(returnee_id), setting, scoring)
    for change in batch.changes:
        _name_setter(change, setters)
        if change["to_level"] is RiskLevel.HIGH:
            batch.to_open[change["returnee_id"]] = summary(RiskLevel.HIGH, change["reasons"])
    _write(session, batch, now)
    return len(batch.changes)


def _score_one(
    batch: _Batch, person: Inputs, old, setting: LevelSetting | None, scoring: _Scoring
) -> None:
    rules = scoring.rules
    points, reasons = tally(person, scoring.in_force)
    computed = level_for(points, rules.medium_from, rules.high_from)
    if setting is not None:
        held = (setting.level, setting.user_id, setting.reason)
    else:
        held = (old.set_level, old.set_by_id, old.set_reason) if old else (None, None, "")
    level, held = _effective(person, old, computed, held, setting is not None, scoring.versions)
    row = {
        "returnee_id": person.returnee_id,
        "score": points,
        "level": level,
        "reasons": reasons,
        "rules_version": rules.version,
        "set_level": held[0],
        "set_by_id": held[1],
        "set_reason": held[2],
        "computed_at": person.now,
    }
    if old is None:
        batch.inserts.append(row)
    elif tuple(old)[1:] == (points, level, scoring.stored(reasons), rules.version, *held):
        batch.touched.append(person.returnee_id)
    else:
        batch.updates.append(row)
    before = old.level if old else None
    if level == before or (before is None and level is RiskLevel.LOW):
        return  # a first score of low is the starting point, not a change
    from_staff = held[0] is not None and (level != computed or setting is not None)
    why = [*reasons, _set_level_reason(held, setting)] if from_staff else reasons
    batch.changes.append(
        {
            "returnee_id": person.returnee_id,
            "from_level": before,
            "to_level": level,
            "score": points,
            "reasons": why,
            "rules_version": rules.version,
            "changed_by": scoring.changed_by,
            "changed_at": person.now,
        }
    )
    if before is RiskLevel.HIGH:
        batch.to_close.append(person.returnee_id)


def _set_level_reason(held: tuple, setting: LevelSetting | None) -> dict:
    """A set level among the reasons of the change it made; `by` is filled in by e-mail."""
    level, user_id, reason = held
    by = setting.by if setting else ""
    evidence = {"level": level.value, "reason": reason or "", "by_id": user_id, "by": by}
    return {"rule": SET_LEVEL, "points": 0, "evidence": evidence}


def _effective(
    person: Inputs,
    old,
    computed: RiskLevel,
    held: tuple,
    is_new_setting: bool,
    versions: dict[int, RiskRules],
) -> tuple[RiskLevel, tuple]:
    """The level in force and the set level kept (see the module's docstring)."""
    set_level = held[0]
    if set_level is None:
        return computed, held
    if person.is_child:
        return max(computed, set_level, key=LEVEL_RANK.__getitem__), held
    if is_new_setting or old is None:
        return set_level, held
    then = versions.get(old.rules_version) or versions[max(versions)]
    if level_for(old.score, then.medium_from, then.high_from) == computed:
        return set_level, held
    return computed, (None, None, "")


def _setter_emails(session: Session, flags: Iterable, settings: Mapping) -> dict[int, str]:
    ids = {flag.set_by_id for flag in flags if flag.set_by_id is not None}
    ids |= {setting.user_id for setting in settings.values() if setting.user_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def _name_setter(change: dict, emails: dict[int, str]) -> None:
    """A set level among a change's reasons names who set it by e-mail, not by user id."""
    for reason in change["reasons"]:
        if reason["rule"] == SET_LEVEL:
            evidence = reason["evidence"]
            user_id = evidence.pop("by_id", None)
            evidence["by"] = evidence["by"] or emails.get(user_id, "")


def _write(session: Session, batch: _Batch, now: datetime) -> None:
    """A few statements per batch, whatever its size: a changed flag is deleted and inserted
    again with the new ones (COPY on PostgreSQL), an unchanged one only gets its time."""
    rewritten = batch.inserts + batch.updates
    if batch.updates:
        ids = [row["returnee_id"] for row in batch.updates]
        session.execute(
            delete(RiskFlag)
            .where(among(session, RiskFlag.returnee_id, ids))
            .execution_options(synchronize_session=False)
        )
    if rewritten:
        bulk_insert(session, RiskFlag, rewritten)
    if batch.touched:
        session.execute(
            update(RiskFlag)
            .where(among(session, RiskFlag.returnee_id, batch.touched))
            .values(computed_at=now)
            .execution_options(synchronize_session=False)
        )
    if batch.changes:
        bulk_insert(session, RiskLevelChange, batch.changes)
    _open_high_risk_tasks(session, batch.to_open, now)
    _close_high_risk_tasks(session, batch.to_close, now)
    _forget(session, RiskFlag, {row["returnee_id"] for row in rewritten} | set(batch.touched))


def _forget(session: Session, model: type, ids: set[int]) -> None:
    """Rows written in bulk: objects of them already loaded in this session are read again."""
    for key in list(session.identity_map.keys()):
        if key[0] is model and key[1][0] in ids:
            session.expire(session.identity_map[key])


def _open_high_risk_tasks_of(session: Session, returnee_ids: Iterable[int]) -> dict[int, int]:
    """{returnee_id: task id} of these people's open HIGH_RISK tasks. Selected by person only
    (the status is checked here), so that PostgreSQL searches the index on the person rather
    than reading every open task of the country."""
    rows = _rows(
        session,
        select(Task.id, Task.returnee_id, Task.status).where(
            among(session, Task.returnee_id, returnee_ids),
            Task.kind == TaskKind.HIGH_RISK,
            Task.subject == HIGH_RISK_SUBJECT,
        ),
    )
    return {row.returnee_id: row.id for row in rows if row.status is TaskStatus.OPEN}


def _open_high_risk_tasks(session: Session, reasons: dict[int, str], now: datetime) -> None:
    """A HIGH_RISK task for each person who became high, unless one is open already (what
    tasks.services.open_task does for one person, for a whole batch)."""
    if not reasons:
        return
    already = _open_high_risk_tasks_of(session, reasons)
    due_at = now + DUE_AFTER.get(TaskKind.HIGH_RISK, timedelta(0))
    rows = [
        {
            "kind": TaskKind.HIGH_RISK,
            "returnee_id": returnee_id,
            "reason": reason[:300],
            "subject": HIGH_RISK_SUBJECT,
            "priority": HIGH_RISK_PRIORITY,
            "status": TaskStatus.OPEN,
            "due_at": due_at,
            "created_at": now,
            "close_note": "",
        }
        for returnee_id, reason in reasons.items()
        if returnee_id not in already
    ]
    if rows:
        bulk_insert(session, Task, rows)


def _close_high_risk_tasks(session: Session, returnee_ids: list[int], now: datetime) -> None:
    """The open HIGH_RISK task of each person no longer high is done."""
    if not returnee_ids:
        return
    task_ids = set(_open_high_risk_tasks_of(session, returnee_ids).values())
    if not task_ids:
        return
    done = {"status": TaskStatus.DONE, "closed_at": now, "close_note": "risk no longer high"}
    update_each(session, Task, task_ids, done)
    _forget(session, Task, task_ids)


# -- the nightly recompute -------------------------------------------------------------------


def recompute_due(session: Session, batch: int = BATCH, limit: int = PER_RUN) -> int:
    """Recompute, batch by batch, the people scored more than a day ago, under older rules, or
    never; commit after each batch. Returns how many were recomputed.

    Each batch is claimed with SKIP LOCKED, so several workers share the work; a run with
    nothing due reads the flags once and writes nothing.
    """
    versions = {rules.version: rules for rules in rule_versions(session)}
    after, done = 0, 0
    while done < limit:
        ids = claim_due(session, after, max(versions), min(batch, limit - done))
        if not ids:
            break
        _assess_batch(session, ids, _scoring(session, versions, NIGHTLY), claimed=True)
        session.commit()
        after, done = ids[-1], done + len(ids)
    return done


def claim_due(session: Session, after: int, version: int, limit: int) -> list[int]:
    """The next people (by id, after `after`) whose flag is missing, stale or from older rules,
    locked for this transaction; rows another worker holds are skipped."""
    stale = utcnow() - NIGHTLY_AFTER
    query = (
        select(Returnee.id)
        # The bound on the flags too lets PostgreSQL start both index scans at `after`.
        .outerjoin(
            RiskFlag, and_(RiskFlag.returnee_id == Returnee.id, RiskFlag.returnee_id > after)
        )
        .where(
            Returnee.id > after,
            or_(
                RiskFlag.returnee_id.is_(None),
                RiskFlag.computed_at < stale,
                RiskFlag.rules_version != version,
            ),
        )
        .order_by(Returnee.id)
        .limit(limit)
        .with_for_update(of=Returnee, skip_locked=True, key_share=True)
    )
    return list(session.scalars(query))


# -- reading flags ---------------------------------------------------------------------------


def risk_of(session: Session, returnee_ids: Iterable[int]) -> dict[int, RiskFlag]:
    """The flags of these people (those scored), by person: for the queue and lists."""
    ids = list(set(returnee_ids))
    if not ids:
        return {}
    flags = session.scalars(select(RiskFlag).where(RiskFlag.returnee_id.in_(ids)))
    return {flag.returnee_id: flag for flag in flags}


def current_flag(session: Session, returnee_id: int) -> RiskFlag:
    """The person's flag, scored now if it never was."""
    flag = session.get(RiskFlag, returnee_id)
    if flag is None:
        assess(session, [returnee_id])
        flag = session.get(RiskFlag, returnee_id)
    return flag


def computed_level(session: Session, flag: RiskFlag) -> RiskLevel:
    """The level the score alone gives, under the rules it was computed with."""
    rules = session.get(RiskRules, flag.rules_version) or rules_in_force(session)
    return level_for(flag.score, rules.medium_from, rules.high_from)


@dataclass(frozen=True)
class RiskView:
    """A person's flag as staff read it: level, score, reasons in words, who set a level, and
    the history of changes of level."""

    flag: RiskFlag
    computed_level: RiskLevel
    phrases: list[str]
    set_by: str
    changes: list[RiskLevelChange]
    is_child: bool


def view_risk(session: Session, actor: Actor, returnee_id: int, audit: bool = True) -> RiskView:
    """A person's flag, for casework roles within scope; written to the audit trail unless the
    record it is part of was (`audit=False`)."""
    actor.require_role(*CASEWORK_ROLES)
    if audit:
        view_returnee(session, actor, returnee_id)
    else:
        require_returnee(session, actor, returnee_id)
    flag = current_flag(session, returnee_id)
    set_by = session.get(User, flag.set_by_id).email if flag.set_by_id else ""
    changes = session.scalars(
        select(RiskLevelChange)
        .where(RiskLevelChange.returnee_id == returnee_id)
        .order_by(RiskLevelChange.changed_at.desc(), RiskLevelChange.id.desc())
        .limit(50)
    ).all()
    person = gather(session, [returnee_id], utcnow()).get(returnee_id)
    return RiskView(
        flag=flag,
        computed_level=computed_level(session, flag),
        phrases=describe(flag.reasons),
        set_by=set_by,
        changes=list(changes),
        is_child=bool(person and person.is_child),
    )


def set_level(
    session: Session, actor: Actor, returnee_id: int, level: str, reason: str
) -> RiskFlag:
    """A social worker or supervisor sets a person's level, saying why; a child's computed level
    never goes below it, an adult's holds until new evidence moves the computed level."""
    actor.require_role(*CASEWORK_ROLES)
    require_returnee(session, actor, returnee_id)
    chosen = _check_setting(level, reason)
    current_flag(session, returnee_id)
    setting = LevelSetting(chosen, actor.user_id, reason.strip(), actor.label)
    versions = {rules.version: rules for rules in rule_versions(session)}
    scoring = _scoring(session, versions, actor.label)
    _assess_batch(session, [returnee_id], scoring, {returnee_id: setting})
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "risk_flag",
        returnee_id,
        set_level=chosen.value,  # the reason is kept with the change of level, not here
    )
    return session.get(RiskFlag, returnee_id)


def _check_setting(level: str, reason: str) -> RiskLevel:
    errors: dict[str, list[object]] = {}
    if level not in RiskLevel._value2member_map_:
        errors["level"] = [_("Choose low, medium or high.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why: the next person to read the record needs to know.")]
    elif len(reason) > MAX_REASON:
        errors["reason"] = [_("At most 1,000 characters.")]
    if errors:
        raise InvalidInput(_("Nothing was saved: correct the fields marked."), errors)
    return RiskLevel(level)


# -- reasons in words ------------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """How reasons are put in words: in the reader's language (Flask-Babel), or in plain
    English for a task's reason (the msgids themselves, without a catalogue: quick in bulk)."""

    gettext: Callable[..., str]
    ngettext: Callable[..., str]
    day: Callable[[str], str]


def _babel_day(at: str) -> str:
    return format_date(datetime.fromisoformat(at), "dd/MM/yyyy")


def _english(text: str, **values: object) -> str:
    return text % values if values else text


def _english_plural(one: str, many: str, num: int, **values: object) -> str:
    return (one if num == 1 else many) % ({"num": num} | values)


def _english_day(at: str) -> str:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.fromisoformat(at).astimezone(zone).strftime("%d/%m/%Y")


IN_READERS_LANGUAGE = Words(gettext, ngettext, _babel_day)
IN_ENGLISH = Words(_english, _english_plural, _english_day)


def _day(evidence: dict, words: Words) -> str:
    return words.day(evidence["at"]) if evidence.get("at") else "—"


def _family(evidence: dict, words: Words) -> str:
    who = set(evidence.get("who") or ())
    if who >= {"spouse", "children"}:
        return words.gettext("spouse and children abroad")
    return words.gettext("spouse abroad") if "spouse" in who else words.gettext("children abroad")


def _returns(evidence: dict, words: Words) -> str:
    return words.ngettext(
        "%(num)d earlier return", "%(num)d earlier returns", evidence.get("earlier_returns", 1)
    )


def _leaving(evidence: dict, words: Words) -> str:
    day = _day(evidence, words)
    if evidence.get("source") == "intake":
        return words.gettext("said at intake they will leave again (%(date)s)", date=day)
    if evidence.get("source") == "check-in":
        return words.gettext("said they are thinking of leaving (check-in of %(date)s)", date=day)
    return words.gettext("said they are thinking of leaving (noted on %(date)s)", date=day)


def _crime(evidence: dict, words: Words) -> str:
    if evidence.get("victim") and evidence.get("threatened"):
        return words.gettext("victim of crime and threatened")
    if evidence.get("victim"):
        return words.gettext("victim of crime")
    return words.gettext("threatened")


def _school_or_work(evidence: dict, words: Words) -> str:
    day = _day(evidence, words)
    if evidence.get("indicator") == "in_school":
        return words.gettext("not in school (answer of %(date)s)", date=day)
    return words.gettext("not working (answer of %(date)s)", date=day)


def _months(evidence: dict, words: Words) -> str:
    return words.ngettext("%(num)d month abroad", "%(num)d months abroad", evidence["months"])


def _debt(evidence: dict, words: Words) -> str:
    return words.gettext("debt for the journey")


def _unanswered(evidence: dict, words: Words) -> str:
    return words.gettext(
        "%(num)d of the latest %(of)d check-ins unanswered",
        num=evidence.get("unanswered", 0),
        of=evidence.get("of", 0),
    )


def _set_by_staff(evidence: dict, words: Words) -> str:
    from returnees.risk.forms import LEVEL_LABELS

    level = evidence.get("level", "")
    return words.gettext(
        "level set to %(level)s by %(who)s: %(reason)s",
        level=LEVEL_LABELS.get(level, level) if words is IN_READERS_LANGUAGE else level,
        who=evidence.get("by") or "—",
        reason=evidence.get("reason", ""),
    )


PHRASES: dict[str, Callable[[dict, Words], str]] = {
    "family_abroad": _family,
    "one_earlier_return": _returns,
    "two_or_more_earlier_returns": _returns,
    "intends_to_leave": _leaving,
    "crime_victim": _crime,
    "not_in_school_or_work": _school_or_work,
    "long_stay_abroad": _months,
    "journey_debt": _debt,
    "unanswered_check_ins": _unanswered,
    SET_LEVEL: _set_by_staff,
}


def describe(reasons: list[dict], words: Words = IN_READERS_LANGUAGE) -> list[str]:
    """Each reason in words, in the reader's language: "2 earlier returns", "children abroad",
    "said they are thinking of leaving (check-in of 03/12/2026)"."""
    return [
        PHRASES[reason["rule"]](reason.get("evidence") or {}, words)
        if reason.get("rule") in PHRASES
        else str(reason.get("rule"))
        for reason in reasons
    ]


def summary(level: RiskLevel | str, reasons: list[dict]) -> str:
    """A short English line for a task's reason: "high risk: 2 earlier returns, children
    abroad" (the queue shows the reasons in the reader's language with `describe`)."""
    phrases = describe(reasons, IN_ENGLISH)
    text = f"{RiskLevel(level).value} risk"
    return (f"{text}: {', '.join(phrases)}" if phrases else text)[:300]


# -- the rules page --------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionView:
    rules: RiskRules
    # (rule key, weight before, weight in this version) for each weight this version changed.
    changed: list[tuple[str, int, int]]


def rules_history(session: Session, actor: Actor) -> list[VersionView]:
    """Every version of the rules, newest first, each with the weights it changed."""
    actor.require_role(*Role)
    versions = rule_versions(session)
    views = []
    for rules, before in zip(versions, [*versions[1:], None], strict=True):
        old = _known_weights(before.weights) if before else {}
        new = _known_weights(rules.weights)
        changed = [
            (key, old.get(key, 0), new[key]) for key in RULES if before and old[key] != new[key]
        ]
        views.append(VersionView(rules, changed))
    return views
