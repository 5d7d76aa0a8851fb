"""What the reception desk costs on a full registry: a passenger list, the intake, the match.

a. Importing a 135-row passenger list (upload + import_ready_rows in one unit of work), against
   parsing it alone and a bare INSERT of the same rows.
b. GET and POST /reception/register through the test client, signed in as the demo reception
   user, against GET /healthz.
c. The desk's match, find_candidates(session, probe, country=), with BENCH_PEOPLE people
   (default 1,000,000) in PostgreSQL: people who came back typed with one error each (issue
   18's mix, bench.generator.RETURN_ERRORS) and new people. Recall (the earlier record offered)
   and false alarms (a new person shown anyone) of the matcher before issue 18 (kept in
   bench/baseline_match.py) and of people.matching, in the same run; lookup times against
   session.get by id.

Every figure is a ratio against a baseline measured in the same run. The bench database is
BENCH_DATABASE_URL (default postgresql://127.0.0.1:5432/returnees_bench, created when missing);
it is populated once and reused, BENCH_REPOPULATE=1 empties and refills it.

d. Encryption at rest: a, b and c run twice, first on a twin database (the same name ending in
   `_plain`) whose app stores documents, phones and the rest unsealed and indexes them by
   themselves (ENCRYPTION_ENABLED=false, refused outside the tests), then on the bench database
   as deployed; the run ends with each figure with encryption on as a ratio to it off.
e. The inbound sender's lookup (messaging.services.holders_of, what the webhook does for each
   message: the blind index of the From number, then the phones with that index) at the same
   registry size, for numbers somebody holds and numbers nobody holds, against session.get by
   id; part of d's comparison, so its p95 with encryption on is reported against it off.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import string
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session

from bench import baseline_match as baseline
from bench.generator import (
    RETURN_ERRORS,
    Generator,
    Person,
    passenger_list_csv,
    returned_with_error,
)
from bench.populate import (
    ESTIMATE_ERROR,
    bench_app,
    bench_url,
    count_people,
    people_wanted,
    populate,
)
from bench.sizes import sized
from returnees.auth.access import Actor
from returnees.auth.services import find_user
from returnees.core.db import EXTENSION, bulk_insert, get_session, unit_of_work
from returnees.messaging.services import holders_of
from returnees.people.matching import Candidate, IdentityProbe, find_candidates
from returnees.people.models import Phone, Returnee
from returnees.reception.manifests import ManifestEntry, import_ready_rows, upload_passenger_list
from returnees.reception.models import ExpectedPassenger, Manifest, PassengerStatus, TravelMode
from returnees.reception.passenger_lists import read_passenger_list

RECEPTION = "reception@demo.returnees.test"
CENTRE = "GT-AURORA"
LIST_ROWS, LIST_RUNS = sized(135, 5), sized(10, 3)
FORM_RUNS = sized(100, 3)
# Desk lookups of the match: half people who came back, half new people.
PROBES = int(os.environ.get("BENCH_MATCH_PROBES", sized(2000, 20)))
TARGET_MS = 50.0
# Inbound senders looked up: half numbers somebody holds, half numbers nobody holds.
SENDERS = int(os.environ.get("BENCH_SENDERS", sized(2000, 20)))
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def sample(call: Callable[[], object], runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        call()
    return [timed(call) for _ in range(runs)]


def p50(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def spread(values: list[float]) -> str:
    return f"{p50(values):7.2f} / {p95(values):7.2f} ms"


# a. passenger list -------------------------------------------------------------------------


def list_figures(app: Flask, actor: Actor, token: str) -> dict[str, float]:
    generator = Generator(seed=135)
    content = passenger_list_csv([generator.person() for _ in range(LIST_ROWS)])
    parsed = read_passenger_list("vuelo.csv", content)
    expected_at = datetime.now(UTC) + timedelta(hours=2)
    references = iter(f"BL{token}{run:03d}" for run in range(1000))

    def full_import() -> None:
        with app.app_context(), unit_of_work() as session:
            entry = ManifestEntry(CENTRE, next(references), expected_at=expected_at)
            result = upload_passenger_list(session, actor, entry, "vuelo.csv", content)
            assert import_ready_rows(session, actor, result.manifest.id) == LIST_ROWS

    with app.app_context(), unit_of_work() as session:
        centre_id = session.scalar(text("SELECT id FROM centres WHERE code = :c"), {"c": CENTRE})
        manifests = [
            Manifest(
                centre_id=centre_id,
                reference=f"BB{token}{run:03d}",
                mode=TravelMode.FLIGHT,
                deporting_country="US",
                expected_at=expected_at,
                expected_on=expected_at.date(),
                created_at=expected_at,
            )
            for run in range(LIST_RUNS + 3)
        ]
        session.add_all(manifests)
        session.flush()
        batches = iter(
            [
                {
                    "manifest_id": manifest.id,
                    "row_number": row.row_number,
                    "row_key": row.passenger.row_key() if row.passenger else str(row.row_number),
                    "source_key": row.passenger.row_key() if row.passenger else "",
                    "values": row.values,
                    "problems": row.problems,
                    "status": PassengerStatus.EXPECTED,
                    "is_unaccompanied": bool(row.passenger and row.passenger.is_unaccompanied),
                    "earlier_record_ids": [],
                }
                for row in parsed
            ]
            for manifest in manifests
        )

    def bare_insert() -> None:
        with app.app_context(), unit_of_work() as session:
            bulk_insert(session, ExpectedPassenger, next(batches))

    ours = p50(sample(full_import, LIST_RUNS))
    parse = p50(sample(lambda: read_passenger_list("vuelo.csv", content), LIST_RUNS))
    bare = p50(sample(bare_insert, LIST_RUNS))
    print(f"  a. passenger list of {LIST_ROWS} rows, cp1252 CSV (median of {LIST_RUNS} runs)")
    print(f"     upload + import_ready_rows   : {ours:8.1f} ms per list")
    print(f"     read_passenger_list alone    : {parse:8.1f} ms")
    print(f"     bare INSERT of the same rows : {bare:8.1f} ms")
    print(f"     ratio to the bare INSERT     : {ours / bare:8.2f}")
    print(f"     ratio to parse + bare INSERT : {ours / (parse + bare):8.2f}")
    return {"passenger list import (p50)": ours}


# b. registration form ----------------------------------------------------------------------


def csrf_of(client: FlaskClient, path: str) -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def signed_in(app: Flask, email: str) -> FlaskClient:
    """A test client signed in through the sign-in form as this demo user."""
    client = app.test_client()
    form = {"email": email, "password": app.config["DEMO_PASSWORD"]}
    response = client.post(
        "/auth/sign-in", data=form | {"csrf_token": csrf_of(client, "/auth/sign-in")}
    )
    assert response.status_code == 302, f"sign-in answered {response.status_code}"
    return client


def new_person_forms(app: Flask, count: int) -> list[dict[str, str]]:
    """Intake forms of GT people who match nobody (a made-up first family name), checked first."""
    generator, rng = Generator(seed=int(time.time())), random.Random(time.time_ns())
    arrived = (datetime.now(ZoneInfo("America/Guatemala")) - timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    forms: list[dict[str, str]] = []
    with app.app_context():
        session = get_session()
        while len(forms) < count:
            person = generator.person()
            if person.nationality != "GT" or not person.document_number or not person.phone:
                continue
            made_up = "".join(rng.choices(string.ascii_lowercase, k=9)).capitalize()
            family = f"{made_up} {person.family_names.split()[0]}"
            probe = IdentityProbe(
                person.given_names, family, person.birth_date, "DPI", person.document_number,
                (person.phone,),
            )  # fmt: skip
            if find_candidates(session, probe):
                continue
            forms.append(
                {
                    "given_names": person.given_names,
                    "family_names": family,
                    "birth_date": person.birth_date.isoformat(),
                    "sex": person.sex,
                    "nationality": "GT",
                    "document_type": "DPI",
                    "document_number": person.document_number,
                    "phones-0-number": person.phone.removeprefix("+502"),
                    "phones-0-owner": "self",
                    "phones-0-channel": "sms",
                    "phones-0-consent": "y",
                    "phones-1-owner": "self",
                    "phones-1-channel": "sms",
                    "language": "es",
                    "centre": CENTRE,
                    "arrived_at": arrived,
                    "mode": "flight",
                    "deporting_country": "US",
                }
            )
    return forms


def form_figures(app: Flask) -> dict[str, float]:
    client = signed_in(app, RECEPTION)
    token = csrf_of(client, "/reception/register")
    forms = iter(new_person_forms(app, FORM_RUNS + 3))
    statuses: Counter[int] = Counter()

    def post() -> None:
        response = client.post("/reception/register", data=next(forms) | {"csrf_token": token})
        statuses[response.status_code] += 1

    health = sample(lambda: client.get("/healthz"), 2 * FORM_RUNS)
    page = sample(lambda: client.get("/reception/register"), FORM_RUNS)
    saved = sample(post, FORM_RUNS)
    base = p50(health)
    print(f"  b. registration form, server time in process (p50 / p95 of {FORM_RUNS})")
    print(f"     GET /healthz (baseline)      : {spread(health)}")
    print(f"     GET /reception/register      : {spread(page)}  ({p50(page) / base:.1f}x)")
    print(f"     POST /reception/register     : {spread(saved)}  ({p50(saved) / base:.1f}x)")
    answers = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
    print(f"     POST answers (302 = saved)   : {answers}")
    return {
        "POST /reception/register (p50)": p50(saved),
        "GET /reception/register (p50)": p50(page),
    }


# c. the match ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    probe: IdentityProbe
    country: str  # the desk's
    wanted: int | None  # the earlier record to offer; None: a new person
    kind: str  # the error made (RETURN_ERRORS), or "new"
    clue: str  # what the probe carries besides names and dates: document, phone or neither


def person_of(returnee: Returnee, rng: random.Random) -> Person:
    """The person a record describes; one recorded with an estimated age alone is given a
    birth date that estimate allows (bench.populate: off by up to ESTIMATE_ERROR years)."""
    born = returnee.birth_date
    if born is None:
        on = returnee.age_estimated_on
        age = returnee.estimated_age - rng.randint(-ESTIMATE_ERROR, ESTIMATE_ERROR)
        born = min(on - timedelta(days=round(max(age, 0) * 365.25) + rng.randrange(365)), on)
    return Person(
        returnee.given_names,
        returnee.family_names,
        born,
        returnee.sex.value,
        returnee.nationality.value,
        returnee.document_type.value if returnee.document_type else None,
        returnee.document_number,
        returnee.phones[0].number if returnee.phones else None,
    )


def probe_of(person: Person, document: bool = True, phone: bool = True) -> IdentityProbe:
    return IdentityProbe(
        person.given_names,
        person.family_names,
        person.birth_date,
        person.document_type if document and person.document_number else None,
        person.document_number if document else None,
        (person.phone,) if phone and person.phone else (),
        sex=person.sex,
    )


def returning_case(session: Session, rng: random.Random, last: int) -> Case:
    """A registered person come back, typed with one error of a kind drawn from RETURN_ERRORS;
    they bring the document they had four times in five, and the same phone one in three."""
    kind = rng.choices(list(RETURN_ERRORS), list(RETURN_ERRORS.values()))[0]
    estimated = kind == "only an estimated age"
    while True:
        returnee = session.get(Returnee, rng.randint(1, last))
        if returnee is None or (returnee.birth_date is None) != estimated:
            continue
        person = person_of(returnee, rng)
        typed = returned_with_error(rng, person, kind)
        if typed is not None:
            break
    document = bool(person.document_number) and (
        kind == "one wrong digit in the document" or rng.random() < 0.8
    )
    phone = bool(person.phone) and rng.random() < 1 / 3
    clue = "document" if document else "phone" if phone else "neither"
    return Case(probe_of(typed, document, phone), person.nationality, returnee.id, kind, clue)


def cases(app: Flask, rng: random.Random) -> list[Case]:
    """Half people who came back (an error each), half new people."""
    made: list[Case] = []
    with app.app_context():
        session = get_session()
        last = session.scalar(select(func.max(Returnee.id)))
        while len(made) < PROBES // 2:
            made.append(returning_case(session, rng, last))
            session.expunge_all()
    generator = Generator(seed=rng.randrange(10**9))
    while len(made) < PROBES:
        new = generator.person()
        clue = "document" if new.document_number else "phone" if new.phone else "neither"
        made.append(Case(probe_of(new), new.nationality, None, "new", clue))
    rng.shuffle(made)
    return made


def explain_block(app: Flask, probe: IdentityProbe, country: str, marker: str) -> list[str]:
    """EXPLAIN ANALYZE of the block query find_candidates sends that holds `marker`."""
    engine: Engine = app.extensions[EXTENSION].engine
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with app.app_context():
            find_candidates(get_session(), probe, country=country)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = next((s, p) for s, p in seen if marker in s)
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
        return [row[0] for row in plan]


Matcher = Callable[[Session, IdentityProbe, str], list[Candidate]]
MATCHERS: dict[str, Matcher] = {
    "before (bench/baseline_match.py)": lambda s, p, c: baseline.find_candidates(s, p, c),
    "now (people/matching.py)": lambda s, p, c: find_candidates(s, p, c),
}


def run_matcher(
    app: Flask, matcher: Matcher, cases: list[Case]
) -> tuple[list[float], list[bool], list[int]]:
    """Milliseconds per desk lookup, whether each case came out right (the earlier record
    offered; a new person shown nobody), and how many were shown."""
    times, right, shown = [], [], []
    with app.app_context():
        session = get_session()
        for case in cases[:5]:
            matcher(session, case.probe, case.country)
            session.expunge_all()
        for case in cases:
            started = time.perf_counter()
            candidates = matcher(session, case.probe, case.country)
            times.append((time.perf_counter() - started) * 1000)
            session.expunge_all()
            ids = [candidate.returnee.id for candidate in candidates]
            right.append(not ids if case.wanted is None else case.wanted in ids)
            shown.append(len(ids))
    return times, right, shown


def share(right: list[bool], cases: list[Case], keep: Callable[[Case], bool]) -> str:
    picked = [ok for ok, case in zip(right, cases, strict=True) if keep(case)]
    return f"{sum(picked)}/{len(picked)}" if picked else "-"


def match_figures(app: Flask, people: int) -> dict[str, float]:
    rng = random.Random(2026)
    made = cases(app, rng)
    returning = [c for c in made if c.wanted is not None]
    baseline_ms = []
    with app.app_context():
        session = get_session()
        for some_id in [rng.randint(1, people) for _ in range(PROBES)]:
            baseline_ms.append(timed(lambda some_id=some_id: session.get(Returnee, some_id)))
            session.expunge_all()
    print(
        f"  c. the desk's match at {people:,} people: {len(returning)} people who came back "
        f"(one error each), {len(made) - len(returning)} new people"
    )
    print(f"     session.get by id (baseline)      : {spread(baseline_ms)}")
    figures: dict[str, float] = {}
    results = {}
    for label, matcher in MATCHERS.items():
        times, right, shown = run_matcher(app, matcher, made)
        results[label] = right
        recall = sum(ok for ok, c in zip(right, made, strict=True) if c.wanted) / len(returning)
        alarms = sum(not ok for ok, c in zip(right, made, strict=True) if not c.wanted)
        alarm_share = alarms / (len(made) - len(returning))
        print(f"     {label}")
        print(f"       recall (earlier record offered) : {recall:8.3f}  (target > 0.97)")
        print(f"       false alarms (new shown anyone) : {alarm_share:8.3f}  (target < 0.05)")
        print(f"       lookup p50 / p95 / max          : {spread(times)} / {max(times):7.2f} ms")
        target = p95(times) / TARGET_MS
        print(f"       p95 against the {TARGET_MS:.0f} ms target     : {target:8.2f} of it")
        print(f"       most shown to one person        : {max(shown):8d}")
        key = "now" if label.startswith("now") else "before"
        figures[f"match {key} p50"] = p50(times)
        figures[f"match {key} p95"] = p95(times)
    print("     recall by error (before -> now):")
    for kind in RETURN_ERRORS:
        before, now = (
            share(results[label], made, lambda c, kind=kind: c.kind == kind) for label in MATCHERS
        )
        print(f"       {kind:<40}: {before:>9} -> {now}")
    print("     recall by what the person brought (before -> now):")
    for clue in ("document", "phone", "neither"):
        before, now = (
            share(results[label], made, lambda c, clue=clue: c.wanted and c.clue == clue)
            for label in MATCHERS
        )
        print(f"       {clue:<40}: {before:>9} -> {now}")
    dated = next(c for c in returning if c.probe.birth_date and c.kind != "only an estimated age")
    for marker, what in (("unnest", "the birth-date block"),):
        print(f"     EXPLAIN of {what} (country={dated.country}):")
        for line in explain_block(app, dated.probe, dated.country, marker):
            print(f"       {line}")
    return figures


# e. the inbound sender's lookup ---------------------------------------------------------------


def sender_numbers(session: Session, rng: random.Random) -> list[tuple[str, bool]]:
    """Numbers to look up, each with whether somebody holds it: half read from the registry's
    phones (opened as the app opens them), half generated (a few may be held by chance)."""
    last = session.scalar(select(func.max(Phone.id))) or 0
    held: list[tuple[str, bool]] = []
    while last and len(held) < SENDERS // 2:
        phone = session.get(Phone, rng.randint(1, last))
        if phone is not None:
            held.append((phone.number, True))
    generator = Generator(seed=rng.randrange(10**9))
    unknown = [
        (generator.phone(rng.choice(("GT", "HN", "SV"))), False) for _ in range(SENDERS - len(held))
    ]
    numbers = held + unknown
    rng.shuffle(numbers)
    return numbers


def sender_figures(app: Flask, people: int) -> dict[str, float]:
    rng = random.Random(2027)
    with app.app_context():
        session = get_session()
        numbers = sender_numbers(session, rng)
        session.expunge_all()
        baseline_ms = []
        for some_id in [rng.randint(1, people) for _ in range(len(numbers))]:
            baseline_ms.append(timed(lambda some_id=some_id: session.get(Returnee, some_id)))
            session.expunge_all()
        for number, _held in numbers[:3]:
            holders_of(session, number)  # warm-up
        times, found = [], 0
        for number, held in numbers:
            started = time.perf_counter()
            holders = holders_of(session, number)
            times.append((time.perf_counter() - started) * 1000)
            found += held and bool(holders)
        session.rollback()
    held_count = sum(held for _number, held in numbers)
    print(
        f"  e. the inbound sender's lookup at {people:,} people: {held_count} numbers held, "
        f"{len(numbers) - held_count} nobody's"
    )
    print(f"     session.get by id (baseline)      : {spread(baseline_ms)}")
    print(f"     holders_of(number) p50 / p95       : {spread(times)} / {max(times):7.2f} ms")
    print(f"     held numbers found                 : {found} of {held_count}")
    # The baseline's p95 too: when the two halves of the run meet different loads, its ratio
    # says how much of the lookup's is the machine's.
    return {
        "sender lookup p50": p50(times),
        "sender lookup p95": p95(times),
        "sender baseline (session.get) p95": p95(baseline_ms),
    }


def run(url: str, encrypted: bool) -> dict[str, float]:
    """a, b and c on the database at `url`, its app sealing personal data or not."""
    app = bench_app(url, encrypted)
    engine = app.extensions[EXTENSION].engine
    wanted = people_wanted()
    if os.environ.get("BENCH_REPOPULATE") == "1":
        with engine.begin() as connection:
            connection.exec_driver_sql("TRUNCATE returnees RESTART IDENTITY CASCADE")
    existing = count_people(engine)
    if existing < wanted:
        with app.app_context():
            rate = populate(engine, wanted - existing)
        print(f"reception: populated {wanted - existing:,} people at {rate:,.0f} people/s")
    people = count_people(engine)
    with app.app_context():
        actor = Actor.for_user(find_user(get_session(), RECEPTION))
    token = f"{int(time.time()) % 10**8}"
    said = "encryption on" if encrypted else "encryption OFF, for the comparison"
    print(f"reception (postgresql, {people:,} people in the registry, {said})")
    figures = list_figures(app, actor, token) | form_figures(app) | match_figures(app, people)
    figures |= sender_figures(app, people)
    engine.dispose()
    return figures


def main() -> None:
    url = bench_url()
    plain = run(f"{url}_plain", encrypted=False)
    sealed = run(url, encrypted=True)
    print("  d. encryption at rest: each figure with it on, as a ratio to the same run with it off")
    for name, off in plain.items():
        print(
            f"     {name:<45}: {sealed[name]:8.2f} ms / {off:8.2f} ms = {sealed[name] / off:5.2f}"
        )
    desk = sealed["match now p95"]
    print(f"     desk lookup p95, encryption on : {desk / TARGET_MS:8.2f} of the target")
    sender = sealed["sender lookup p95"]
    print(
        f"     inbound sender lookup p95, encryption on / off: {sender:.2f} ms / "
        f"{plain['sender lookup p95']:.2f} ms = {sender / plain['sender lookup p95']:.2f}"
    )
