"""Which office follows up whom: an office (a centre of kind `office`) covers places, for
children, adults or both. A place has at most one office per profile; the case of a person
whose home is there belongs to that office."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.centres.models import Centre, CentreKind, OfficeCoverage, Profile
from returnees.centres.services import view_centre
from returnees.core import events
from returnees.core.errors import InvalidInput
from returnees.places.catalogue import Place, find_place

BOTH = (Profile.CHILD, Profile.ADULT)


@dataclass(frozen=True)
class Coverage:
    """The places an office covers and for whom."""

    places: tuple[Place, ...]
    profiles: tuple[Profile, ...]

    def as_json(self) -> dict[str, list[str]]:
        return {
            "municipalities": [place.code for place in self.places],
            "profiles": [profile.value for profile in self.profiles],
        }


def coverage_of(session: Session, centre: Centre) -> Coverage:
    rows = session.execute(
        select(OfficeCoverage.place_code, OfficeCoverage.profile).where(
            OfficeCoverage.centre_id == centre.id
        )
    ).all()
    codes = sorted({code for code, _profile in rows})
    profiles = tuple(p for p in BOTH if p in {profile for _code, profile in rows})
    return Coverage(tuple(filter(None, map(find_place, codes))), profiles)


def office_covering(session: Session, place_code: str | None, profile: Profile) -> Centre | None:
    """The office that follows up people of this profile living in this place; None when no
    office covers it (or the home is unknown)."""
    if not place_code:
        return None
    return session.scalar(
        select(Centre)
        .join(OfficeCoverage, OfficeCoverage.centre_id == Centre.id)
        .where(OfficeCoverage.place_code == place_code, OfficeCoverage.profile == profile)
    )


def set_coverage(
    session: Session,
    actor: Actor,
    code: str,
    place_codes: Iterable[str],
    profiles: Iterable[str] | None = None,
) -> Coverage:
    """Set the places an office covers and for whom (both when not said); admins only. A place
    another office covers for the same people is refused, naming it; nothing changes then.
    Cases waiting for an office are routed again (events.COVERAGE_CHANGED); a case that has
    one keeps it, to be moved by a transfer."""
    actor.require_role(Role.ADMIN)
    office = view_centre(session, actor, code)
    places, chosen = _checked(office, list(place_codes), profiles)
    _refuse_conflicts(session, office, places, chosen)
    session.execute(
        delete(OfficeCoverage)
        .where(OfficeCoverage.centre_id == office.id)
        .execution_options(synchronize_session=False)
    )
    session.add_all(
        OfficeCoverage(centre_id=office.id, place_code=place.code, profile=profile)
        for place in places
        for profile in chosen
    )
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "office_coverage",
        office.code,
        municipalities=[place.code for place in places],
        profiles=[profile.value for profile in chosen],
    )
    events.publish(events.COVERAGE_CHANGED, session, country=office.country)
    return coverage_of(session, office)


def _checked(
    office: Centre, place_codes: list[str], profiles: Iterable[str] | None
) -> tuple[list[Place], tuple[Profile, ...]]:
    errors: dict[str, list[object]] = {}
    if office.kind is not CentreKind.OFFICE:
        errors["code"] = [
            _("Only an office follows people up: %(code)s is not one.", code=office.code)
        ]
    wanted = [code.strip().upper() for code in place_codes if code.strip()]
    places = [find_place(code) for code in dict.fromkeys(wanted)]
    unknown = [code for code, place in zip(dict.fromkeys(wanted), places, strict=True) if not place]
    abroad = [p.code for p in places if p and p.country != office.country.value]
    if unknown:
        errors["municipalities"] = [_("Unknown codes: %(codes)s.", codes=", ".join(unknown))]
    elif abroad:
        errors["municipalities"] = [
            _("Not in the office's country: %(codes)s.", codes=", ".join(abroad))
        ]
    chosen = tuple(profiles) if profiles is not None else tuple(p.value for p in BOTH)
    if not chosen or any(value not in {p.value for p in BOTH} for value in chosen):
        errors["profiles"] = [_("Children, adults, or both.")]
    if errors:
        raise InvalidInput(_("Nothing was saved: correct the fields marked."), errors)
    return [p for p in places if p], tuple(p for p in BOTH if p.value in chosen)


def _refuse_conflicts(
    session: Session, office: Centre, places: list[Place], profiles: tuple[Profile, ...]
) -> None:
    """A place has at most one office per profile: name each place another office holds."""
    taken = session.execute(
        select(OfficeCoverage.place_code, OfficeCoverage.profile, Centre.code)
        .join(Centre, OfficeCoverage.centre_id == Centre.id)
        .where(
            OfficeCoverage.centre_id != office.id,
            OfficeCoverage.place_code.in_([place.code for place in places]),
            OfficeCoverage.profile.in_(profiles),
        )
        .order_by(OfficeCoverage.place_code)
    ).all()
    if taken:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {
                "municipalities": [
                    _(
                        "%(place)s is covered for %(profile)s by %(office)s already.",
                        place=find_place(code).label,
                        profile=PROFILE_WORDS[profile],
                        office=other,
                    )
                    for code, profile, other in taken
                ]
            },
        )


PROFILE_WORDS = {Profile.CHILD: _("children"), Profile.ADULT: _("adults")}
PROFILE_LABELS = {"child": _("Children"), "adult": _("Adults")}
