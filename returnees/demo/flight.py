"""The demo's people: a flight of thirty on a passenger list, landing at La Aurora, their homes
spread over the demo offices; two children travelling alone among them, and a man who came
back before through Tecún Umán. Everything goes through the desk's own services: the list is
uploaded and imported, each passenger registered from the checklist, screened, placed or
handed over, as reception staff would."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from returnees.auth.access import Actor
from returnees.people.identity import normalise_phone
from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry
from returnees.reception.manifests import (
    ManifestEntry,
    import_ready_rows,
    passenger_intake,
    upload_passenger_list,
)
from returnees.reception.models import Arrival, Manifest, PassengerStatus
from returnees.reception.services import (
    HandoverEntry,
    ScreeningEntry,
    hand_over_child,
    place_in_shelter,
    record_screening,
    register_arrival,
)

DESK, SHELTER, BORDER = "GT-AURORA", "GT-HOGAR", "GT-TECUN"
FLIGHT = "DEMO-1274"
LIST_COLUMNS = (
    "apellidos",
    "nombres",
    "fecha de nacimiento",
    "sexo",
    "nacionalidad",
    "teléfono",
    "menor no acompañado",
    "municipio de residencia",
)


@dataclass(frozen=True)
class DemoPassenger:
    given: str
    family: str
    age: int
    sex: str
    home: str  # as the list writes it: "municipality, department"
    phone: str = ""  # "": none given
    alone: bool = False  # a child travelling alone
    # What they text back to the day-0 question and to day 3's "did you arrive well?"; "" is
    # silence (a reminder, then a call task).
    answers: tuple[str, str] = ("1", "sí")

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"

    def birth_date(self, today: date) -> date:
        """Their age as the list says it, whenever the demo is seeded (a child stays a child)."""
        return date(today.year - self.age - 1, 1 + len(self.family) % 12, 1 + len(self.given) % 28)

    def number(self) -> str:
        return normalise_phone(self.phone, "GT") if self.phone else ""


PASSENGERS = (
    # Guatemala: the office GT-OF-GUA.
    DemoPassenger("Karla Beatriz", "Cuc Sánchez", 29, "F", "Mixco, Guatemala", "41270101"),
    DemoPassenger("Erwin Rolando", "Morales Ajú", 34, "M", "Guatemala, Guatemala", "41270102",
                  answers=("1", "2")),
    DemoPassenger("María José", "López Chávez", 23, "F", "Villa Nueva, Guatemala", "41270103"),
    DemoPassenger("Luis Fernando", "García Xoyón", 41, "M", "Chinautla, Guatemala", "41270104",
                  answers=("", "")),
    DemoPassenger("Jennifer Alejandra", "Hernández Coc", 15, "F",
                  "San Juan Sacatepéquez, Guatemala", alone=True),
    DemoPassenger("Brayan Estuardo", "Tol Pérez", 14, "M", "Mixco, Guatemala", alone=True),
    DemoPassenger("Marvin Alexis", "Ajanel Sut", 27, "M", "Amatitlán, Guatemala", "41270107"),
    DemoPassenger("Olga Marina", "Pirir Cuxil", 38, "F", "Villa Canales, Guatemala", "41270108",
                  answers=("Sí, gracias", "1")),
    # Quetzaltenango: GT-OF-XELA.
    DemoPassenger("Rodrigo", "Ixcot Tum", 31, "M", "Quetzaltenango, Quetzaltenango", "41270109"),
    DemoPassenger("Santiago", "Pérez Xicará", 45, "M", "San Juan Ostuncalco, Quetzaltenango",
                  "41270110"),
    DemoPassenger("Ingrid Carolina", "Chay Vásquez", 26, "F", "Cantel, Quetzaltenango", "41270111"),
    DemoPassenger("Julio César", "Sac Coyoy", 22, "M", "Almolonga, Quetzaltenango", "41270112",
                  answers=("quién es?", "1")),
    DemoPassenger("Heidy Marisol", "Tuc Mendoza", 30, "F", "Coatepeque, Quetzaltenango",
                  "41270113"),
    DemoPassenger("Óscar René", "Velásquez Yac", 36, "M", "Salcajá, Quetzaltenango", "41270114"),
    DemoPassenger("Delfina", "Coyoy Santizo", 52, "F", "Zunil, Quetzaltenango"),
    # San Marcos: GT-OF-SM.
    DemoPassenger("Maribel", "Tzul Pu", 25, "F", "San Marcos, San Marcos", "41270116"),
    DemoPassenger("Kelvin Alexander", "Ramírez Bámaca", 28, "M", "Ayutla, San Marcos", "41270117"),
    DemoPassenger("Elmer", "Bámaca Orozco", 33, "M", "Comitancillo, San Marcos", "41270118"),
    DemoPassenger("Yesenia", "Fuentes López", 24, "F", "Malacatán, San Marcos", "41270119",
                  answers=("", "")),
    DemoPassenger("Selvin Obdulio", "Orozco Miranda", 39, "M", "Tacaná, San Marcos", "41270120",
                  answers=("", "1")),
    DemoPassenger("Dina Esperanza", "Mazariegos Roblero", 29, "F", "Tejutla, San Marcos",
                  "41270121"),
    DemoPassenger("Wilmer", "Cardona Ramos", 19, "M", "Ixchiguán, San Marcos", "41270122"),
    DemoPassenger("Ana Lucía", "Roblero Velásquez", 42, "F", "Sibinal, San Marcos"),
    # Huehuetenango: GT-OF-HUE.
    DemoPassenger("Aurora", "Domingo Mateo", 27, "F", "Huehuetenango, Huehuetenango", "41270124"),
    DemoPassenger("Baltazar", "Gaspar Ross", 35, "M", "San Pedro Soloma, Huehuetenango",
                  "41270125"),
    DemoPassenger("Mateo", "Pascual Andrés", 21, "M", "Jacaltenango, Huehuetenango", "41270126"),
    DemoPassenger("Rosa Elvira", "Martín Francisco", 32, "F", "Chiantla, Huehuetenango",
                  "41270127"),
    DemoPassenger("Pedro", "Simón Díaz", 44, "M", "Cuilco, Huehuetenango", "41270128",
                  answers=("1", "")),
    DemoPassenger("Candelaria", "Alonzo Tomás", 23, "F", "Nentón, Huehuetenango", "41270129",
                  answers=("", "")),
    DemoPassenger("Ricardo", "Juan Lucas", 30, "M", "San Ildefonso Ixtahuacán, Huehuetenango",
                  "41270130"),
)  # fmt: skip
BY_NAME = {passenger.name: passenger for passenger in PASSENGERS}
NOT_SAFE = BY_NAME["Erwin Rolando Morales Ajú"]
HIGH_RISK = BY_NAME["Rodrigo Ixcot Tum"]
REFERRED = BY_NAME["Elmer Bámaca Orozco"]
CAME_BACK = BY_NAME["Kelvin Alexander Ramírez Bámaca"]
HANDED_OVER = BY_NAME["Jennifer Alejandra Hernández Coc"]
WAITING = BY_NAME["Brayan Estuardo Tol Pérez"]
# Her mother collects her at the shelter, and agrees to be asked how she is doing.
MOTHER = HandoverEntry(
    guardian_name="Rosa Amalia Coc Hernández",
    relationship="mother",
    guardian_document="DPI 2456 78905 0108",
    guardian_phone="41280105",
    is_document_checked=True,
    guardian_consents=True,
)
SCREENINGS = {
    HIGH_RISK.name: ScreeningEntry(
        reasons_for_leaving=["violence", "economic"],
        was_threatened=True,
        family_abroad=["children"],
        months_abroad=30,
        has_journey_debt=True,
        intends_to_migrate_again=True,
        occupation="albañil",
        notes="Lo amenazaron antes de irse; sus dos hijos siguen en Houston.",
    ),
    CAME_BACK.name: ScreeningEntry(
        reasons_for_leaving=["economic"],
        months_abroad=9,
        intends_to_migrate_again=True,
        occupation="jornalero agrícola",
    ),
    REFERRED.name: ScreeningEntry(
        reasons_for_leaving=["economic"],
        months_abroad=14,
        occupation="albañil",
        skills="construcción, soldadura",
    ),
    "María José López Chávez": ScreeningEntry(
        reasons_for_leaving=["family_reunification"],
        family_abroad=["spouse"],
        months_abroad=20,
        occupation="cocinera",
    ),
    HANDED_OVER.name: ScreeningEntry(
        reasons_for_leaving=["family_reunification"],
        family_abroad=["parents"],
        school_status="dropped_out",
    ),
}


def passenger_list(today: date) -> bytes:
    """The flight's list as the airline's CSV gives it, made in memory."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(LIST_COLUMNS)
    for person in PASSENGERS:
        writer.writerow(
            [
                person.family,
                person.given,
                person.birth_date(today).strftime("%d/%m/%Y"),
                person.sex,
                "GT",
                person.phone,
                "sí" if person.alone else "no",
                person.home,
            ]
        )
    return text.getvalue().encode()


