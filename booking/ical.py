"""iCalendar output: appointments and calendars, written with the ``icalendar`` library.

Pure: no Flask and no database. Bookings are read duck-typed (the attributes
of :class:`booking.models.Booking` and its division), so the same functions
serve the per-booking ``.ics``, the invites in e-mails and the feeds.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

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
    },
    "en": {
        "summary": "Reception: {division}",
        "with": "Received by: {title} {head}",
        "code": "Booking code: {code}",
        "bring": "Please bring your passport, customer account number (if any) and documents about your question.",
        "manage": "Move or cancel: {url}",
        "session": "Reception hours: {division}",
    },
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


def texts(locale):
    return TEXTS.get((locale or "ru")[:2], TEXTS["ru"])


def division_location(division):
    return ", ".join(part for part in (division.address, division.room) if part)


def appointment_from_booking(booking, manage_url="", locale=None, organizer_email=""):
    """The citizen's view of ``booking`` as an :class:`Appointment`."""
    division = booking.division
    t = texts(locale or booking.locale)
    lines = [t["code"].format(code=booking.code),
             t["with"].format(title=division.head_title, head=division.head_name).strip(),
             t["bring"]]
    if getattr(division, "directions", ""):
        lines.append(division.directions)
    if manage_url:
        lines.append(t["manage"].format(url=manage_url))
    return Appointment(
        uid=booking_uid(booking), start_dt=booking.start_utc, end_dt=booking.end_utc,
        summary=t["summary"].format(division=division.name), location=division_location(division),
        description="\n".join(lines), sequence=booking.sequence, cancelled=booking.status == "cancelled",
        organizer_name=division.name, organizer_email=organizer_email or getattr(division, "email", "") or "",
        attendee_name=booking.full_name, attendee_email=booking.email,
        last_modified=booking.updated_at, url=manage_url,
    )


def event_for(appointment, tz, dtstamp):
    """A VEVENT for ``appointment``, with times in ``tz``."""
    event = Event()
    event.add("uid", appointment.uid)
    event.add("dtstamp", dtstamp)
    event.add("dtstart", appointment.start_dt.astimezone(tz))
    event.add("dtend", appointment.end_dt.astimezone(tz))
    event.add("summary", appointment.summary)
    if appointment.location:
        event.add("location", appointment.location)
    if appointment.description:
        event.add("description", appointment.description)
    event.add("sequence", appointment.sequence)
    event.add("status", "CANCELLED" if appointment.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if appointment.last_modified is not None:
        event.add("last-modified", appointment.last_modified)
    if appointment.url:
        event.add("url", appointment.url)
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
    """A VCALENDAR holding ``appointments`` and the VTIMEZONE their times use."""
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
        calendar.add("x-published-ttl", refresh)
    starts = []
    for appointment in appointments:
        calendar.add_component(event_for(appointment, tz, dtstamp))
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
