"""Create centres and find them within an actor's scope."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.centres.models import COUNTRY_TIMEZONES, Centre, CentreKind, Country
from returnees.core.clock import utcnow
from returnees.core.errors import Conflict, Forbidden, InvalidInput, NotFound

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")


@dataclass(frozen=True)
class NewCentre:
    code: str
    name: str
    kind: str
    country: str
    timezone: str = ""
    region: str = ""
    municipality: str = ""


def create_centre(session: Session, actor: Actor, new: NewCentre) -> Centre:
    """Add a centre; the timezone defaults to the country's."""
    actor.require_role(Role.ADMIN)
    code = new.code.strip().upper()
    errors = _centre_errors(code, new)
    if errors:
        raise InvalidInput(_("The centre was not created."), errors)
    if find_centre(session, code) is not None:
        raise Conflict(
            _("A centre with the code %(code)s exists already.", code=code),
            {"code": [_("Already in use.")]},
        )
    country = Country(new.country.strip().upper())
    centre = Centre(
        code=code,
        name=new.name.strip(),
        kind=CentreKind(new.kind),
        country=country,
        timezone=new.timezone.strip() or COUNTRY_TIMEZONES[country],
        region=new.region.strip(),
        municipality=new.municipality.strip(),
        created_at=utcnow(),
    )
    session.add(centre)
    session.flush()
    record_event(session, actor, AuditAction.CREATE, "centre", centre.code)
    return centre


def _centre_errors(code: str, new: NewCentre) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not CODE_PATTERN.match(code):
        errors["code"] = [_("Use 2 to 32 letters, digits or hyphens, such as GT-AURORA.")]
    if not new.name.strip():
        errors["name"] = [_("Enter the centre's name.")]
    if new.kind not in {kind.value for kind in CentreKind}:
        errors["kind"] = [_("Kind must be one of: %(kinds)s.", kinds=", ".join(CentreKind))]
    if new.country.strip().upper() not in {country.value for country in Country}:
        errors["country"] = [_("Country must be GT, HN or SV.")]
    if new.timezone.strip() and new.timezone.strip() not in available_timezones():
        errors["timezone"] = [
            _(
                "%(timezone)s is not a known timezone, such as America/Guatemala.",
                timezone=new.timezone,
            )
        ]
    return errors


def find_centre(session: Session, code: str) -> Centre | None:
    return session.scalar(select(Centre).where(Centre.code == code.strip().upper()))


def list_centres(session: Session, actor: Actor) -> list[Centre]:
    """The centres this actor's scope reaches."""
    query = select(Centre).where(actor.centre_clause()).order_by(Centre.country, Centre.code)
    return list(session.scalars(query))


def view_centre(session: Session, actor: Actor, code: str) -> Centre:
    """One centre inside the actor's scope."""
    centre = find_centre(session, code)
    if centre is None:
        raise NotFound(_("No centre has the code %(code)s.", code=code))
    if not actor.covers_centre(centre):
        raise Forbidden(_("This centre is outside your scope."))
    return centre


def list_shelters(session: Session, actor: Actor) -> list[Centre]:
    """The shelters a child can be placed in: those of the actor's country."""
    query = select(Centre).where(Centre.kind == CentreKind.SHELTER)
    if not (actor.is_system or actor.role is Role.ADMIN):
        query = query.where(Centre.country == actor.country)
    return list(session.scalars(query.order_by(Centre.code)))
