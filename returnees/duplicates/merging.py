"""Merge two records of one person into one, and undo a merge.

Every row that names the merged record by a foreign key to returnees.id moves to the kept one:
the tables are read from the metadata (`person_columns`), so a table added later moves without
a change here. Check-ins follow their arrival (their key to it cascades), as screenings and
custody hang on it. A person followed twice is then followed once: one plan of check-ins, the
earlier (followups.services.later_plans), and one open case, the kept record's, whose office
keeps following the person (casework.services.cases_closed_by_merge); a number both records
hold is kept once, with its consent as last given or withdrawn (`numbers_held_twice`). The
returns count and the risk are computed again, and the merged record points to the kept one.

Every value the merge changes is written down first as a MergeMove (table, row, column, the
value before), so that an undo writes back exactly those values: rows added to the kept record
since the merge stay on it, and are named to the supervisor.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import Column, Row, Table, func, insert, select, update
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.casework.routing import office_of_current_case
from returnees.casework.services import cases_closed_by_merge, closed_as_merged
from returnees.centres.models import Centre
from returnees.core.clock import utcnow
from returnees.core.db import Base, UTCDateTime
from returnees.core.errors import Conflict, InvalidInput, NotFound
from returnees.duplicates.models import DuplicatePair, Merge, MergeMove, PairStatus
from returnees.followups.models import CheckInState
from returnees.followups.services import later_plans
from returnees.people.models import Returnee
from returnees.people.scope import in_ordinary_scope
from returnees.people.services import require_returnee
from returnees.reception.services import recount_arrivals
from returnees.reports.facts import mark_stale
from returnees.rights.models import Erasure, ErasureStatus
from returnees.risk.services import assess

# Tables with a key to returnees.id whose rows do not move, and why.
STAYS = {
    "returnees": "the pointer from a merged record to the kept one",
    "duplicate_pairs": "a pair is about the two records themselves",
    "merges": "a merge is about the two records themselves",
    "risk_flags": "keyed by the person; the kept record's flag is computed again",
}
# Rows that follow another row a merge moves, and are named with the kept record's since.
FOLLOWERS = ("check_ins",)
MERGE_ROLES = (Role.SUPERVISOR,)


def person_columns() -> list[tuple[Table, Column]]:
    """Every column that names a person by a key to returnees.id, of the tables that move."""
    people = Base.metadata.tables["returnees"].c.id
    return [
        (table, key.parent)
        for table in Base.metadata.sorted_tables
        if table.name not in STAYS
        for key in table.foreign_keys
        if key.column is people
    ]


class Changes:
    """A merge's changes of values: each written down as a MergeMove before it is made."""

    def __init__(self, session: Session, merge: Merge) -> None:
        self.session, self.merge = session, merge

    def move(
        self, table: Table, column: Column, from_id: int, to_id: int, keep_out: Collection[int] = ()
    ) -> int:
        """Point every row of `table` naming `from_id` in `column` at `to_id`, but the rows of
        `keep_out`; how many."""
        which = [column == from_id] + ([table.c.id.not_in(keep_out)] if keep_out else [])
        ids = list(self.session.scalars(select(table.c.id).where(*which)))
        if ids:
            self._write_down(table, column.name, [(row_id, from_id) for row_id in ids])
            self.session.execute(update(table).where(*which).values({column: to_id}))
        return len(ids)

    def set(self, table: Table, ids: Iterable[int], **values: object) -> int:
        """Give these rows of `table` these values; how many rows."""
        ids = list(ids)
        if not ids:
            return 0
        columns = [table.c[name] for name in values]
        rows = self.session.execute(select(table.c.id, *columns).where(table.c.id.in_(ids)))
        for row in rows.all():
            for name in values:
                self._write_down(table, name, [(row.id, getattr(row, name))])
        self.session.execute(update(table).where(table.c.id.in_(ids)).values(**values))
        return len(ids)

    def _write_down(self, table: Table, column: str, before: list[tuple[int, object]]) -> None:
        self.session.execute(
            insert(MergeMove),
            [
                {
                    "merge_id": self.merge.id,
                    "table_name": table.name,
                    "row_id": row_id,
                    "column_name": column,
                    "from_value": _as_json(value),
                }
                for row_id, value in before
            ],
        )


