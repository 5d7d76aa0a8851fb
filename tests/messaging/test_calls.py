"""Check-ins by phone call, driven whole: placed with the twilio client against the fake Twilio
over HTTP, answered (or not) as Twilio answers, keys pressed at the TwiML endpoints, signed as
Twilio signs them, and read by the same reading as a text answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.followups.models import (
    AnswerType,
    CheckIn,
    CheckInState,
    FollowUpPlan,
    Indicator,
    IndicatorReading,
    VoiceRule,
)
from returnees.messaging.calls import queue_staff_call
from returnees.messaging.models import (
    ConsentChange,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
)
from returnees.messaging.prompts import THANKS_KEY, allow_spanish_say, save_voice_prompt
from returnees.messaging.services import dispatch_messages
from returnees.people.models import Channel, Phone
from returnees.reception.intake import PhoneEntry
from returnees.reception.services import link_household
from returnees.tasks.models import Task, TaskKind
from tests.followups.test_answers import ask_only
from tests.followups.test_dispatch import run_jobs as run_dispatch
from tests.messaging.audio import wav_bytes
from tests.messaging.fake_twilio import Scripted
from tests.messaging.test_gateway import short_timeout

PUBLIC = "http://returnees.test"
NUMBER = "+50255551234"


def run_jobs(in_app) -> None:
    """The worker's jobs of a follow-up: read replies, queue check-ins, send (place calls),
    follow what was sent."""
    from returnees.followups.dispatch import follow_sent_messages

    run_dispatch(in_app)
    with in_app() as session:
        follow_sent_messages(session)


def by_phone(number: str = "5555 1234") -> PhoneEntry:
    """A number whose holder asked for calls at the desk, and agreed to be contacted."""
    return PhoneEntry(number, channel="voice", consent=True)


@pytest.fixture
def prompts(prompt_dir, as_admin):
    """Recordings an admin uploaded: "are you safe?" and "gracias" in Spanish; "press 9 to
    stop the calls" is read aloud as installed. `prompts(key, language)` records one more."""

    def record(key: str, language: str = "es") -> int:
        with as_admin() as (session, actor):
            return save_voice_prompt(session, actor, key, language, wav_bytes(2)).id

    record("arrived_safe")
    record(THANKS_KEY)
    return record


def poster(app):
    """What the fake posts with: the app's test client, answering 200 (TwiML) or 204."""
    client = app.test_client()

    def post(path: str, form: dict, headers: dict) -> str:
        response = client.post(path, data=form, headers=headers)
        assert response.status_code in (200, 204), (path, response.status_code)
        return response.get_data(as_text=True)

    return post


@pytest.fixture
def called(app, fake_twilio, prompts, register, in_app):
    """A person who asked for calls, asked "are you safe?" by a call now placed: its sid."""
    register(given_names="Rosa", phones=(by_phone(),))
    ask_only(in_app, "arrived_safe")
    run_jobs(in_app)
    [call] = fake_twilio.calls.values()
    return call["sid"]


def the_call(in_app) -> OutboundMessage:
    with in_app() as session:
        return session.scalars(
            select(OutboundMessage).where(OutboundMessage.channel == Channel.VOICE)
        ).one()


def check_in(in_app) -> CheckIn:
    with in_app() as session:
        return session.scalars(select(CheckIn).where(CheckIn.template == "arrived_safe")).one()


def tasks(in_app) -> list[TaskKind]:
    with in_app() as session:
        return list(session.scalars(select(Task.kind).order_by(Task.id)))


