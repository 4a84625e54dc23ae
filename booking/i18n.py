"""Dates and times in the reader's language (or a message's, under ``force_locale``), Moscow time."""
from functools import lru_cache

from flask_babel import force_locale, format_date, format_datetime, format_time, get_locale, get_timezone
from flask_babel import get_translations

from .core.ical import CalendarTexts


def _memo(formatter, value, pattern):
    """``formatter(value, pattern)``, computed once per value, pattern, language and time zone.

    A week page shows the same few dozen dates and times hundreds of times;
    Babel and Flask-Babel's lookups cost far more than remembering the text.
    """
    if value is None:  # "now": never the same twice
        return formatter(value, pattern)
    return _formatted(formatter, type(value), value, pattern, str(get_locale()), get_timezone())


@lru_cache(maxsize=8192)
def _formatted(formatter, _kind, value, pattern, _locale, _tz):
    # The type is part of the key: a date and a datetime of the same day must not share a text.
    return formatter(value, pattern)


def long_datetime(dt):
    """«среда, 2 декабря, 10:20» in the reader's language and the booking time zone."""
    return _memo(format_datetime, dt, "EEEE, d MMMM, HH:mm")


def long_date(value):
    """«среда, 2 декабря 2026»."""
    return _memo(format_date, value, "EEEE, d MMMM y")


def plain_date(value):
    """«2 декабря 2026 г.»: a date without the weekday, e.g. after «с» or «по»."""
    return _memo(format_date, value, "long")


def day_heading(value):
    """«ср, 2 декабря»."""
    return _memo(format_date, value, "EEE, d MMMM")


def day_month(value):
    """«2 декабря»."""
    return _memo(format_date, value, "d MMMM")


def weekday_name(value):
    """«среда»."""
    return _memo(format_date, value, "EEEE")


def long_date_short(value):
    """«среда, 2 декабря»: a date of this or next month, without the year."""
    return _memo(format_date, value, "EEEE, d MMMM")


def clock(dt):
    return _memo(format_time, dt, "HH:mm")


def unbreakable(text):
    """``text`` with no-break spaces, e.g. a phone number that must not wrap: «+7 495 000-00-00»."""
    return (text or "").replace(" ", "\u00a0")


def calendar_texts(locale):
    """The calendar's words in ``locale`` (``ru``, ``en``), from the site's catalog."""
    with force_locale(locale):
        return CalendarTexts(get_translations(), locale)


def booking_language(booking):
    """The language of everything sent about ``booking``: the one the citizen booked in."""
    return "en" if (booking.locale or "").lower().startswith("en") else "ru"