def first_return(session: Session, arrived_at: datetime, today: date) -> Arrival:
    """His first return, over a year before: by bus from Mexico at Tecún Umán, no phone."""
    intake = Intake(
        given_names=CAME_BACK.given,
        family_names=CAME_BACK.family,
        birth_date=CAME_BACK.birth_date(today),
        sex=CAME_BACK.sex,
        nationality="GT",
        home=CAME_BACK.home,
        arrival=ArrivalEntry(BORDER, arrived_at, "bus", "MX", "BUS TAPACHULA"),
    )
    return register_arrival(session, Actor.system("seed-demo"), intake, "new")


def registered_twice(
    session: Session, arrived_at: datetime, today: date, again: bool = False
) -> Arrival:
    """A woman registered at Tecún Umán, and again months later by another desk, which typed
    her family name as it sounds and her birth date month first and chose "a new person": the
    nightly search proposes the pair to the supervisor (/people/duplicates)."""
    born = date(today.year - 31, 4, 9)
    intake = Intake(
        given_names="Gloria Floridalma",
        family_names="Xitumul Cal" if again else "Xitumul Caal",
        birth_date=date(born.year, born.day, born.month) if again else born,
        sex="F",
        nationality="GT",
        home="Palencia, Guatemala",
        arrival=ArrivalEntry(DESK if again else BORDER, arrived_at, "bus", "MX", "BUS"),
    )
    return register_arrival(session, Actor.system("seed-demo"), intake, "new")