def test_the_call_is_placed_with_its_signed_twiml_status_callback_and_machine_detection(
    app, fake_twilio, called, in_app
):
    [placed] = fake_twilio.placed()
    message = the_call(in_app)
    assert placed["To"] == NUMBER and placed["From"] == "+15005550006"
    assert placed["Url"] == f"{PUBLIC}/webhooks/twilio/voice?message={message.id}"
    assert placed["StatusCallback"] == f"{PUBLIC}/webhooks/twilio/voice/status?message={message.id}"
    assert placed["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert placed["MachineDetection"] == "Enable"
    assert message.twilio_sid == called and message.status is MessageStatus.SENDING
    assert fake_twilio.messages == {}, "no text besides the call"
    run_jobs(in_app)
    assert len(fake_twilio.placed()) == 1, "a call is placed once"


def test_an_answered_call_is_read_as_a_text_answer_thanked_and_hung_up(
    app, fake_twilio, called, in_app
):
    question, thanks = fake_twilio.pick_up(called, poster(app), PUBLIC, keys=("1",))
    assert '<Gather action="http://returnees.test/webhooks/twilio/voice/answer?' in question
    assert 'input="dtmf"' in question and 'numDigits="1"' in question
    assert "<Play>http://returnees.test/voice-prompts/" in question
    assert '<Say language="es-MX">Para no recibir más llamadas, marque 9.</Say>' in question
    assert "Rosa" not in question, "a call names no one"
    assert "<Play>http://returnees.test/voice-prompts/" in thanks
    assert "<Hangup" in thanks and "<Gather" not in thanks
    run_jobs(in_app)
    answered = check_in(in_app)
    assert (answered.state, answered.answer) == (CheckInState.ANSWERED, "yes")
    with in_app() as session:
        reading = session.scalars(select(IndicatorReading)).one()
        reply = session.get(InboundMessage, answered.reply_id)
    assert (reading.indicator, reading.value) == (Indicator.SAFE, True)
    assert (reply.channel, reply.body, reply.from_number) == (Channel.VOICE, "1", NUMBER)
    assert tasks(in_app) == []


def test_a_numbered_choice_is_read_from_its_key_as_from_a_text(app, fake_twilio, called, in_app):
    with in_app() as session:
        asked = session.scalars(select(CheckIn).where(CheckIn.template == "arrived_safe")).one()
        asked.answer_type = AnswerType.CHOICE  # a step whose answers are numbered options
    fake_twilio.pick_up(called, poster(app), PUBLIC, keys=("3",))
    run_jobs(in_app)
    answered = check_in(in_app)
    assert (answered.state, answered.answer) == (CheckInState.ANSWERED, "3")


def test_a_call_that_may_have_been_placed_is_found_at_twilio_not_placed_twice(
    app, fake_twilio, prompts, register, in_app, clock
):
    register(given_names="Rosa", phones=(by_phone(),))
    ask_only(in_app, "arrived_safe")
    short_timeout(app, fake_twilio)
    fake_twilio.answer_next(Scripted(delay=1.0))  # placed, but the answer comes too late
    run_jobs(in_app)
    assert the_call(in_app).is_ambiguous
    clock.advance(minutes=6)
    run_jobs(in_app)
    assert len(fake_twilio.placed()) == 1, "found at Twilio, not placed again"
    message = the_call(in_app)
    assert message.twilio_sid in fake_twilio.calls and not message.is_ambiguous


def test_no_key_plays_the_prompt_once_more_then_the_call_is_unanswered(
    app, fake_twilio, called, in_app
):
    _first, again, last = fake_twilio.pick_up(called, poster(app), PUBLIC, keys=("", ""))
    assert "<Gather" in again and "round=2" in again
    assert "<Gather" not in last and "<Hangup" in last
    assert check_in(in_app).state is CheckInState.UNANSWERED
    assert tasks(in_app) == [TaskKind.CALL]
    with in_app() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_a_busy_line_is_called_again_an_hour_later_and_answered(
    app, fake_twilio, called, in_app, clock
):
    post = poster(app)
    post(*fake_twilio.call_status(called, "ringing", PUBLIC))
    post(*fake_twilio.call_status(called, "busy", PUBLIC))
    message = the_call(in_app)
    assert message.status is MessageStatus.QUEUED and message.redials == 1
    assert message.next_attempt_at == clock.now() + timedelta(hours=1)
    clock.advance(minutes=59)
    run_jobs(in_app)
    assert len(fake_twilio.placed()) == 1, "not within the hour"
    clock.advance(minutes=1)
    run_jobs(in_app)
    assert len(fake_twilio.placed()) == 2
    retry = next(sid for sid in fake_twilio.calls if sid != called)
    post(*fake_twilio.call_status(called, "completed", PUBLIC))  # late, about the first call
    fake_twilio.pick_up(retry, post, PUBLIC, keys=("1",))
    post(*fake_twilio.call_status(retry, "completed", PUBLIC, answered_by="human"))
    run_jobs(in_app)
    assert check_in(in_app).answer == "yes"
    assert the_call(in_app).status is MessageStatus.DELIVERED


def test_a_call_never_taken_is_tried_three_times_then_a_person_calls(
    app, fake_twilio, called, in_app, clock
):
    post = poster(app)
    for status in ("no-answer", "busy", "failed"):
        sid = next(sid for sid in fake_twilio.calls if fake_twilio.calls[sid]["status"] == "queued")
        post(*fake_twilio.call_status(sid, status, PUBLIC))
        clock.advance(hours=1)
        run_jobs(in_app)
    assert len(fake_twilio.placed()) == 3
    assert the_call(in_app).status is MessageStatus.FAILED
    assert check_in(in_app).state is CheckInState.UNANSWERED
    assert tasks(in_app) == [TaskKind.CALL]


def test_a_redial_waits_for_the_sending_window(app, fake_twilio, called, in_app, clock):
    clock.advance(hours=10, minutes=30)  # 18:30 in Guatemala
    poster(app)(*fake_twilio.call_status(called, "no-answer", PUBLIC))
    clock.advance(hours=1)  # 19:30: outside the window
    run_jobs(in_app)
    assert len(fake_twilio.placed()) == 1
    clock.advance(hours=12, minutes=30)  # 08:00 the next morning
    run_jobs(in_app)
    assert len(fake_twilio.placed()) == 2


def test_an_answering_machine_hears_nothing_and_is_called_again(app, fake_twilio, called, in_app):
    [twiml] = fake_twilio.pick_up(
        called, poster(app), PUBLIC, keys=("1",), answered_by="machine_start"
    )
    assert "<Hangup" in twiml and "<Play" not in twiml and "<Say" not in twiml
    assert "<Gather" not in twiml
    message = the_call(in_app)
    assert message.status is MessageStatus.QUEUED and message.redials == 1
    assert check_in(in_app).state is CheckInState.SENDING


def test_a_danger_answer_raises_the_urgent_task_and_alerts_whoever_is_on_call(
    app, fake_twilio, called, in_app, make_user
):
    make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone="+50244441111", is_on_call=True)
    fake_twilio.pick_up(called, poster(app), PUBLIC, keys=("2",))
    run_jobs(in_app)
    assert check_in(in_app).answer == "no"
    assert TaskKind.URGENT_SAFETY in tasks(in_app)
    with in_app() as session:
        alerts = session.scalars(
            select(OutboundMessage).where(OutboundMessage.template == "on_call_alert")
        ).all()
        acknowledged = session.scalars(
            select(OutboundMessage).where(OutboundMessage.template == "danger_ack")
        ).all()
    assert [alert.phone for alert in alerts] == ["+50244441111"]
    assert acknowledged == [], "thanked on the call, not called back"


