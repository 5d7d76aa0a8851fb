"""GET /api/v1/exports/<what>: one row per record within the scope, the pseudonymised
variant field by field, the CSV-injection guard, XLSX sheets, roles and the audit entry."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from returnees.audit import services as audit
from returnees.audit.models import AuditAction, AuditEntry, AuditEntryPerson
from returnees.auth.models import Role
from returnees.followups.models import AnswerType, CheckIn, CheckInState
from returnees.reports import downloads, files
from returnees.reports.files import csv_chunks, write_xlsx
from tests.reports.conftest import MARCH, at, read_csv


def test_arrivals_are_exported_one_row_each_within_the_period(export_as, cohort):
    rows = read_csv(export_as()("arrivals", **MARCH))
    assert sorted(int(row["arrival_id"]) for row in rows) == sorted(
        cohort.arrivals[name] for name in "abcde"
    )
    ana = next(row for row in rows if row["given_names"] == "Ana")
    assert ana["unaccompanied"] == "yes" and ana["return_type"] == "deported"
    assert ana["person_id"] == str(cohort.people["a"]) and ana["centre"] == "GT-AURORA"


def test_each_kind_of_record_is_exported_with_a_header_row(export_as, cohort):
    export = export_as()
    assert {row["service"] for row in read_csv(export("referrals"))} == {"school", "jobs"}
    cases = read_csv(export("cases"))
    assert any(row["close_reason"] == "migrated_again" for row in cases)
    check_ins = read_csv(export("check-ins", **MARCH))
    assert {row["answered_at"][:10] for row in check_ins if row["answered_at"]} == {
        "2026-03-07",
        "2026-03-15",
        "2026-04-01",  # due in March, answered late
    }


PERSONAL = {"given_names", "family_names", "birth_date", "estimated_age", "home", "reference"}


def test_a_pseudonymised_export_names_no_one_field_by_field(export_as, cohort):
    answer = export_as()("arrivals", pseudonymised="true", recipient="donor", **MARCH)
    rows = read_csv(answer)
    assert set(rows[0]) == {
        "arrival",
        "person",
        "age_group",
        "home_department",
        "sex",
        "nationality",
        "centre",
        "arrived_at",
        "mode",
        "deporting_country",
        "return_type",
        "unaccompanied",
    }
    assert not PERSONAL & set(rows[0])
    text = answer.get_data(as_text=True)
    for name in ("Ana", "Beto", "Carla", "Dario", "Edgar", "López", "GT-1201"):
        assert name not in text
    ids = {str(value) for value in cohort.people.values()} | {
        str(value) for value in cohort.arrivals.values()
    }
    assert not ids & {row["person"] for row in rows} and not ids & {row["arrival"] for row in rows}
    assert {row["age_group"] for row in rows} == {"0-11", "12-17", "18-29", "30+"}
    assert {row["home_department"] for row in rows} == {"", "GT-12"}


def test_one_recipient_joins_its_files_and_two_recipients_cannot(export_as, cohort):
    export = export_as()
    donor = read_csv(export("arrivals", pseudonymised="true", recipient="donor", **MARCH))
    donor_referrals = read_csv(export("referrals", pseudonymised="true", recipient="donor"))
    research = read_csv(export("arrivals", pseudonymised="true", recipient="research", **MARCH))
    donor_people = {row["person"] for row in donor}
    assert {row["person"] for row in donor_referrals} <= donor_people | {
        row["person"] for row in donor_referrals
    }
    assert len({row["person"] for row in donor_referrals} & donor_people) == 2
    assert not donor_people & {row["person"] for row in research}


def donor_pseudonym(app, kind: str, record_id: str) -> str:
    """The donor's pseudonym of a record, worked out from the key in the configuration."""
    keys = dict(part.split("=", 1) for part in app.config["EXPORT_RECIPIENT_KEYS"].split(","))
    key = base64.urlsafe_b64decode(keys["donor"] + "=" * (-len(keys["donor"]) % 4))
    return hmac.new(key, f"{kind}:{record_id}".encode(), hashlib.sha256).hexdigest()[:20]


