"""The calendar writer behind the feeds, without an application."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from babel.support import Translations
from icalendar import Event

from booking.core import ical, scheduling
from catalogs import TRANSLATIONS
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
    russian = ical.CalendarTexts(Translations.load(TRANSLATIONS, ["ru"]), "ru")
    appointment = ical.session_appointment(session, Division(), russian, "https://priem.example/divisions/x")
    assert appointment.uid == "reception-7-20270301T070000Z@priyom"
    assert appointment.summary == "Приём граждан: Северный филиал"
    assert appointment.attendee_email == "" and appointment.organizer_email == "sever@mosteplo.example"
    assert "https://priem.example/divisions/x" in appointment.description


def test_events_are_written_exactly_as_icalendars_own_add_writes_them():
    appointment = ical.Appointment(
        uid="b@priyom", start_dt=msk(MONDAY, 10), end_dt=msk(MONDAY, 10, 20), summary="Приём; «отопление», д. 1",
        location="Москва, каб. 105", description="Тема: отопление\nКод: K7Q", sequence=2, cancelled=True,
        last_modified=datetime(2027, 2, 20, 12, 30, tzinfo=MSK), url="https://priyom.example/b/K7Q?x=1",
        organizer_email="sever@mosteplo.example", organizer_name="Карпов А. В.",
        attendee_email="a@example.ru", attendee_name="Анна")
    stamp = datetime(2027, 2, 21, 8, 0, tzinfo=MSK)
    expected = Event()
    for name, value in (("uid", appointment.uid), ("dtstamp", stamp), ("dtstart", appointment.start_dt.astimezone(MSK)),
                        ("dtend", appointment.end_dt.astimezone(MSK)), ("summary", appointment.summary),
                        ("location", appointment.location), ("description", appointment.description),
                        ("sequence", 2), ("status", "CANCELLED"), ("transp", "OPAQUE"),
                        ("last-modified", appointment.last_modified), ("url", appointment.url)):
        expected.add(name, value)
    written = ical.event_for(appointment, MSK, stamp)
    for name in ("organizer", "attendee"):
        expected.add(name, written[name], encode=0)
    assert written.to_ical() == expected.to_ical()
    assert b"DTSTAMP:20270221T050000Z" in written.to_ical()  # in UTC, as the RFC wants
