"""Plain helpers for tests: dates that are reception days, citizen details, local times."""
from datetime import time, timedelta

import holidays
from flask import current_app, g
from flask.testing import FlaskClient

from booking.bookings import CitizenDetails
from booking.core.timeutil import get_tz, local_to_utc, now_utc
from booking.notify.settings import mailroom_of

MSK = get_tz("Europe/Moscow")


def next_weekday(weekday, after=None, weeks=0):
    """The local date of the next ``weekday`` strictly after ``after`` (default: today in Moscow)."""
    after = after or now_utc().astimezone(MSK).date()
    days = (weekday - after.weekday() - 1) % 7 + 1
    return after + timedelta(days=days + 7 * weeks)


def app_mailroom():
    """The mailroom of the application in context, for helpers that get no fixtures (tests take ``mailroom``)."""
    return mailroom_of(current_app)


def details(**overrides):
    values = dict(full_name="Петров Пётр Петрович", phone="+79161234567", email="petrov@example.ru",
                  topic="heating", message="Холодные батареи", account="", address="")
    values.update(overrides)
    return CitizenDetails(**values)


def slot_start(day, clock="10:00"):
    hours, minutes = map(int, clock.split(":"))
    return local_to_utc(day, time(hours, minutes), MSK)


def first_free_day():
    """A weekday at least two days ahead, on no Russian holiday."""
    day = now_utc().astimezone(MSK).date() + timedelta(days=2)
    ru = holidays.country_holidays("RU", years=[day.year, day.year + 1])
    while day.weekday() > 4 or day in ru:
        day += timedelta(days=1)
    return day


class Browser(FlaskClient):
    """A test client whose requests share no per-request state, as a browser's never do.

    The ``app`` fixture keeps one application context open for the whole test
    (so tests can use ``db.session``), which would let every request see the
    same ``flask.g``: Flask-Login's user, Flask-WTF's CSRF token and
    Flask-Babel's locale are forgotten before each request.
    """

    def open(self, *args, **kwargs):
        for name in ("_login_user", "csrf_token", "_flask_babel"):
            g.pop(name, None)
        return super().open(*args, **kwargs)