def test_pseudonymised_check_ins_name_no_one_column_by_column(app, export_as, cohort, in_app):
    with in_app() as session:  # Ana wrote back in her own words to her second check-in
        second = session.scalars(
            select(CheckIn)
            .where(CheckIn.arrival_id == cohort.arrivals["a"])
            .order_by(CheckIn.id)
            .offset(1)
            .limit(1)
        ).one()
        second.state, second.answered_at = CheckInState.ANSWERED, at(3, 9)
        second.answer_type, second.answer = AnswerType.FREE_TEXT, "Me asaltaron"
        free_text_id = str(second.id)
    export = export_as()
    identifying = read_csv(export("check-ins", **MARCH))
    assert "Me asaltaron" in {row["answer"] for row in identifying}, "the words are there"
    answer = export("check-ins", pseudonymised="true", recipient="donor", **MARCH)
    rows = read_csv(answer)
    common = ["due_at", "channel", "template", "indicator", "state", "sent_at", "answered_at"]
    assert list(rows[0]) == ["check_in", "arrival", "person", *common, "answer"]
    text = answer.get_data(as_text=True)
    for word in ("Ana", "Beto", "Carla", "Dario", "Edgar", "López", "55550001", "Me asaltaron"):
        assert word not in text
    by_pseudonym = {row["check_in"]: row for row in rows}
    assert len(by_pseudonym) == len(identifying) > 5
    for plain in identifying:
        row = by_pseudonym[donor_pseudonym(app, "check_in", plain["check_in_id"])]
        assert row["arrival"] == donor_pseudonym(app, "arrival", plain["arrival_id"])
        assert row["person"] == donor_pseudonym(app, "person", plain["person_id"])
        assert {name: row[name] for name in common} == {name: plain[name] for name in common}
        words = plain["check_in_id"] == free_text_id
        assert row["answer"] == ("" if words else plain["answer"])
    assert {row["answer"] for row in rows} == {"", "1"}, "the cohort's three coded answers"


def test_a_cell_a_spreadsheet_would_run_is_neutralised():
    header = ["name", "note"]
    rows = [['=HYPERLINK("http://x")', "+1"], ["-2+3", "@SUM(A1)"], ["plain", 5]]
    text = b"".join(csv_chunks(header, rows)).decode().lstrip("\ufeff")
    read = list(csv.reader(io.StringIO(text)))
    assert read[1] == ['\'=HYPERLINK("http://x")', "'+1"]
    assert read[2] == ["'-2+3", "'@SUM(A1)"] and read[3] == ["plain", "5"]
    book = io.BytesIO()
    write_xlsx(book, "t", header, rows)
    sheet = load_workbook(book).active
    assert sheet["A2"].value == '\'=HYPERLINK("http://x")' and sheet["A2"].data_type == "s"


def test_an_xlsx_past_a_sheets_rows_continues_on_another_sheet():
    book = io.BytesIO()
    assert write_xlsx(book, "rows", ["n"], ([n] for n in range(7)), sheet_rows=4) == 3
    sheets = load_workbook(book).worksheets
    assert [sheet.title for sheet in sheets] == ["rows", "rows 2", "rows 3"]
    assert [[c.value for c in row] for row in sheets[1].iter_rows()] == [["n"], [3], [4], [5]]


