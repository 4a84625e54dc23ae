"""The citizen's .ics: one event that calendars import at the right Moscow time and update on changes."""
from datetime import timedelta

from booking import bookings as booking_ops
from booking.core.timeutil import now_utc
from feed_helpers import EVERY_DAY, at
from feed_readers import assert_folded


def ics_path(booking, token):
    return f"/bookings/{booking.code}.ics?token={token}"


def test_booking_ics_is_one_event_at_the_right_instant(client, make_division, make_booking, reader):
    division = make_division(weekdays=EVERY_DAY, email="sever@mosteplo.example")
    booking, token = make_booking(division, at(3, "10:00"))

    calendar = reader(client.get(ics_path(booking, token)).data)

    [event] = calendar.events
    assert event.start == at(3, "10:00")
    assert (event.start.hour, event.start.minute) == (7, 0)  # 10:00 in Moscow is 07:00 UTC
    assert event.end - event.start == timedelta(minutes=20)
    assert event.uid == f"booking-{booking.id}-{booking.code}@priyom"
    assert event.sequence == 0 and event.status == "CONFIRMED"
    assert event.summary == f"Приём: {division.name}"
    assert event.location == "Москва, ул. Тестовая, д. 1"
    assert booking.code in event.description and "паспорт" in event.description
    assert event.organizer == "mailto:sever@mosteplo.example"


def test_booking_ics_is_a_named_download_with_moscow_times(client, make_division, make_booking):
    booking, token = make_booking(make_division(weekdays=EVERY_DAY), at(3, "11:20"))

    response = client.get(ics_path(booking, token))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="priyom-{booking.code}.ics"'
    assert "private" in response.headers["Cache-Control"]
    body = response.data
    assert b"BEGIN:VTIMEZONE\r\nTZID:Europe/Moscow" in body
    assert b"DTSTART;TZID=Europe/Moscow:" + at(3, "11:20").strftime("%Y%m%d").encode() + b"T112000" in body
    assert_folded(body)


def test_wrong_or_missing_token_finds_nothing(client, make_division, make_booking):
    booking, token = make_booking(make_division(weekdays=EVERY_DAY), at(3))
    assert client.get(ics_path(booking, token + "x")).status_code == 404
    assert client.get(f"/bookings/{booking.code}.ics").status_code == 404
    assert client.get(f"/bookings/AAA-AAA.ics?token={token}").status_code == 404


def test_a_move_keeps_the_uid_and_raises_the_sequence(client, db, make_division, make_booking, policy, reader,
                                                      mailroom):
    booking, token = make_booking(make_division(weekdays=EVERY_DAY), at(3, "10:00"))
    before = reader(client.get(ics_path(booking, token)).data).events[0]

    booking_ops.reschedule_booking(booking, at(4, "12:00"), now_utc(), policy=policy, mailroom=mailroom)
    db.session.commit()
    after = reader(client.get(ics_path(booking, token)).data).events[0]

    assert after.uid == before.uid
    assert after.sequence > before.sequence
    assert after.start == at(4, "12:00") and after.start != before.start


def test_a_cancellation_is_shown_as_cancelled(client, db, make_division, make_booking, reader, mailroom):
    booking, token = make_booking(make_division(weekdays=EVERY_DAY), at(3))
    booking_ops.cancel_booking(booking, now_utc(), mailroom)
    db.session.commit()

    [event] = reader(client.get(ics_path(booking, token)).data).events

    assert event.status == "CANCELLED"
    assert event.sequence == 1


def test_punctuation_line_breaks_and_cyrillic_survive(client, make_division, make_booking, reader):
    division = make_division(weekdays=EVERY_DAY, name="Филиал «Север»; отдел №2, каб. \\5",
                             address="Москва, ул. Льва Толстого, д. 16; вход со двора",
                             directions="Первая строка, с запятой;\nвторая строка — с тире")
    booking, token = make_booking(division, at(3))

    body = client.get(ics_path(booking, token)).data
    [event] = reader(body).events

    assert event.summary == "Приём: Филиал «Север»; отдел №2, каб. \\5"
    assert event.location == "Москва, ул. Льва Толстого, д. 16; вход со двора"
    assert "Первая строка, с запятой;\nвторая строка — с тире" in event.description
    assert_folded(body)


def test_an_english_booking_gets_an_english_event(client, make_division, make_booking, reader):
    division = make_division(weekdays=EVERY_DAY, name="Северный филиал", name_en="Northern branch")
    booking, token = make_booking(division, at(3), locale="en")

    [event] = reader(client.get(ics_path(booking, token)).data).events

    assert event.summary == "Reception: Northern branch"
    assert "Booking code: " + booking.code in event.description


def test_the_manage_page_links_to_the_ics(client, make_division, make_booking):
    booking, token = make_booking(make_division(weekdays=EVERY_DAY), at(3, "10:40"))

    page = client.get(f"/bookings/{booking.code}?token={token}").get_data(as_text=True)

    link = f'/bookings/{booking.code}.ics?token={token}'
    assert f'href="{link}"' in page
    assert client.get(link).status_code == 200
