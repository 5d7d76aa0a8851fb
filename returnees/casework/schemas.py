from __future__ import annotations

from marshmallow import Schema, fields, validate

from returnees.casework.labels import CHOSEN_CLOSE_REASONS
from returnees.casework.models import (
    CALL_OUTCOMES,
    VISIT_OUTCOMES,
    ContactKind,
    TransferStatus,
)
from returnees.casework.queue import MAX_ITEMS
from returnees.core.bounds import record_id


class QueueItemSchema(Schema):
    task_id = fields.Integer()
    returnee_id = fields.Integer(
        allow_none=True, metadata={"description": "null for a message from an unknown number"}
    )
    kind = fields.String()
    priority = fields.String(
        metadata={"description": "urgent, overdue, high_risk, due_today or later"}
    )
    reason = fields.String()
    reason_text = fields.String(metadata={"description": "the reason in the token user's language"})
    due_at = fields.DateTime()
    waiting_since = fields.DateTime()
    is_child = fields.Boolean()
    risk_level = fields.String(allow_none=True)
    phone = fields.String(metadata={"description": "the number a danger signal came from"})
    acknowledged = fields.Boolean(metadata={"description": "an urgent task someone took in hand"})
    call_number = fields.String(
        metadata={"description": "the number to call the person on (a child's: the guardian's)"}
    )
    household = fields.List(
        fields.String(), metadata={"description": "the others of the person's household, by name"}
    )


class QueueQuerySchema(Schema):
    mine = fields.Boolean(load_default=False, metadata={"description": "only my tasks"})
    region = fields.Boolean(load_default=False, metadata={"description": "my whole region"})
    overdue = fields.Boolean(load_default=False)
    children = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_ITEMS))


class TransferQuerySchema(Schema):
    status = fields.String(
        load_default=TransferStatus.PENDING.value,
        validate=validate.OneOf([status.value for status in TransferStatus]),
    )


class OfficeCasesQuerySchema(Schema):
    office = fields.String(
        required=True, metadata={"description": "an office's code, or none: waiting to be routed"}
    )
    after = record_id(
        strict=False,
        load_default=None,
        metadata={"description": "the last case id of the page before"},
    )
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class ContactSchema(Schema):
    """Outcome and kind are checked by the service, which names what is allowed; the document
    states the same choices (an outcome's fit with the kind is the service's alone)."""

    kind = fields.String(required=True, metadata={"enum": [kind.value for kind in ContactKind]})
    outcome = fields.String(
        required=True,
        metadata={"enum": [outcome.value for outcome in (*CALL_OUTCOMES, *VISIT_OUTCOMES)]},
    )
    note = fields.String(load_default="", metadata={"maxLength": 2000})


class RescheduleSchema(Schema):
    due_on = fields.String(required=True)


class CloseTaskSchema(Schema):
    note = fields.String(load_default="")


class ContactOutSchema(Schema):
    id = fields.Integer()
    task_id = fields.Integer(allow_none=True, metadata={"description": "null: no task answered"})
    outcome = fields.String()


class AssignSchema(Schema):
    returnee_ids = fields.List(record_id(), required=True, validate=validate.Length(min=1))
    worker_id = record_id(required=True)


class CaseloadSchema(Schema):
    worker_id = fields.Integer()
    email = fields.String()
    open_cases = fields.Integer()
    overdue = fields.Integer()


class ApproveSchema(Schema):
    approve = fields.Boolean(load_default=True, metadata={"description": "false: refuse"})


class CloseCaseSchema(Schema):
    # Checked by the service (its message names the field); documented with the same choices.
    reason = fields.String(required=True, metadata={"enum": sorted(CHOSEN_CLOSE_REASONS)})
    note = fields.String(load_default="")


class TaskSchema(Schema):
    id = fields.Integer()
    returnee_id = fields.Integer(allow_none=True)
    kind = fields.Function(lambda task: task.kind.value)
    status = fields.Function(lambda task: task.status.value)
    reason = fields.String()
    due_at = fields.DateTime()
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)


class CaseSchema(Schema):
    id = fields.Integer()
    returnee_id = fields.Integer()
    status = fields.Function(lambda case: case.status.value)
    is_child = fields.Boolean()
    assigned_to_id = fields.Integer(allow_none=True)
    assigned_at = fields.DateTime(allow_none=True)
    close_reason = fields.Function(
        lambda case: case.close_reason.value if case.close_reason else None
    )
    closed_at = fields.DateTime(allow_none=True)


def _code(centre) -> str | None:
    return centre.code if centre else None


class OfficeCaseSchema(Schema):
    id = fields.Integer()
    returnee_id = fields.Integer()
    status = fields.Function(lambda case: case.status.value)
    office = fields.Function(
        lambda case: _code(case.office), metadata={"description": "null: to route"}
    )
    is_child = fields.Boolean()
    assigned_to_id = fields.Integer(allow_none=True)
    opened_at = fields.DateTime()


class RouteSchema(Schema):
    office = fields.String(required=True, metadata={"example": "GT-SM-01"})
    reason = fields.String(load_default="")


class TransferCreateSchema(Schema):
    to_office = fields.String(required=True, metadata={"example": "GT-HUE-01"})
    reason = fields.String(required=True, metadata={"example": "moved to Huehuetenango"})


class DeclineSchema(Schema):
    reason = fields.String(required=True)


class TransferSchema(Schema):
    id = fields.Integer()
    returnee_id = fields.Integer()
    case_id = fields.Integer()
    from_office = fields.Function(lambda transfer: transfer.from_office.code)
    to_office = fields.Function(lambda transfer: transfer.to_office.code)
    reason = fields.String()
    status = fields.Function(lambda transfer: transfer.status.value)
    proposed_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decline_reason = fields.String()


class TransferListingSchema(Schema):
    """A transfer, with what the receiving office may see of the person before it accepts:
    their name, age and risk level, nothing more."""

    transfer = fields.Nested(TransferSchema)
    name = fields.String()
    age = fields.Integer(allow_none=True)
    risk_level = fields.Function(
        lambda waiting: waiting.risk_level.value if waiting.risk_level else None
    )
