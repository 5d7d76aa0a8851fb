"""The queue and what a social worker does from it; assignment and closing for supervisors."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from returnees.audit.services import record_list_shown
from returnees.auth.access import Actor, current_actor, requires_role
from returnees.auth.models import Role
from returnees.casework.filters import delete_filter, find_filter, list_filters, save_filter
from returnees.casework.labels import CHOSEN_CLOSE_REASONS, CLOSE_REASON_LABELS, OUTCOME_LABELS
from returnees.casework.models import (
    CALL_OUTCOMES,
    VISIT_OUTCOMES,
    Case,
    CaseContact,
    CaseStatus,
    Transfer,
)
from returnees.casework.queue import (
    BUCKET_LABELS,
    QueueCriteria,
    build_queue,
    phone_label,
    reason_in_words,
    waited,
)
from returnees.casework.reasons import task_reason
from returnees.casework.routing import (
    history_of,
    move_in_words,
    offices_of,
    route_by_hand,
    transfer_reason_in_words,
)
from returnees.casework.services import (
    acknowledge_task,
    approve_closing,
    assign_cases,
    caseloads,
    close_case,
    close_task,
    contacts_of,
    current_case,
    record_contact,
    record_contact_with_person,
    reschedule_task,
    social_workers_for,
    unassigned_cases,
)
from returnees.casework.transfers import (
    accept_transfer,
    decline_transfer,
    propose_transfer,
    transfers_of,
    transfers_waiting,
)
from returnees.core.clock import utcnow
from returnees.core.db import get_session
from returnees.core.errors import DomainError
from returnees.core.web import safe_next
from returnees.people.models import Returnee
from returnees.people.targets import name_people_in_audit
from returnees.people.views import record_page
from returnees.tasks.models import Task

bp = Blueprint("casework", __name__)
bp.add_app_template_filter(transfer_reason_in_words, "transfer_reason")
CASEWORK = (Role.SOCIAL_WORKER, Role.SUPERVISOR)


@bp.app_template_filter("task_reason")
def task_reason_filter(task: Task) -> str:
    """A task's reason in the reader's language, wherever a task shows (the person's record)."""
    return task_reason(get_session(), task)


def queue_page(failed: dict | None = None, status: int = 200) -> tuple[str, int]:
    """The queue with the filters asked for (or a saved filter's), as the home page shows it."""
    session, actor = get_session(), current_actor()
    saved_id = request.args.get("filter", type=int)
    saved = find_filter(session, actor, saved_id) if saved_id else None
    criteria = (
        QueueCriteria.from_mapping(saved.criteria)
        if saved
        else QueueCriteria.from_mapping(request.args)
    )
    items = build_queue(session, actor, criteria, limit=request.args.get("limit", 50, type=int))
    transfers = transfers_waiting(session, actor)
    record_list_shown(
        session,
        actor,
        "queue",
        [*(item.returnee_id for item in items), *(t.transfer.returnee_id for t in transfers)],
        tasks=[item.task_id for item in items],
    )
    return render_template(
        "casework/queue.html",
        items=items,
        transfers=transfers,
        criteria=criteria,
        saved=saved,
        filters=list_filters(session, actor),
        bucket_labels=BUCKET_LABELS,
        reason_in_words=reason_in_words,
        phone_label=phone_label,
        waited=waited,
        now=utcnow(),
        call_outcomes=CALL_OUTCOMES,
        visit_outcomes=VISIT_OUTCOMES,
        outcome_labels=OUTCOME_LABELS,
        failed=failed or {},
    ), status


@bp.get("/queue")
@requires_role(*CASEWORK)
def queue() -> Response | tuple[str, int]:
    """The follow-up queue: urgent, overdue, high risk, due today, the rest."""
    if "csrf_token" in request.args:
        # The filter form also carries its save button's token: keep it out of the address bar.
        ticked = QueueCriteria.from_mapping(request.args).as_dict()
        return redirect(url_for("casework.queue", **{k: 1 for k, on in ticked.items() if on}))
    return queue_page()


def _act(task_id: int, action) -> Response | tuple[str, int]:
    """Run an action on a task; a refusal shows the queue again with what was typed."""
    try:
        action(get_session(), current_actor())
    except DomainError as error:
        get_session().rollback()
        messages = [error.in_words()]
        return queue_page(
            {"task_id": task_id, "form": dict(request.form), "messages": messages}, error.status
        )
    return redirect(safe_next(request.form.get("next")))


@bp.post("/tasks/<int:task_id>/contact")
@requires_role(*CASEWORK)
def contact(task_id: int) -> Response | tuple[str, int]:
    """Record a call or a visit on a task, with how it went and a note."""
    form = request.form

    def action(session: Session, actor: Actor) -> None:
        record_contact(
            session,
            actor,
            task_id,
            form.get("kind", ""),
            form.get("outcome", ""),
            form.get("note", ""),
        )
        flash(_("Recorded."), "success")

    return _act(task_id, action)


@bp.post("/tasks/<int:task_id>/reschedule")
@requires_role(*CASEWORK)
def reschedule(task_id: int) -> Response | tuple[str, int]:
    """Move a task to another day."""

    def action(session: Session, actor: Actor) -> None:
        reschedule_task(session, actor, task_id, request.form.get("due_on", ""))
        flash(_("Task moved."), "success")

    return _act(task_id, action)


@bp.post("/tasks/<int:task_id>/acknowledge")
@requires_role(*CASEWORK)
def acknowledge(task_id: int) -> Response | tuple[str, int]:
    """Take an urgent task in hand: the alert goes no further down the on-call chain."""

    def action(session: Session, actor: Actor) -> None:
        acknowledge_task(session, actor, task_id)
        flash(_("Acknowledged: nobody else will be alerted."), "success")

    return _act(task_id, action)


@bp.post("/tasks/<int:task_id>/close")
@requires_role(*CASEWORK)
def close(task_id: int) -> Response | tuple[str, int]:
    """Close a task: done."""

    def action(session: Session, actor: Actor) -> None:
        close_task(session, actor, task_id, request.form.get("note", ""))
        flash(_("Task closed."), "success")

    return _act(task_id, action)


@bp.post("/queue/filters")
@requires_role(*CASEWORK)
def add_filter() -> Response | tuple[str, int]:
    """Save the queue's current filters under a name."""
    try:
        saved = save_filter(
            get_session(),
            current_actor(),
            request.form.get("name", ""),
            QueueCriteria.from_mapping(request.form),
        )
    except DomainError as error:
        get_session().rollback()
        messages = [error.in_words()]
        return queue_page(
            {"task_id": "filter", "form": dict(request.form), "messages": messages}, error.status
        )
    flash(_("Filter saved."), "success")
    return redirect(url_for("casework.queue", filter=saved.id))


@bp.post("/queue/filters/<int:filter_id>/delete")
@requires_role(*CASEWORK)
def remove_filter(filter_id: int) -> Response:
    delete_filter(get_session(), current_actor(), filter_id)
    flash(_("Filter deleted."), "success")
    return redirect(url_for("casework.queue"))


@bp.route("/cases/assign", methods=["GET", "POST"])
@requires_role(Role.SUPERVISOR)
def assign() -> str | tuple[str, int] | Response:
    """Give cases to social workers, one or many at once; see each worker's caseload."""
    session, actor = get_session(), current_actor()
    error = None
    if request.method == "POST":
        ids = [int(v) for v in request.form.getlist("returnee_ids") if v.isdigit()]
        worker = request.form.get("worker_id", "")
        try:
            assigned = assign_cases(session, actor, ids, int(worker) if worker.isdigit() else 0)
        except DomainError as refused:
            session.rollback()
            error = refused
        else:
            flash(_("%(n)s cases assigned.", n=len(assigned)), "success")
            return redirect(safe_next(request.form.get("next") or url_for("casework.assign")))
    waiting = unassigned_cases(session, actor)
    record_list_shown(session, actor, "case", (case.returnee.id for case in waiting))
    page = render_template(
        "casework/assign.html",
        waiting=waiting,
        caseloads=caseloads(session, actor),
        error=error,
        chosen=set(request.form.getlist("returnee_ids")),
    )
    return (page, error.status) if error else page


@bp.post("/returnees/<int:returnee_id>/assign")
@requires_role(Role.SUPERVISOR)
def assign_one(returnee_id: int) -> Response:
    """Give (or give again) one person's case to a social worker."""
    worker = request.form.get("worker_id", "")
    try:
        assign_cases(
            get_session(), current_actor(), [returnee_id], int(worker) if worker.isdigit() else 0
        )
    except DomainError as error:
        get_session().rollback()
        flash(str(error.message), "error")
    else:
        flash(_("Case assigned."), "success")
    return redirect(url_for("people.record", returnee_id=returnee_id))


@bp.post("/returnees/<int:returnee_id>/contacts")
@requires_role(*CASEWORK)
def contact_from_record(returnee_id: int) -> Response | tuple[str, int]:
    """Record a call or a visit from the person's record."""
    form = request.form
    try:
        record_contact_with_person(
            get_session(),
            current_actor(),
            returnee_id,
            form.get("kind", ""),
            form.get("outcome", ""),
            form.get("note", ""),
        )
    except DomainError as error:
        get_session().rollback()
        messages = [error.in_words()]
        return record_page(returnee_id, {"form": dict(form), "messages": messages}, error.status)
    flash(_("Recorded."), "success")
    return redirect(url_for("people.record", returnee_id=returnee_id) + "#case")


@bp.post("/returnees/<int:returnee_id>/close")
@requires_role(*CASEWORK)
def close_returnee_case(returnee_id: int) -> Response:
    """Close a person's case with a reason (a child's waits for a supervisor)."""
    try:
        case = close_case(
            get_session(),
            current_actor(),
            returnee_id,
            request.form.get("reason", ""),
            request.form.get("note", ""),
        )
    except DomainError as error:
        get_session().rollback()
        flash(str(error.message), "error")
    else:
        if case.status is CaseStatus.CLOSING:
            flash(
                _("A supervisor must approve closing a child's case; it has been asked."), "success"
            )
        else:
            flash(_("Case closed; its pending check-ins are cancelled."), "success")
    return redirect(url_for("people.record", returnee_id=returnee_id))


@bp.post("/returnees/<int:returnee_id>/close/approve")
@requires_role(Role.SUPERVISOR)
def approve(returnee_id: int) -> Response:
    """Approve, or refuse, closing a child's case."""
    approved = request.form.get("decision", "approve") == "approve"
    try:
        approve_closing(get_session(), current_actor(), returnee_id, approved)
    except DomainError as error:
        get_session().rollback()
        flash(str(error.message), "error")
    else:
        flash(
            _("Case closed.") if approved else _("Closing refused; the case stays open."), "success"
        )
    return redirect(
        safe_next(request.form.get("next") or url_for("people.record", returnee_id=returnee_id))
    )


def record_panel(session: Session, actor: Actor, returnee: Returnee) -> dict | None:
    """The case on a person's record: the office that follows it and its moves, who works it,
    calls and visits, transfers, and closing."""
    if not actor.has_role(*CASEWORK):
        return None
    case = current_case(session, returnee.id)
    return {
        "case": case,
        "history": history_of(session, case.id) if case else [],
        "move_in_words": move_in_words,
        "transfers": transfers_of(session, returnee.id),
        "offices": offices_of(session, returnee.nationality),
        "contacts": contacts_of(session, returnee.id),
        "workers": social_workers_for(session, actor, returnee),
        "close_reason_labels": CLOSE_REASON_LABELS,
        "chosen_close_reasons": CHOSEN_CLOSE_REASONS,
        "outcome_labels": OUTCOME_LABELS,
        "outcomes": {"call": CALL_OUTCOMES, "visit": VISIT_OUTCOMES},
    }


def _back_to_record(returnee_id: int, action) -> Response:
    """Run an action about a person's case; a refusal is flashed on the record."""
    try:
        action(get_session(), current_actor())
    except DomainError as error:
        get_session().rollback()
        flash(error.in_words(), "error")
    return redirect(url_for("people.record", returnee_id=returnee_id, _anchor="case"))


@bp.post("/returnees/<int:returnee_id>/route")
@requires_role(Role.SUPERVISOR)
def route(returnee_id: int) -> Response:
    """Give a case waiting for an office (or any case of the country) to an office."""
    form = request.form

    def action(session: Session, actor: Actor) -> None:
        route_by_hand(session, actor, returnee_id, form.get("office", ""), form.get("reason", ""))
        flash(_("The case is with its office now."), "success")

    return _back_to_record(returnee_id, action)


@bp.post("/returnees/<int:returnee_id>/transfers")
@requires_role(*CASEWORK)
def propose(returnee_id: int) -> Response:
    """Propose the case to another office of the country: the person moved."""
    form = request.form

    def action(session: Session, actor: Actor) -> None:
        propose_transfer(
            session, actor, returnee_id, form.get("to_office", ""), form.get("reason", "")
        )
        flash(_("Transfer proposed: it waits for the other office."), "success")

    return _back_to_record(returnee_id, action)


@bp.post("/transfers/<int:transfer_id>/accept")
@requires_role(*CASEWORK)
def accept_transfer_view(transfer_id: int) -> Response:
    """Accept a case proposed to the actor's office."""

    def action(session: Session, actor: Actor) -> None:
        accept_transfer(session, actor, transfer_id)
        flash(_("Transfer accepted: the case is your office's now."), "success")

    return _decide(action)


@bp.post("/transfers/<int:transfer_id>/decline")
@requires_role(*CASEWORK)
def decline_transfer_view(transfer_id: int) -> Response:
    """Decline a case proposed to the actor's office, saying why."""

    def action(session: Session, actor: Actor) -> None:
        decline_transfer(session, actor, transfer_id, request.form.get("reason", ""))
        flash(_("Transfer declined."), "success")

    return _decide(action)


def _decide(action) -> Response:
    try:
        action(get_session(), current_actor())
    except DomainError as error:
        get_session().rollback()
        flash(error.in_words(), "error")
    return redirect(safe_next(request.form.get("next")))


for record_type, model in (
    ("case", Case),
    ("case_contact", CaseContact),
    ("task", Task),
    ("transfer", Transfer),
):
    name_people_in_audit(bp, record_type, model)