def test_an_xlsx_export_past_the_sheet_setting_goes_on_in_another_sheet(app, export_as, cohort):
    """The same code as production's 1,048,576 rows: only the setting is lowered, to 3 rows a
    sheet (the header and two referrals)."""
    assert app.config["XLSX_SHEET_ROWS"] == 1_048_576, "production's setting: Excel's limit"
    app.config["XLSX_SHEET_ROWS"] = 3
    try:
        answer = export_as()("referrals", format="xlsx")
    finally:
        app.config["XLSX_SHEET_ROWS"] = 1_048_576
    assert answer.status_code == 200
    sheets = load_workbook(io.BytesIO(answer.get_data())).worksheets
    assert [sheet.title for sheet in sheets] == ["referrals", "referrals 2"]
    assert [sheet.max_row for sheet in sheets] == [3, 2], "three referrals, each sheet a header"
    assert sheets[1]["A1"].value == "referral_id"
    with pytest.raises(ValueError):
        write_xlsx(io.BytesIO(), "t", ["n"], [[1]], sheet_rows=1_048_577)


def test_an_xlsx_export_is_a_workbook(export_as, cohort):
    answer = export_as()("referrals", format="xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.get_data())).active
    assert [c.value for c in next(sheet.iter_rows())][:3] == ["referral_id", "person_id", "service"]
    assert sheet.max_row == 4, "a header and three referrals"


def test_a_csv_export_is_streamed_in_pieces_as_the_rows_are_read(export_as, cohort, monkeypatch):
    """Two rows a piece instead of 1,000: the five arrivals come in three pieces, not as one
    body built in memory."""
    monkeypatch.setattr(files, "CSV_BATCH_ROWS", 2)
    answer = export_as()("arrivals", buffered=False, **MARCH)
    assert answer.status_code == 200
    pieces = [piece for piece in answer.response if piece]
    answer.close()
    assert len(pieces) == 3, "the header and two rows, two rows, the last row"
    rows = list(csv.DictReader(io.StringIO(b"".join(pieces).decode().lstrip("\ufeff"))))
    assert sorted(int(row["arrival_id"]) for row in rows) == sorted(
        cohort.arrivals[name] for name in "abcde"
    )


def test_an_xlsx_export_is_sent_in_pieces_from_its_temporary_file(export_as, cohort, monkeypatch):
    monkeypatch.setattr(downloads, "CHUNK", 1024)
    answer = export_as()("arrivals", format="xlsx", buffered=False, **MARCH)
    assert answer.status_code == 200
    pieces = list(answer.response)
    answer.close()
    assert len(pieces) > 1 and all(len(piece) <= 1024 for piece in pieces)
    sheet = load_workbook(io.BytesIO(b"".join(pieces))).active
    assert sheet.max_row == 6, "a header and the five arrivals"


def test_the_outcome_table_is_exported_with_its_hidden_cells(export_as, cohort):
    rows = read_csv(export_as()("outcomes", by="sex", **MARCH))
    assert [row["sex"] for row in rows] == ["F", "M", "all"]
    assert rows[-1]["arrivals"] == "5" and rows[0]["arrivals"] == "<5"


def test_each_export_is_audited_with_what_and_how_many_rows(export_as, cohort, in_app):
    read_csv(export_as()("arrivals", pseudonymised="true", recipient="donor", **MARCH))
    with in_app() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == AuditAction.EXPORT))
    assert entry.record_type == "export" and entry.record_id == "arrivals"
    assert entry.detail["rows"] == 5 and entry.detail["recipient"] == "donor"
    assert entry.detail["pseudonymised"] is True


def test_an_exports_entry_names_everyone_in_the_file(export_as, cohort, in_app, monkeypatch):
    # A statement a few rows (production's: 20,000), so the cohort takes several, as a
    # country's 1,000,000 people do.
    monkeypatch.setattr(audit, "PEOPLE_BATCH", 2)
    rows = read_csv(export_as()("arrivals"))
    with in_app() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == AuditAction.EXPORT))
        named = session.scalars(
            select(AuditEntryPerson.returnee_id).where(AuditEntryPerson.entry_id == entry.id)
        ).all()
    in_file = {int(row["person_id"]) for row in rows}
    assert len(rows) > len(in_file) == 5, "Dario and Edgar came twice"
    assert sorted(named) == sorted(in_file)


