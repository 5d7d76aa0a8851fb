"""Merging one person's two records, and undoing it: every row that names the person moves and
moves back, one plan of check-ins and one open case go on, and what is derived is computed
again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from returnees.audit.models import AuditAction, AuditEntry, AuditEntryPerson
from returnees.auth.access import Actor
from returnees.casework.models import Case, CaseStatus, CloseReason
from returnees.core.db import Base
from returnees.core.errors import Conflict, InvalidInput
from returnees.duplicates.labels import TABLE_LABELS
from returnees.duplicates.merging import (
    FOLLOWERS,
    STAYS,
    merge_returnees,
    moved_by,
    person_columns,
    undo_merge,
)
from returnees.duplicates.models import Merge
from returnees.followups.models import CheckIn, CheckInState, IndicatorReading
from returnees.followups.reading import record_answer
from returnees.messaging.models import ConsentChange, InboundMessage
from returnees.messaging.services import change_consent, record_inbound
from returnees.people.matching import IdentityProbe, find_candidates
from returnees.people.models import Phone, Returnee
from returnees.people.services import ReturneeSearch, search_returnees
from returnees.reception.intake import PhoneEntry
from returnees.reception.models import Arrival, Custody, Screening
from returnees.reception.services import ScreeningEntry, record_screening
from returnees.surveys.models import Instrument, SurveyAnswer, SurveyWave, WaveStatus
from returnees.surveys.services import answer_item
from returnees.tasks.models import Task, TaskKind, TaskStatus
from tests.duplicates.conftest import BRENDA, Twins
from tests.messaging.test_webhooks import message


def snapshot(in_app, people: tuple[int, ...]) -> dict[tuple[str, int], tuple]:
    """Every row that names one of these people (and their arrivals' custody and screenings,
    and their survey waves' answers), whole."""
    tables = {table for table, _column in person_columns()}
    tables |= {Base.metadata.tables[name] for name in (*FOLLOWERS, "returnees")}
    rows = {}
    with in_app() as session:
        for table in tables:
            column = table.c.id if table.name == "returnees" else table.c.returnee_id
            for row in session.execute(select(table).where(column.in_(people))):
                rows[(table.name, row.id)] = tuple(row)
        arrivals = select(Arrival.id).where(Arrival.returnee_id.in_(people))
        custodies = Custody.__table__
        for row in session.execute(select(custodies).where(custodies.c.arrival_id.in_(arrivals))):
            rows[("custodies", row.id)] = tuple(row)
        screenings = Screening.__table__
        for row in session.execute(select(screenings).where(screenings.c.arrival_id.in_(arrivals))):
            rows[("screenings", row.id)] = tuple(row)
        waves = select(SurveyWave.id).where(SurveyWave.returnee_id.in_(people))
        answers = SurveyAnswer.__table__
        for row in session.execute(select(answers).where(answers.c.wave_id.in_(waves))):
            rows[("survey_answers", row.id)] = tuple(row)
    return rows


@dataclass(frozen=True)
class Held:
    """The rows one record holds besides its arrival, check-ins, case and referral."""

    screening: int
    consent_change: int
    inbound: int
    reading: int
    task: int
    wave: int
    survey_answers: tuple[int, ...]


def hold_everything(in_app, clock, returnee_id: int, number: str, sid: str) -> Held:
    """Give a record what a person's record gathers: a screening at the desk, a change of
    consent (a STOP), an answer by SMS noted as an indicator, an open task and a survey wave
    with answers, each through the service that writes it."""
    system = Actor.system("test")
    with in_app() as session:
        arrival = session.scalar(select(Arrival).where(Arrival.returnee_id == returnee_id))
        screening = record_screening(
            session, system, arrival.id, ScreeningEntry(reasons_for_leaving=["economic"])
        )
        asked = session.scalar(
            select(CheckIn)
            .where(CheckIn.returnee_id == returnee_id, CheckIn.indicator.is_not(None))
            .order_by(CheckIn.id)
            .limit(1)
        )
        reply = record_inbound(session, message(sid=sid, body="Sí", sender=number))
        assert reply is not None and reply.returnee_id == returnee_id
        record_answer(session, asked, "yes", reply.received_at, reply.id)
        reading = session.scalar(
            select(IndicatorReading.id).where(IndicatorReading.check_in_id == asked.id)
        )
        assert change_consent(session, number, False, "keyword")
        consent = session.scalar(
            select(ConsentChange.id).where(
                ConsentChange.returnee_id == returnee_id, ConsentChange.has_consent.is_(False)
            )
        )
        task = Task(
            returnee_id=returnee_id, kind=TaskKind.CALL, status=TaskStatus.OPEN, reason="call",
            due_at=clock.now(), created_at=clock.now(),
        )  # fmt: skip
        instrument = session.scalar(select(Instrument).where(Instrument.is_active.is_(True)))
        wave = SurveyWave(
            returnee_id=returnee_id, arrival_id=arrival.id, day=30, instrument_id=instrument.id,
            status=WaveStatus.OPEN, created_at=clock.now(),
        )  # fmt: skip
        session.add_all([task, wave])
        session.flush()
        answers = tuple(
            answer_item(session, system, returnee_id, wave.id, code, value).id
            for code, value in (("working", "yes"), ("housing", "yes"))
        )
        return Held(screening.id, consent, reply.id, reading, task.id, wave.id, answers)


def holder_of_each(in_app, held: Held) -> dict[str, set[int]]:
    """Whose record each of these rows names now (screenings and survey answers through their
    arrival and wave)."""
    with in_app() as session:
        return {
            "screenings": {session.get(Screening, held.screening).arrival.returnee_id},
            "consent_changes": {session.get(ConsentChange, held.consent_change).returnee_id},
            "inbound_messages": {session.get(InboundMessage, held.inbound).returnee_id},
            "indicator_readings": {session.get(IndicatorReading, held.reading).returnee_id},
            "tasks": {session.get(Task, held.task).returnee_id},
            "survey_waves": {session.get(SurveyWave, held.wave).returnee_id},
            "survey_answers": {
                session.get(SurveyWave, session.get(SurveyAnswer, answer).wave_id).returnee_id
                for answer in held.survey_answers
            },
        }


def merge(in_app, twins, merged: int, kept: int) -> int:
    with in_app() as session:
        return merge_returnees(session, Actor.for_user(twins.supervisor), merged, kept).id


def undo(in_app, twins, merge_id: int) -> Merge:
    with in_app() as session:
        undone = undo_merge(session, Actor.for_user(twins.supervisor), merge_id)
        undone.stayed  # noqa: B018 - loaded before the session closes
        return undone


def rows_of(in_app, model, returnee_id: int) -> list:
    with in_app() as session:
        return list(session.scalars(select(model).where(model.returnee_id == returnee_id)))


def test_every_key_to_a_person_moves_or_is_said_to_stay():
    """A new table with a key to returnees.id moves in a merge without a change to the merge;
    the ones that do not move say why."""
    people = Base.metadata.tables["returnees"].c.id
    keyed = {
        table.name for table in Base.metadata.sorted_tables for key in table.foreign_keys
        if key.column is people
    }  # fmt: skip
    moved = {table.name for table, _column in person_columns()}
    assert keyed == moved | set(STAYS)
    assert {"arrivals", "phones", "consent_changes", "cases", "tasks", "referrals"} <= moved
    assert {"indicator_readings", "case_contacts", "transfers", "outbound_messages"} <= moved


def test_every_table_a_merge_moves_has_a_name_on_the_merge_page():
    moved = {table.name for table, _column in person_columns()} | set(FOLLOWERS)
    assert moved - set(TABLE_LABELS) == set()


def test_a_merge_moves_everything_to_the_kept_record_and_its_undo_puts_every_row_back(
    in_app, twins, clock
):
    kept_holds = hold_everything(in_app, clock, twins.older, "+50255550101", "SM-OLDER")
    merged_holds = hold_everything(in_app, clock, twins.newer, "+50255550102", "SM-NEWER")
    people = (twins.older, twins.newer)
    before = snapshot(in_app, people)
    assert {table for table, _id in before} >= {
        "arrivals", "check_ins", "referrals", "custodies", "phones", "cases", "returnees",
        "screenings", "consent_changes", "inbound_messages", "indicator_readings", "tasks",
        "survey_waves", "survey_answers",
    }  # fmt: skip
    merge_id = merge(in_app, twins, twins.newer, twins.older)
    for held in (kept_holds, merged_holds):
        holders = holder_of_each(in_app, held)
        assert holders == {key: {twins.older} for key in holders}, "each row is on the kept record"
    with in_app() as session:
        for table, column in person_columns():
            left = session.scalar(select(column).where(column == twins.newer).limit(1))
            assert left is None, f"{table.name} still names the merged record"
        assert session.scalar(select(CheckIn.id).where(CheckIn.returnee_id == twins.newer)) is None
        merged, kept = session.get(Returnee, twins.newer), session.get(Returnee, twins.older)
        assert merged.merged_into_id == twins.older
        assert (kept.arrivals_count, merged.arrivals_count) == (2, 0)
    undo(in_app, twins, merge_id)
    after = snapshot(in_app, people)
    changed = {key for key in before if after.get(key) != before[key]}
    assert not changed, f"rows not where they were: {sorted(changed)}"
    added = {table for table, _id in set(after) - set(before)}
    assert added <= {"risk_level_changes"}, f"rows the merge left behind: {added}"
    for held, owner in ((kept_holds, twins.older), (merged_holds, twins.newer)):
        holders = holder_of_each(in_app, held)
        assert holders == {key: {owner} for key in holders}, "each row is back on its record"


def test_an_undo_is_in_the_audit_trail_naming_ids_only(in_app, twins):
    merge_id = merge(in_app, twins, twins.newer, twins.older)
    undo(in_app, twins, merge_id)
    with in_app() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.UNDO_MERGE)
        ).all()
        assert [(e.user_id, e.record_type, e.record_id) for e in entries] == [
            (twins.supervisor.id, "returnee", str(twins.newer))
        ]
        assert entries[0].detail == {"returnee_id": twins.older, "merge_id": merge_id}
        named = select(AuditEntryPerson.returnee_id).where(
            AuditEntryPerson.entry_id == entries[0].id
        )
        assert set(session.scalars(named)) == {twins.older, twins.newer}
        words = str(entries[0].detail) + entries[0].record_id
        assert "Brenda" not in words and "Coc" not in words and "5555" not in words


