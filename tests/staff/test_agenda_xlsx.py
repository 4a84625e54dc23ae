"""The agenda as an Excel workbook: the same rows as the CSV, every cell text, phone numbers without a quote."""
import io
import zipfile

from openpyxl import load_workbook

from helpers import slot_start
from staff_support import text


def read_xlsx(response):
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    return sheet, [[cell.value or "" for cell in row] for row in sheet.iter_rows()]


def test_xlsx_has_the_rows_of_the_csv_with_phones_as_typed(client, make_division, make_booking, make_user, log_in_as,
                                                           coming_day):
    division = make_division(start="10:00", end="10:40", slug="severny")
    booking, _ = make_booking(division, slot_start(coming_day, "10:20"), full_name="Петров Пётр Петрович",
                              phone="+79161234567", email="petrov@example.ru", topic="billing",
                              message="Перерасчёт за январь", account="0012345")
    log_in_as(make_user("head", divisions=[division]))
    agenda = text(client.get(f"/agenda/{coming_day.isoformat()}"))
    assert f'href="/agenda/{coming_day.isoformat()}.xlsx"' in agenda and f"/agenda/{coming_day.isoformat()}.csv" in agenda
    response = client.get(f"/agenda/{coming_day.isoformat()}.xlsx")
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="agenda-severny-{coming_day.isoformat()}.xlsx"'
    sheet, rows = read_xlsx(response)
    header, free, visitor = rows
    assert header[:4] == ["Time", "Status", "Name", "Phone"] and sheet["A1"].font.bold
    assert free[:2] == ["10:00–10:20", "Free"]
    assert visitor == ["10:20–10:40", "Booked", "Петров Пётр Петрович", "+7 916 123-45-67", "petrov@example.ru",
                       "Bills and payments", "Перерасчёт за январь", "0012345", "", booking.code, ""]
    # Typed as text: the account keeps its leading zeros and nothing is a number.
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row if cell.value)
    # The CSV is kept as it was, defused quote included.
    assert "'+7 916 123-45-67" in client.get(f"/agenda/{coming_day.isoformat()}.csv").get_data(as_text=True)


def test_xlsx_never_holds_a_formula(client, make_division, make_booking, make_user, log_in_as, coming_day):
    division = make_division(start="10:00", end="10:20")
    booking, _ = make_booking(division, slot_start(coming_day, "10:00"), full_name="=Злоумышленник",
                              message='=HYPERLINK("http://evil.example","Нажмите")', account="-1")
    log_in_as(make_user("head", divisions=[division]))
    client.post_form(f"/staff/bookings/{booking.code}/note", {"note": "+cmd|' /C calc'!A0"})
    response = client.get(f"/agenda/{coming_day.isoformat()}.xlsx")
    _sheet, rows = read_xlsx(response)
    assert rows[1][2] == "=Злоумышленник" and rows[1][6].startswith("=HYPERLINK") and rows[1][10].startswith("+cmd")
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no cell is a formula


def test_xlsx_follows_the_agendas_access_rules(client, make_division, make_user, log_in_as, coming_day):
    mine, other = make_division(), make_division()
    log_in_as(make_user("head", divisions=[mine]))
    assert client.get(f"/agenda/{coming_day.isoformat()}.xlsx?division={other.slug}").status_code == 403
