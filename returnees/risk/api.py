"""The risk endpoints of /api/v1."""

from __future__ import annotations

from flask import Response, jsonify

from returnees.api import bp, load_body
from returnees.auth.access import CASEWORK_ROLES, EVERY_ROLE, current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session
from returnees.risk.schemas import RiskSchema, RulesChangeSchema, RulesSchema, SetLevelSchema
from returnees.risk.services import (
    RiskView,
    RulesEntry,
    change_rules,
    describe,
    rules_in_force,
    set_level,
    view_risk,
)


def _reasons(reasons: list[dict]) -> list[dict]:
    return [
        reason | {"text": text} for reason, text in zip(reasons, describe(reasons), strict=True)
    ]


def _dump(risk: RiskView) -> dict:
    flag = risk.flag
    return RiskSchema().dump(
        {
            "returnee_id": flag.returnee_id,
            "level": flag.level.value,
            "computed_level": risk.computed_level.value,
            "score": flag.score,
            "reasons": _reasons(flag.reasons),
            "set_level": flag.set_level.value if flag.set_level else None,
            "set_reason": flag.set_reason,
            "set_by": risk.set_by,
            "rules_version": flag.rules_version,
            "computed_at": flag.computed_at,
            "changes": [
                {
                    "from_level": change.from_level.value if change.from_level else None,
                    "to_level": change.to_level.value,
                    "score": change.score,
                    "reasons": _reasons(change.reasons),
                    "rules_version": change.rules_version,
                    "changed_by": change.changed_by,
                    "changed_at": change.changed_at,
                }
                for change in risk.changes
            ],
        }
    )


@bp.get("/risk/rules")
@requires_role(*EVERY_ROLE)
def risk_rules() -> Response:
    """The risk rules in force: every rule with its description and weight, the thresholds."""
    return jsonify(RulesSchema().dump(rules_in_force(get_session())))


@bp.put("/risk/rules")
@requires_role(Role.ADMIN)
def change_risk_rules() -> Response:
    """Change weights or thresholds: a new version of the rules (the same rules change nothing)."""
    body = load_body(RulesChangeSchema())
    rules = change_rules(get_session(), current_actor(), RulesEntry(**body))
    return jsonify(RulesSchema().dump(rules))


@bp.get("/returnees/<int:returnee_id>/risk")
@requires_role(*CASEWORK_ROLES)
def returnee_risk(returnee_id: int) -> Response:
    """A person's risk flag, its reasons and its changes of level; written to the audit trail."""
    return jsonify(_dump(view_risk(get_session(), current_actor(), returnee_id)))


@bp.post("/returnees/<int:returnee_id>/risk/level")
@requires_role(*CASEWORK_ROLES)
def set_risk_level(returnee_id: int) -> Response:
    """Set a person's level with a reason (a child's level is never lowered automatically)."""
    body = load_body(SetLevelSchema())
    session, actor = get_session(), current_actor()
    set_level(session, actor, returnee_id, body["level"], body["reason"])
    return jsonify(_dump(view_risk(session, actor, returnee_id, audit=False)))
