"""`flask reports monthly`: a country's month as a workbook, hidden cells kept hidden."""

from __future__ import annotations

from openpyxl import load_workbook


def test_the_monthly_workbook_holds_the_cohort_by_group_and_the_trend(cli, cohort, tmp_path):
    target = tmp_path / "march.xlsx"
    result = cli(
        "reports", "monthly", "--country", "GT", "--month", "2026-03", "--output", str(target)
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(target)
    assert book.sheetnames[:3] == ["All", "By sex", "By age_group"] and "Trend" in book.sheetnames
    whole = {row[0]: row[-1] for row in book["All"].iter_rows(values_only=True)}
    assert whole["arrivals"] == 5 and whole["reached"] == "<5"
    assert whole["returned_12_months"] == "pending"
    by_sex = list(book["By sex"].iter_rows(values_only=True))
    assert by_sex[0] == ("figure", "F", "M", "all")
    trend = list(book["Trend"].iter_rows(values_only=True))
    assert trend[0][:2] == ("month", "arrivals") and trend[12][0] == "2026-03"
    assert trend[12][1] == 5 and len(book["Trend charts"]._charts) == 16


def test_a_month_not_written_as_yyyy_mm_is_refused(cli, app):
    result = cli("reports", "monthly", "--country", "GT", "--month", "11/2026")
    assert result.exit_code != 0 and "YYYY-MM" in result.output
