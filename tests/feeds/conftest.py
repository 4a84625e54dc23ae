"""Fixtures of the calendar tests: two independent readers, signed-in staff, a query counter."""
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import render_template_string

from booking import feed_service, services
from booking.models import User
from booking.timeutil import now_utc
from feed_readers import icaljs_reader, install_icaljs, read_with_vobject


@pytest.fixture(scope="session")
def icaljs():
    """Read iCalendar bytes with Mozilla's ical.js (the parser inside Thunderbird)."""
    return icaljs_reader(install_icaljs())


@pytest.fixture(params=["ical.js", "vobject"])
def reader(request):
    """Each test using it runs once per independent reader."""
    if request.param == "ical.js":
        return request.getfixturevalue("icaljs")
    return read_with_vobject


@pytest.fixture
def feed_token(db):
    """The plain agenda token of a division, created as ``flask feed-url`` would."""

    def make(division):
        token, _created = feed_service.ensure_feed_token(division, now_utc())
        db.session.commit()
        return token

    return make


@pytest.fixture
def count_queries(db):
    """``with count_queries() as seen:`` collects the SQL statements run inside the block."""

    @contextmanager
    def counting():
        seen = []

        def before(_conn, _cursor, statement, *_args):
            if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "PRAGMA")):
                seen.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield seen
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def renders(monkeypatch):
    """Counts how many times a feed is written out."""
    from booking import ical

    calls = []
    original = ical.feed_ics

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(ical, "feed_ics", counting)
    return calls


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 1000))

    def factory(role="head", divisions=()):
        user = User(email=f"staff{next(counter)}@mosteplo.example", name="Сотрудник", role=role,
                    divisions=list(divisions))
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def login(client):
    """Sign ``user`` in on the test client, as Flask-Login would after a password check."""

    def sign_in(user):
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        return user

    return sign_in


AGENDA_STAND_IN = """{% extends "base.html" %}{% block content %}
<h1>{{ division.name }}</h1>{% include "feeds/_agenda_feed_box.html" %}{% endblock %}"""


@pytest.fixture
def agenda_page(app):
    """A stand-in for the head's agenda page: it includes the feed box the way that page does."""

    def page(slug):
        return render_template_string(AGENDA_STAND_IN, division=services.get_division(slug, include_inactive=True))

    app.add_url_rule("/test-agenda/<slug>", "test_agenda", page)
    return lambda division: f"/test-agenda/{division.slug}"
