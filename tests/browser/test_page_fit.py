"""Every page fits the screen it is read on: a social worker's phone (390 px), the desk's small
screen (1024 px) and a desktop (1280 px). Each role visits every page the access matrix lets it
open, with real records behind every id, and a page fails if it scrolls sideways, leaves a link,
button or field outside the screen, shows a date as yyyy-mm-dd rather than dd/mm/aaaa, weighs
more than 200 KB or loads anything from another server (centres have weak connections, no CDN)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.core.db import unit_of_work
from returnees.demo.services import DEMO_USERS
from returnees.duplicates.merging import merge_returnees
from returnees.duplicates.models import DuplicatePair
from returnees.messaging.models import MessageTemplate
from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry
from returnees.reception.manifests import ManifestEntry, upload_passenger_list
from returnees.reception.services import HandoverEntry, hand_over_child, register_arrival
from returnees.referrals.models import PartnerOrganisation
from returnees.referrals.services import make_referral
from returnees.surveys.instrument import active_instrument
from returnees.surveys.models import SurveyWave
from returnees.tasks.models import TaskKind
from returnees.tasks.services import open_task
from tests.auth.test_access_matrix import MATRIX, PUBLIC, SIGNED
from tests.browser.test_sign_in_journeys import sign_in_by_keyboard

pytestmark = pytest.mark.browser

PHONE, DESKTOP = 390, 1280
SCREEN_HEIGHT = 844
DESK_SCREEN = 1024

OUT_OF_PLACE = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const wide = document.documentElement.scrollWidth;
  if (wide > width + 1) found.push(`the page is ${wide} px wide`);
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (const control of document.querySelectorAll(controls)) {
    if (control.classList.contains('skip')) continue;
    const box = control.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    if (box.left < -1 || box.right > width + 1) {
      const name = control.getAttribute('name') || control.id || control.innerText || '';
      const where = `${Math.round(box.left)}-${Math.round(box.right)} px`;
      found.push(`${control.tagName.toLowerCase()} "${name.trim().slice(0, 40)}" at ${where}`);
    }
  }
  return found;
}"""


ISO_DATES = r"""() => document.body.innerText.match(/\b(19|20)\d\d-\d\d-\d\d\b/g) || []"""
MAX_PAGE_BYTES = 200_000
WEIGHT = """() => {
  const entries = [...performance.getEntriesByType('navigation'),
                   ...performance.getEntriesByType('resource')];
  return {
    bytes: entries.reduce((sum, entry) => sum + entry.decodedBodySize, 0),
    elsewhere: entries.map(entry => entry.name)
                      .filter(name => new URL(name).origin !== location.origin),
  };
}"""


@dataclass(frozen=True)
class FitWorld:
    ids: dict[str, int | str]


@pytest.fixture(scope="module")
def fit_world(live_app) -> FitWorld:
    """One real record behind every id a page takes: a person with a phone and a referral, a
    child handed over to an aunt, a passenger list with a row to fix."""
    actor = Actor.system("page-fit")
    with live_app.app_context(), unit_of_work() as session:
        adult = register_arrival(
            session, actor, _intake("Rosa Amalia", "Ajú de la Cruz Xiloj", 31, "41239876"), "new"
        )
        child = register_arrival(
            session, actor, _intake("Mateo", "Xiloj Ajú", 13, "", alone=True), "new"
        )
        hand_over_child(session, actor, child.id, HandoverEntry("Tía Juana", "other_relative"))
        open_task(session, TaskKind.CALL, adult.returnee_id, "no answer x2", priority=10)
        listing = "apellidos,nombres,fecha de nacimiento,sexo,nacionalidad\n"
        listing += "Pérez,Ana,31/02/2000,F,GT\n"
        arriving = datetime(2026, 12, 1, tzinfo=UTC)
        entry = ManifestEntry("GT-AURORA", "TA-390", "flight", "US", arriving)
        upload = upload_passenger_list(session, actor, entry, "lista.csv", listing.encode())
        worker = session.scalar(select(User).where(User.role == Role.SOCIAL_WORKER))
        supervisor = session.scalar(select(User).where(User.role == Role.SUPERVISOR))
        partner = session.scalar(
            select(PartnerOrganisation).where(PartnerOrganisation.country == "GT")
        )
        referral = make_referral(
            session,
            Actor.for_user(supervisor),
            adult.returnee_id,
            partner.id,
            partner.services[0].kind.value,
            has_consent=True,
        )
        pair, merge = _registered_twice(session, actor, Actor.for_user(supervisor), adult)
        wave = SurveyWave(
            returnee_id=adult.returnee_id,
            arrival_id=adult.id,
            day=30,
            instrument_id=active_instrument(session).id,
            created_at=datetime.now(UTC),
        )
        session.add(wave)
        session.flush()
        return FitWorld(
            {
                "<code>": "GT-AURORA",
                "<int:user_id>": worker.id,
                "<int:arrival_id>": child.id,
                "<int:returnee_id>": adult.returnee_id,
                "<int:manifest_id>": upload.manifest.id,
                "<int:template_id>": session.scalar(select(MessageTemplate.id).limit(1)),
                "<int:referral_id>": referral.id,
                "<int:organisation_id>": partner.id,
                "<profile>": "adult",
                "<int:pair_id>": pair,
                "<int:merge_id>": merge,
                "<int:wave_id>": wave.id,
                "<int:version>": 1,
            }
        )