def test_a_number_both_records_hold_is_kept_once_with_its_latest_consent_and_undone_exactly(
    in_app, register, supervisor
):
    """The desk typed the same number on both records; on the second the person later said no
    more messages. After the merge the person has the number once, with that refusal; the
    other number moves as any row does; the undo leaves every phone as it was."""
    shared, own = "+50255550101", "+50255550111"
    older = register(**BRENDA, phones=(shared, own)).returnee_id
    newer = register(**BRENDA, phones=(shared,)).returnee_id
    withdrawn = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    with in_app() as session:
        later = session.scalar(select(Phone).where(Phone.returnee_id == newer))
        later.has_consent, later.consent_at = False, withdrawn
    twins = Twins(older, newer, supervisor)
    before = snapshot(in_app, (older, newer))
    merge_id = merge(in_app, twins, newer, older)
    with in_app() as session:
        kept = session.get(Returnee, older)
        numbers = sorted((p.number, p.has_consent, p.consent_at) for p in kept.phones)
        assert numbers == [(shared, False, withdrawn), (own, True, numbers[1][2])]
        merge_row = session.get(Merge, merge_id)
        assert moved_by(session, merge_row).get("phones", 0) == 0, "no phone row moved"
    undo(in_app, twins, merge_id)
    after = snapshot(in_app, (older, newer))
    changed = {key for key in before if after.get(key) != before[key]}
    assert not changed, f"rows not where they were: {sorted(changed)}"


