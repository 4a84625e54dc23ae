"""Abuse limits counted across gunicorn's worker processes through a real Redis.

Under gunicorn with four workers, a limit of N bookings a day per address lets
exactly N through however many arrive at once; with Redis stopped the site
still books (each worker then counts in its own memory) and says so in the log;
memory:// with several workers is warned about at start.
"""
import threading
from collections import Counter
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import Booking
from helpers import MSK, csrf_token, first_free_day, slot_start
from prod.kit import Gunicorn, add_division, build_app, create_schema, scratch_database

pytestmark = pytest.mark.slow

WORKERS = 4
LIMIT = 3
CLOCKS = [f"{h}:{m:02d}" for h in (10, 11, 12) for m in (0, 20, 40)]


def limited_env(storage_uri):
    return {"FLASK_RATELIMIT_ENABLED": "true", "RATELIMIT_STORAGE_URI": storage_uri,
            "BOOKING_LIMIT_PER_ADDRESS_DAY": str(LIMIT), "BOOKING_LIMIT_PER_DIVISION_DAY": str(LIMIT),
            "BOOKING_RATE_LIMIT": "1000 per minute", "LOGIN_RATE_LIMIT": "1000 per minute"}


@pytest.fixture
def site(tmp_path, redis_server):
    """A migrated scratch database with one division, served by gunicorn counting in Redis."""
    redis_server.flush()
    with scratch_database(tmp_path) as url:
        app = build_app(url)
        create_schema(app)
        slug = add_division(app, places=5)
        server = Gunicorn(url, tmp_path, workers=WORKERS, env=limited_env(redis_server.url)).start()
        try:
            yield app, server, slug
        finally:
            server.stop()
            with app.app_context():
                db.engine.dispose()


def open_form(server, slug, start):
    status, headers, body = server.request("GET", f"/divisions/{slug}/book?{urlencode({'start': start})}")
    assert status == 200, body[-500:]
    token = csrf_token(body)
    return headers["Set-Cookie"].split(";")[0], token


def submit(server, slug, form, start, n):
    cookie, token = form
    fields = {"csrf_token": token, "start": start, "full_name": "Сидоров Семён Семёнович",
              "phone": f"+7916{6000000 + n:07d}", "email": f"burst{n}@example.ru", "topic": "hot_water",
              "consent": "y", "website": ""}
    return server.request("POST", f"/divisions/{slug}/book", urlencode(fields),
                          {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})[0]


def all_at_once(count, call):
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        barrier.wait()
        try:
            results[i] = call(i)
        except Exception as exc:  # a dropped connection is a result too
            results[i] = type(exc).__name__

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def booked(app):
    with app.app_context():
        n = db.session.scalar(sa.select(sa.func.count()).select_from(Booking))
        db.session.remove()
    return n


def burst(server, slug, numbers):
    """Submit the form for distinct free times, all at once from one address; the statuses."""
    day = first_free_day()
    starts = [slot_start(day, CLOCKS[n % len(CLOCKS)]).astimezone(MSK).isoformat() for n in numbers]
    forms = [open_form(server, slug, start) for start in starts]
    return Counter(all_at_once(len(numbers), lambda i: submit(server, slug, forms[i], starts[i], numbers[i])))


def test_a_limit_of_n_lets_exactly_n_through_across_four_workers(site):
    app, server, slug = site
    assert burst(server, slug, range(9)) == {303: LIMIT, 429: 9 - LIMIT}
    assert booked(app) == LIMIT
    # Later, one at a time (so spread over the workers): still nothing more.
    assert [submit(server, slug, open_form(server, slug, start), start, 20 + i)
            for i, start in enumerate([slot_start(first_free_day(), "12:40").astimezone(MSK).isoformat()] * 4)] \
        == [429] * 4
    assert "RATELIMIT_STORAGE_URI is memory://" not in server.log()


def test_with_redis_stopped_the_site_still_books_and_the_log_says_so(site, redis_server):
    app, server, slug = site
    redis_server.stop()
    try:
        statuses = burst(server, slug, range(8))
    finally:
        redis_server.start()
    assert set(statuses) <= {303, 429} and statuses[303] >= LIMIT, statuses  # served, never a 5xx
    log = server.log()
    mentions = log.count("unreachable")
    assert 1 <= mentions <= WORKERS, log[-3000:]  # at most once in each worker
    assert booked(app) == statuses[303]


def test_memory_storage_with_several_workers_is_warned_about_once_at_start(tmp_path):
    with scratch_database(tmp_path) as url:
        app = build_app(url)
        create_schema(app)
        server = Gunicorn(url, tmp_path, workers=2, env=limited_env("memory://")).start()
        try:
            log = server.log()
        finally:
            server.stop()
            with app.app_context():
                db.engine.dispose()
    assert log.count("RATELIMIT_STORAGE_URI is memory:// with 2 workers") == 1, log[-2000:]
