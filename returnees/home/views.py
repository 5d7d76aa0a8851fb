"""The home page: what each role needs first when it signs in."""

from __future__ import annotations

from flask import Blueprint, render_template

from returnees.audit.queries import AuditFilter, search_audit
from returnees.audit.services import record_list_shown
from returnees.audit.targets import audit_names, people_shown
from returnees.auth.access import EVERY_ROLE, current_actor, requires_role
from returnees.auth.models import Role
from returnees.auth.on_call import regions_without_on_call
from returnees.auth.services import list_users
from returnees.casework.labels import CLOSE_REASON_LABELS
from returnees.casework.routing import cases_to_route, count_cases_to_route
from returnees.casework.services import cases_waiting_for_assignment, closings_awaiting_approval
from returnees.casework.stats import chart_rows, programme_numbers
from returnees.casework.transfers import transfers_waiting
from returnees.casework.views import queue_page
from returnees.centres.services import list_centres
from returnees.core.clock import utcnow
from returnees.core.db import get_session
from returnees.people.break_glass import openings_in_country
from returnees.reception.manifests import list_manifests
from returnees.reception.models import HandoverStatus
from returnees.reception.services import children_in_custody, overdue_handovers
from returnees.rights.services import erasures_waiting

bp = Blueprint("home", __name__)


@bp.get("/")
@requires_role(*EVERY_ROLE)
def index() -> str:
    """Show the signed-in user's home page for their role."""
    actor = current_actor()
    session = get_session()
    context: dict[str, object] = {"centres": list_centres(session, actor)}
    if actor.role in (Role.SUPERVISOR, Role.ADMIN):
        context["recent_activity"] = activity = search_audit(session, actor, AuditFilter())[:15]
        context |= audit_names(session, actor, activity)
        context["no_on_call"] = [
            (region, country.value) for country, region in regions_without_on_call(session, actor)
        ]
    if actor.role in (Role.RECEPTION, Role.SUPERVISOR):
        children = children_in_custody(session, actor)
        context["children"] = children
        context["manifests"] = list_manifests(session, actor)
        context["overdue_handovers"] = overdue_handovers(session, actor)
        context["awaiting_approval"] = [
            a for a in children if a.custody.status is HandoverStatus.AWAITING_APPROVAL
        ]
    if actor.role is Role.ADMIN:
        context["users"] = list_users(session, actor)
    if actor.role is Role.SOCIAL_WORKER:
        return queue_page()[0]  # the queue writes what it showed
    if actor.role is Role.SUPERVISOR:
        context["now"] = utcnow()
        context["numbers"] = numbers = programme_numbers(session, actor)
        context |= chart_rows(numbers)
        context["waiting_cases"] = cases_waiting_for_assignment(session, actor)
        context["closings"] = closings_awaiting_approval(session, actor)
        context["close_reason_labels"] = CLOSE_REASON_LABELS
        context["to_route"] = cases_to_route(session, actor)
        context["to_route_count"] = count_cases_to_route(session, actor)
        context["transfers"] = transfers_waiting(session, actor)
        context["erasures"] = erasures_waiting(session, actor)
        context["openings"] = openings_in_country(session, actor)
    record_list_shown(session, actor, "home", people_on_home(context))
    return render_template(f"home/{actor.role.value}.html", **context)


def people_on_home(context: dict) -> set[int]:
    """Everyone a home page names: children in custody, cases waiting, closings, cases to
    route, transfers, and the people the recent activity names."""
    people = {arrival.returnee_id for arrival in context.get("children", ())}
    people |= {waiting.returnee.id for waiting in context.get("waiting_cases", ())}
    people |= {returnee.id for _case, returnee in context.get("closings", ())}
    people |= {returnee.id for _case, returnee in context.get("to_route", ())}
    people |= {waiting.transfer.returnee_id for waiting in context.get("transfers", ())}
    people |= {opening.person.id for opening in context.get("openings", ())}
    activity = context.get("recent_activity", ())
    return people | people_shown(activity, context.get("audit_targets", {}))
