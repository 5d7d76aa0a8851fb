"""Who is on call: each region's ordered rota (first, second, ...), kept by the supervisors of
its country. An urgent case alerts the first; tasks.alerts moves down the rota when nobody
acknowledges it."""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import OnCallPlace, Role, User
from returnees.auth.services import require_user
from returnees.centres.models import Centre, Country
from returnees.core.clock import utcnow
from returnees.core.errors import InvalidInput, NotFound
from returnees.core.events import USER_MOVED, publish
from returnees.people.identity import InvalidValue, normalise_phone

ON_CALL_ROLES = (Role.SOCIAL_WORKER, Role.SUPERVISOR)
Region = tuple[Country, str]


def rota_of(session: Session, country: Country, region: str) -> list[User]:
    """The region's rota in order, whoever is on it (a disabled account or one without a phone
    is skipped when alerting, and shown as such)."""
    return list(
        session.scalars(
            select(User)
            .join(OnCallPlace, OnCallPlace.user_id == User.id)
            .where(OnCallPlace.country == country, OnCallPlace.region == region)
            .order_by(OnCallPlace.position)
        )
    )


def can_alert(user: User) -> bool:
    return user.is_enabled and bool(user.phone)


def rota_candidates(session: Session, country: Country, region: str) -> list[User]:
    """Who may go on the region's rota: its social workers and supervisors."""
    return list(
        session.scalars(
            select(User)
            .join(Centre, User.centre_id == Centre.id)
            .where(
                Centre.country == country,
                Centre.region == region,
                User.role.in_(ON_CALL_ROLES),
                User.is_enabled.is_(True),
            )
            .order_by(User.name, User.email)
        )
    )


def may_change_rota(actor: Actor, country: Country) -> bool:
    return (
        actor.is_system
        or actor.role is Role.ADMIN
        or (actor.role is Role.SUPERVISOR and actor.country == country)
    )


def change_rota(
    session: Session,
    actor: Actor,
    country: Country,
    region: str,
    user_ids: list[int],
    phones: Mapping[int, str] | None = None,
) -> list[User]:
    """Set the region's rota to these people, first to last; every one must be an enabled
    social worker or supervisor of the region with a phone for the alerts (`phones` gives one,
    by user id, to someone who had none or changed it)."""
    actor.require_role(Role.ADMIN, Role.SUPERVISOR)
    if not may_change_rota(actor, country) or not _region_exists(session, country, region):
        raise NotFound(_("No region %(region)s in your scope.", region=region))
    if len(set(user_ids)) != len(user_ids):
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"user_ids": [_("Each person once.")]},
        )
    allowed = {user.id: user for user in rota_candidates(session, country, region)}
    users = [allowed.get(user_id) for user_id in user_ids]
    if None in users:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"user_ids": [_("Only the region's social workers and supervisors go on its rota.")]},
        )
    for user in users:
        if phone := (phones or {}).get(user.id, "").strip():
            user.phone = _alert_phone(phone, country)
    if without_phone := [user.name or user.email for user in users if not user.phone]:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {
                "user_ids": [
                    _("%(names)s: no phone for the alerts.", names=", ".join(without_phone))
                ]
            },
        )
    _replace_places(session, country, region, users)
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "on_call_rota",
        f"{country.value}:{region}",
        users=user_ids,
    )
    return users


def _alert_phone(phone: str, country: Country) -> str:
    try:
        return normalise_phone(phone, country.value)
    except InvalidValue as error:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."), {"phone": [error.message]}
        ) from error