def test_identifying_exports_are_for_supervisors_and_admins(export_as, cohort):
    worker = export_as(Role.SOCIAL_WORKER)
    assert worker("arrivals").status_code == 403
    assert worker("arrivals", pseudonymised="true", recipient="donor").status_code == 200
    assert export_as(Role.RECEPTION)("arrivals", pseudonymised="true").status_code == 403
    assert export_as(Role.ADMIN)("arrivals").status_code == 200


def test_a_supervisor_exports_only_their_countrys_people(export_as, cohort):
    rows = read_csv(export_as(Role.SUPERVISOR, "HN-SPS")("arrivals"))
    assert rows == []


def test_a_list_pages_centre_office_and_department_filter_the_records(export_as, cohort):
    export = export_as()
    home = read_csv(export("arrivals", department="GT-12", **MARCH))
    assert [row["given_names"] for row in home] == ["Dario"]
    assert read_csv(export("arrivals", centre="GT-TECUN", **MARCH)) == []
    assert len(read_csv(export("arrivals", centre="gt-aurora", **MARCH))) == 5
    referrals = read_csv(export("referrals", department="GT-12"))
    assert {row["person_id"] for row in referrals} == {str(cohort.people["d"])}
    unknown = export("arrivals", centre="NOWHERE")
    assert unknown.status_code == 422 and "centre" in unknown.get_json()["error"]["fields"]
    assert export("cases", department="GT-99").status_code == 422


def test_an_office_filter_keeps_the_records_of_the_people_that_office_follows(export_as, followed):
    export = export_as()
    assert len(read_csv(export("arrivals", **MARCH))) == 11
    arrivals = read_csv(export("arrivals", office="GT-SM-01", **MARCH))
    assert {int(row["person_id"]) for row in arrivals} == set(followed["GT-SM-01"])
    assert {row["given_names"] for row in arrivals} == {f"Marta{x}" for x in "abcde"}
    cases = read_csv(export("cases", office="GT-HUE-01"))
    assert {int(row["person_id"]) for row in cases} == set(followed["GT-HUE-01"])
    assert {row["office"] for row in cases} == {"GT-HUE-01"}
    check_ins = read_csv(export("check-ins", office="GT-HUE-01", **MARCH))
    assert check_ins and {int(row["person_id"]) for row in check_ins} <= set(
        followed["GT-HUE-01"]
    ), "no check-in of San Marcos's people"
    outcomes = read_csv(export("outcomes", office="GT-SM-01", **MARCH))
    assert outcomes[-1]["arrivals"] == "5"


def test_unknown_exports_and_recipients_are_refused_plainly(export_as, cohort):
    export = export_as()
    assert export("arrivals", pseudonymised="true", recipient="nobody").status_code == 422
    assert export("payments").status_code == 404


PSEUDONYMISED_COLUMNS = {
    "cases": {
        "case", "person", "age_group", "home_department", "sex", "nationality", "status",
        "child_case", "office", "opened_at", "closed_at", "close_reason",
    },
    "referrals": {
        "referral", "person", "service", "organisation", "protection", "consent", "status",
        "made_at", "accepted_at", "closed_at",
    },
}  # fmt: skip


@pytest.mark.parametrize("what", sorted(PSEUDONYMISED_COLUMNS))
def test_pseudonymised_cases_and_referrals_name_no_one_field_by_field(export_as, cohort, what):
    answer = export_as()(what, pseudonymised="true", recipient="donor")
    rows = read_csv(answer)
    assert rows, "the cohort has some"
    assert set(rows[0]) == PSEUDONYMISED_COLUMNS[what], "no name, date of birth, note or number"
    text = answer.get_data(as_text=True)
    for name in ("Ana", "Beto", "Carla", "Dario", "Edgar", "López", "GT-1201"):
        assert name not in text
    ids = {str(value) for value in cohort.people.values()}
    own = what.removesuffix("s")
    assert not ids & {row["person"] for row in rows}
    assert all(len(row[own]) == 20 and not row[own].isdigit() for row in rows), "keyed pseudonyms"
