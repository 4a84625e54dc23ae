"""Dates and times in the reader's language (or a message's, under ``force_locale``), Moscow time."""
from flask_babel import format_date, format_datetime, format_time


def long_datetime(dt):
    """«среда, 2 декабря, 10:20» in the reader's language and the booking time zone."""
    return format_datetime(dt, "EEEE, d MMMM, HH:mm")


def long_date(value):
    """«среда, 2 декабря 2026»."""
    return format_date(value, "EEEE, d MMMM y")


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
