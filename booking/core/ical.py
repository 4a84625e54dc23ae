"""iCalendar output: appointments and calendars, written with the ``icalendar`` library.

Pure: no Flask and no database. Bookings are read duck-typed (the attributes
of :class:`booking.models.Booking` and its division), so the same functions
serve the per-booking ``.ics``, the invites in e-mails and the feeds. The
words come from the caller as :class:`CalendarTexts` (a gettext catalog it
loaded), so the message catalog holds them with every other text.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration, vText
from icalendar.timezone import tzp

from .names import lower_first

PRODID = "-//Priyom//Reception booking//RU"
UID_DOMAIN = "priyom"


class CalendarTexts:
    """The words a calendar is written in, from a gettext catalog of one language.

    ``translations`` is any object with the ``gettext``/``pgettext`` methods of
    :class:`gettext.NullTranslations` (the caller loads the catalog); without
    one the texts stay in English, the language they are written in here.
    """

    def __init__(self, translations=None, locale="en"):
        self._translations = translations
        self.locale = locale

    def gettext(self, message, **variables):
        text = self._translations.gettext(message) if self._translations is not None else message
        return text % variables if variables else text

    def pgettext(self, context, message, **variables):
        text = self._translations.pgettext(context, message) if self._translations is not None else message
        return text % variables if variables else text


ENGLISH = CalendarTexts()


def N_(message):
    """Marks a text for the catalog (pybabel finds ``N_``) without translating it here."""
    return message


# The topic keys of ``booking.models.Topic``, named as on the site (the same catalog entries).
TOPICS = {"heating": N_("Heating"), "hot_water": N_("Hot water"), "billing": N_("Bills and payments"),
          "connection": N_("Connection to the networks"), "other": N_("Other")}


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
    return "en" if (locale or "ru").lower().startswith("en") else "ru"


def topic_name(topic, texts=ENGLISH):
    """The topic in the language of ``texts``."""
    return texts.gettext(TOPICS[topic]) if topic in TOPICS else topic


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


def _received_by(division, texts):
    # The position comes mid-sentence: «Кто принимает: директор филиала Карпов А. В.».
    head = f"{lower_first(division.head_title)} {division.head_name}".strip()
    return texts.gettext("Received by: %(head)s", head=head).strip()


def appointment_from_booking(booking, manage_url="", texts=ENGLISH, organizer_email=""):
    """The citizen's view of ``booking`` as an :class:`Appointment`, in the language of ``texts``."""
    division = booking.division
    lines = [texts.gettext("Booking code: %(code)s", code=booking.code),
             _received_by(division, texts),
             texts.gettext("Please bring your passport, customer account number (if any) and documents about "
                           "your question.")]
    if getattr(division, "directions", ""):
        lines.append(division.directions)
    if manage_url:
        lines.append(texts.gettext("Move or cancel: %(url)s", url=manage_url))
    return Appointment(
        uid=booking_uid(booking), start_dt=booking.start_utc, end_dt=booking.end_utc,
        summary=texts.gettext("Reception: %(division)s", division=division_name(division, texts.locale)),
        description="\n".join(lines), sequence=booking.sequence, cancelled=booking.status == "cancelled",
        attendee_name=booking.full_name, attendee_email=booking.email,
        last_modified=booking.updated_at, url=manage_url,
        **_division_fields(division, texts.locale, organizer_email),
    )


def visit_appointment(booking, division, texts=ENGLISH, organizer_email=""):
    """The division head's view of ``booking``: who comes, about what, with which question.

    ``division`` is passed in rather than read from the booking, so a feed of
    many bookings costs no query per event.
    """
    cancelled = booking.status == "cancelled"
    topic = topic_name(booking.topic, texts)
    summary = texts.gettext("Appointment: %(name)s — %(topic)s", name=booking.full_name, topic=topic)
    lines = [texts.gettext("Visitor: %(name)s", name=booking.full_name),
             texts.gettext("Topic: %(topic)s", topic=topic)]
    if booking.message:
        lines.append(texts.gettext("Question: %(question)s", question=booking.message))
    if booking.address:
        lines.append(texts.gettext("Address of the property: %(address)s", address=booking.address))
    lines.append(texts.gettext("Booking code: %(code)s", code=booking.code))
    if cancelled:
        # Clients that ignore STATUS still show the event; the title tells the head not to wait.
        summary = texts.gettext("Cancelled: %(summary)s", summary=summary)
        lines.insert(0, texts.gettext("The appointment is cancelled."))
    return Appointment(
        uid=booking_uid(booking), start_dt=booking.start_utc, end_dt=booking.end_utc, summary=summary,
        description="\n".join(lines), sequence=booking.sequence, cancelled=cancelled,
        last_modified=booking.updated_at, **_division_fields(division, texts.locale, organizer_email),
    )


def session_uid(division, session):
    """A reception session's UID: the division and the session's start instant."""
    return f"reception-{division.id}-{session.start_dt.strftime('%Y%m%dT%H%M%SZ')}@{UID_DOMAIN}"


def session_appointment(session, division, texts=ENGLISH, booking_url="", organizer_email=""):
    """A reception session of ``division`` for the public calendar: no visitor, only when and where."""
    lines = [_received_by(division, texts)]
    if getattr(division, "directions", ""):
        lines.append(division.directions)
    if booking_url:
        lines.append(texts.gettext("Book an appointment: %(url)s", url=booking_url))
    return Appointment(
        uid=session_uid(division, session), start_dt=session.start_dt, end_dt=session.end_dt,
        summary=texts.pgettext("calendar event", "Reception hours: %(division)s",
                               division=division_name(division, texts.locale)),
        description="\n".join(lines), url=booking_url, **_division_fields(division, texts.locale, organizer_email),
    )


def agenda_calendar_name(division, texts=ENGLISH):
    """The name of a division's agenda feed, as calendar applications list it."""
    return texts.gettext("Appointments: %(division)s", division=division_name(division, texts.locale))


def reception_calendar_name(division, texts=ENGLISH):
    """The name of a division's public reception-hours feed."""
    return texts.gettext("Reception hours: %(division)s", division=division_name(division, texts.locale))


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


def booking_ics(booking, tz, dtstamp, method="PUBLISH", manage_url="", texts=ENGLISH, organizer_email=""):
    """One booking as iCalendar bytes: PUBLISH for download, REQUEST/CANCEL for invites."""
    appointment = appointment_from_booking(booking, manage_url, texts, organizer_email)
    if method == "CANCEL":
        appointment.cancelled = True
    return calendar_for([appointment], tz, dtstamp, method=method).to_ical()


def feed_ics(appointments, tz, dtstamp, name, refresh):
    """A subscribable calendar as iCalendar bytes: a name, a refresh hint, no METHOD."""
    return calendar_for(appointments, tz, dtstamp, name=name, refresh=refresh).to_ical()
