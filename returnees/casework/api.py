"""The casework endpoints of /api/v1: the queue, actions on tasks, assignment and closing."""

from __future__ import annotations

from flask import Response, jsonify

from returnees.api import bp, load_body, load_query
from returnees.audit.services import record_list_shown
from returnees.auth.access import current_actor, requires_role
from returnees.auth.models import Role
from returnees.casework.models import CaseContact
from returnees.casework.queue import QueueCriteria, build_queue, reason_in_words
from returnees.casework.routing import cases_of_office, route_by_hand
from returnees.casework.schemas import (
    ApproveSchema,
    AssignSchema,
    CaseloadSchema,
    CaseSchema,
    CloseCaseSchema,
    CloseTaskSchema,
    ContactOutSchema,
    ContactSchema,
    DeclineSchema,
    OfficeCaseSchema,
    OfficeCasesQuerySchema,
    QueueItemSchema,
    QueueQuerySchema,
    RescheduleSchema,
    RouteSchema,
    TaskSchema,
    TransferCreateSchema,
    TransferListingSchema,
    TransferQuerySchema,
    TransferSchema,
)
from returnees.casework.services import (
    acknowledge_task,
    approve_closing,
    assign_cases,
    caseloads,
    close_case,
    close_task,
    record_contact,
    record_contact_with_person,
    reschedule_task,
)
from returnees.casework.transfers import (
    accept_transfer,
    decline_transfer,
    list_transfers,
    propose_transfer,
)
from returnees.core.db import get_session

CASEWORK = (Role.SOCIAL_WORKER, Role.SUPERVISOR)


@bp.get("/queue")
@requires_role(*CASEWORK)
def queue() -> Response:
    """The token user's queue, in the order of the web page: urgent, overdue, high risk, due
    today, the rest. Filters: mine, region, overdue, children (true/false); limit (at most 200)."""
    query = load_query(QueueQuerySchema())
    limit = query.pop("limit")
    items = build_queue(get_session(), current_actor(), QueueCriteria(**query), limit=limit)
    dumped = [
        {
            "task_id": item.task_id,
            "returnee_id": item.returnee_id,
            "kind": item.kind.value,
            "priority": item.bucket.value,
            "reason": item.reason,
            "reason_text": reason_in_words(item),
            "due_at": item.due_at,
            "waiting_since": item.waiting_since,
            "is_child": item.is_child,
            "risk_level": item.risk_level.value if item.risk_level else None,
            "phone": item.phone,
            "acknowledged": item.acknowledged,
            "call_number": item.call_number,
            "household": list(item.household),
        }
        for item in items
    ]
    record_list_shown(
        get_session(),
        current_actor(),
        "queue",
        (item.returnee_id for item in items),
        tasks=[item.task_id for item in items],
    )
    return jsonify(QueueItemSchema(many=True).dump(dumped))


@bp.post("/tasks/<int:task_id>/contacts")
@requires_role(*CASEWORK)
def add_contact(task_id: int) -> tuple[Response, int]:
    """Record a call or a visit on a task."""
    body = load_body(ContactSchema())
    contact = record_contact(
        get_session(), current_actor(), task_id, body["kind"], body["outcome"], body["note"]
    )
    return jsonify(ContactOutSchema().dump(_contact(contact))), 201


@bp.post("/returnees/<int:returnee_id>/contacts")
@requires_role(*CASEWORK)
def add_contact_with_person(returnee_id: int) -> tuple[Response, int]:
    """Record a call or a visit with a person, not from a task: it answers their open call
    (or visit) task when there is one."""
    body = load_body(ContactSchema())
    contact = record_contact_with_person(
        get_session(), current_actor(), returnee_id, body["kind"], body["outcome"], body["note"]
    )
    return jsonify(ContactOutSchema().dump(_contact(contact))), 201


def _contact(contact: CaseContact) -> dict:
    return {"id": contact.id, "task_id": contact.task_id, "outcome": contact.outcome.value}


@bp.post("/tasks/<int:task_id>/reschedule")
@requires_role(*CASEWORK)
def reschedule(task_id: int) -> Response:
    """Move a task to another day (due_on: YYYY-MM-DD)."""
    body = load_body(RescheduleSchema())
    task = reschedule_task(get_session(), current_actor(), task_id, body["due_on"])
    return jsonify(TaskSchema().dump(task))


@bp.post("/tasks/<int:task_id>/acknowledge")
@requires_role(*CASEWORK)
def acknowledge(task_id: int) -> Response:
    """Take an urgent task in hand: nobody further down the on-call chain is alerted."""
    return jsonify(TaskSchema().dump(acknowledge_task(get_session(), current_actor(), task_id)))


