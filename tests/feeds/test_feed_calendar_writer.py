"""The calendar writer behind the feeds, without an application."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from booking import ical, scheduling
from helpers import MSK

MONDAY = date(2027, 3, 1)


def msk(day, hours, minutes=0):
    return datetime.combine(day, time(hours, minutes), tzinfo=MSK).astimezone(timezone.utc)


@dataclass
class Division:
    id: int = 7
    name: str = "Северный филиал"
    name_en: str = "Northern branch"
    head_name: str = "Карпов Андрей Викторович"
    head_title: str = "Директор филиала"
    address: str = "Москва, Дмитровское шоссе, д. 71"
    room: str = "каб. 105"
    directions: str = ""
    email: str = "sever@mosteplo.example"


def test_a_feed_without_method_stamps_each_event_with_its_last_change_and_is_stable():
    changed = datetime(2027, 2, 20, 9, 30, tzinfo=timezone.utc)
    appointment = ical.Appointment(uid="a@priyom", start_dt=msk(MONDAY, 10), end_dt=msk(MONDAY, 10, 20),
                                   summary="Приём", last_modified=changed)
    generated = datetime(2027, 2, 25, tzinfo=timezone.utc)

    body = ical.feed_ics([appointment], MSK, generated, "Приёмы", timedelta(minutes=15))

    assert b"METHOD" not in body
    assert b"DTSTAMP:20270220T093000Z" in body
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT15M" in body and b"X-PUBLISHED-TTL:PT15M" in body
    assert ical.feed_ics([appointment], MSK, generated, "Приёмы", timedelta(minutes=15)) == body


def test_an_empty_feed_still_names_its_time_zone():
    body = ical.feed_ics([], MSK, datetime(2027, 2, 25, tzinfo=timezone.utc), "Приёмы", timedelta(hours=12))
    assert b"BEGIN:VTIMEZONE\r\nTZID:Europe/Moscow" in body and b"BEGIN:VEVENT" not in body


def test_session_uid_is_stable_per_division_and_start():
    session = scheduling.Session(msk(MONDAY, 10), msk(MONDAY, 13))
    appointment = ical.session_appointment(session, Division(), "ru", "https://priem.example/divisions/x")
    assert appointment.uid == "reception-7-20270301T070000Z@priyom"
    assert appointment.summary == "Приём граждан: Северный филиал"
    assert appointment.attendee_email == "" and appointment.organizer_email == "sever@mosteplo.example"
    assert "https://priem.example/divisions/x" in appointment.description
