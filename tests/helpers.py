"""Plain helpers for tests: dates that are reception days, citizen details, local times, the browser.

The suite's one way to read a form's CSRF token (:func:`csrf_token`) and to log in
through the real login form (:meth:`Browser.log_in`) live here.
"""
import html
import re
from datetime import time, timedelta

import holidays
from flask import current_app, g
from flask.testing import FlaskClient

from booking.bookings import CitizenDetails
from booking.core.timeutil import get_tz, local_to_utc, now_utc
from booking.notify.settings import mailroom_of

MSK = get_tz("Europe/Moscow")
PASSWORD = "correct horse battery"  # every account of the ``make_user`` fixture has it unless told otherwise
_CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
_VALUE = re.compile(r'\bvalue="([^"]*)"')


def csrf_token(page):
    """The CSRF token of the first form in ``page``: HTML (text or bytes) or a test client's response."""
    if hasattr(page, "get_data"):
        page = page.get_data(as_text=True)
    if isinstance(page, bytes):
        page = page.decode("utf-8")
    tag = _CSRF_INPUT.search(page)
    if tag is None:
        raise AssertionError("the page has no form with a CSRF token")
    return html.unescape(_VALUE.search(tag.group(0)).group(1))


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


def today():
    """Today's date in Moscow."""
    return now_utc().astimezone(MSK).date()


def recent_day(before=None):
    """A past day (default: before today) that is no Russian public holiday."""
    day = (before or today()) - timedelta(days=1)
    ru = holidays.country_holidays("RU", years=[day.year - 1, day.year])
    while day in ru:
        day -= timedelta(days=1)
    return day


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

    It fills in forms as a person does: ``post_form`` sends the session's CSRF
    token with the fields, ``log_in`` the login form read from ``/login``.
    """

    def open(self, *args, **kwargs):
        for name in ("_login_user", "csrf_token", "_flask_babel"):
            g.pop(name, None)
        return super().open(*args, **kwargs)

    def csrf_token(self):
        """The CSRF token of this browser's session, read from a page with a form."""
        for url in ("/", "/login"):
            page = self.get(url).get_data(as_text=True)
            if _CSRF_INPUT.search(page):
                return csrf_token(page)
        raise AssertionError("no page offered a CSRF token")

    def post_form(self, url, data=None, **kwargs):
        """POST a form with the session's CSRF token, as the page holding the form would."""
        return self.post(url, data={**(data or {}), "csrf_token": self.csrf_token()}, **kwargs)

    def log_in(self, email, password=PASSWORD, next_url=None):
        """Fill in and send the login form with its CSRF token; the form's answer (303 when it let one in)."""
        data = {"email": email, "password": password}
        if next_url is not None:
            data["next"] = next_url
        if self.application.config.get("WTF_CSRF_ENABLED", True):
            page = self.get("/login")  # the form, or a redirect for someone already logged in
            data["csrf_token"] = csrf_token(page) if page.status_code == 200 else self.csrf_token()
        return self.post("/login", data=data)
