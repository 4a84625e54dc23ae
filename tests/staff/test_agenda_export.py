"""The agenda as a spreadsheet: UTF-8 with BOM, one row a slot or visitor, no formula ever evaluated."""
import csv
import io

import pytest

from booking import bookings as booking_ops
from booking.core.exports import csv_bytes, spreadsheet_safe
from booking.core.timeutil import now_utc
from helpers import slot_start


def read_csv(response):
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the byte-order mark
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_csv_has_every_slot_and_the_visitors_details(client, make_division, make_booking, make_user, log_in_as,
                                                     coming_day):
    division = make_division(start="10:00", end="10:40", slug="severny")
    booking, _ = make_booking(division, slot_start(coming_day, "10:20"), full_name="Петров Пётр Петрович",
                              phone="+79161234567", email="petrov@example.ru", topic="billing",
                              message="Перерасчёт за январь", account="12-345")
    log_in_as(make_user("head", divisions=[division]))
    response = client.get(f"/agenda/{coming_day.isoformat()}.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="agenda-severny-{coming_day.isoformat()}.csv"'
    header, free, visitor = read_csv(response)
    assert header == ["Time", "Status", "Name", "Phone", "E-mail", "Topic", "Question", "Customer account",
                      "Address", "Code", "Staff note"]
    assert free[:2] == ["10:00–10:20", "Free"]
    assert visitor == ["10:20–10:40", "Booked", "Петров Пётр Петрович", "'+7 916 123-45-67", "petrov@example.ru",
                       "Bills and payments", "Перерасчёт за январь", "12-345", "", booking.code, ""]


def test_cells_that_look_like_formulas_are_defused(client, make_division, make_booking, make_user, log_in_as,
                                                    coming_day):
    division = make_division(start="10:00", end="10:20")
    booking, _ = make_booking(division, slot_start(coming_day, "10:00"), full_name="=Злоумышленник",
                              message='=HYPERLINK("http://evil.example","Нажмите")', account="-1",
                              address="@SUM(A1:A2)")
    log_in_as(make_user("head", divisions=[division]))
    client.post_form(f"/staff/bookings/{booking.code}/note", {"note": "+cmd|' /C calc'!A0"})
    _, row = read_csv(client.get(f"/agenda/{coming_day.isoformat()}.csv"))
    assert row[2] == "'=Злоумышленник"
    assert row[6] == '\'=HYPERLINK("http://evil.example","Нажмите")'
    assert row[7] == "'-1"
    assert row[8] == "'@SUM(A1:A2)"
    assert row[10] == "'+cmd|' /C calc'!A0"
    assert not any(cell[:1] in "=+-@\t\r" and cell for cell in row)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_every_formula_start_gets_a_quote(value):
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize("value, expected", [("Петров", "Петров"), ("", ""), (None, ""), (12, "12"),
                                             ("a=b", "a=b")])
def test_ordinary_cells_are_kept(value, expected):
    assert spreadsheet_safe(value) == expected


def test_csv_keeps_line_breaks_and_semicolons_inside_cells():
    body = csv_bytes(["a", "b"], [["первая строка\nвторая", "x;y"]]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(body), delimiter=";")) == [["a", "b"], ["первая строка\nвторая", "x;y"]]


def test_cancelled_bookings_come_last_with_their_status(client, make_division, make_booking, make_user, log_in_as,
                                                        coming_day, mailroom):
    division = make_division(start="10:00", end="10:20")
    booking, _ = make_booking(division, slot_start(coming_day, "10:00"), full_name="Отменов Иван")
    booking_ops.cancel_booking(booking, now_utc(), mailroom)
    log_in_as(make_user("operator"))
    rows = read_csv(client.get(f"/agenda/{coming_day.isoformat()}.csv?division={division.slug}"))
    assert [row[:3] for row in rows[1:]] == [["10:00–10:20", "Free", ""], ["10:00–10:20", "Cancelled", "Отменов Иван"]]
