from __future__ import annotations

from flask import Response, jsonify

from returnees.api import bp, load_body
from returnees.auth.access import current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session
from returnees.followups.models import FollowUpPlan
from returnees.followups.plans import StepEntry, change_plan, list_plans, require_plan
from returnees.followups.schemas import PlanSchema


def _dump(plan: FollowUpPlan) -> dict:
    return {
        "profile": plan.profile.value,
        "version": plan.version,
        "voice_rule": plan.voice_rule.value,
        "updated_at": plan.updated_at.isoformat(),
        "steps": [
            {
                "id": step.id,
                "day_offset": step.day_offset,
                "template": step.template,
                "answer_type": step.answer_type.value,
                "asked": step.asked.value,
                "indicator": step.indicator.value if step.indicator else "",
            }
            for step in plan.steps
        ],
    }


@bp.get("/plans")
@requires_role(Role.ADMIN)
def plans() -> Response:
    """Every follow-up plan with its steps."""
    return jsonify([_dump(plan) for plan in list_plans(get_session(), current_actor())])


@bp.get("/plans/<profile>")
@requires_role(Role.ADMIN)
def plan(profile: str) -> Response:
    """One follow-up plan."""
    return jsonify(_dump(require_plan(get_session(), current_actor(), profile)))


@bp.put("/plans/<profile>")
@requires_role(Role.ADMIN)
def replace_plan(profile: str) -> Response:
    """Replace a plan's steps (give `step_id` to change a step, omit it to add one); check-ins
    not yet sent follow the new steps."""
    require_plan(get_session(), current_actor(), profile)
    body = load_body(PlanSchema())
    entries = [
        StepEntry(**(step | {"indicator": step.get("indicator") or ""})) for step in body["steps"]
    ]
    changed = change_plan(get_session(), current_actor(), profile, entries, body.get("voice_rule"))
    return jsonify(_dump(changed))
