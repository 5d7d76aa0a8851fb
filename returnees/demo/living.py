"""The living demo: the flight of `flight.py` landed five days before the demo is seeded, and
the system has been at work since. Each step is told at its moment in the past by the app's
clock (`as_of`): the desk registers, screens and hands over; the worker's own jobs run as the
worker would have run them that day (check-ins queued and sent through the simulated gateway,
reminders, unanswered questions turned into calls, urgent alerts); replies arrive as the
webhook stores them and are read by the same reading the worker does. So the demo shows the
system's real behaviour, not rows written to look like it.

Seeded once (a `DemoSeed` says when, and which rows are the demo's); never in production.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.auth.access import Actor
from returnees.auth.services import require_user
from returnees.casework.models import Case, CaseStatus
from returnees.casework.services import assign_cases
from returnees.core.clock import as_of, utcnow
from returnees.core.errors import Conflict
from returnees.core.scheduler import run_once
from returnees.demo import surveys as demo_surveys
from returnees.demo.flight import (
    MOTHER,
    NOT_SAFE,
    PASSENGERS,
    REFERRED,
    first_return,
    hand_over,
    place_children,
    register_passenger,
    registered_twice,
    screen,
    upload_flight,
)
from returnees.demo.models import DemoSeed
from returnees.demo.offices import DEMO_OFFICES, put_offices_on_call
from returnees.demo.refresh import demo_rows, staff_phones
from returnees.followups.reading import read_replies
from returnees.messaging.services import record_inbound
from returnees.people.identity import normalise_phone
from returnees.reception.models import Arrival, Manifest
from returnees.referrals.models import PartnerOrganisation
from returnees.referrals.services import change_referral_status, make_referral
from returnees.tasks.models import Task, TaskKind, TaskStatus

# The demo's days are La Aurora's days.
ZONE = ZoneInfo("America/Guatemala")
LANDED_DAYS_AGO = 5
DESK_EMAIL = "reception@demo.returnees.test"
SUPERVISOR_EMAIL = "supervisor@demo.returnees.test"
PARTNER = "Centro de Formación Técnica Occidente"


@dataclass
class LivingReport:
    seeded_at: datetime
    is_new: bool
    people: int = 0
    on_call: list[str] = field(default_factory=list)


def living_demo(session: Session) -> DemoSeed | None:
    return session.scalar(select(DemoSeed).order_by(DemoSeed.id).limit(1))


def seed_living_demo(session: Session) -> LivingReport:
    """Seed the living demo unless it is there; a seeding that stopped half-way is refused
    rather than seeded a second time beside itself. Commits as it goes (the worker's jobs
    run in their own transactions, as they do in a worker)."""
    seed = living_demo(session)
    if seed is not None and seed.completed_at is None:
        raise Conflict(
            _(
                "The demo's seeding of %(at)s stopped half-way: seed it in a new database "
                "(remove instance/returnees.sqlite3 and run make run again).",
                at=seed.seeded_at.isoformat(timespec="minutes"),
            )
        )
    if seed is not None:
        return LivingReport(seed.seeded_at, is_new=False)
    seed = DemoSeed(seeded_at=utcnow(), rows={})
    session.add(seed)
    session.commit()
    story = Story(current_app._get_current_object(), session, seed.seeded_at)
    on_call = put_offices_on_call(session)
    story.tell()
    seed.rows = demo_rows(session, story.returnee_ids(), [story.manifest.id], staff_phones())
    seed.completed_at = utcnow()
    session.commit()
    return LivingReport(seed.seeded_at, True, len(story.returnee_ids()), on_call)


class Story:
    """The demo's history, each step at its moment: `at(days_before, hour, minute)` is local
    time at La Aurora that many days before the day of seeding, always in the past."""

    def __init__(self, app: Flask, session: Session, now: datetime) -> None:
        self.app, self.session = app, session
        self.today: date = now.astimezone(ZONE).date()
        self.arrivals: dict[str, Arrival] = {}
        self.manifest: Manifest | None = None
        self.desk = Actor.for_user(require_user(session, DESK_EMAIL))

    def at(self, days_before: int, hour: int, minute: int = 0) -> datetime:
        day = self.today - timedelta(days=days_before)
        return datetime.combine(day, time(hour, minute), ZONE)

    @contextmanager
    def moment(self, at: datetime) -> Iterator[None]:
        """Act as if it were `at`; what was done is committed before the clock moves on."""
        with as_of(self.app, at):
            yield
            self.session.commit()

    def worker(self, at: datetime | None) -> None:
        """Every periodic job once, as the worker would have run them at `at` (None: now)."""
        self.session.commit()
        run_once(self.app, at)
        self.session.expire_all()

    def reply(self, number: str, body: str, at: datetime) -> None:
        """A text from a phone, stored as the webhook stores it and read at once, as the
        worker woken by it reads it."""
        with self.moment(at):
            record_inbound(
                self.session,
                {
                    "MessageSid": f"SMdemo{secrets.token_hex(14)}",
                    "AccountSid": "ACsimulator",
                    "From": number,
                    "To": "simulator",
                    "Body": body,
                    "NumMedia": "0",
                },
            )
            read_replies(self.session)

    def returnee_ids(self) -> list[int]:
        return sorted({arrival.returnee_id for arrival in self.arrivals.values()})

    def tell(self) -> None:
        demo_surveys.bus_before(self)
        self.arrive()
        self.assign()
        self.first_days()
        self.referral()
        demo_surveys.take_surveys(self)
        self.day_three()
        self.worker(self.at(1, 9))
        self.worker(self.at(1, 15))  # the silent ones' reminders went unanswered: call them
        self.worker(None)

    def arrive(self) -> None:
        """He came back once before; a woman was registered twice, by two desks; the list
        arrives the day before the flight; the desk registers each passenger from the
        checklist as they come through."""
        at, landed = self.at, self.at(LANDED_DAYS_AGO, 10, 30)
        with self.moment(at(400, 15)):
            self.arrivals["first return"] = first_return(self.session, at(400, 14), self.today)
        with self.moment(at(200, 11)):
            self.arrivals["registered"] = registered_twice(self.session, at(200, 10), self.today)
        with self.moment(at(90, 17)):
            self.arrivals["registered again"] = registered_twice(
                self.session, at(90, 16), self.today, again=True
            )
        with self.moment(at(LANDED_DAYS_AGO + 1, 16)):
            self.manifest = upload_flight(self.session, self.desk, landed, self.today)
        for position, person in enumerate(PASSENGERS):
            with self.moment(landed + timedelta(minutes=10 + 2 * position)):
                self.arrivals[person.name] = register_passenger(
                    self.session, self.desk, self.manifest, person, landed
                )
        with self.moment(at(LANDED_DAYS_AGO, 12)):
            screen(self.session, self.desk, self.arrivals)
        with self.moment(at(LANDED_DAYS_AGO, 12, 30)):
            place_children(self.session, self.desk, self.arrivals)

    def assign(self) -> None:
        """The afternoon of the flight the supervisor gives each office's cases to its social
        worker, but for the last of each office's list, still waiting for one."""
        supervisor = Actor.for_user(require_user(self.session, SUPERVISOR_EMAIL))
        with self.moment(self.at(LANDED_DAYS_AGO, 15)):
            for office in DEMO_OFFICES:
                worker = require_user(self.session, office.worker[0])
                people = self.session.scalars(
                    select(Case.returnee_id)
                    .where(Case.office_id == worker.centre_id, Case.status == CaseStatus.OPEN)
                    .order_by(Case.id)
                ).all()
                if len(people) > 1:
                    assign_cases(self.session, supervisor, list(people[:-1]), worker.id)

    def first_days(self) -> None:
        """The day-0 questions go out and most answer; a mother collects her daughter; those
        who said nothing are reminded two days later."""
        at = self.at
        self.worker(at(LANDED_DAYS_AGO, 13))
        self.answer(0, at(LANDED_DAYS_AGO, 13, 20))
        self.worker(at(LANDED_DAYS_AGO, 16))
        with self.moment(at(LANDED_DAYS_AGO, 17, 20)):
            hand_over(self.session, self.desk, self.arrivals)
        self.worker(at(LANDED_DAYS_AGO, 17, 30))
        self.reply(normalise_phone(MOTHER.guardian_phone, "GT"), "1", at(LANDED_DAYS_AGO, 18, 5))
        self.worker(at(4, 9))
        self.worker(at(3, 14))
        late = next(person for person in PASSENGERS if person.answers == ("", "1"))
        self.reply(late.number(), "1", at(3, 15, 10))

    def referral(self) -> None:
        """San Marcos refers the builder to a training centre, which accepts him."""
        worker = self.office_worker("GT-OF-SM")
        partner = self.session.scalar(
            select(PartnerOrganisation.id).where(PartnerOrganisation.name == PARTNER)
        )
        with self.moment(self.at(3, 10)):
            referral = make_referral(
                self.session,
                worker,
                self.arrivals[REFERRED.name].returnee_id,
                partner,
                "training",
                True,
                note="Busca trabajo; tiene experiencia en construcción y soldadura.",
            )
        with self.moment(self.at(2, 9)):
            change_referral_status(
                self.session, worker, referral.id, "accepted", note="Entrevista el lunes, 9:00."
            )

    def day_three(self) -> None:
        """'Did you arrive well?': most say yes; one says no, which alerts the person on
        call, who acknowledges by texting back the task's number."""
        at = self.at
        self.worker(at(2, 10, 45))
        self.answer(1, at(2, 11))
        self.reply(normalise_phone(MOTHER.guardian_phone, "GT"), "sí", at(2, 11, 50))
        self.worker(at(2, 12, 30))
        urgent = self.session.scalar(
            select(Task.id).where(
                Task.returnee_id == self.arrivals[NOT_SAFE.name].returnee_id,
                Task.kind == TaskKind.URGENT_SAFETY,
                Task.status == TaskStatus.OPEN,
            )
        )
        if urgent is not None:
            on_call = next(o for o in DEMO_OFFICES if o.centre.code == "GT-OF-GUA")
            self.reply(normalise_phone(on_call.phone, "GT"), str(urgent), at(2, 12, 41))
        self.worker(at(2, 18))

    def answer(self, step: int, start: datetime) -> None:
        """Each passenger with a phone answers question `step` (0: day 0, 1: day 3) as they
        do, a few minutes apart; silence is no reply."""
        speaking = [p for p in PASSENGERS if p.phone and p.answers[step]]
        for position, person in enumerate(speaking):
            self.reply(
                person.number(), person.answers[step], start + timedelta(minutes=3 * position)
            )

    def office_worker(self, office: str) -> Actor:
        email = next(o.worker[0] for o in DEMO_OFFICES if o.centre.code == office)
        return Actor.for_user(require_user(self.session, email))