def upload_flight(session: Session, desk: Actor, expected_at: datetime, today: date) -> Manifest:
    """The list of the flight, uploaded and put on the arrival checklist; every row must be
    ready (a row to fix would be a fault of the demo, not of the list)."""
    entry = ManifestEntry(DESK, FLIGHT, "flight", "US", expected_at)
    result = upload_passenger_list(
        session, desk, entry, "lista-demo-1274.csv", passenger_list(today)
    )
    if result.needs_fixing:
        problems = [row.problems for row in result.added if row.problems]
        raise RuntimeError(f"the demo's passenger list has rows to fix: {problems}")
    import_ready_rows(session, desk, result.manifest.id)
    return result.manifest


def register_passenger(
    session: Session, desk: Actor, manifest: Manifest, person: DemoPassenger, arrived_at: datetime
) -> Arrival:
    """Mark a passenger as arrived from the checklist, as the desk does: the intake filled in
    from their row; the man who came back before is recognised from the list's hint."""
    row = next(
        row
        for row in manifest.passengers
        if row.values["given_names"] == person.given and row.values["family_names"] == person.family
    )
    if row.status is not PassengerStatus.EXPECTED:
        raise RuntimeError(f"{person.name} is not expected on the demo's checklist")
    values = passenger_intake(session, desk, row.id)
    phones = [PhoneEntry(values["phone"], consent=True)] if values["phone"] else []
    intake = Intake(
        given_names=values["given_names"],
        family_names=values["family_names"],
        birth_date=values["birth_date"],
        sex=values["sex"],
        nationality=values["nationality"],
        phones=phones,
        home=values["home"],
        is_unaccompanied=values["is_unaccompanied"],
        arrival=ArrivalEntry(
            values["centre"], arrived_at, values["mode"], values["deporting_country"], FLIGHT
        ),
        passenger_id=row.id,
    )
    earlier = row.earlier_record_ids if person is CAME_BACK else []
    return register_arrival(session, desk, intake, earlier[0] if earlier else "new")


def screen(session: Session, desk: Actor, arrivals: dict[str, Arrival]) -> None:
    """The desk's screening of a few of them (which scores their risk)."""
    for name, entry in SCREENINGS.items():
        record_screening(session, desk, arrivals[name].id, entry)


def place_children(session: Session, desk: Actor, arrivals: dict[str, Arrival]) -> None:
    for child in (HANDED_OVER, WAITING):
        place_in_shelter(session, desk, arrivals[child.name].id, SHELTER)


def hand_over(session: Session, desk: Actor, arrivals: dict[str, Arrival]) -> None:
    """Her mother comes for her; the other child waits, nobody has come yet."""
    hand_over_child(session, desk, arrivals[HANDED_OVER.name].id, MOTHER)
