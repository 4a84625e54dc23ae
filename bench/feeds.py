"""A head's private agenda feed of 5,000 appointments, under gunicorn.

One division whose past holds ``BENCH_FEED_EVENTS`` (5,000) bookings the feed
lists, loaded straight into the table by :mod:`bench.loader` (weekday slots
going back from yesterday; the feed's range is widened with
``FEED_PAST_WEEKS`` to reach them all), and its agenda feed served by gunicorn.

- Full render: seconds per GET of the feed, one request at a time, against
  ``icalendar`` alone serialising a calendar of the same events, built in
  memory beforehand (``Calendar.to_ical()``, in-process, one call at a time). Target: at most 2×.
- Conditional GET: the same URL with ``If-None-Match`` of the current ETag,
  answered 304 (wrk, one connection), against the full render, both one
  request at a time. Target: the 304 at least 10× cheaper.
"""
import math
import time
import urllib.error
import urllib.request
from datetime import timedelta

from booking import bookings as booking_ops
from booking.core import ical
from booking.feeds import service as feed_service
from booking.extensions import db
from booking.models import Division
from booking.core.timeutil import now_utc

from . import harness, loader

SLUG = "bench-feed"
PER_WEEK = 5 * (18 - 9) * 60 // loader.SLOT_MINUTES  # reception slots a week in the loader's rows


def _n(count):
    return f"{count:,}".replace(",", " ")


def feed_past_weeks(events):
    """``FEED_PAST_WEEKS`` that covers ``events`` loaded past bookings, with a week to spare."""
    return math.ceil(events * 1.1 / PER_WEEK) + 2


def prepare(url, events, now, past_weeks):
    """Schema, one division, its past and a feed link; returns (app, token)."""
    app = harness.product_app(url)
    app.config["FEED_PAST_WEEKS"] = past_weeks
    harness.create_schema(app)
    division_id = harness.add_division(app, SLUG)
    tz = booking_ops.Policy.from_config(app.config).tz
    today = now.astimezone(tz).date()
    with app.app_context():
        db.engine.dispose()
    # The loader cancels one booking in 20, long ago: the feed leaves those out. Load enough to list ``events``.
    loader.load_past_bookings(url, math.ceil(events * 20 / 19) + 1, [division_id], today, tz)
    with app.app_context():
        division = db.session.get(Division, division_id)
        token = feed_service.rotate_feed_token(division, now, feed_service.FeedSettings.from_config(app.config))
        db.session.commit()
    return app, token


def memory_calendar(app, token, now):
    """The feed's appointments as icalendar objects built beforehand; and how many there are."""
    with app.app_context():
        policy = booking_ops.Policy.from_config(app.config)
        feed_token = feed_service.find_feed_token(token)
        division = feed_token.division
        config = app.config
        span = feed_service.agenda_range(now, policy, config["FEED_PAST_WEEKS"], config["FEED_KEEP_CANCELLED_DAYS"])
        organizer = feed_service.organizer_email(division, feed_service.FeedSettings.from_config(app.config).sender)
        texts = feed_service.calendar_texts("ru")
        appointments = [ical.visit_appointment(b, division, texts, organizer)
                        for b in feed_service.agenda_bookings(division, span)]
        calendar = ical.calendar_for(appointments, policy.tz, now, name="Приёмы",
                                     refresh=timedelta(minutes=config["FEED_REFRESH_MINUTES"]))
        db.session.remove()
    return calendar, len(appointments)


def to_ical_timer(calendar, calls=2):
    def measure():
        started = time.perf_counter()
        for _ in range(calls):
            calendar.to_ical()
        return (time.perf_counter() - started) / calls
    return measure


def full_get_timer(port, path, calls=2):
    """Seconds per full GET of the feed, one after the other (a render takes seconds: wrk would see few)."""
    started = time.perf_counter()
    for _ in range(calls):
        status, body = harness.get(port, path, timeout=300)
        assert status == 200 and body.endswith(b"END:VCALENDAR\r\n"), status
    return (time.perf_counter() - started) / calls


def fetch(url, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=120) as response:
        return response.status, response.headers, response.read()


def run():
    events = harness.setting("FEED_EVENTS", 5000)
    report = harness.Report("feeds", f"a head's agenda feed of {_n(events)} appointments vs icalendar alone")
    now = now_utc()
    past_weeks = feed_past_weeks(events)
    with harness.databases() as new_database:
        for backend in harness.backends():
            url = new_database(backend, "feed")
            app, token = prepare(url, events, now, past_weeks)
            calendar, listed = memory_calendar(app, token, now)
            with harness.Server(url, env={"FEED_PAST_WEEKS": str(past_weeks)}) as server:
                feed_url = f"{server.base_url}/feeds/agenda/{token}.ics"
                status, headers, body = fetch(feed_url)
                assert status == 200, status
                served = body.count(b"BEGIN:VEVENT")
                etag = headers["ETag"]
                try:
                    fetch(feed_url, {"If-None-Match": etag})
                    raise AssertionError("conditional GET not answered 304")
                except urllib.error.HTTPError as answer:
                    assert answer.code == 304, answer.code
                report.log(f"{backend}: feed {len(body) / 1e6:.2f} MB, {served} events "
                           f"(in memory: {listed}); FEED_PAST_WEEKS={past_weeks}")
                path = feed_url[len(server.base_url):]
                harness.wrk(feed_url, duration=1, connections=1, headers={"If-None-Match": etag})
                times = harness.alternate({
                    "feed": lambda path=path: full_get_timer(server.port, path),
                    "icalendar": to_ical_timer(calendar),
                    "304": lambda feed_url=feed_url, etag=etag: 1 / harness.wrk(
                        feed_url, connections=1, headers={"If-None-Match": etag}).rps,
                })
                errors = server.errors_logged()
            feed_s, ical_s, cond_s = times["feed"], times["icalendar"], times["304"]
            report.add(f"{backend}: agenda feed of {_n(served)}, full render",
                       harness.spread(t * 1000 for t in feed_s), "ms/request",
                       baseline=harness.spread(t * 1000 for t in ical_s), baseline_name="icalendar to_ical() alone",
                       ratio=harness.spread(f / i for f, i in zip(feed_s, ical_s)), target=("<=", 2),
                       note="one request at a time vs in-process")
            report.add(f"{backend}: agenda feed, conditional GET (304)",
                       harness.spread(t * 1000 for t in cond_s), "ms/request",
                       baseline=harness.spread(t * 1000 for t in feed_s), baseline_name="full render",
                       ratio=harness.spread(f / c for f, c in zip(feed_s, cond_s)), target=(">=", 10),
                       note="one request at a time; ratio = how many times cheaper")
            report.add(f"{backend}: feed server errors", errors, "", target=("==", 0), must=True)
            with app.app_context():
                db.engine.dispose()
    return report


if __name__ == "__main__":
    harness.main(run)
