"""iCalendar output: appointments and calendars, written with the ``icalendar`` library.

Pure: no Flask and no database. Bookings are read duck-typed (the attributes
of :class:`booking.models.Booking` and its division), so the same functions
serve the per-booking ``.ics``, the invites in e-mails and the feeds.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration, vText
from icalendar.timezone import tzp

PRODID = "-//Priyom//Reception booking//RU"
UID_DOMAIN = "priyom"

TEXTS = {
    "ru": {
        "summary": "Приём: {division}",
        "with": "Приём ведёт: {title} {head}",
        "code": "Код записи: {code}",
        "bring": "Возьмите с собой паспорт, номер лицевого счёта (если есть) и документы по вопросу.",
        "manage": "Перенести или отменить: {url}",
        "session": "Приём граждан: {division}",
        "book": "Записаться на приём: {url}",
        "agenda_calendar": "Приёмы: {division}",
        "reception_calendar": "Часы приёма: {division}",
        "visit": "Приём: {name} — {topic}",
        "cancelled": "Отменено: {summary}",
        "cancelled_note": "Запись отменена.",
        "visitor": "Посетитель: {name}",
        "topic": "Тема: {topic}",
        "question": "Вопрос: {question}",
        "property": "Адрес объекта: {address}",
    },
    "en": {
        "summary": "Reception: {division}",
        "with": "Received by: {title} {head}",
        "code": "Booking code: {code}",
        "bring": "Please bring your passport, customer account number (if any) and documents about your question.",
        "manage": "Move or cancel: {url}",
        "session": "Reception hours: {division}",
        "book": "Book an appointment: {url}",
        "agenda_calendar": "Appointments: {division}",
        "reception_calendar": "Reception hours: {division}",
        "visit": "Appointment: {name} — {topic}",
        "cancelled": "Cancelled: {summary}",
        "cancelled_note": "The appointment is cancelled.",
        "visitor": "Visitor: {name}",
        "topic": "Topic: {topic}",
        "question": "Question: {question}",
        "property": "Address of the property: {address}",
    },
}

TOPICS = {
    "ru": {"heating": "Отопление", "hot_water": "Горячая вода", "billing": "Счета и оплата",
           "connection": "Подключение к сетям", "other": "Другое"},
    "en": {"heating": "Heating", "hot_water": "Hot water", "billing": "Bills and payments",
           "connection": "Connection to the networks", "other": "Other"},
}


@dataclass
class Appointment:
    """What a calendar needs to know about one appointment."""

    uid: str
    start_dt: datetime  # aware
    end_dt: datetime  # aware
    summary: str
    location: str = ""
    description: str = ""
    sequence: int = 0
    cancelled: bool = False
    organizer_name: str = ""
    organizer_email: str = ""
    attendee_name: str = ""
    attendee_email: str = ""
    last_modified: datetime = None
    url: str = ""


def booking_uid(booking):
    """The booking's UID: stable for its whole life, across every move."""
    return f"booking-{booking.id}-{booking.code}@{UID_DOMAIN}"


def _language(locale):
    language = (locale or "ru")[:2]
    return language if language in TEXTS else "ru"


def texts(locale):
    return TEXTS[_language(locale)]


def topic_name(topic, locale):
    """The topic as the reader of ``locale`` calls it."""
    return TOPICS[_language(locale)].get(topic, topic)


def division_name(division, locale):
    """The division's English name for English readers when it has one, else its Russian name."""
    if _language(locale) == "en" and getattr(division, "name_en", ""):
        return division.name_en
    return division.name


def division_location(division):
    return ", ".join(part for part in (division.address, division.room) if part)


def _division_fields(division, locale, organizer_email):
    """The fields every appointment of ``division`` shares: where, and who organises it."""
    return dict(location=division_location(division), organizer_name=division_name(division, locale),
                organizer_email=organizer_email or getattr(division, "email", "") or "")


def appointment_from_booking(booking, manage_url="", locale=None, organizer_email=""):
    """The citizen's view of ``booking`` as an :class:`Appointment`."""
    division = booking.division
    locale = locale or booking.locale
    t = texts(locale)
    lines = [t["code"].format(code=booking.code),
             t["with"].format(title=division.head_title, head=division.head_name).strip(),
             t["bring"]]
    if getattr(division, "directions", ""):
        lines.append(division.directions)
    if manage_url:
        lines.append(t["manage"].format(url=manage_url))
    return Appointment(
        uid=booking_uid(booking), start_dt=booking.start_utc, end_dt=booking.end_utc,
        summary=t["summary"].format(division=division_name(division, locale)),
        description="\n".join(lines), sequence=booking.sequence, cancelled=booking.status == "cancelled",
        attendee_name=booking.full_name, attendee_email=booking.email,
        last_modified=booking.updated_at, url=manage_url, **_division_fields(division, locale, organizer_email),
    )


def visit_appointment(booking, division, locale="ru", organizer_email=""):
    """The division head's view of ``booking``: who comes, about what, with which question.

    ``division`` is passed in rather than read from the booking, so a feed of
    many bookings costs no query per event.
    """
    t = texts(locale)
    cancelled = booking.status == "cancelled"
    topic = topic_name(booking.topic, locale)
    summary = t["visit"].format(name=booking.full_name, topic=topic)
    lines = [t["visitor"].format(name=booking.full_name), t["topic"].format(topic=topic)]
    if booking.message:
        lines.append(t["question"].format(question=booking.message))
    if booking.address:
        lines.append(t["property"].format(address=booking.address))
    lines.append(t["code"].format(code=booking.code))
    if cancelled:
        # Clients that ignore STATUS still show the event; the title tells the head not to wait.
        summary = t["cancelled"].format(summary=summary)
        lines.insert(0, t["cancelled_note"])
    return Appointment(
        uid=booking_uid(booking), start_dt=booking.start_utc, end_dt=booking.end_utc, summary=summary,
        description="\n".join(lines), sequence=booking.sequence, cancelled=cancelled,
        last_modified=booking.updated_at, **_division_fields(division, locale, organizer_email),
    )


