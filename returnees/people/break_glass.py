"""Break-glass: a supervisor or social worker opens one record outside their scope by giving a
reason. The opening lasts BREAK_GLASS_HOURS, is written to the audit trail (flagged there, the
reason kept apart and named by id) and is shown to the supervisors of the person's country on
their home page until a week has passed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.audit.models import AccessReason, AuditAction
from returnees.audit.services import record_event, state_reason
from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.centres.models import Centre
from returnees.core.clock import utcnow
from returnees.core.db import get_required
from returnees.core.errors import InvalidInput
from returnees.people.models import BreakGlassGrant, Returnee
from returnees.people.scope import BREAK_GLASS_ROLES, covers_returnee

MAX_REASON = 500
SHOWN_FOR = timedelta(days=7)  # how long an opening stays on the supervisors' home page


def break_glass(
    session: Session, actor: Actor, returnee_id: int, reason: str
) -> BreakGlassGrant | None:
    """Open a person's record outside the actor's scope for BREAK_GLASS_HOURS, with a reason;
    None when the actor reaches them already. The reason is checked before the person is
    looked up, so that a refusal tells nothing of whether they exist."""
    actor.require_role(*BREAK_GLASS_ROLES)
    text = _checked_reason(reason)
    missing = _("No returnee has the number %(id)s.", id=returnee_id)
    returnee = get_required(session, Returnee, returnee_id, missing)
    if covers_returnee(session, actor, returnee):
        return None
    now, hours = utcnow(), current_app.config["BREAK_GLASS_HOURS"]
    reason_id = state_reason(session, actor, text)
    grant = BreakGlassGrant(
        user_id=actor.user_id,
        returnee_id=returnee.id,
        reason_id=reason_id,
        granted_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(grant)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.BREAK_GLASS,
        "returnee",
        returnee.id,
        grant_id=grant.id,
        reason_id=reason_id,
        hours=hours,
    )
    return grant


def _checked_reason(reason: str) -> str:
    text = (reason or "").strip()
    errors: dict[str, list[object]] = {}
    if not text:
        errors["reason"] = [_("Give a reason: it is written to the audit log.")]
    elif len(text) > MAX_REASON:
        errors["reason"] = [_("Use at most %(count)s characters.", count=MAX_REASON)]
    if errors:
        raise InvalidInput(_("Say why you need to open this record."), errors)
    return text


@dataclass(frozen=True)
class Opening:
    """A record opened outside its opener's scope, as the supervisors of its country see it."""

    grant: BreakGlassGrant
    person: Returnee
    opened_by: str
    reason: str


def openings_in_country(session: Session, actor: Actor, limit: int = 50) -> list[Opening]:
    """Records of people of the supervisor's country opened by break-glass in the last week,
    newest first."""
    actor.require_role(Role.SUPERVISOR)
    rows = session.execute(
        select(BreakGlassGrant, Returnee, User.name, User.email, AccessReason)
        .join(Returnee, BreakGlassGrant.returnee_id == Returnee.id)
        .join(Centre, Returnee.centre_id == Centre.id)
        .join(User, BreakGlassGrant.user_id == User.id)
        .join(AccessReason, BreakGlassGrant.reason_id == AccessReason.id)
        .where(Centre.country == actor.country, BreakGlassGrant.granted_at >= utcnow() - SHOWN_FOR)
        .order_by(BreakGlassGrant.granted_at.desc())
        .limit(limit)
    ).all()
    return [
        Opening(grant, person, name or email, reason.text)
        for grant, person, name, email, reason in rows
    ]


def is_active(grant: BreakGlassGrant, now: datetime) -> bool:
    return grant.expires_at > now
