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
    assert noted["Persona 4"] == [], "a day apart and another name: someone else"
    [row] = [row for row in rows(in_app) if row.values["given_names"] == "Persona 3"]
    assert row.earlier_match_reasons == ["same_name", "birth_date"]
    page = desk.get(f"/reception/manifests/{row.manifest_id}").get_data(as_text=True)
    assert "(mismo nombre, misma fecha de nacimiento)" in page


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


def send(client, file: tuple[bytes, str] | None = None, **fields: str):
    """The upload form as a browser sends it: a file chosen or not, the other fields."""
    data = {
        "centre": "GT-AURORA",
        "reference": "ICE-512",
        "mode": "flight",
        "deporting_country": "US",
        "expected_at": "01/12/2026 10:30",
        "csrf_token": csrf_token(client, "/reception/manifests/new"),
    } | fields
    data["file"] = (io.BytesIO(file[0]), file[1]) if file else (io.BytesIO(b""), "")
    return client.post("/reception/manifests/new", data=data, content_type="multipart/form-data")


def error_beside(page: str, field: str) -> str:
    assert f'id="{field}-error"' in page, f"no error beside {field}"
    return page.split(f'id="{field}-error">')[1].split("</p>")[0]


def test_the_expected_arrival_is_marked_required(desk):
    page = desk.get("/reception/manifests/new").get_data(as_text=True)
    label = re.search(r'<label for="expected_at">(.*?)</label>', page).group(1)
    assert "(obligatorio)" in label
    assert "dd/mm/aaaa hh:mm" in page


def test_a_refused_upload_keeps_the_list_and_only_the_other_field_is_corrected(desk, in_app, clock):
    refused = send(desk, (passenger_list(), "vuelo.csv"), expected_at="")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Indique la hora prevista de llegada." in error_beside(page, "expected_at")
    assert "vuelo.csv se conserva" in page
    token = re.search(r'name="pending" type="hidden" value="([^"]+)"', page).group(1)
    assert rows(in_app) == [], "nothing is saved"

    saved = send(desk, None, pending=token)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert len(rows(in_app)) == 20
    again = send(desk, None, pending=token, reference="ICE-513")
    assert "No se eligió ningún archivo" in error_beside(again.get_data(as_text=True), "file"), (
        "a kept list serves one upload"
    )


def test_a_list_kept_for_one_user_is_not_anothers(desk, make_user, sign_in_as, in_app, clock):
    page = send(desk, (passenger_list(), "vuelo.csv"), expected_at="").get_data(as_text=True)
    token = re.search(r'name="pending" type="hidden" value="([^"]+)"', page).group(1)
    colleague = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    refused = send(colleague, None, pending=token)
    assert refused.status_code == 422 and rows(in_app) == []


def test_an_expected_arrival_that_cannot_be_read_is_named_with_the_lists_problems(desk, clock):
    page = send(desk, (b"\x00\x01binary", "vuelo.csv"), expected_at="31/02/2026 10:00").get_data(
        as_text=True
    )
    assert "31/02/2026 no existe" in error_beside(page, "expected_at")
    assert "no es una lista de pasajeros en CSV o XLSX" in error_beside(page, "file")
    assert "se conserva" not in page, "a file that is no list is not kept"


def test_no_file_chosen_is_said_so(desk, in_app, clock):
    response = send(desk, None)
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "file") == (
        "No se eligió ningún archivo: elija la lista de pasajeros (CSV o XLSX)."
    )


def test_a_binary_file_is_refused_without_printing_its_bytes(desk, in_app, clock):
    content = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    page = send(desk, (content, "foto.csv")).get_data(as_text=True)
    error = error_beside(page, "file")
    assert "foto.csv no es una lista de pasajeros en CSV o XLSX" in error
    assert "IHDR" not in page and "PNG" not in error
    assert rows(in_app) == []


def test_an_expected_arrival_in_1900_is_refused(desk, in_app, clock):
    response = send(desk, (passenger_list(), "vuelo.csv"), expected_at="01/01/1900 10:00")
    assert response.status_code == 422
    assert "más de un año" in error_beside(response.get_data(as_text=True), "expected_at")
    assert rows(in_app) == []


def test_one_row_to_fix_is_said_in_the_singular(desk, clock):
    content = (HEADER + "Pérez;Ana;01/02/1990;F;GT;;;\nSin Fecha;Eva;;F;GT;;;\n").encode()
    page = desk.get(send(desk, (content, "vuelo.csv")).headers["Location"]).get_data(as_text=True)
    assert "Vista previa: 1 fila por corregir, 1 lista" in page