def test_key_9_withdraws_consent_like_stop(app, fake_twilio, called, in_app):
    _question, thanks = fake_twilio.pick_up(called, poster(app), PUBLIC, keys=("9",))
    assert "<Hangup" in thanks
    with in_app() as session:
        assert not session.scalars(select(Phone)).one().has_consent
        change = session.scalars(select(ConsentChange).order_by(ConsentChange.id.desc())).first()
        assert (change.has_consent, change.source) == (False, "voice:9")
        pending = session.scalar(
            select(func.count()).select_from(CheckIn).where(CheckIn.state == CheckInState.SCHEDULED)
        )
    assert pending == 0, "nothing more is asked"
    run_jobs(in_app)
    assert check_in(in_app).answer == "", "9 is not an answer"


@pytest.mark.parametrize(
    "path",
    ["/webhooks/twilio/voice", "/webhooks/twilio/voice/answer", "/webhooks/twilio/voice/status"],
)
def test_a_forged_call_webhook_is_refused_and_stores_nothing(
    app, fake_twilio, called, in_app, path
):
    message_id = the_call(in_app).id
    url = f"{PUBLIC}{path}?message={message_id}&round=1"
    form = {"CallSid": called, "Digits": "9", "AnsweredBy": "human", "To": NUMBER}
    forged = RequestValidator("not-the-token").compute_signature(url, form)
    response = app.test_client().post(
        url.removeprefix(PUBLIC), data=form, headers={"X-Twilio-Signature": forged}
    )
    assert response.status_code == 403
    with in_app() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0
        assert session.scalars(select(Phone)).one().has_consent
    assert the_call(in_app).status is MessageStatus.SENDING


def test_a_mayan_language_speaker_is_called_when_the_plan_says_so_and_calls_are_welcome(
    app, fake_twilio, prompts, register, in_app
):
    in_mam = prompts("arrived_safe", "mam")
    with in_app() as session:
        for plan in session.scalars(select(FollowUpPlan)):
            plan.voice_rule = VoiceRule.MAYAN_LANGUAGE
    register(
        given_names="Rosa",
        language="mam",
        phones=(PhoneEntry("5555 1234", consent=True, calls_welcome=True),),
    )
    register(
        given_names="Juana",
        language="mam",
        phones=(PhoneEntry("5555 9876", consent=True),),  # calls not welcome
    )
    with in_app() as session:
        for asked in session.scalars(select(CheckIn)):
            if asked.template != "arrived_safe":
                asked.state = CheckInState.ANSWERED
            else:
                asked.due_at -= timedelta(days=400)
    run_jobs(in_app)
    assert [call["To"] for call in fake_twilio.placed()] == [NUMBER]
    assert [m["To"] for m in fake_twilio.created()] == ["+50255559876"]

    message = the_call(in_app)
    assert message.language == "mam"
    [call] = fake_twilio.calls
    [question] = fake_twilio.pick_up(call, poster(app), PUBLIC)
    assert f"<Play>http://returnees.test/voice-prompts/{in_mam}?" in question