def _registered_twice(session, desk: Actor, supervisor: Actor, person) -> tuple[int, int]:
    """The adult registered twice more: one record proposed as a pair with hers, the other
    merged into hers. The pair's id and the merge's."""
    again = [
        register_arrival(
            session, desk, _intake("Rosa Amalia", "Ajú de la Cruz Xiloj", 31, ""), "new"
        )
        for _ in range(2)
    ]
    pair = DuplicatePair(
        country="GT", first_id=person.returnee_id, second_id=again[0].returnee_id, weight=12,
        reasons=["same_name", "same_birth_date"], found_at=datetime(2026, 12, 1, tzinfo=UTC),
    )  # fmt: skip
    session.add(pair)
    session.flush()
    merged = merge_returnees(session, supervisor, again[1].returnee_id, person.returnee_id)
    return pair.id, merged.id


def _intake(given: str, family: str, age: int, phone: str, alone: bool = False) -> Intake:
    return Intake(
        given_names=given,
        family_names=family,
        birth_date=date(2026 - age, 7, 22),
        sex="F",
        nationality="GT",
        home="",
        is_unaccompanied=alone,
        phones=[PhoneEntry(phone, consent=True)] if phone else [],
        arrival=ArrivalEntry(centre="GT-AURORA"),
    )


def pages_of(role: Role) -> list[str]:
    return sorted(
        rule
        for (method, rule), allowed in MATRIX.items()
        if method == "GET"
        and not rule.startswith("/api/")
        and not rule.endswith(".json")  # a file to download, not a page
        and allowed not in (PUBLIC, SIGNED)
        and role in allowed
    )


def concrete(rule: str, world: FitWorld) -> str:
    for placeholder, value in world.ids.items():
        rule = rule.replace(placeholder, str(value))
    assert "<" not in rule, f"no record for {rule}: add one to fit_world"
    return rule


SCREENS = [
    pytest.param(email, role, width, id=f"{role.value} at {width} px")
    for email, role, _centre, _name in DEMO_USERS
    for width in (PHONE, DESKTOP)
]


@pytest.mark.parametrize(("email", "role", "width"), SCREENS)
def test_every_page_fits_the_screen(browser, live_server, fit_world, email, role, width):
    problems = _visit_every_page(browser, live_server, fit_world, email, pages_of(role), width)
    assert not problems, "\n".join(problems)


def test_the_desk_pages_fit_a_small_desktop(browser, live_server, fit_world):
    desk_pages = [rule for rule in pages_of(Role.RECEPTION) if rule.startswith("/reception/")]
    problems = _visit_every_page(
        browser, live_server, fit_world, "reception@demo.returnees.test", desk_pages, DESK_SCREEN
    )
    assert not problems, "\n".join(problems)