def test_the_checklist_shows_birth_dates_day_first_whatever_the_list_wrote(desk, in_app, clock):
    content = (HEADER + "Pérez;Ana;1985-07-22;F;GT;;;\nRuiz;Eva;03.02.1990;F;GT;;;\n").encode()
    location = send(desk, (content, "vuelo.csv")).headers["Location"]
    preview = desk.get(location).get_data(as_text=True)
    assert "22/07/1985" in preview and "1985-07-22" not in preview
    desk.post(location + "/import", data={"csrf_token": csrf_token(desk, location)})
    checklist = desk.get(location).get_data(as_text=True).split('id="checklist"')[1]
    assert "<td>22/07/1985</td>" in checklist and "<td>03/02/1990</td>" in checklist


def test_a_passenger_from_the_list_is_offered_with_dates_day_first(desk, in_app, clock):
    from returnees.auth.access import Actor
    from returnees.reception.manifests import import_ready_rows

    send(desk, ((HEADER + "Pérez;Ana;1985-07-22;F;GT;;;\n").encode(), "vuelo.csv"))
    with in_app() as session:
        import_ready_rows(session, Actor.system("t"), rows(in_app)[0].manifest_id)
    form = desk.get(f"/reception/register?passenger={rows(in_app)[0].id}").get_data(as_text=True)
    assert re.search(r'id="birth_date"[^>]*value="22/07/1985"', form)


def test_a_list_nobody_was_imported_from_is_discarded_by_its_desk(desk, in_app, clock):
    location = upload(desk, passenger_list()).headers["Location"]
    manifest_id = int(location.rsplit("/", 1)[1])
    page = desk.get(location).get_data(as_text=True)
    assert "Descartar la lista ICE-512" in page
    response = desk.post(f"{location}/discard", data={"csrf_token": csrf_token(desk, location)})
    assert response.status_code == 302
    assert "Se descartó la lista de pasajeros ICE-512." in desk.get("/reception/").get_data(
        as_text=True
    )
    assert rows(in_app) == []
    with in_app() as session:
        from returnees.audit.models import AuditAction, AuditEntry

        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == AuditAction.DISCARD))
        assert (entry.record_type, entry.record_id) == ("manifest", str(manifest_id))


def test_a_list_with_people_on_the_checklist_is_not_discarded(desk, in_app, clock):
    location = upload(desk, passenger_list()).headers["Location"]
    desk.post(location + "/import", data={"csrf_token": csrf_token(desk, location)})
    assert "Descartar" not in desk.get(location).get_data(as_text=True)
    desk.post(f"{location}/discard", data={"csrf_token": csrf_token(desk, location)})
    assert len(rows(in_app)) == 20, "nothing was erased"


def test_only_the_desk_that_owns_a_list_discards_it_and_with_its_token(
    desk, make_user, sign_in_as, in_app, clock
):
    location = upload(desk, passenger_list()).headers["Location"]
    elsewhere = sign_in_as(make_user(Role.RECEPTION, "GT-TECUN"))
    refused = elsewhere.post(f"{location}/discard", data={"csrf_token": csrf_token(elsewhere)})
    assert refused.status_code == 403
    assert desk.post(f"{location}/discard").status_code == 400, "no CSRF token"
    assert len(rows(in_app)) == 20


def test_the_api_discards_a_list_until_someone_on_it_is_imported(
    app, demo, make_user, token_for, in_app, clock
):
    from returnees.auth.access import Actor
    from returnees.reception.manifests import import_ready_rows

    headers = token_for(make_user(Role.RECEPTION, "GT-AURORA"))
    client = app.test_client()

    def post_list(reference: str) -> int:
        form = {"centre": "GT-AURORA", "reference": reference, "expected_at": "2026-12-01T16:30Z"}
        data = form | {"file": (io.BytesIO(passenger_list()), "list.csv")}
        return client.post("/api/v1/manifests", headers=headers, data=data).get_json()[
            "manifest_id"
        ]

    wrong, imported = post_list("ICE-1"), post_list("ICE-2")
    with in_app() as session:
        import_ready_rows(session, Actor.system("t"), imported)
    assert client.delete(f"/api/v1/manifests/{wrong}", headers=headers).status_code == 204
    refused = client.delete(f"/api/v1/manifests/{imported}", headers=headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "conflict"
    assert {row.manifest_id for row in rows(in_app)} == {imported}
