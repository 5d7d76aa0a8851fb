"""The demo's follow-up offices, their coverage and social workers, each on call for its region:
`make run` shows routing at work (the demo's flight lands with homes all over their
departments) and an urgent answer reaching someone. Idempotent: what exists is kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.auth.on_call import rota_of, set_on_call
from returnees.auth.services import NewUser, create_user, find_user
from returnees.centres.coverage import set_coverage
from returnees.centres.models import Country
from returnees.centres.services import NewCentre, create_centre, find_centre
from returnees.places.catalogue import places_of


@dataclass(frozen=True)
class DemoOffice:
    centre: NewCentre
    # The departments it covers, by their code (GT-12..: San Marcos).
    departments: tuple[str, ...]
    worker: tuple[str, str]  # e-mail, name
    # The phone the worker's on-call alerts go to (the phone simulator shows them).
    phone: str


DEMO_OFFICES = (
    DemoOffice(
        NewCentre("GT-OF-GUA", "Delegación departamental Guatemala", "office", "GT",
                  region="Guatemala", municipality="Guatemala"),
        ("GT-01",),
        ("sw.guatemala@demo.returnees.test", "Gabriela Oficina Guatemala"),
        "50100001",
    ),
    DemoOffice(
        NewCentre("GT-OF-XELA", "Delegación departamental Quetzaltenango", "office", "GT",
                  region="Quetzaltenango", municipality="Quetzaltenango"),
        ("GT-09",),
        ("sw.quetzaltenango@demo.returnees.test", "Quirino Oficina Quetzaltenango"),
        "50100002",
    ),
    DemoOffice(
        NewCentre("GT-OF-SM", "Delegación departamental San Marcos", "office", "GT",
                  region="San Marcos", municipality="San Marcos"),
        ("GT-12",),
        ("sw.sanmarcos@demo.returnees.test", "Sandra Oficina San Marcos"),
        "50100003",
    ),
    DemoOffice(
        NewCentre("GT-OF-HUE", "Delegación departamental Huehuetenango", "office", "GT",
                  region="Huehuetenango", municipality="Huehuetenango"),
        ("GT-13",),
        ("sw.huehuetenango@demo.returnees.test", "Héctor Oficina Huehuetenango"),
        "50100004",
    ),
)  # fmt: skip


@dataclass
class OfficesReport:
    offices: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)


def seed_demo_offices(session: Session, password: str) -> OfficesReport:
    """The offices, their coverage and social workers, where missing."""
    actor = Actor.system("seed-demo")
    report = OfficesReport()
    for demo in DEMO_OFFICES:
        if find_centre(session, demo.centre.code) is None:
            create_centre(session, actor, demo.centre)
            codes = [
                place.code
                for place in places_of(demo.centre.country)
                if place.code[:5] in demo.departments
            ]
            set_coverage(session, actor, demo.centre.code, codes)
            report.offices.append(demo.centre.code)
        email, name = demo.worker
        if find_user(session, email) is None:
            create_user(
                session,
                actor,
                NewUser(email, Role.SOCIAL_WORKER.value, demo.centre.code, password, name),
            )
            report.users.append(email)
    return report


def put_offices_on_call(session: Session) -> list[str]:
    """Each office's social worker on call for its region, where nobody is: an urgent answer
    alerts someone (whoever a supervisor put on a rota since is kept). Their e-mails."""
    actor = Actor.system("seed-demo")
    put = []
    for demo in DEMO_OFFICES:
        email, _name = demo.worker
        if not rota_of(session, Country(demo.centre.country), demo.centre.region):
            set_on_call(session, actor, email, True, demo.phone)
            put.append(email)
    return put
