"""Passenger lists: preview with every row's problems, fix a row, import the valid ones, import
the same list again without duplicates, and the arrival checklist."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from returnees.auth.models import Role
from returnees.reception.models import ExpectedPassenger, PassengerStatus
from tests.conftest import csrf_token

HEADER = (
    "Apellidos;Nombres;Fecha de nacimiento;Sexo;Nacionalidad;No. documento;Teléfono;"
    "NNA no acompañado\n"
)


def passenger_list(bad_rows: bool = True) -> bytes:
    rows = [
        f"García López;Persona {n};{n:02d}/05/1990;M;GT;;5555 {1000 + n};" for n in range(1, 21)
    ]
    rows[4] = "Ajú Tzoc;Menor;03/02/2012;F;GT;;;sí"
    if bad_rows:
        rows[9] = "Sin Fecha;Persona 10;;M;GT;;;"
        rows[14] = "Pérez;Persona 15;15/05/1990;M;Mexico;;;"
    return (HEADER + "\n".join(rows) + "\n").encode("latin-1")


@pytest.fixture
def desk(demo, make_user, sign_in_as):
    return sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))


def upload(client, content: bytes, name: str = "vuelo.csv"):
    return client.post(
        "/reception/manifests/new",
        data={
            "file": (io.BytesIO(content), name),
            "centre": "GT-AURORA",
            "reference": "ICE-512",
            "mode": "flight",
            "deporting_country": "US",
            "expected_at": "2026-12-01T10:30",
            "csrf_token": csrf_token(client, "/reception/manifests/new"),
        },
        content_type="multipart/form-data",
    )


def rows(in_app, status: PassengerStatus | None = None) -> list[ExpectedPassenger]:
    with in_app() as session:
        query = select(ExpectedPassenger).order_by(ExpectedPassenger.row_number)
        if status:
            query = query.where(ExpectedPassenger.status == status)
        return list(session.scalars(query))


def test_the_preview_shows_every_rows_problems_before_anything_is_imported(desk, in_app, clock):
    response = upload(desk, passenger_list())
    assert response.status_code == 302
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert len(rows(in_app, PassengerStatus.NEEDS_FIXING)) == 2
    assert len(rows(in_app, PassengerStatus.READY)) == 18
    assert not rows(in_app, PassengerStatus.EXPECTED), "nothing is on the checklist yet"
    bad = {row.row_number: row.problems for row in rows(in_app, PassengerStatus.NEEDS_FIXING)}
    assert set(bad) == {11, 16} and "birth_date" in bad[11] and "nationality" in bad[16]
    assert page.count('class="needs_fixing"') == 2


def test_staff_import_only_the_valid_rows_then_fix_one_and_import_it(desk, in_app, clock):
    location = upload(desk, passenger_list()).headers["Location"]
    manifest_id = int(re.search(r"/manifests/(\d+)", location).group(1))
    token = csrf_token(desk, location)
    desk.post(f"/reception/manifests/{manifest_id}/import", data={"csrf_token": token})
    assert len(rows(in_app, PassengerStatus.EXPECTED)) == 18

    broken = rows(in_app, PassengerStatus.NEEDS_FIXING)[0]
    fields = {f"row{broken.id}-{name}": value for name, value in broken.values.items()}
    fields[f"row{broken.id}-birth_date"] = "10/05/1990"
    desk.post(
        f"/reception/manifests/{manifest_id}/rows/{broken.id}", data=fields | {"csrf_token": token}
    )
    desk.post(f"/reception/manifests/{manifest_id}/import", data={"csrf_token": token})
    assert len(rows(in_app, PassengerStatus.EXPECTED)) == 19
    assert len(rows(in_app, PassengerStatus.NEEDS_FIXING)) == 1


def test_importing_the_same_list_twice_does_not_duplicate_anyone(desk, in_app, clock):
    upload(desk, passenger_list())
    broken = rows(in_app, PassengerStatus.NEEDS_FIXING)[0]
    from returnees.auth.access import Actor
    from returnees.reception.manifests import fix_passenger

    with in_app() as session:
        fix_passenger(session, Actor.system("t"), broken.id, {"birth_date": "10/05/1990"})
    second = upload(desk, passenger_list())
    page = desk.get(second.headers["Location"]).get_data(as_text=True)
    assert "Filas leídas: 0; por corregir: 0; ya en la lista: 20." in page
    with in_app() as session:
        assert session.scalar(select(func.count()).select_from(ExpectedPassenger)) == 20


def test_an_unreadable_file_is_refused_and_nothing_is_created(desk, in_app, clock):
    response = upload(desk, b"%PDF-1.4 not a list", name="vuelo.pdf")
    assert response.status_code == 422
    assert 'id="file-error"' in response.get_data(as_text=True)
    assert rows(in_app) == []


def test_the_checklist_puts_children_travelling_alone_first(desk, in_app, clock):
    from returnees.auth.access import Actor
    from returnees.reception.manifests import checklist, import_ready_rows, require_manifest

    upload(desk, passenger_list(bad_rows=False))
    manifest_id = rows(in_app)[0].manifest_id
    with in_app() as session:
        import_ready_rows(session, Actor.system("t"), manifest_id)
        ordered = checklist(require_manifest(session, Actor.system("t"), manifest_id))
        assert ordered[0].values["given_names"] == "Menor" and ordered[0].is_unaccompanied


def register_as_filled_in(desk, form: str, sex: str):
    """Send the intake as the passenger list filled it in, the choices a desk makes added."""
    inputs = re.findall(r'<input (?![^>]*type="(?:checkbox|radio)")[^>]*>', form)
    data = dict(re.findall(r'name="([\w-]+)"[^>]*value="([^"]*)"', " ".join(inputs)))
    data |= {
        "sex": sex,
        "nationality": "GT",
        "mode": "flight",
        "deporting_country": "US",
        "centre": "GT-AURORA",
        "language": "es",
        "phones-0-owner": "self",
        "phones-0-channel": "sms",
        "phones-1-owner": "self",
        "phones-1-channel": "sms",
    }
    return desk.post("/reception/register", data=data)


def test_marking_a_passenger_arrived_opens_the_intake_filled_in(desk, in_app, clock):
    from returnees.auth.access import Actor
    from returnees.reception.manifests import import_ready_rows

    upload(desk, passenger_list(bad_rows=False))
    with in_app() as session:
        import_ready_rows(session, Actor.system("t"), rows(in_app)[0].manifest_id)
    passenger = rows(in_app)[0]
    form = desk.get(f"/reception/register?passenger={passenger.id}").get_data(as_text=True)
    assert 'value="García López"' in form and 'value="Persona 1"' in form
    assert 'value="+50255551001"' in form and 'value="ICE-512"' in form
    response = register_as_filled_in(desk, form, sex="M")
    page = response.get_data(as_text=True)
    assert response.status_code == 302, (
        re.findall(r"class=\"error\"[^>]*>([^<]*)", page) or page[-3000:]
    )
    assert rows(in_app)[0].status is PassengerStatus.ARRIVED


def test_the_api_answers_with_the_preview_and_then_imports(
    app, demo, make_user, token_for, in_app, clock
):
    headers = token_for(make_user(Role.RECEPTION, "GT-AURORA"))
    form = {"centre": "GT-AURORA", "reference": "ICE-512", "expected_at": "2026-12-01T16:30:00Z"}
    client = app.test_client()
    preview = client.post(
        "/api/v1/manifests",
        headers=headers,
        content_type="multipart/form-data",
        data=form | {"file": (io.BytesIO(passenger_list()), "list.csv")},
    )
    body = preview.get_json()
    assert preview.status_code == 200 and body["needs_fixing"] == 2 and body["imported"] == 0
    assert {row["row_number"] for row in body["rows"] if row["problems"]} == {11, 16}
    again = client.post(
        "/api/v1/manifests",
        headers=headers,
        content_type="multipart/form-data",
        data=form | {"import": "true", "file": (io.BytesIO(passenger_list()), "list.csv")},
    )
    assert again.status_code == 201
    assert again.get_json()["duplicates"] == 20 and again.get_json()["imported"] == 18


def test_a_row_not_yet_imported_cannot_be_marked_arrived(desk, in_app, clock):
    upload(desk, passenger_list(bad_rows=False))
    passenger = rows(in_app)[0]
    response = desk.get(f"/reception/register?passenger={passenger.id}")
    assert response.status_code == 409


def test_an_imported_list_notes_who_may_have_come_back_before(desk, register, in_app, clock):
    earlier = register(
        given_names="Persona 3",
        family_names="García López",
        birth_date=__import__("datetime").date(1990, 5, 3),
        sex="M",
    )
    upload(desk, passenger_list(bad_rows=False))
    noted = {row.values["given_names"]: row.earlier_record_ids for row in rows(in_app)}
    assert noted["Persona 3"] == [earlier.returnee_id]
    assert noted["Persona 4"] == []


def test_a_passengers_home_from_the_list_is_registered_with_them(desk, in_app, clock):
    from returnees.auth.access import Actor
    from returnees.people.models import Returnee
    from returnees.reception.manifests import import_ready_rows

    content = (
        "Apellidos;Nombres;Fecha de nacimiento;Sexo;Nacionalidad;Municipio\n"
        "Pérez;Ana;01/02/1990;F;GT;Ayutla, San Marcos\n"
    ).encode()
    upload(desk, content)
    with in_app() as session:
        import_ready_rows(session, Actor.system("t"), rows(in_app)[0].manifest_id)
    passenger = rows(in_app)[0]
    form = desk.get(f"/reception/register?passenger={passenger.id}").get_data(as_text=True)
    assert 'value="GT-1217"' in form and 'value="Ayutla, San Marcos"' in form
    assert register_as_filled_in(desk, form, sex="F").status_code == 302
    with in_app() as session:
        ana = session.scalar(select(Returnee).where(Returnee.given_names == "Ana"))
        assert ana.home_code == "GT-1217"


def test_a_5000_row_list_shows_its_problems_first_and_pages_the_rest(desk, in_app, clock):
    people = [
        f"Ramírez Coc;Persona {n};{1 + n % 28:02d}/{1 + n % 12:02d}/{1960 + n % 40};F;GT;;;"
        if n % 50
        else f"Sin Fecha;Persona {n};;F;GT;;;"
        for n in range(5000)
    ]
    location = upload(desk, (HEADER + "\n".join(people) + "\n").encode()).headers["Location"]
    pages = [desk.get(f"{location}?page={n}").get_data(as_text=True) for n in (1, 2, 3)]
    assert all(len(page.encode()) < 200_000 for page in pages)
    assert [page.count('class="needs_fixing"') for page in pages] == [50, 50, 0], "to fix first"
    assert [page.count('class="ready"') for page in pages] == [0, 0, 50]
    assert "Página 1 de 100" in pages[0] or "Page 1 of 100" in pages[0]
    last = desk.get(f"{location}?page=999").get_data(as_text=True)
    assert "Página 100 de 100" in last or "Page 100 of 100" in last
    desk.post(f"{location}/import", data={"csrf_token": csrf_token(desk, location)})
    checklist = desk.get(location).get_data(as_text=True)
    assert len(checklist.encode()) < 200_000
    assert checklist.count('class="expected"') == 200
    assert "4900 arrived" in checklist or "0 llegaron, 4900" in checklist or "4900" in checklist
