"""Who is acting and what they may reach: role checks for views, scope rules for queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import g, request
from flask_babel import lazy_gettext as _
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, true

from returnees.auth.models import Role, User
from returnees.centres.models import Centre, CentreKind, Country
from returnees.core.errors import Forbidden, NotAuthenticated

P = ParamSpec("P")
R = TypeVar("R")

EVERY_ROLE = tuple(Role)
CASEWORK_ROLES = (Role.SOCIAL_WORKER, Role.SUPERVISOR)


@dataclass(frozen=True)
class Actor:
    """The person (or the system) behind a service call, with the scope of their role."""

    user_id: int | None
    label: str
    role: Role | None
    country: Country | None
    region: str
    centre_id: int | None
    address: str = ""
    # Whether the actor's centre is an office (follow-up), not a reception centre or a shelter.
    at_office: bool = False

    @classmethod
    def for_user(cls, user: User, address: str = "") -> Actor:
        return cls(
            user_id=user.id,
            label=user.email,
            role=user.role,
            country=user.centre.country,
            region=user.centre.region,
            centre_id=user.centre_id,
            address=address,
            at_office=user.centre.kind is CentreKind.OFFICE,
        )

    @classmethod
    def system(cls, label: str) -> Actor:
        """An operator at the command line or a background job: no scope limit."""
        return cls(user_id=None, label=label, role=None, country=None, region="", centre_id=None)

    @property
    def is_system(self) -> bool:
        return self.role is None

    def has_role(self, *roles: Role) -> bool:
        return self.is_system or self.role in roles

    def require_role(self, *roles: Role) -> None:
        if not self.has_role(*roles):
            raise Forbidden(_("Your role does not allow this."))

    def covers_centre(self, centre: Centre) -> bool:
        """Whether a record held at this centre is inside this actor's scope."""
        if self.is_system or self.role is Role.ADMIN:
            return True
        if self.role is Role.SUPERVISOR:
            return centre.country == self.country
        if self.role is Role.SOCIAL_WORKER:
            return centre.country == self.country and centre.region == self.region
        return centre.id == self.centre_id

    def centre_clause(self) -> ColumnElement[bool]:
        """The same rule as `covers_centre`, as a WHERE clause on centres."""
        if self.is_system or self.role is Role.ADMIN:
            return true()
        if self.role is Role.SUPERVISOR:
            return Centre.country == self.country
        if self.role is Role.SOCIAL_WORKER:
            return and_(Centre.country == self.country, Centre.region == self.region)
        return Centre.id == self.centre_id


def current_actor() -> Actor:
    """The signed-in user of this request, as an Actor; raises when nobody is signed in."""
    if not current_user.is_authenticated:
        raise g.get("session_lapsed") or NotAuthenticated(_("Sign in first."))
    if "actor" not in g:
        g.actor = Actor.for_user(current_user._get_current_object(), request.remote_addr or "")
    return g.actor


def requires_role(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let only signed-in users with one of these roles into a view; others get 401 or 403."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            current_actor().require_role(*roles)
            return view(*args, **kwargs)

        guarded.allowed_roles = roles  # type: ignore[attr-defined]
        return guarded

    return decorate
