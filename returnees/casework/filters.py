"""Queue filters a user saves under a name ("my children, overdue") and applies in one click."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.casework.models import SavedFilter
from returnees.casework.queue import QueueCriteria
from returnees.core.clock import utcnow
from returnees.core.errors import InvalidInput, NotFound

MAX_FILTERS = 20


def list_filters(session: Session, actor: Actor) -> list[SavedFilter]:
    query = select(SavedFilter).where(SavedFilter.user_id == actor.user_id)
    return list(session.scalars(query.order_by(SavedFilter.name)))


def find_filter(session: Session, actor: Actor, filter_id: int) -> SavedFilter:
    """One of the actor's own filters; someone else's is not found."""
    saved = session.get(SavedFilter, filter_id)
    if saved is None or saved.user_id != actor.user_id:
        raise NotFound(_("You have no saved filter number %(id)s.", id=filter_id))
    return saved


def save_filter(session: Session, actor: Actor, name: str, criteria: QueueCriteria) -> SavedFilter:
    """Save (or overwrite, by name) a filter of the actor's queue."""
    actor.require_role(Role.SOCIAL_WORKER, Role.SUPERVISOR)
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"name": [_("Give the filter a name of at most 80 characters.")]},
        )
    existing = {f.name: f for f in list_filters(session, actor)}
    saved = existing.get(name)
    if saved is None:
        if len(existing) >= MAX_FILTERS:
            raise InvalidInput(
                _("Nothing was saved: correct the fields marked."),
                {"name": [_("At most %(n)s saved filters: delete one first.", n=MAX_FILTERS)]},
            )
        saved = SavedFilter(user_id=actor.user_id, name=name, created_at=utcnow())
        session.add(saved)
    saved.criteria = criteria.as_dict()
    session.flush()
    record_event(session, actor, AuditAction.UPDATE, "saved_filter", saved.id)
    return saved


def delete_filter(session: Session, actor: Actor, filter_id: int) -> None:
    session.delete(find_filter(session, actor, filter_id))
    session.flush()
