"""Dates and times in the reader's language (or a message's, under ``force_locale``), Moscow time."""
from flask_babel import force_locale, format_date, format_datetime, format_time, get_translations

from .core.ical import CalendarTexts


def long_datetime(dt):
    """«среда, 2 декабря, 10:20» in the reader's language and the booking time zone."""
    return format_datetime(dt, "EEEE, d MMMM, HH:mm")


def long_date(value):
    """«среда, 2 декабря 2026»."""
    return format_date(value, "EEEE, d MMMM y")


def plain_date(value):
    """«2 декабря 2026 г.»: a date without the weekday, e.g. after «с» or «по»."""
    return format_date(value, "long")


def day_heading(value):
    """«ср, 2 декабря»."""
    return format_date(value, "EEE, d MMMM")


def day_month(value):
    """«2 декабря»."""
    return format_date(value, "d MMMM")


def weekday_name(value):
    """«среда»."""
    return format_date(value, "EEEE")


def long_date_short(value):
    """«среда, 2 декабря»: a date of this or next month, without the year."""
    return format_date(value, "EEEE, d MMMM")


def clock(dt):
    return format_time(dt, "HH:mm")


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