@contextmanager
def on_screen(browser, live_server, width: int, email: str | None = None) -> Iterator:
    """A page in a browser `width` px wide (a phone's height), signed in as `email` if given."""
    context = browser.new_context(
        viewport={"width": width, "height": SCREEN_HEIGHT}, base_url=live_server
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        if email:
            sign_in_by_keyboard(page, email)
        yield page
    finally:
        context.close()


def _visit_every_page(
    browser, live_server, world: FitWorld, email: str, rules: list[str], width: int
) -> list[str]:
    with on_screen(browser, live_server, width, email) as page:
        problems = []
        for rule in rules:
            path = concrete(rule, world)
            response = page.goto(path)
            assert response.status < 400, f"{path}: {response.status}"
            found = page.evaluate(OUT_OF_PLACE)
            found += [f"shows the date {iso} as yyyy-mm-dd" for iso in page.evaluate(ISO_DATES)]
            weight = page.evaluate(WEIGHT)
            if weight["bytes"] > MAX_PAGE_BYTES:
                found.append(f"weighs {weight['bytes']} bytes with its styles and scripts")
            found += [f"loads {address} from another server" for address in weight["elsewhere"]]
            problems += [f"{path} at {width} px: {what}" for what in found[:4]]
            if len(found) > 4:
                problems.append(f"{path} at {width} px: and {len(found) - 4} more")
        return problems


def test_a_phone_shows_the_queue_as_cards_for_the_thumb(browser, live_server, fit_world):
    """On a phone the header is one short line, each task is a card that starts with its
    reason and offers the call by a tap, and the outcome buttons are big enough for a thumb."""
    with on_screen(browser, live_server, PHONE, "social_worker@demo.returnees.test") as page:
        page.goto("/queue")
        assert page.locator("header.top").bounding_box()["height"] < SCREEN_HEIGHT * 0.1
        card = page.locator("table.queue tbody tr[data-task]").first
        first_line = card.locator("td").first.inner_text()
        assert "no answer" in first_line or "sin respuesta" in first_line, first_line
        assert card.locator("a[href^='tel:']").count() == 1
        for button in card.locator("button[name=outcome]").all():
            box = button.bounding_box()
            assert box["height"] >= 44 and box["x"] + box["width"] <= PHONE


def test_the_sign_in_page_fits_a_phone(browser, live_server):
    with on_screen(browser, live_server, PHONE) as page:
        page.goto("/auth/sign-in")
        assert page.evaluate(OUT_OF_PLACE) == []


CHART_TEXT = """() => {
  const sizes = [];
  for (const svg of document.querySelectorAll('.line-chart svg[role=img]')) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const text of svg.querySelectorAll('text')) {
      sizes.push(parseFloat(getComputedStyle(text).fontSize) * scale);
    }
  }
  const legends = [...document.querySelectorAll('.legend li')];
  return {
    charts: document.querySelectorAll('.line-chart svg[role=img]').length,
    smallest: Math.min(...sizes),
    legend: Math.min(...legends.map(item => parseFloat(getComputedStyle(item).fontSize))),
  };
}"""


def test_the_report_charts_read_on_a_phone(browser, live_server, fit_world):
    """Every chart of twelve months draws its words at 13 px or more on a 390 px phone, its
    legend too, and the page does not scroll sideways."""
    with on_screen(browser, live_server, PHONE, "supervisor@demo.returnees.test") as page:
        page.goto("/reports/")
        assert page.evaluate(OUT_OF_PLACE) == []
        text = page.evaluate(CHART_TEXT)
        assert text["charts"] == 16, "a chart for each panel of every family of figures"
        assert text["smallest"] >= 13, f"chart text drawn at {text['smallest']:.1f} px"
        assert text["legend"] >= 13, f"legend at {text['legend']:.1f} px"


A4_WIDTH = 794
PRINTED_PANELS = """() => [...document.querySelectorAll('.trend-panel')].map(panel => {
  const chart = panel.querySelector('.line-chart').getBoundingClientRect();
  const table = panel.querySelector('.trend-table').getBoundingClientRect();
  const scroll = panel.querySelector('.table-scroll');
  return {above: chart.bottom <= table.top + 1,
          whole: !scroll || scroll.scrollWidth <= scroll.clientWidth + 1};
})"""


def test_the_report_charts_print_each_above_its_whole_table(browser, live_server, fit_world):
    """On paper (an A4 page's width at 96 dpi) nothing scrolls: each chart stands above its
    table, and the table is whole."""
    with on_screen(browser, live_server, A4_WIDTH, "supervisor@demo.returnees.test") as page:
        page.emulate_media(media="print")
        page.goto("/reports/")
        panels = page.evaluate(PRINTED_PANELS)
        assert len(panels) == 16
        assert all(panel["above"] for panel in panels), panels
        assert all(panel["whole"] for panel in panels), panels