@bp.post("/tasks/<int:task_id>/close")
@requires_role(*CASEWORK)
def close(task_id: int) -> Response:
    """Close a task as done."""
    body = load_body(CloseTaskSchema())
    return jsonify(
        TaskSchema().dump(close_task(get_session(), current_actor(), task_id, body["note"]))
    )


@bp.post("/cases/assign")
@requires_role(Role.SUPERVISOR)
def assign() -> Response:
    """Give one or many people's cases to a social worker."""
    body = load_body(AssignSchema())
    cases = assign_cases(get_session(), current_actor(), body["returnee_ids"], body["worker_id"])
    return jsonify(CaseSchema(many=True).dump(cases))


@bp.get("/caseloads")
@requires_role(Role.SUPERVISOR)
def loads() -> Response:
    """Each social worker's open cases and overdue tasks."""
    dumped = [
        {
            "worker_id": load.worker.id,
            "email": load.worker.email,
            "open_cases": load.open_cases,
            "overdue": load.overdue,
        }
        for load in caseloads(get_session(), current_actor())
    ]
    return jsonify(CaseloadSchema(many=True).dump(dumped))


@bp.post("/returnees/<int:returnee_id>/close")
@requires_role(*CASEWORK)
def close_returnee_case(returnee_id: int) -> Response:
    """Close a person's case with a reason; a child's waits for a supervisor (status closing)."""
    body = load_body(CloseCaseSchema())
    case = close_case(get_session(), current_actor(), returnee_id, body["reason"], body["note"])
    return jsonify(CaseSchema().dump(case))


@bp.post("/returnees/<int:returnee_id>/close/approve")
@requires_role(Role.SUPERVISOR)
def approve(returnee_id: int) -> Response:
    """Approve closing a child's case (approve: false refuses it)."""
    approve = load_body(ApproveSchema())["approve"]
    case = approve_closing(get_session(), current_actor(), returnee_id, approve)
    return jsonify(CaseSchema().dump(case))


@bp.get("/cases")
@requires_role(*CASEWORK, Role.ADMIN)
def cases() -> Response:
    """Open cases by follow-up office (office=<code>, or none: waiting to be routed), within
    the token's scope, in pages of `limit` (200; at most 1000) after the case id `after`."""
    query = load_query(OfficeCasesQuerySchema())
    found = cases_of_office(
        get_session(), current_actor(), query["office"], query["limit"], query["after"]
    )
    record_list_shown(get_session(), current_actor(), "case", (p.id for _case, p in found))
    return jsonify(OfficeCaseSchema(many=True).dump([case for case, _person in found]))


@bp.post("/returnees/<int:returnee_id>/route")
@requires_role(Role.SUPERVISOR)
def route(returnee_id: int) -> Response:
    """Give a person's open case to an office of their country."""
    body = load_body(RouteSchema())
    case = route_by_hand(
        get_session(), current_actor(), returnee_id, body["office"], body["reason"]
    )
    return jsonify(OfficeCaseSchema().dump(case))


@bp.post("/returnees/<int:returnee_id>/transfers")
@requires_role(*CASEWORK)
def propose(returnee_id: int) -> tuple[Response, int]:
    """Propose a person's case to another office of their country, saying why."""
    body = load_body(TransferCreateSchema())
    transfer = propose_transfer(
        get_session(), current_actor(), returnee_id, body["to_office"], body["reason"]
    )
    return jsonify(TransferSchema().dump(transfer)), 201


@bp.get("/transfers")
@requires_role(*CASEWORK)
def transfers() -> Response:
    """Transfers to or from the token's office (a supervisor: the country's), by status."""
    status = load_query(TransferQuerySchema())["status"]
    found = list_transfers(get_session(), current_actor(), status)
    people = (waiting.transfer.returnee_id for waiting in found)
    record_list_shown(get_session(), current_actor(), "transfer", people)
    return jsonify(TransferListingSchema(many=True).dump(found))


@bp.post("/transfers/<int:transfer_id>/accept")
@requires_role(*CASEWORK)
def accept(transfer_id: int) -> Response:
    """Take a case proposed to the token's office."""
    return jsonify(
        TransferSchema().dump(accept_transfer(get_session(), current_actor(), transfer_id))
    )


@bp.post("/transfers/<int:transfer_id>/decline")
@requires_role(*CASEWORK)
def decline(transfer_id: int) -> Response:
    """Decline a case proposed to the token's office, saying why."""
    body = load_body(DeclineSchema())
    transfer = decline_transfer(get_session(), current_actor(), transfer_id, body["reason"])
    return jsonify(TransferSchema().dump(transfer))