def test_a_number_held_twice_keeps_the_kept_records_consent_when_that_is_the_later(
    in_app, register, supervisor
):
    shared = "+50255550101"
    older = register(**BRENDA, phones=(shared,)).returnee_id
    newer = register(**BRENDA, phones=(PhoneEntry(shared, consent=False),)).returnee_id
    merge(in_app, Twins(older, newer, supervisor), newer, older)
    with in_app() as session:
        assert [(p.number, p.has_consent) for p in session.get(Returnee, older).phones] == [
            (shared, True)
        ]
        assert [p.number for p in session.get(Returnee, newer).phones] == [shared]


def test_the_person_is_asked_each_question_once_by_the_earlier_plan(in_app, twins):
    def scheduled(arrival_ids):
        with in_app() as session:
            return set(
                session.scalars(
                    select(CheckIn.id).where(
                        CheckIn.arrival_id.in_(arrival_ids),
                        CheckIn.state == CheckInState.SCHEDULED,
                    )
                )
            )

    older = [a.id for a in rows_of(in_app, Arrival, twins.older)]
    newer = [a.id for a in rows_of(in_app, Arrival, twins.newer)]
    earlier_plan, later_plan = scheduled(older), scheduled(newer)
    assert earlier_plan and later_plan, "both records must have check-ins to come"
    merge_id = merge(in_app, twins, twins.older, twins.newer)  # the older merged into the newer
    assert scheduled(older) == earlier_plan, "the earlier plan goes on"
    assert scheduled(newer) == set(), "the later plan is cancelled"
    undo(in_app, twins, merge_id)
    assert (scheduled(older), scheduled(newer)) == (earlier_plan, later_plan)


def test_two_open_cases_become_one_kept_by_the_office_of_the_record_kept(
    in_app, register, offices, supervisor
):
    home_in_san_marcos = register(given_names="Elmer", family_names="Bámaca", home="GT-1201")
    home_in_huehue = register(given_names="Elmer", family_names="Bámaca", home="GT-1301")
    kept, merged = home_in_huehue.returnee_id, home_in_san_marcos.returnee_id
    with in_app() as session:
        kept_case = session.scalar(select(Case).where(Case.returnee_id == kept))
        office = kept_case.office_id
        assert office is not None
    with in_app() as session:
        merge_id = merge_returnees(session, Actor.for_user(supervisor), merged, kept).id
    with in_app() as session:
        cases = session.scalars(select(Case).where(Case.returnee_id == kept)).all()
        still_open = [case for case in cases if case.status is not CaseStatus.CLOSED]
        closed = [case for case in cases if case.status is CaseStatus.CLOSED]
        assert [case.id for case in still_open] == [kept_case.id]
        assert [case.close_reason for case in closed] == [CloseReason.MERGED]
        assert session.get(Returnee, kept).office_id == office
    with in_app() as session:
        undo_merge(session, Actor.for_user(supervisor), merge_id)
    with in_app() as session:
        reopened = session.scalar(select(Case).where(Case.returnee_id == merged))
        assert (reopened.status, reopened.close_reason) == (CaseStatus.OPEN, None)


