"""Registration at the desk: saved and found again, refused with every value kept, recognised."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from returnees.audit.models import AuditAction, AuditEntry
from returnees.auth.models import Role
from returnees.people.identity import format_document
from returnees.people.models import Phone, Returnee
from tests.conftest import csrf_token
from tests.documents import cui, dni

DPI = cui("23456789", "0101")

INTAKE = {
    "given_names": "María José",
    "family_names": "Ajú Tzoc",
    "birth_date": "1994-03-12",
    "sex": "F",
    "nationality": "GT",
    "document_type": "DPI",
    "document_number": format_document("DPI", DPI),
    "phones-0-number": "5555 1234",
    "phones-0-owner": "self",
    "phones-0-channel": "whatsapp",
    "phones-0-consent": "y",
    "phones-1-number": "",
    "phones-1-owner": "self",
    "phones-1-channel": "sms",
    "language": "quc",
    "home_text": "Totonicapán, Totonicapán",
    "centre": "GT-AURORA",
    "arrived_at": "2026-12-01T07:40",
    "mode": "flight",
    "deporting_country": "US",
    "reference": "gt-1123",
}


@pytest.fixture
def desk(demo, make_user, sign_in_as):
    return sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))


def submit(client, **changes: str):
    data = INTAKE | changes
    data["csrf_token"] = csrf_token(client, "/reception/register")
    return client.post("/reception/register", data=data)


def count_returnees(in_app) -> int:
    with in_app() as session:
        return session.scalar(select(func.count()).select_from(Returnee))


def test_a_registration_is_saved_and_found_again(app, desk, in_app, clock):
    response = submit(desk)
    assert response.status_code == 302, response.get_data(as_text=True)
    record = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "María José Ajú Tzoc" in record and "+502 5555 1234" in record
    assert f"DPI {format_document('DPI', DPI)}" in record
    found = desk.get("/returnees/?q=maria+aju").get_data(as_text=True)
    assert "María José Ajú Tzoc" in found, "search ignores accents and case"
    with in_app() as session:
        person = session.scalar(select(Returnee))
        arrival_times = [phone.number for phone in person.phones]
    assert arrival_times == ["+50255551234"]
    assert person.document_number == DPI and person.language == "quc"


def test_the_arrival_time_is_read_in_the_centres_local_time(app, desk, in_app, clock):
    submit(desk, arrived_at="2026-12-01T07:40")
    with in_app() as session:
        from returnees.reception.models import Arrival

        arrival = session.scalar(select(Arrival))
    assert arrival.arrived_at.isoformat() == "2026-12-01T13:40:00+00:00"


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"document_number": "123456789012"}, "document_number", "13 dígitos"),
        (
            {"document_type": "DUI", "document_number": "00016297-4", "nationality": "SV"},
            "document_number",
            "dígito verificador",
        ),
        (
            {"document_type": "DNI", "document_number": "0801-1990-1234"},
            "document_number",
            "13 dígitos",
        ),
        ({"phones-0-number": "1234"}, "phones-0-number", "1234"),
        ({"birth_date": "", "estimated_age": ""}, "birth_date", "edad estimada"),
        ({"given_names": "  "}, "given_names", "obligatorio"),
        ({"birth_date": "1990-01-01", "is_unaccompanied": "y"}, "is_unaccompanied", "18"),
    ],
    ids=[
        "dpi-12-digits",
        "dui-check-digit",
        "dni-short",
        "bad-phone",
        "no-age",
        "no-name",
        "adult-alone",
    ],
)
def test_a_failed_save_keeps_every_value_and_names_the_rule_beside_the_field(
    app, desk, in_app, clock, changes, field, rule
):
    response = submit(desk, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page, f"no error beside {field}"
    error_text = page.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert rule in error_text
    assert 'value="Totonicapán, Totonicapán"' in page and 'value="gt-1123"' in page, (
        "typed values are kept"
    )
    assert count_returnees(in_app) == 0, "nothing is saved"


@pytest.mark.parametrize("typed", ["15/06/1994", "15061994", "1994-06-15", "15-06-1994"])
def test_a_birth_date_is_read_day_first_whatever_the_browser(app, desk, in_app, clock, typed):
    response = submit(desk, birth_date=typed)
    assert response.status_code == 302, response.get_data(as_text=True)
    with in_app() as session:
        person = session.scalar(select(Returnee))
    assert person.birth_date.isoformat() == "1994-06-15"


def test_dates_are_typed_as_day_month_year_in_text_boxes_that_say_so(app, desk, clock):
    page = desk.get("/reception/register").get_data(as_text=True)
    assert 'type="date"' not in page and 'type="datetime-local"' not in page
    birth = re.search(r"<input[^>]*id=\"birth_date\"[^>]*>", page).group(0)
    assert 'type="text"' in birth and 'inputmode="numeric"' in birth and "pattern=" in birth
    assert 'aria-describedby="birth_date-hint"' in birth
    assert 'id="birth_date-hint">dd/mm/aaaa<' in page
    arrived = re.search(r"<input[^>]*id=\"arrived_at\"[^>]*>", page).group(0)
    assert 'value="01/12/2026 08:00"' in arrived, "the desk's local time, day first"


def test_people_are_searched_by_arrival_days_typed_day_first(app, desk, clock):
    desk.get(submit(desk).headers["Location"])  # the record, and the flash with the name, seen

    def found(since: str, until: str) -> bool:
        page = desk.get(f"/returnees/?arrived_from={since}&arrived_to={until}")
        return "María José Ajú Tzoc" in page.get_data(as_text=True)

    assert found("01/12/2026", "01122026")
    assert not found("02/12/2026", "31/12/2026")


def test_a_refused_form_shows_the_typed_dates_as_they_were_typed(app, desk, in_app, clock):
    page = submit(desk, birth_date="31/02/1992", arrived_at="01/12/2026 07:40").get_data(
        as_text=True
    )
    error = page.split('id="birth_date-error">')[1].split("</p>")[0]
    assert "31/02/1992 no existe" in error
    assert 'value="31/02/1992"' in page and 'value="01/12/2026 07:40"' in page
    assert count_returnees(in_app) == 0


def test_the_age_is_shown_beside_the_birth_date_by_a_script_of_the_app(app, desk, clock):
    page = desk.get("/reception/register").get_data(as_text=True)
    output = re.search(r"<output[^>]*data-age-of=\"birth_date\"[^>]*>", page).group(0)
    assert 'data-years="Edad hoy: {age} años"' in output and "hidden" in output
    assert '<script src="/static/age.js" defer></script>' in page
    with desk.get("/static/age.js") as script:
        assert script.status_code == 200


@pytest.mark.parametrize(
    ("arrived_at", "rule"),
    [
        pytest.param("01/01/1900 10:00", "antes de que la persona naciera", id="in-1900"),
        pytest.param("11/03/1994 10:00", "antes de que la persona naciera", id="before-birth"),
        pytest.param("03/12/2026 08:00", "futuro", id="two-days-ahead"),
        pytest.param("01/12/2026 25:00", "no existe", id="no-such-hour"),
    ],
)
def test_an_arrival_before_birth_or_ahead_of_now_is_refused_beside_its_field(
    app, desk, in_app, clock, arrived_at, rule
):
    response = submit(desk, arrived_at=arrived_at)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert rule in page.split('id="arrived_at-error">')[1].split("</p>")[0]
    assert count_returnees(in_app) == 0


def test_an_empty_registration_names_every_missing_field_at_once(app, desk, in_app, clock):
    data = INTAKE | {
        name: "" for name in ("given_names", "family_names", "birth_date", "document_number")
    }
    del data["sex"]  # no radio button ticked: the browser sends nothing
    data |= {"document_type": "", "csrf_token": csrf_token(desk, "/reception/register")}
    response = desk.post("/reception/register", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("given_names", "family_names", "birth_date", "sex"):
        assert f'id="{field}-error"' in page, f"no error beside {field} on the first submit"
    sex = page.split('id="sex-error">')[1].split("</p>")[0]
    assert "Opción inválida" not in page
    assert sex == "Elija el sexo de la persona: mujer, hombre u otro."
    assert count_returnees(in_app) == 0


def test_a_name_a_spreadsheet_would_run_is_refused_at_the_desk(app, desk, in_app, clock):
    response = submit(desk, family_names="@SUM(1+1)")
    assert response.status_code == 422
    error = response.get_data(as_text=True).split('id="family_names-error">')[1]
    assert "no puede empezar con @" in error.split("</p>")[0]
    assert count_returnees(in_app) == 0


def test_a_phone_is_read_in_the_nationality_of_the_person(app, desk, in_app, clock):
    submit(
        desk,
        nationality="HN",
        document_type="DNI",
        document_number=dni("0801", 1990, "12345"),
        home_text="San Pedro Sula",
        **{"phones-0-number": "9988 7766"},
    )
    with in_app() as session:
        assert session.scalar(select(Returnee)).phones[0].number == "+50499887766"


def test_the_same_document_is_recognised_and_staff_choose_the_same_person(app, desk, in_app, clock):
    submit(desk)
    again = submit(
        desk,
        given_names="Maria",
        family_names="Aju",
        birth_date="1994-03-21",
        **{"phones-0-number": ""},
    )
    page = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "María José Ajú Tzoc" in page and "mismo documento" in page
    with in_app() as session:
        earlier = session.scalar(select(Returnee))
    chosen = submit(
        desk,
        given_names="Maria",
        family_names="Aju",
        birth_date="1994-03-21",
        match=str(earlier.id),
        **{"phones-0-number": ""},
    )
    assert chosen.status_code == 302
    record = desk.get(chosen.headers["Location"]).get_data(as_text=True)
    assert "Ha retornado 1 vez antes" in record
    assert count_returnees(in_app) == 1


@pytest.mark.parametrize(
    ("first", "second", "name"),
    [
        (("Jose", "Hernandez"), ("José", "Hernández Pérez"), "similar_name"),
        (("José Luis", "Pérez Hernández"), ("Jose", "Hernandez Perez"), "similar_name"),
        (("Jeronimo", "López"), ("Gerónimo", "Lopez"), "same_name"),  # as it sounds
        (("Yesenia", "Chávez Ramírez"), ("Jessenia", "Chaves"), "similar_name"),
    ],
)
def test_the_same_birth_date_and_a_matching_name_is_recognised(register, first, second, name):
    from returnees.reception.services import PossibleMatch

    register(given_names=first[0], family_names=first[1], birth_date=date_(1990, 5, 4))
    with pytest.raises(PossibleMatch) as possible:
        register(
            given_names=second[0], family_names=second[1], birth_date=date_(1990, 5, 4), match=None
        )
    assert possible.value.candidates[0].reasons == [name, "birth_date"]


def test_a_different_person_with_the_same_birth_date_is_not_proposed(register):
    register(given_names="José", family_names="Hernández", birth_date=date_(1990, 5, 4))
    register(given_names="María", family_names="Gómez", birth_date=date_(1990, 5, 4), match=None)


def test_the_same_phone_and_a_name_alike_is_recognised(register):
    from returnees.reception.services import PossibleMatch

    register(given_names="Ana", family_names="López Tum", phones=("5555 1234",))
    with pytest.raises(PossibleMatch) as possible:
        register(given_names="Ana", family_names="Lopes", phones=("+502 5555-1234",), match=None)
    assert possible.value.candidates[0].reasons == ["phone", "similar_name", "age_close"]


def test_a_familys_phone_alone_does_not_propose_another_person(register):
    register(given_names="Rosa", family_names="Tum", phones=("5555 1234",))
    register(given_names="Luis", family_names="Tum", sex="M", phones=("5555 1234",), match=None)


def test_a_new_person_may_share_a_familys_number_and_it_is_shown_as_shared(
    app, register, make_user, sign_in_as, demo
):
    mother = register(given_names="Rosa", phones=("5555 1234",))
    register(given_names="Luis", family_names="Otro", phones=("5555 1234",), match="new")
    page = (
        sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
        .get(f"/returnees/{mother.returnee_id}")
        .get_data(as_text=True)
    )
    assert "compartido con 1 persona más" in page


def test_viewing_a_record_writes_an_audit_entry(app, register, make_user, sign_in_as, in_app, demo):
    arrival = register()
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA")
    assert sign_in_as(worker).get(f"/returnees/{arrival.returnee_id}").status_code == 200
    with in_app() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == AuditAction.VIEW))
    assert (entry.user_id, entry.record_id) == (worker.id, str(arrival.returnee_id))


def test_reception_staff_register_only_at_their_own_centre(
    app, demo, make_user, sign_in_as, in_app, clock
):
    client = sign_in_as(make_user(Role.RECEPTION, "GT-TECUN"))
    response = submit(client, centre="GT-AURORA")
    assert response.status_code in (403, 422)
    assert count_returnees(in_app) == 0


def date_(year: int, month: int, day: int):
    from datetime import date

    return date(year, month, day)


def test_match_can_only_name_a_record_this_intake_brings_up(api_client, register, in_app):
    """No attaching an arrival to (and so reaching) an unrelated record by its id."""
    unrelated = register(
        given_names="Otra", family_names="Persona", centre="HN-SPS", nationality="HN"
    )
    response = api_client(
        "POST",
        "/returnees",
        {
            "given_names": "Nueva",
            "family_names": "Gente",
            "estimated_age": 30,
            "sex": "F",
            "nationality": "GT",
            "arrival": {"centre": "GT-AURORA"},
            "match": unrelated.returnee_id,
        },
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"match"}
    with in_app() as session:
        assert session.get(Returnee, unrelated.returnee_id).centre.code == "HN-SPS"
        assert session.scalar(select(func.count()).select_from(Returnee)) == 1


def test_records_of_another_country_are_not_proposed(register):
    register(
        given_names="José",
        family_names="Hernández",
        birth_date=date_(1990, 5, 4),
        sex="M",
        centre="HN-SPS",
        nationality="HN",
    )
    register(
        given_names="José",
        family_names="Hernández",
        birth_date=date_(1990, 5, 4),
        sex="M",
        match=None,
    )


@pytest.mark.parametrize(
    ("first", "second", "proposed"),
    [
        (("Luis José", "Pérez", "M"), ("José", "Pérez", "M"), True),
        (("Daniel", "Pérez", "M"), ("Daniela", "Pérez", "F"), False),
    ],
)
def test_names_match_on_any_given_name_and_the_same_sex(register, first, second, proposed):
    from returnees.reception.services import PossibleMatch

    register(
        given_names=first[0], family_names=first[1], sex=first[2], birth_date=date_(2001, 2, 3)
    )
    try:
        register(
            given_names=second[0],
            family_names=second[1],
            sex=second[2],
            birth_date=date_(2001, 2, 3),
            match=None,
        )
    except PossibleMatch:
        assert proposed, "a different person was proposed"
    else:
        assert not proposed, "the same person was not proposed"


def test_coming_back_keeps_the_recorded_language_and_consent(register, in_app):
    from returnees.people.matching import IdentityProbe, find_candidates

    first = register(
        given_names="Juana",
        family_names="Tzoc",
        language="mam",
        phones=("5555 1234",),
        birth_date=date_(1980, 1, 1),
    )
    with in_app() as session:
        [candidate] = find_candidates(
            session, IdentityProbe("Juana", "Tzoc", phones=("+50255551234",))
        )
    from returnees.auth.access import Actor
    from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry
    from returnees.reception.services import register_arrival

    intake = Intake(
        given_names="Juana",
        family_names="Tzoc",
        birth_date=date_(1980, 1, 1),
        sex="F",
        nationality="GT",
        phones=[PhoneEntry("5555 1234", consent=False)],
        arrival=ArrivalEntry(centre="GT-AURORA"),
    )
    with in_app() as session:
        register_arrival(session, Actor.system("t"), intake, candidate.returnee.id)
    with in_app() as session:
        person = session.get(Returnee, first.returnee_id)
        assert person.language == "mam" and person.phones[0].has_consent
        assert person.arrivals_count == 2


@pytest.fixture
def api_client(app, demo, make_user, token_for):
    client = app.test_client()
    headers = token_for(make_user(Role.RECEPTION, "GT-AURORA"))
    return lambda method, path, body=None: client.open(
        f"/api/v1{path}", method=method, json=body, headers=headers
    )


def test_the_desk_names_a_known_persons_document_type_in_words(desk, clock):
    submit(desk, document_type="PASSPORT", document_number="G1234567")
    page = submit(desk, document_type="PASSPORT", document_number="G1234567").get_data(as_text=True)
    assert "Pasaporte G1234567" in page and "PASSPORT G1234567" not in page


def test_the_type_of_return_is_recorded_at_the_desk_and_deported_when_not_given(
    app, desk, in_app, clock
):
    from returnees.reception.models import Arrival, ReturnType

    saved = submit(desk, return_type="assisted")
    assert saved.status_code == 302
    assert "Retorno asistido" in desk.get(saved.headers["Location"]).get_data(as_text=True)
    assert submit(desk, given_names="Pedro", return_type="").status_code == 422
    with in_app() as session:
        assert session.scalars(select(Arrival.return_type)).all() == [ReturnType.ASSISTED]
    other = {
        "given_names": "Pedro",
        "birth_date": "2001-07-02",
        "document_type": "",
        "document_number": "",
        "phones-0-number": "",
    }
    assert submit(desk, **other).status_code == 302
    with in_app() as session:
        kinds = session.scalars(select(Arrival.return_type).order_by(Arrival.id)).all()
    assert kinds == [ReturnType.ASSISTED, ReturnType.DEPORTED]


def test_the_desk_records_that_calls_are_welcome_and_a_phone_that_chose_calls(
    app, desk, in_app, clock
):
    response = submit(
        desk,
        **{
            "phones-0-calls_welcome": "y",
            "phones-1-number": "5555 9876",
            "phones-1-channel": "voice",
            "phones-1-consent": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    record = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "acepta llamadas" in record and "Llamada" in record
    with in_app() as session:
        phones = {
            p.number: (p.channel.value, p.calls_welcome) for p in session.scalars(select(Phone))
        }
    assert phones == {"+50255551234": ("whatsapp", True), "+50255559876": ("voice", True)}
