"""Spanish by default, English on a switch remembered per user; every string translated."""

from __future__ import annotations

import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import select

from returnees.auth.models import Role
from returnees.messaging.models import MessageStatus
from tests.audit.test_audit_trail import record_types_written
from tests.conftest import csrf_token, signed_in_client

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "returnees/translations/es/LC_MESSAGES/messages.po"


def switch_to(client, locale: str):
    return client.post(
        "/language", data={"locale": locale, "next": "/", "csrf_token": csrf_token(client)}
    )


def test_the_interface_is_spanish_by_default(app):
    page = app.test_client().get("/auth/sign-in").get_data(as_text=True)
    assert "Iniciar sesión" in page and 'lang="es"' in page


def test_a_visitor_can_switch_to_english(app):
    client = app.test_client()
    switch_to(client, "en")
    assert "Sign in" in client.get("/auth/sign-in").get_data(as_text=True)


def test_the_choice_is_remembered_on_the_account(app, make_user, sign_in_as):
    user = make_user(Role.SUPERVISOR)
    switch_to(sign_in_as(user), "en")
    another_browser = sign_in_as(user)
    assert "Programme overview" in another_browser.get("/").get_data(as_text=True)


def test_api_errors_are_in_the_language_of_the_tokens_user(app, make_user, token_for):
    client = app.test_client()
    spanish = token_for(make_user(Role.RECEPTION))
    english = token_for(make_user(Role.RECEPTION, locale="en"))
    in_spanish = client.get("/api/v1/users", headers=spanish).get_json()["error"]["message"]
    in_english = client.get("/api/v1/users", headers=english).get_json()["error"]["message"]
    assert in_spanish == "Su rol no permite esta acción."
    assert in_english == "Your role does not allow this."


def test_every_user_facing_string_has_a_spanish_translation():
    mapping = [("returnees/**.py", "python"), ("templates/**.html", "jinja2")]
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT),
            method_map=mapping,
            keywords={"_": None, "gettext": None, "lazy_gettext": None},
        )
    }
    with CATALOG.open("rb") as handle:
        catalog = read_po(io.BytesIO(handle.read()))
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(found - translated)
    assert not missing, (
        f"{len(missing)} strings lack a Spanish translation; run `make translations` and fill "
        f"them in: {missing[:10]}"
    )


# Words of the codes and reasons the code stores in English (message statuses, audit record
# types, task reasons, channels, document types): none may reach a Spanish page as it is stored.
ENGLISH_CODES = {
    *(status.value for status in MessageStatus),
    *record_types_written(),
    *("answered", "danger", "words", "high", "risk", "abroad", "children", "threatened"),
    *("months", "answer", "sms", "whatsapp", "PASSPORT"),
}


class VisibleText(HTMLParser):
    """The words a reader sees: the text outside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:  # words, not parts of an address ("user12@example.org")
            self.words += [w.strip(".,:;()") for w in data.split() if "@" not in w]


def english_on(page: str) -> set[str]:
    parser = VisibleText()
    parser.feed(page)
    return ENGLISH_CODES & set(parser.words)


@pytest.fixture
def seeded_case(app, register, in_app, clock, make_user, demo):
    """A person at high risk who answered their first message with danger words, and the
    supervisor who opened their record."""
    from returnees.auth.access import Actor
    from returnees.reception.services import ScreeningEntry, record_screening
    from returnees.risk.services import assess
    from returnees.tasks.models import Task, TaskKind
    from tests.followups.test_dispatch import run_jobs
    from tests.messaging.test_webhooks import message, post_signed

    arrival = register(phones=("5555 1234",), document_type="PASSPORT", document_number="X1234567")
    with in_app() as session:
        answers = ScreeningEntry(
            family_abroad=["children"],
            was_threatened=True,
            months_abroad=30,
            intends_to_migrate_again=True,
            reported_deportations=3,
        )
        record_screening(session, Actor.system("test"), arrival.id, answers)
        assess(session, [arrival.returnee_id])
    run_jobs(in_app)
    post_signed(app, message(body="1, pero me amenazan"))
    run_jobs(in_app)
    with in_app() as session:
        kinds = set(session.scalars(select(Task.kind)))
    assert kinds >= {TaskKind.HIGH_RISK, TaskKind.URGENT_SAFETY}, "the case is not seeded"
    client = signed_in_client(app, make_user(Role.SUPERVISOR, "GT-AURORA"))
    assert client.get(f"/returnees/{arrival.returnee_id}").status_code == 200
    return client, arrival.returnee_id


@pytest.mark.parametrize("page", ["/returnees/{person}", "/queue", "/simulator/", "/audit/"])
def test_pages_show_no_stored_english_codes_in_spanish(seeded_case, page):
    """Reasons, statuses and types are stored as English codes; the pages say them in Spanish."""
    client, person = seeded_case
    response = client.get(page.format(person=person))
    assert response.status_code == 200
    assert not english_on(response.get_data(as_text=True)), f"English on {page}"


def test_the_record_says_a_tasks_reason_as_the_queue_does(seeded_case):
    client, person = seeded_case
    record = client.get(f"/returnees/{person}").get_data(as_text=True)
    queue = client.get("/queue").get_data(as_text=True)
    for said in ("palabras de peligro: 1, pero me amenazan", "riesgo alto: hijos en el extranjero"):
        assert said in record and said in queue


def test_every_stored_code_shown_on_a_page_has_a_label():
    """A new status, kind, action or reason for closing needs its name in the reader's language
    before it can reach a page."""
    from returnees.audit.forms import ACTION_LABELS
    from returnees.audit.models import AuditAction
    from returnees.casework.labels import CLOSE_REASON_LABELS
    from returnees.casework.models import CloseReason
    from returnees.messaging.labels import STATUS_LABELS
    from returnees.people.identity import DocumentType
    from returnees.reception.forms import DOCUMENT_NAMES
    from returnees.tasks.labels import TASK_LABELS
    from returnees.tasks.models import TaskKind

    for codes, labels in (
        (MessageStatus, STATUS_LABELS),
        (TaskKind, TASK_LABELS),
        (AuditAction, ACTION_LABELS),
        (CloseReason, CLOSE_REASON_LABELS),
        (DocumentType, DOCUMENT_NAMES),
    ):
        assert {code.value for code in codes} <= set(labels), f"{codes.__name__} lacks labels"
