"""The demo's follow-up offices, their coverage and social workers, and a few people living in
the places they cover, each with a call waiting: `make run` shows routing at work, and each
office's social worker has a queue with work in it. Idempotent: what exists is kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.auth.services import NewUser, create_user, find_user
from returnees.centres.coverage import set_coverage
from returnees.centres.services import NewCentre, create_centre, find_centre
from returnees.people.models import Returnee
from returnees.places.catalogue import places_of
from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry
from returnees.reception.services import register_arrival
from returnees.tasks.models import TaskKind
from returnees.tasks.services import open_task


@dataclass(frozen=True)
class DemoOffice:
    centre: NewCentre
    # The departments it covers, by their code (GT-12..: San Marcos).
    departments: tuple[str, ...]
    worker: tuple[str, str]  # e-mail, name
    people: tuple[tuple[str, str, str], ...] = field(default=())  # given, family, home


DEMO_OFFICES = (
    DemoOffice(
        NewCentre("GT-OF-GUA", "Delegación departamental Guatemala", "office", "GT",
                  region="Guatemala", municipality="Guatemala"),
        ("GT-01",),
        ("sw.guatemala@demo.returnees.test", "Gabriela Oficina Guatemala"),
        (("Wendy Paola", "Cux Sánchez", "GT-0108"), ("Edwin", "Morales Ajú", "GT-0101")),
    ),
    DemoOffice(
        NewCentre("GT-OF-XELA", "Delegación departamental Quetzaltenango", "office", "GT",
                  region="Quetzaltenango", municipality="Quetzaltenango"),
        ("GT-09",),
        ("sw.quetzaltenango@demo.returnees.test", "Quirino Oficina Quetzaltenango"),
        (("Rigoberto", "Ixcoy Tum", "GT-0901"), ("Santos", "Pérez Xum", "GT-0909")),
    ),
    DemoOffice(
        NewCentre("GT-OF-SM", "Delegación departamental San Marcos", "office", "GT",
                  region="San Marcos", municipality="San Marcos"),
        ("GT-12",),
        ("sw.sanmarcos@demo.returnees.test", "Sandra Oficina San Marcos"),
        (("Marisol", "Tzoc Pu", "GT-1201"), ("Kevin", "Ramírez Bámaca", "GT-1217")),
    ),
    DemoOffice(
        NewCentre("GT-OF-HUE", "Delegación departamental Huehuetenango", "office", "GT",
                  region="Huehuetenango", municipality="Huehuetenango"),
        ("GT-13",),
        ("sw.huehuetenango@demo.returnees.test", "Héctor Oficina Huehuetenango"),
        (("Aurelia", "Domingo Mateo", "GT-1301"), ("Baltazar", "Gaspar Ros", "GT-1320")),
    ),
)  # fmt: skip


@dataclass
class OfficesReport:
    offices: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)


def seed_demo_offices(session: Session, password: str) -> OfficesReport:
    """The offices, their coverage and social workers, and their people, where missing."""
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
        report.people += [
            _seed_person(session, actor, given, family, home)
            for given, family, home in demo.people
            if _not_registered(session, given, family)
        ]
    return report


def _not_registered(session: Session, given: str, family: str) -> bool:
    query = select(Returnee.id).where(
        Returnee.given_names == given, Returnee.family_names == family
    )
    return session.scalar(query.limit(1)) is None


def _seed_person(session: Session, actor: Actor, given: str, family: str, home: str) -> str:
    """Someone who arrived at La Aurora and went home: their case is the office's, with a
    call to make."""
    number = f"4126{int(home[3:]):04d}"  # one a home: the simulator shows each apart
    intake = Intake(
        given_names=given,
        family_names=family,
        estimated_age=24 + len(family) % 20,
        sex="F" if given.endswith("a") else "M",
        nationality="GT",
        home=home,
        phones=[PhoneEntry(number, consent=True)],
        arrival=ArrivalEntry(centre="GT-AURORA"),
    )
    arrival = register_arrival(session, actor, intake, "new")
    open_task(session, TaskKind.CALL, arrival.returnee_id, "no answer", priority=10)
    return f"{given} {family}"