def test_the_returns_count_and_risk_are_computed_again(in_app, twins):
    from returnees.risk.models import RiskFlag

    with in_app() as session:
        alone = session.get(RiskFlag, twins.older).reasons
    merge_id = merge(in_app, twins, twins.newer, twins.older)
    with in_app() as session:
        kept = session.get(Returnee, twins.older)
        assert kept.returns_count == 1
        rules = {reason["rule"] for reason in session.get(RiskFlag, twins.older).reasons}
        assert "one_earlier_return" in rules
        assert "one_earlier_return" not in {reason["rule"] for reason in alone}
    undo(in_app, twins, merge_id)
    with in_app() as session:
        assert session.get(Returnee, twins.older).returns_count == 0
        assert session.get(RiskFlag, twins.older).reasons == alone


def test_rows_added_to_the_kept_record_since_stay_there_and_are_listed(in_app, twins, clock):
    merge_id = merge(in_app, twins, twins.newer, twins.older)
    clock.advance(days=3)
    with in_app() as session:
        task = Task(
            returnee_id=twins.older, kind=TaskKind.CALL, status=TaskStatus.OPEN, reason="call",
            due_at=clock.now(), created_at=clock.now(),
        )  # fmt: skip
        session.add(task)
        session.flush()
        task_id = task.id
    undone = undo(in_app, twins, merge_id)
    assert undone.stayed == {"tasks": [task_id]}
    assert [t.id for t in rows_of(in_app, Task, twins.older) if t.id == task_id] == [task_id]


def test_a_merge_is_undone_within_the_days_set_and_once(in_app, twins, clock, app):
    merge_id = merge(in_app, twins, twins.newer, twins.older)
    clock.advance(days=app.config["MERGE_UNDO_DAYS"], minutes=1)
    with pytest.raises(Conflict, match="30"):
        undo(in_app, twins, merge_id)
    clock.advance(days=-1)
    undo(in_app, twins, merge_id)
    with pytest.raises(Conflict):
        undo(in_app, twins, merge_id)


@pytest.mark.parametrize(
    "case", ["itself", "already merged", "into the merged one", "another country", "nobody"]
)
def test_a_merge_that_cannot_be_is_refused_and_changes_nothing(in_app, twins, register, case):
    other = register(centre="HN-SPS", nationality="HN", given_names="Otra").returnee_id
    merged, kept = {
        "itself": (twins.older, twins.older),
        "already merged": (twins.newer, twins.older),
        "into the merged one": (twins.older, twins.newer),
        "another country": (twins.newer, other),
        "nobody": (twins.newer, 10**9),
    }[case]
    if case in ("already merged", "into the merged one"):
        merge(in_app, twins, twins.newer, twins.older)
    before = snapshot(in_app, (twins.older, twins.newer))
    with pytest.raises(InvalidInput) as refused:
        merge(in_app, twins, merged, kept)
    assert refused.value.fields["into"], refused.value.fields
    assert snapshot(in_app, (twins.older, twins.newer)) == before


def test_a_merged_record_found_at_the_desk_stands_for_the_kept_one(in_app, twins, register):
    merge(in_app, twins, twins.newer, twins.older)
    again = register(**BRENDA, match=twins.newer)
    assert again.returnee_id == twins.older
    with in_app() as session:
        assert session.get(Returnee, twins.older).arrivals_count == 3


def test_a_search_for_people_shows_the_kept_record_only(in_app, twins):
    merge(in_app, twins, twins.newer, twins.older)
    with in_app() as session:
        found = search_returnees(session, Actor.for_user(twins.supervisor), ReturneeSearch("Coc"))
        assert [person.id for person in found] == [twins.older]


def test_the_desk_is_never_offered_a_record_merged_into_another(in_app, twins):
    with in_app() as session:
        probe = IdentityProbe.of(session.get(Returnee, twins.older))
        assert twins.newer in {c.returnee.id for c in find_candidates(session, probe)}
    merge(in_app, twins, twins.newer, twins.older)
    with in_app() as session:
        offered = {c.returnee.id for c in find_candidates(session, probe)}
    assert offered == {twins.older}
