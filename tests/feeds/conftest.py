"""Fixtures of the calendar tests: two independent readers, feed tokens, a query counter."""
from contextlib import contextmanager


import pytest
import sqlalchemy as sa

from booking.feeds import service as feed_service
from feed_helpers import feed_settings
from booking.core.timeutil import now_utc
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
        token, _created = feed_service.ensure_feed_token(division, now_utc(), feed_settings())
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
    from booking.core import ical

    calls = []
    original = ical.feed_ics

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(ical, "feed_ics", counting)
    return calls


@pytest.fixture
def agenda_page():
    """The head's agenda page of a division, where the feed box lives."""
    return lambda division: f"/agenda?division={division.slug}"
