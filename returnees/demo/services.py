"""Seed the demo. Idempotent: what exists already, and anything entered since, is kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.auth.services import NewUser, create_user, find_user
from returnees.centres.services import NewCentre, create_centre, find_centre
from returnees.referrals.services import seed_demo_partners

DEMO_CENTRES = (
    NewCentre(
        "GT-AURORA",
        "Centro de Recepción de Retornados, Aeropuerto La Aurora",
        "airport",
        "GT",
        region="Guatemala",
        municipality="Guatemala",
    ),
    NewCentre(
        "GT-TECUN",
        "Centro de Recepción de Retornados, Tecún Umán",
        "land_border",
        "GT",
        region="San Marcos",
        municipality="Ayutla",
    ),
    NewCentre(
        "GT-HOGAR",
        "Hogar de Protección Nuestras Raíces (niñez y adolescencia)",
        "shelter",
        "GT",
        region="Guatemala",
        municipality="Guatemala",
    ),
    NewCentre(
        "HN-SPS",
        "Centro de Atención al Migrante Retornado, San Pedro Sula",
        "airport",
        "HN",
        region="Cortés",
        municipality="San Pedro Sula",
    ),
    NewCentre(
        "HN-OMOA",
        "Centro de Atención al Migrante Retornado, Omoa",
        "land_border",
        "HN",
        region="Cortés",
        municipality="Omoa",
    ),
    NewCentre(
        "HN-BELEN",
        "Centro de Atención a la Niñez Migrante Belén",
        "shelter",
        "HN",
        region="Cortés",
        municipality="San Pedro Sula",
    ),
    NewCentre(
        "SV-SANSALVADOR",
        "Centro de Atención Integral al Migrante, San Salvador",
        "office",
        "SV",
        region="San Salvador",
        municipality="San Salvador",
    ),
    NewCentre(
        "SV-NINEZ",
        "Centro de Atención a Niñez y Familia Retornada, San Salvador",
        "shelter",
        "SV",
        region="San Salvador",
        municipality="San Salvador",
    ),
)

DEMO_USERS = (
    ("reception@demo.returnees.test", Role.RECEPTION, "GT-AURORA", "Ana Recepción"),
    ("social_worker@demo.returnees.test", Role.SOCIAL_WORKER, "GT-AURORA", "Sofía Trabajo Social"),
    ("supervisor@demo.returnees.test", Role.SUPERVISOR, "GT-AURORA", "Sergio Supervisión"),
    ("admin@demo.returnees.test", Role.ADMIN, "GT-AURORA", "Alba Administración"),
)


@dataclass
class SeedReport:
    created_centres: list[str] = field(default_factory=list)
    created_users: list[str] = field(default_factory=list)


def seed_demo(session: Session, password: str) -> SeedReport:
    """Create the demo centres and users that do not exist yet; change nothing that does."""
    actor = Actor.system("seed-demo")
    report = SeedReport()
    for centre in DEMO_CENTRES:
        if find_centre(session, centre.code) is None:
            create_centre(session, actor, centre)
            report.created_centres.append(centre.code)
    for email, role, centre_code, name in DEMO_USERS:
        if find_user(session, email) is None:
            create_user(session, actor, NewUser(email, role.value, centre_code, password, name))
            report.created_users.append(email)
    seed_demo_partners(session, actor)
    return report
