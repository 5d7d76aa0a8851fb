"""Message retention: once MESSAGE_RETENTION_DAYS have passed, a message's words are held
nowhere: not in the message, not in the request Twilio sent, not in what the gateway said of
it, and not in the tasks opened about a reply, which keep their kind and say "—" instead."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import JSON, LargeBinary, String, inspect, select, text

from returnees.casework.reasons import reason_in_words
from returnees.core.encryption import SEALED, open_value, row_key
from returnees.followups.reading import read_replies
from returnees.messaging.models import OutboundMessage
from returnees.messaging.services import apply_retention, apply_status_callback, queue_message
from returnees.tasks.models import Task, TaskKind
from returnees.tasks.services import without_quote
from tests.messaging.test_webhooks import message, post_signed

# Words people wrote, and what the gateway said of a message that failed.
WORDS = ("auxilio nos siguen", "auxilio en la casa", "ya no vivo en Mixco", "handset apagado")


def every_text(in_app) -> list[tuple[str, str, str]]:
    """Every text value of every table as (table, column, value), read with plain SQL; a
    sealed one opened with the keys (as anyone holding them could)."""
    sealed = {
        (model.__tablename__, field.column): (model, field)
        for model, fields in SEALED.items()
        for field in fields
    }
    found = []
    with in_app() as session:
        database = inspect(session.connection())
        for table in database.get_table_names():
            columns = [
                column["name"]
                for column in database.get_columns(table)
                if isinstance(column["type"], String | JSON | LargeBinary)
            ]
            for column in columns:
                if (table, column) in sealed:
                    model, field = sealed[(table, column)]
                    key = row_key(model)
                    query = f'SELECT "{key}", "{column}" FROM "{table}"'
                    for row_id, value in session.execute(text(query)):
                        opened = open_value(field, model, row_id, value)
                        found.append((table, column, str(opened)))
                else:
                    for value in session.scalars(text(f'SELECT "{column}" FROM "{table}"')):
                        found.append((table, column, str(value)))
    return found


def holding(in_app, words: tuple[str, ...]) -> set[tuple[str, str, str]]:
    return {
        (table, column, said)
        for table, column, value in every_text(in_app)
        for said in words
        if said in value
    }


def test_after_retention_no_table_holds_a_message_s_words(app, register, in_app, clock):
    register(given_names="Marta", phones=("5555 1234",))
    register(given_names="Raúl", phones=("5555 1234",))  # a shared phone
    register(given_names="Irma", phones=("5555 2222",))
    post_signed(app, message(sid="SMret1", body=WORDS[0], sender="+50244443333"))  # nobody's
    post_signed(app, message(sid="SMret2", body=WORDS[1], sender="+50255551234"))  # shared
    post_signed(app, message(sid="SMret3", body=WORDS[2], sender="+50255552222"))  # to review
    with in_app() as session:
        read_replies(session)
        sent = queue_message(session, "+50255552222", "Hola Irma")
        apply_status_callback(
            session,
            sent.id,
            {"MessageStatus": "undelivered", "ErrorCode": "30003", "ErrorMessage": WORDS[3]},
        )
    with in_app() as session:
        reasons = {task.kind: task.reason for task in session.scalars(select(Task))}
    assert reasons[TaskKind.REVIEW_REPLY] == WORDS[2]
    assert {table for table, _column, _said in holding(in_app, WORDS)} >= {
        "inbound_messages",
        "tasks",
        "outbound_messages",
    }, "the words were not there to begin with"

    clock.at = clock.now() + timedelta(days=app.config["MESSAGE_RETENTION_DAYS"] - 1)
    with in_app() as session:
        assert apply_retention(session) == 0, "nothing goes before its time"
    assert holding(in_app, WORDS)
    clock.at = clock.now() + timedelta(days=2)
    with in_app() as session:
        assert apply_retention(session) >= 4
    assert holding(in_app, WORDS) == set()
    with in_app() as session:
        kept = sorted((task.kind.value, task.reason) for task in session.scalars(select(Task)))
        failed = session.scalar(select(OutboundMessage).where(OutboundMessage.error_code == 30003))
    assert ("review_reply", "—") in kept
    assert ("urgent_safety", "unknown number: —") in kept
    assert any(
        reason.startswith("shared phone (") and reason.endswith("): —") for _k, reason in kept
    )
    assert (failed.error_code, failed.error_message) == (30003, ""), "the code stays, the words go"


def test_a_reason_that_quotes_nothing_is_kept_and_reads_in_words(app):
    assert without_quote("answered: not safe") == "answered: not safe"
    assert (
        without_quote("answered: not all safe (Ana, Luis)") == "answered: not all safe (Ana, Luis)"
    )
    assert without_quote("family (Ana, Luis): danger words: auxilio") == (
        "family (Ana, Luis): danger words: —"
    )
    with app.test_request_context():  # the default language, Spanish
        said = reason_in_words(TaskKind.URGENT_SAFETY, "danger words: —")
    assert said == "palabras de peligro: —"