def _replace_places(session: Session, country: Country, region: str, users: list[User]) -> None:
    session.execute(
        delete(OnCallPlace)
        .where(OnCallPlace.country == country, OnCallPlace.region == region)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    now = utcnow()
    for position, user in enumerate(users, start=1):
        session.add(
            OnCallPlace(
                country=country, region=region, position=position, user_id=user.id, created_at=now
            )
        )
    session.flush()
    for user in users:
        session.refresh(user, ["on_call_place"])


def _region_exists(session: Session, country: Country, region: str) -> bool:
    query = select(Centre.id).where(Centre.country == country, Centre.region == region)
    return session.scalar(query.limit(1)) is not None


ROTA_ACTIONS = ("add", "up", "down", "remove")
# The namespace of the advisory locks that hold a region's rota while it is changed.
ROTA_LOCKS = 7303


def rearrange_rota(
    session: Session,
    actor: Actor,
    country: Country,
    region: str,
    action: str,
    user_id: int | None,
    phone: str = "",
) -> list[User]:
    """One change from the rota's page (see rearranged), with a phone for someone added."""
    _hold_rota(session, country, region)
    rota = [user.id for user in rota_of(session, country, region)]
    phones = {user_id: phone} if user_id is not None else {}
    return change_rota(session, actor, country, region, rearranged(rota, action, user_id), phones)


def _hold_rota(session: Session, country: Country, region: str) -> None:
    """Hold the region's rota until this transaction ends: two supervisors changing it at once
    (or a double click) each read it after the other's change, not before."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:region))"),
            {"space": ROTA_LOCKS, "region": f"{country.value}:{region}"},
        )


def rearranged(rota: list[int], action: str, user_id: int | None) -> list[int]:
    """The rota's user ids after one change from its page: someone added last, moved up or
    down one place, or removed."""
    if action not in ROTA_ACTIONS or user_id is None:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"user_ids": [_("Choose a person and what to do.")]},
        )
    if action == "add":
        return [*rota, user_id]
    if user_id not in rota:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"user_ids": [_("This person is not on the rota.")]},
        )
    without = [member for member in rota if member != user_id]
    place = rota.index(user_id)
    if action == "remove":
        return without
    place = max(place - 1, 0) if action == "up" else min(place + 1, len(without))
    return [*without[:place], user_id, *without[place:]]


def set_on_call(
    session: Session, actor: Actor, email: str, on_call: bool, phone: str | None = None
) -> User:
    """Put someone on their region's rota (last) or take them off it; supervisors do it for
    their country, admins for all. A phone given is kept for the alerts."""
    actor.require_role(Role.ADMIN, Role.SUPERVISOR)
    user = require_user(session, email)
    if not actor.covers_centre(user.centre):
        raise NotFound(_("No account has the e-mail %(email)s.", email=email))
    if user.role not in ON_CALL_ROLES:
        raise InvalidInput(
            _("Only social workers and supervisors go on call."),
            {"email": [_("Not a social worker or a supervisor.")]},
        )
    if phone is not None and phone.strip():
        user.phone = _alert_phone(phone, user.centre.country)
    country, region = user.centre.country, user.centre.region
    _hold_rota(session, country, region)
    rota = [member for member in rota_of(session, country, region) if member.id != user.id]
    if on_call:
        rota.append(user)
    if on_call and not user.phone:
        raise InvalidInput(
            _("Give the phone the alerts go to."),
            {"phone": [_("A phone is needed to be on call.")]},
        )
    _replace_places(session, country, region, rota)
    if not on_call:
        session.refresh(user, ["on_call_place"])
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "user",
        user.id,
        on_call=on_call,
        has_phone=bool(user.phone),
    )
    return user


def regions_without_on_call(session: Session, actor: Actor) -> list[Region]:
    """The regions in the actor's scope where an urgent case would alert nobody on call: no
    one on the rota who can be reached, and no fallback number set."""
    if current_app.config.get("ON_CALL_FALLBACK_PHONE"):
        return []
    regions = set(
        session.execute(select(Centre.country, Centre.region).where(actor.centre_clause())).all()
    )
    covered = set(
        session.execute(
            select(OnCallPlace.country, OnCallPlace.region)
            .join(User, OnCallPlace.user_id == User.id)
            .where(User.is_enabled.is_(True), User.phone != "")
        ).all()
    )
    return sorted((Country(country), region) for country, region in regions - covered)


def move_user(session: Session, actor: Actor, email: str, centre_code: str) -> User:
    """Move an account to another centre (a social worker from a reception centre to the
    office they now work for); admins only. Their place on the old region's on-call rota ends;
    their sessions end, since what they may reach changes, and the cases assigned to them that
    their new centre does not follow go back to their office to assign (events.USER_MOVED)."""
    from returnees.centres.services import find_centre

    actor.require_role(Role.ADMIN)
    user = require_user(session, email)
    centre = find_centre(session, centre_code) if centre_code else None
    if centre is None:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"centre": [_("Choose a centre.")]},
        )
    if centre.id == user.centre_id:
        return user
    old = user.centre
    if user.on_call_place is not None and (old.country, old.region) != (
        centre.country,
        centre.region,
    ):
        set_on_call(session, actor, user.email, False)
    user.centre_id, user.session_epoch = centre.id, user.session_epoch + 1
    session.flush()
    session.refresh(user, ["centre"])
    record_event(
        session, actor, AuditAction.UPDATE, "user", user.id, centre=centre.code, was=old.code
    )
    publish(USER_MOVED, session, user_id=user.id, actor=actor)
    return user
