"""Each arrival's figures are kept in arrival_figures: a change lists the person, the report
works the listed people out again before reading (when few), and the job does it otherwise,
and fills the arrivals that have no figures at all."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from returnees.auth.access import Actor
from returnees.followups.models import Indicator, IndicatorReading
from returnees.reports.cohorts import count_outcomes
from returnees.reports.facts import refresh_figures
from returnees.reports.models import StaleFigures, arrival_figures
from returnees.reports.services import OutcomeCriteria, resolve_cohort
from tests.reports.conftest import at

MARCH = OutcomeCriteria(at(3, 1).date(), at(3, 31).date())


def counted(in_app) -> dict[str, int]:
    actor = Actor.system("test")
    with in_app() as session:
        return count_outcomes(session, actor, resolve_cohort(session, actor, MARCH), ())[()]


def add_safe_answer(in_app, returnee_id: int) -> None:
    with in_app() as session:
        session.add(
            IndicatorReading(
                returnee_id=returnee_id,
                indicator=Indicator.SAFE,
                value=True,
                observed_at=at(4, 25),
            )
        )


def waiting(in_app) -> int:
    with in_app() as session:
        return session.scalar(select(func.count()).select_from(StaleFigures))


def test_an_answer_given_after_a_report_is_in_the_next_one(cohort, in_app):
    assert counted(in_app)["safe_at_last_answer"] == 1
    add_safe_answer(in_app, cohort.people["b"])  # B is safe again after saying no
    assert waiting(in_app) >= 1, "the reading listed B"
    assert counted(in_app)["safe_at_last_answer"] == 2
    assert waiting(in_app) == 0


def test_without_refresh_on_read_the_job_brings_the_figures_up_to_date(
    cohort, in_app, app, monkeypatch
):
    assert counted(in_app)["safe_answered"] == 2
    monkeypatch.setitem(app.config, "REPORT_REFRESH_ON_READ", 0)
    add_safe_answer(in_app, cohort.people["c"])
    assert counted(in_app)["safe_answered"] == 2, "read as kept, until the job runs"
    with in_app() as session:
        assert refresh_figures(session) >= 1
    assert counted(in_app)["safe_answered"] == 3 and waiting(in_app) == 0


def test_the_job_fills_arrivals_that_have_no_figures(cohort, in_app):
    assert counted(in_app)["arrivals"] == 5
    with in_app() as session:
        session.execute(delete(arrival_figures))  # as after a bulk load past the ORM
    assert counted(in_app)["arrivals"] == 0
    with in_app() as session:
        assert refresh_figures(session) == 7, "every arrival, March's five and two others"
    whole = counted(in_app)
    assert whole["arrivals"] == 5 and whole["returned_3_months"] == 1


def test_the_refresh_command_works_out_every_arrival_missing(cohort, in_app, cli):
    assert counted(in_app)["arrivals"] == 5
    with in_app() as session:
        session.execute(delete(arrival_figures))
    result = cli("reports", "refresh")
    assert result.exit_code == 0, result.output
    assert "for 0 people, and for 7 arrivals" in result.output
    assert counted(in_app)["arrivals"] == 5