def test_without_a_recording_or_an_allowed_say_the_question_goes_by_sms(
    app, fake_twilio, prompts, register, in_app
):
    register(given_names="Rosa", phones=(by_phone(),))
    ask_only(in_app, "travel_again")  # recorded by nobody, never read aloud
    run_jobs(in_app)
    assert fake_twilio.placed() == []
    [sent] = fake_twilio.created()
    assert sent["To"] == NUMBER and "piensa viajar" in sent["Body"]


def test_a_call_never_goes_without_the_offer_of_key_9(
    app, fake_twilio, prompts, as_admin, register, in_app
):
    with as_admin() as (session, actor):
        allow_spanish_say(session, actor, "voice_stop_calls", False)  # and nobody recorded it
    register(given_names="Rosa", phones=(by_phone(),))
    run_jobs(in_app)
    assert fake_twilio.placed() == []
    [sent] = fake_twilio.created()
    assert sent["To"] == NUMBER


def test_a_familys_question_by_phone_speaks_of_sus_hijos_and_names_no_one(
    app, fake_twilio, prompts, as_admin, register, in_app
):
    mother = PhoneEntry("5555 2222", owner="relative", channel="voice", consent=True)
    ana = register(given_names="Ana", family_names="Pérez", estimated_age=9, phones=(mother,))
    luis = register(given_names="Luis", family_names="Pérez", estimated_age=7, phones=(mother,))
    with in_app() as session:
        link_household(session, Actor.system("test"), [ana.id, luis.id])
    with as_admin() as (session, actor):
        allow_spanish_say(session, actor, "guardian_confirm_number_household", True)
    run_jobs(in_app)
    [placed] = fake_twilio.placed()
    assert placed["To"] == "+50255552222"
    [call] = fake_twilio.calls
    [question] = fake_twilio.pick_up(call, poster(app), PUBLIC)
    assert "sus hijos" in question
    assert "Ana" not in question and "Luis" not in question
    with in_app() as session:
        body = (
            session.scalars(select(OutboundMessage).where(OutboundMessage.channel == Channel.VOICE))
            .one()
            .body
        )
    assert "Ana" not in body and "sus hijos" in body


def test_a_call_is_the_numbers_one_routine_contact_of_the_day(
    app, fake_twilio, called, in_app, clock
):
    with in_app() as session:
        later = session.scalars(
            select(CheckIn).where(CheckIn.template == "school_or_work").order_by(CheckIn.due_at)
        ).first()
        later.state, later.due_at = CheckInState.SCHEDULED, clock.now()
        later_id = later.id
    run_jobs(in_app)
    assert len(fake_twilio.placed()) == 1 and fake_twilio.created() == []
    with in_app() as session:
        waiting = session.get(CheckIn, later_id)
    assert waiting.state is CheckInState.SCHEDULED
    assert waiting.due_at == clock.now() + timedelta(days=1), "tomorrow at 08:00"


STAFF_PHONE = "+50250100009"


@pytest.fixture
def staff_call(app, fake_twilio, register, in_app):
    """A social worker's call to a person placed through Twilio: its sid."""
    person = register(given_names="Rosa", phones=("5555 1234",))
    with in_app() as session:
        queue_staff_call(session, NUMBER, STAFF_PHONE, "encuesta", person.returnee_id)
    with in_app() as session:
        dispatch_messages(session)
    [call] = fake_twilio.calls.values()
    return call["sid"]


def test_a_call_placed_for_staff_puts_the_person_through_to_the_staffs_phone(
    app, fake_twilio, staff_call, in_app
):
    [placed] = fake_twilio.placed()
    assert placed["To"] == NUMBER and placed["MachineDetection"] == "Enable"
    [twiml] = fake_twilio.pick_up(staff_call, poster(app), PUBLIC)
    assert f'<Dial timeout="30">{STAFF_PHONE}</Dial>' in twiml
    assert "<Gather" not in twiml and "<Play" not in twiml and "<Say" not in twiml
    assert the_call(in_app).status is MessageStatus.SENT
    poster(app)(*fake_twilio.call_status(staff_call, "completed", PUBLIC))
    assert the_call(in_app).status is MessageStatus.DELIVERED


def test_a_call_placed_for_staff_that_nobody_takes_is_not_placed_again(
    app, fake_twilio, clock, staff_call, in_app
):
    poster(app)(*fake_twilio.call_status(staff_call, "no-answer", PUBLIC))
    message = the_call(in_app)
    assert (message.status, message.redials) == (MessageStatus.FAILED, 0)
    clock.advance(hours=2)
    run_jobs(in_app)
    assert len(fake_twilio.placed()) == 1, "the social worker calls again if they wish"