def session_uid(division, session):
    """A reception session's UID: the division and the session's start instant."""
    return f"reception-{division.id}-{session.start_dt.strftime('%Y%m%dT%H%M%SZ')}@{UID_DOMAIN}"


def session_appointment(session, division, locale="ru", booking_url="", organizer_email=""):
    """A reception session of ``division`` for the public calendar: no visitor, only when and where."""
    t = texts(locale)
    lines = [t["with"].format(title=division.head_title, head=division.head_name).strip()]
    if getattr(division, "directions", ""):
        lines.append(division.directions)
    if booking_url:
        lines.append(t["book"].format(url=booking_url))
    return Appointment(
        uid=session_uid(division, session), start_dt=session.start_dt, end_dt=session.end_dt,
        summary=t["session"].format(division=division_name(division, locale)),
        description="\n".join(lines), url=booking_url, **_division_fields(division, locale, organizer_email),
    )


# The property types ``Event.add`` would look up by name for every value, looked up once.
_TYPES = {name: Event.types_factory.for_property(name)
          for name in ("uid", "dtstamp", "dtstart", "dtend", "summary", "location", "description", "sequence",
                       "status", "transp", "last-modified", "url")}


def _set(event, name, value):
    """``event.add(name, value)`` for a property the event does not have yet, without the per-call look-ups."""
    if name in ("dtstamp", "last-modified"):
        value = tzp.localize_utc(value)  # as ``add`` does: the RFC wants these in UTC
    event[name.upper()] = _TYPES[name](value)


def event_for(appointment, tz, dtstamp):
    """A VEVENT for ``appointment``, with times in ``tz``."""
    event = Event()
    _set(event, "uid", appointment.uid)
    _set(event, "dtstamp", dtstamp)
    _set(event, "dtstart", appointment.start_dt.astimezone(tz))
    _set(event, "dtend", appointment.end_dt.astimezone(tz))
    _set(event, "summary", appointment.summary)
    if appointment.location:
        _set(event, "location", appointment.location)
    if appointment.description:
        _set(event, "description", appointment.description)
    _set(event, "sequence", appointment.sequence)
    _set(event, "status", "CANCELLED" if appointment.cancelled else "CONFIRMED")
    _set(event, "transp", "OPAQUE")
    if appointment.last_modified is not None:
        _set(event, "last-modified", appointment.last_modified)
    if appointment.url:
        _set(event, "url", appointment.url)
    if appointment.organizer_email:
        organizer = vCalAddress(f"mailto:{appointment.organizer_email}")
        organizer.params["cn"] = vText(appointment.organizer_name)
        event.add("organizer", organizer, encode=0)
    if appointment.attendee_email:
        attendee = vCalAddress(f"mailto:{appointment.attendee_email}")
        attendee.params["cn"] = vText(appointment.attendee_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("DECLINED" if appointment.cancelled else "ACCEPTED")
        event.add("attendee", attendee, encode=0)
    return event


def calendar_for(appointments, tz, dtstamp, method=None, name=None, refresh=None):
    """A VCALENDAR holding ``appointments`` and the VTIMEZONE their times use.

    Without a METHOD (a feed, not an iTIP message) each event's DTSTAMP is when
    it was last revised (RFC 5545, 3.8.7.2), so an unchanged feed is written
    byte for byte the same.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("name", name)
    calendar.add("x-wr-timezone", tz.key)
    if refresh is not None:
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
    starts = []
    for appointment in appointments:
        stamp = appointment.last_modified if method is None and appointment.last_modified else dtstamp
        calendar.add_component(event_for(appointment, tz, stamp))
        starts.append(appointment.start_dt)
    first = (min(starts) if starts else dtstamp) - timedelta(days=366)
    last = (max(starts) if starts else dtstamp) + timedelta(days=366)
    # Every event is written in ``tz``; an empty feed still names its zone, so clients show later events right.
    calendar.add_component(Timezone.from_ical(_vtimezone(tz.key, first.year, last.year)))
    return calendar


@lru_cache(maxsize=64)
def _vtimezone(tzid, first_year, last_year):
    """The VTIMEZONE of ``tzid`` over whole years, as bytes.

    Building it walks the zone hour by hour (a tenth of a second and more),
    too slow to repeat for every invite written inside a booking's transaction.
    """
    return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year, 12, 31)).to_ical()


def booking_ics(booking, tz, dtstamp, method="PUBLISH", manage_url="", locale=None, organizer_email=""):
    """One booking as iCalendar bytes: PUBLISH for download, REQUEST/CANCEL for invites."""
    appointment = appointment_from_booking(booking, manage_url, locale, organizer_email)
    if method == "CANCEL":
        appointment.cancelled = True
    return calendar_for([appointment], tz, dtstamp, method=method).to_ical()


def feed_ics(appointments, tz, dtstamp, name, refresh):
    """A subscribable calendar as iCalendar bytes: a name, a refresh hint, no METHOD."""
    return calendar_for(appointments, tz, dtstamp, name=name, refresh=refresh).to_ical()