def _as_json(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return getattr(value, "value", value)


def _from_json(column: Column, value: object) -> object:
    if value is not None and isinstance(column.type, UTCDateTime):
        return datetime.fromisoformat(str(value))
    return value


# -- merging -----------------------------------------------------------------------------------


def merge_returnees(session: Session, actor: Actor, merged_id: int, kept_id: int) -> Merge:
    """Merge the record `merged_id` into `kept_id`: one person registered twice, both in the
    supervisor's country. Written to the audit trail; undone by `undo_merge`."""
    actor.require_role(*MERGE_ROLES)
    merged, kept = _check_merge(session, actor, merged_id, kept_id)
    session.flush()
    merge = Merge(
        kept_id=kept.id, merged_id=merged.id, merged_by_id=actor.user_id, merged_at=utcnow()
    )
    session.add(merge)
    session.flush()
    changes, tables = Changes(session, merge), Base.metadata.tables
    closing = cases_closed_by_merge(session, kept.id, merged.id)
    twice = numbers_held_twice(session, kept.id, merged.id)
    for table, column in person_columns():
        keep_out = [row.id for _kept, row in twice] if table.name == "phones" else ()
        changes.move(table, column, merged.id, kept.id, keep_out)
    _keep_latest_consent(changes, twice)
    changes.set(tables["cases"], closing, **closed_as_merged(actor))
    changes.set(
        tables["check_ins"], later_plans(session, kept.id), state=CheckInState.CANCELLED.value
    )
    returnees = tables["returnees"]
    changes.set(returnees, [merged.id], merged_into_id=kept.id)
    office = office_of_current_case(session, kept.id)
    if office != kept.office_id:
        changes.set(returnees, [kept.id], office_id=office)
    _compute_again(session, [kept.id, merged.id])
    merge.high_water = _high_water(session)
    _decide_pair(session, actor, merge, PairStatus.SAME)
    record_event(
        session, actor, AuditAction.MERGE, "returnee", merged.id,
        returnee_id=kept.id, merge_id=merge.id,
    )  # fmt: skip
    return merge


def numbers_held_twice(session: Session, kept_id: int, merged_id: int) -> list[tuple[Row, Row]]:
    """The phone rows of a number both records hold (the same blind index): the kept record's
    and the merged record's. The kept record keeps its own; the other stays with the merged
    record, so the person has the number once and an undo has nothing to put back."""
    phones = Base.metadata.tables["phones"]
    rows = session.execute(
        select(phones.c.id, phones.c.returnee_id, phones.c.number_index)
        .add_columns(phones.c.has_consent, phones.c.consent_at)
        .where(phones.c.returnee_id.in_((kept_id, merged_id)), phones.c.number_index.is_not(None))
        .order_by(phones.c.id)
    ).all()
    kept = {row.number_index: row for row in rows if row.returnee_id == kept_id}
    return [
        (kept[row.number_index], row)
        for row in rows
        if row.returnee_id == merged_id and row.number_index in kept
    ]


def _keep_latest_consent(changes: Changes, twice: list[tuple[Row, Row]]) -> None:
    """A number's consent as it was given or withdrawn last, on either record: the kept row
    takes the other's when that one changed later (written down, so an undo restores it)."""
    phones = Base.metadata.tables["phones"]
    for kept, other in twice:
        later = other.consent_at is not None and (
            kept.consent_at is None or other.consent_at > kept.consent_at
        )
        if later and (other.has_consent, other.consent_at) != (kept.has_consent, kept.consent_at):
            changes.set(
                phones, [kept.id], has_consent=other.has_consent, consent_at=other.consent_at
            )


def _check_merge(
    session: Session, actor: Actor, merged_id: int, kept_id: int
) -> tuple[Returnee, Returnee]:
    """Both records, or a refusal naming what is wrong; the merged one must be in scope."""
    merged = require_returnee(session, actor, merged_id)
    into = {"into": []}
    if kept_id == merged_id:
        into["into"].append(_("A record cannot be merged into itself."))
    kept = session.get(Returnee, kept_id)
    if (
        kept is None
        or not in_ordinary_scope(session, actor, kept)
        or not _same_registry(session, kept, merged)
    ):
        into["into"].append(
            _("No record of your country's registry has the number %(id)s.", id=kept_id)
        )
    for person in (merged, kept):
        if person is not None and person.merged_into_id is not None:
            into["into"].append(
                _(
                    "Record %(id)s was already merged into record %(kept)s.",
                    id=person.id,
                    kept=person.merged_into_id,
                )
            )
    if _erasure_of(session, {merged_id, kept_id}):
        into["into"].append(_("A record being erased, or erased, cannot be merged."))
    if into["into"]:
        raise InvalidInput(_("These records cannot be merged."), into)
    return merged, kept


def _same_registry(session: Session, first: Returnee, second: Returnee) -> bool:
    countries = select(Centre.country).where(Centre.id.in_({first.centre_id, second.centre_id}))
    return len(set(session.scalars(countries))) == 1


def _erasure_of(session: Session, ids: set[int]) -> bool:
    asked = select(Erasure.id).where(
        Erasure.returnee_id.in_(ids),
        Erasure.status.in_((ErasureStatus.PENDING, ErasureStatus.DONE)),
    )
    return session.scalar(asked.limit(1)) is not None


def _compute_again(session: Session, ids: list[int]) -> None:
    """What is derived from the rows that moved: the arrivals count, then the risk."""
    recount_arrivals(session, ids)
    mark_stale(session, ids)
    session.flush()
    session.expire_all()
    assess(session, ids)


def _high_water(session: Session) -> dict[str, int]:
    tables = {table for table, _column in person_columns()}
    tables |= {Base.metadata.tables[name] for name in FOLLOWERS}
    return {
        table.name: session.scalar(select(func.max(table.c.id))) or 0
        for table in sorted(tables, key=lambda t: t.name)
    }


def _decide_pair(session: Session, actor: Actor, merge: Merge, status: PairStatus) -> None:
    """The pair of these two records, if the search proposed it, takes the decision."""
    first, second = sorted((merge.kept_id, merge.merged_id))
    pair = session.scalar(
        select(DuplicatePair).where(
            DuplicatePair.first_id == first, DuplicatePair.second_id == second
        )
    )
    if pair is None:
        return
    if status is PairStatus.PENDING:
        pair.status, pair.decided_by_id, pair.decided_at, pair.merge_id = status, None, None, None
        return
    pair.status, pair.decided_by_id, pair.decided_at = status, actor.user_id, utcnow()
    pair.merge_id = merge.id


# -- undoing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeView:
    """A merge as its page shows it: what moved, by table, and whether it can still be undone."""

    merge: Merge
    moved: dict[str, int] = field(default_factory=dict)
    undo_until: datetime | None = None
    can_undo: bool = False
    # The cases the merge closed ("merged") and the check-ins of the later plan it cancelled.
    closed_cases: int = 0
    cancelled_check_ins: int = 0


def require_merge(session: Session, actor: Actor, merge_id: int) -> Merge:
    """A merge whose kept record is in the supervisor's scope; 404 otherwise."""
    actor.require_role(*MERGE_ROLES)
    merge = session.get(Merge, merge_id)
    if merge is None or not in_ordinary_scope(session, actor, merge.kept):
        raise NotFound(_("No merge has the number %(id)s.", id=merge_id))
    return merge


def undo_deadline(merge: Merge) -> datetime:
    return merge.merged_at + timedelta(days=current_app.config["MERGE_UNDO_DAYS"])


def view_merge(session: Session, actor: Actor, merge_id: int) -> MergeView:
    """A merge, what it moved and until when it can be undone; the view is audited."""
    merge = require_merge(session, actor, merge_id)
    record_event(
        session, actor, AuditAction.VIEW, "merge", merge.id,
        returnees=[merge.kept_id, merge.merged_id],
    )  # fmt: skip
    refusal = _why_not_undone(merge)
    return MergeView(
        merge,
        moved_by(session, merge),
        undo_deadline(merge),
        refusal is None,
        _changed(session, merge, "cases", "status"),
        _changed(session, merge, "check_ins", "state"),
    )


def _changed(session: Session, merge: Merge, table: str, column: str) -> int:
    """How many rows of `table` the merge changed `column` of."""
    return session.scalar(
        select(func.count()).where(
            MergeMove.merge_id == merge.id,
            MergeMove.table_name == table,
            MergeMove.column_name == column,
        )
    )


def moved_by(session: Session, merge: Merge) -> dict[str, int]:
    """How many rows of each table the merge moved, the check-ins that followed their arrival
    among them."""
    named = {(table.name, column.name) for table, column in person_columns()}
    counted = session.execute(
        select(MergeMove.table_name, MergeMove.column_name, func.count())
        .where(MergeMove.merge_id == merge.id)
        .group_by(MergeMove.table_name, MergeMove.column_name)
    ).all()
    moved = {table: n for table, column, n in counted if (table, column) in named}
    arrivals = select(MergeMove.row_id).where(
        MergeMove.merge_id == merge.id, MergeMove.table_name == "arrivals"
    )
    check_ins = Base.metadata.tables["check_ins"]
    followed = session.scalar(
        select(func.count()).select_from(check_ins).where(check_ins.c.arrival_id.in_(arrivals))
    )
    return moved | ({"check_ins": followed} if followed else {})


def _why_not_undone(merge: Merge) -> object | None:
    if merge.undone_at is not None:
        return _("This merge was already undone.")
    if utcnow() > undo_deadline(merge):
        return _(
            "A merge can be undone for %(days)s days; this one was done on %(day)s.",
            days=current_app.config["MERGE_UNDO_DAYS"],
            day=merge.merged_at.strftime("%d/%m/%Y"),
        )
    if merge.kept.merged_into_id is not None:
        return _(
            "The kept record was merged into record %(id)s since: undo that merge first.",
            id=merge.kept.merged_into_id,
        )
    return None


def undo_merge(session: Session, actor: Actor, merge_id: int) -> Merge:
    """Write back every value the merge changed: the rows that moved go back, the case it
    closed opens again, the check-ins it cancelled are scheduled again; what was added to the
    kept record since stays there (`merge.stayed`). Written to the audit trail."""
    merge = require_merge(session, actor, merge_id)
    refusal = _why_not_undone(merge)
    if refusal is not None:
        raise Conflict(refusal)
    session.flush()
    _write_back(session, merge)
    merge.undone_at, merge.undone_by_id = utcnow(), actor.user_id
    _compute_again(session, [merge.kept_id, merge.merged_id])
    merge.stayed = _added_since(session, merge)
    _decide_pair(session, actor, merge, PairStatus.PENDING)
    record_event(
        session, actor, AuditAction.UNDO_MERGE, "returnee", merge.merged_id,
        returnee_id=merge.kept_id, merge_id=merge.id,
    )  # fmt: skip
    return merge


def _write_back(session: Session, merge: Merge) -> None:
    """Every value the merge changed, as it was: the last change first, one statement for the
    rows of a table that held the same value."""
    moves = session.scalars(
        select(MergeMove).where(MergeMove.merge_id == merge.id).order_by(MergeMove.id.desc())
    )

    def same_value(move: MergeMove) -> tuple[str, str, str]:
        return move.table_name, move.column_name, repr(move.from_value)

    for (table_name, column_name, _value), group in groupby(moves, key=same_value):
        rows = list(group)
        table = Base.metadata.tables[table_name]
        column = table.c[column_name]
        ids = [move.row_id for move in rows]
        value = _from_json(column, rows[0].from_value)
        session.execute(update(table).where(table.c.id.in_(ids)).values({column: value}))


def _added_since(session: Session, merge: Merge) -> dict[str, list[int]]:
    """The rows on the kept record added after the merge, by table (they stay there)."""
    found: dict[str, list[int]] = {}
    columns = person_columns() + [
        (Base.metadata.tables[name], Base.metadata.tables[name].c.returnee_id) for name in FOLLOWERS
    ]
    for table, column in columns:
        mark = merge.high_water.get(table.name, 0)
        ids = session.scalars(
            select(table.c.id)
            .where(column == merge.kept_id, table.c.id > mark)
            .order_by(table.c.id)
        ).all()
        if ids:
            found.setdefault(table.name, []).extend(ids)
    return found
