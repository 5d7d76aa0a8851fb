"""Reception in a real browser: a passenger list with bad rows, arrivals, a child handed over,
and a person recognised when they come back."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.browser.test_sign_in_journeys import sign_in_by_keyboard
from tests.documents import cui

pytestmark = pytest.mark.browser

HEADER = "Apellidos,Nombres,Fecha de nacimiento,Sexo,Nacionalidad,Teléfono,Menor no acompañado\n"


def twenty_with_two_bad_rows(tag: str) -> bytes:
    rows = [
        f"Pérez {tag},Persona {n},{n:02d}/03/1995,F,Guatemala,5555 {2000 + n},"
        for n in range(1, 21)
    ]
    rows[2] = f"Ajú {tag},Niña,05/06/2013,F,GT,,sí"
    rows[6] = f"Sin Fecha {tag},Persona 7,,F,GT,,"
    rows[12] = f"Otra {tag},Persona 13,13/03/1995,F,Narnia,,"
    return (HEADER + "\n".join(rows) + "\n").encode("utf-8-sig")


@pytest.fixture
def desk(page):
    sign_in_by_keyboard(page, "reception@demo.returnees.test")
    return page


def upload_list(page, tag: str) -> None:
    page.goto("/reception/manifests/new")
    page.set_input_files(
        "#file",
        files=[
            {"name": f"{tag}.csv", "mimeType": "text/csv", "buffer": twenty_with_two_bad_rows(tag)}
        ],
    )
    page.fill("#reference", f"ICE-{tag}")
    page.fill("#expected_at", date.today().strftime("%d/%m/%Y 10:30"))
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/reception/manifests/\d+$"))


def test_a_list_of_twenty_with_two_bad_rows_is_previewed_fixed_and_imported(desk, screenshot):
    upload_list(desk, "A1")
    assert desk.locator("tr.needs_fixing").count() == 2
    assert desk.locator("tr.ready").count() == 18
    screenshot("manifest-preview")

    row = desk.locator("tr.needs_fixing").first
    row.locator("input[name$='-birth_date']").fill("07/03/1995")
    with desk.expect_navigation():
        row.get_by_role("button").click()
    assert desk.locator("tr.needs_fixing").count() == 1
    assert desk.locator("tr.ready").count() == 19

    with desk.expect_navigation():
        desk.get_by_role("button", name=re.compile("Importar")).click()
    checklist = desk.locator("section", has_text="Lista de llegada").locator("tbody tr")
    assert checklist.count() == 19
    assert "Niña" in checklist.first.inner_text(), "children travelling alone come first"
    screenshot("manifest-checklist")


def test_marking_someone_arrived_opens_the_registration_filled_in(desk, screenshot):
    upload_list(desk, "B2")
    with desk.expect_navigation():
        desk.get_by_role("button", name=re.compile("Importar")).click()
    desk.locator("tr.expected", has_text=re.compile(r"Persona 1\b")).get_by_role("link").click()
    assert desk.input_value("#family_names") == "Pérez B2"
    assert desk.input_value("#phones-0-number") == "+50255552001"
    assert desk.input_value("#reference") == "ICE-B2"
    screenshot("register-from-list")
    desk.check("#phones-0-consent")
    desk.locator("button.primary[type=submit]").click()
    desk.wait_for_url(re.compile(r"/returnees/\d+$"))
    desk.go_back()
    desk.go_back()
    desk.reload()
    assert desk.locator("tr.arrived", has_text=re.compile(r"Persona 1\b")).count() == 1


def test_a_walk_in_child_is_registered_placed_and_handed_over(desk, screenshot):
    desk.goto("/reception/register")
    desk.fill("#given_names", "Brenda Lucía")
    desk.fill("#family_names", "Cux Chavajay")
    desk.fill("#estimated_age", "13")
    desk.check("input[name=sex][value=F]")
    desk.select_option("#language", "mam")
    desk.check("#is_unaccompanied")
    desk.select_option("#mode", "land")
    desk.select_option("#deporting_country", "MX")
    desk.locator("button.primary[type=submit]").click()
    desk.wait_for_url(re.compile(r"/returnees/\d+$"))
    assert desk.get_by_text("En custodia").count() == 1

    desk.select_option("select[name=shelter]", "GT-HOGAR")
    with desk.expect_navigation():
        desk.get_by_role("button", name="Registrar albergue").click()
    desk.get_by_role("link", name="Entregar").click()
    desk.fill("#guardian_name", "Rosa Chavajay")
    desk.select_option("#relationship", "mother")
    desk.fill("#guardian_document", "DPI 2345 67890 0101")
    desk.fill("#guardian_phone", "5555 7788")
    desk.check("#is_document_checked")
    desk.locator("button.primary[type=submit]").click()
    desk.wait_for_url(re.compile(r"/returnees/\d+$"))
    custody = desk.locator(".custody").inner_text()
    assert "Rosa Chavajay" in custody and "reception@demo.returnees.test" in custody
    screenshot("child-handed-over")


def test_someone_registered_again_is_recognised(desk, screenshot):
    def register(given: str, family: str) -> None:
        desk.goto("/reception/register")
        desk.fill("#given_names", given)
        desk.fill("#family_names", family)
        desk.fill("#birth_date", "1988-07-19")
        desk.check("input[name=sex][value=M]")
        with desk.expect_navigation():
            desk.locator("button.primary[type=submit]").click()

    register("José Armando", "Hernández Pérez")
    register("Jose", "Hernandez")
    assert desk.get_by_text("Es posible que esta persona haya retornado antes").count() == 1
    screenshot("recognised")
    desk.get_by_role("button", name=re.compile("Misma persona")).click()
    desk.wait_for_url(re.compile(r"/returnees/\d+$"))
    assert desk.get_by_text("Ha retornado 1 vez antes").count() == 1
    assert "José Armando Hernández Pérez" in desk.locator("h1").inner_text()


def test_the_home_is_chosen_from_the_type_ahead_with_the_keyboard_alone(desk):
    desk.goto("/reception/register")
    desk.fill("#given_names", "Rigoberto")
    desk.fill("#family_names", "Ixcoy Tum")
    desk.fill("#estimated_age", "33")
    desk.check("input[name=sex][value=M]")
    desk.select_option("#document_type", "DPI")
    desk.fill("#document_number", cui("23456789", "1217"))
    desk.focus("#home_text")
    desk.keyboard.type("QUETZALTENÁNGO")
    options = desk.locator("#home-options [role=option]")
    options.first.wait_for()
    assert options.first.inner_text() == "Ayutla, San Marcos · según el DPI", "offered, not filled"
    assert desk.input_value("input[name=home]") == ""
    desk.keyboard.press("ArrowDown")
    desk.keyboard.press("Enter")
    assert desk.input_value("#home_text") == "Quetzaltenango, Quetzaltenango"
    desk.locator("button.primary[type=submit]").click()
    desk.wait_for_url(re.compile(r"/returnees/\d+$"))
    assert "Quetzaltenango, Quetzaltenango" in desk.locator("dl.facts").first.inner_text()


def test_a_birth_date_typed_as_digits_shows_the_age_and_is_saved_day_first(desk):
    desk.goto("/reception/register")
    desk.fill("#given_names", "Marta Julia")
    desk.fill("#family_names", "Sic Batz")
    age = desk.locator("output[data-age-of=birth_date]")
    assert age.is_hidden(), "no age before a date is typed"
    desk.locator("#birth_date").press_sequentially("15061994")
    today = date.today()
    years = today.year - 1994 - ((today.month, today.day) < (6, 15))
    age.wait_for(state="visible")
    assert age.inner_text() == f"Edad hoy: {years} años"
    desk.fill("#birth_date", "31/02/1994")
    age.wait_for(state="hidden")
    desk.fill("#birth_date", "15/06/1994")
    desk.check("input[name=sex][value=F]")
    desk.locator("button.primary[type=submit]").click()
    desk.wait_for_url(re.compile(r"/returnees/\d+$"))
    assert "15/06/1994" in desk.locator("dl.facts").first.inner_text()
