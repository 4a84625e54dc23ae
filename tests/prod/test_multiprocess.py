"""The real application under gunicorn with four worker processes, on the database of the run.

Many simultaneous requests for the last place of a slot, through the API, the
web form and rescheduling: exactly the free places are given, everybody else
gets 409, nobody gets a 5xx, and the database agrees.
"""
import re
import threading
from collections import Counter
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from booking import bookings as booking_ops
from booking.extensions import db
from booking.models import Booking, BookingStatus, Division
from booking.notify.settings import mailroom_of
from booking.core.timeutil import now_utc
from prod.kit import Gunicorn, add_api_key, add_division, build_app, create_schema, scratch_database
from helpers import MSK, csrf_token, details, first_free_day, slot_start

pytestmark = pytest.mark.slow

WORKERS = 4


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A migrated scratch database, an in-process app on it for set-up and checks, and gunicorn serving it."""
    directory = tmp_path_factory.mktemp("multiprocess")
    with scratch_database(directory) as url:
        app = build_app(url)
        create_schema(app)
        server = Gunicorn(url, directory, workers=WORKERS).start()
        server.api_key = add_api_key(app)
        try:
            yield app, server
        finally:
            server.stop()
            with app.app_context():
                db.engine.dispose()


def holders(app, slug, start_dt):
    """(place numbers held, number of all rows) of the slot at ``start_dt``."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Booking.place_no, Booking.status).join(Booking.division)
            .where(Division.slug == slug, Booking.start_utc == start_dt)).all()
        db.session.rollback()
    return sorted(p for p, s in rows if s in BookingStatus.HOLDING), len(rows)


def all_at_once(count, call):
    """Run ``call(i)`` for i in range(count) from as many threads released together; the results in order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        barrier.wait()
        try:
            results[i] = call(i)
        except Exception as exc:  # a dropped connection is a result too
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def api_booking(slug, start_dt, i):
    return {"division": slug, "start": start_dt.astimezone(MSK).isoformat(), "name": "Петров Пётр Петрович",
            "email": f"citizen{i}@example.ru", "phone": f"+7916{2000000 + i:07d}", "topic": "heating",
            "consent": True}


def with_key(server):
    """The headers of the hotline's software: its API key."""
    return {"X-API-Key": server.api_key}


def statuses(results):
    return Counter(r[0] if isinstance(r, tuple) else type(r).__name__ for r in results)


@pytest.mark.parametrize("places", [1, 3])
def test_simultaneous_api_bookings_fill_exactly_the_free_places(site, places):
    app, server = site
    slug = add_division(app, places)
    start_dt = slot_start(first_free_day(), "10:20")
    n = 40

    results = all_at_once(n, lambda i: server.request("POST", "/api/v1/bookings", api_booking(slug, start_dt, i),
                                                      with_key(server)))

    assert statuses(results) == {201: places, 409: n - places}, results
    for status, _headers, body in results:
        if status == 409:
            assert '"error": "slot_taken"' in body.replace('":"', '": "')
    held, rows = holders(app, slug, start_dt)
    assert held == list(range(1, places + 1))
    assert rows == places  # the losers left nothing behind


def test_one_person_booking_many_times_at_once_gets_one_booking(site):
    """The one-booking-per-person limit holds under concurrency too, not only the capacity."""
    app, server = site
    slug = add_division(app, 1)
    day = first_free_day()
    starts = [slot_start(day, clock) for clock in ("10:00", "10:20", "10:40", "11:00", "11:20", "11:40")]

    def same_person(i):
        body = {**api_booking(slug, starts[i], 0), "email": "same.person@example.ru", "phone": "+79165550000"}
        return server.request("POST", "/api/v1/bookings", body, with_key(server))

    results = all_at_once(len(starts), same_person)

    assert statuses(results) == {201: 1, 409: len(starts) - 1}, results
    assert all(status == 201 or '"limit_reached"' in body for status, _headers, body in results)


def test_simultaneous_form_submissions_book_the_last_place_once(site):
    app, server = site
    slug = add_division(app, 1)
    start_dt = slot_start(first_free_day(), "11:00")
    start = start_dt.astimezone(MSK).isoformat()
    n = 16

    def open_form(i):
        status, headers, body = server.request("GET", f"/divisions/{slug}/book?{urlencode({'start': start})}")
        assert status == 200
        token = csrf_token(body)
        return headers["Set-Cookie"].split(";")[0], token

    forms = [open_form(i) for i in range(n)]

    def submit(i):
        cookie, token = forms[i]
        fields = {"csrf_token": token, "start": start, "full_name": f"Сидоров Семён {chr(0x410 + i)}",
                  "phone": f"+7916{3000000 + i:07d}", "email": f"form{i}@example.ru", "topic": "hot_water",
                  "consent": "y", "website": ""}
        return server.request("POST", f"/divisions/{slug}/book", urlencode(fields),
                              {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})

    results = all_at_once(n, submit)

    assert statuses(results) == {303: 1, 409: n - 1}, results
    winner = next(r for r in results if r[0] == 303)
    assert "/bookings/" in winner[1]["Location"] and "token=" in winner[1]["Location"]
    for i, (status, _headers, body) in enumerate(results):
        if status == 409:
            # The loser keeps what was typed and is offered other times.
            assert f"form{i}@example.ru" in body
            assert 'name="alt_start"' in body
    assert holders(app, slug, start_dt) == ([1], 1)


def test_simultaneous_moves_into_the_last_place_move_one_booking(site):
    app, server = site
    slug = add_division(app, 2)
    day = first_free_day()
    target = slot_start(day, "12:40")
    n = 10
    with app.app_context():
        division = db.session.scalar(sa.select(Division).where(Division.slug == slug))
        now = now_utc()
        booking_ops.create_booking(division, target, details(email="first@example.ru", phone="+79165550000"), now,
                                   booking_ops.Policy.from_config(app.config), mailroom_of(app))
        # Two places in each of the slots 10:00 … 12:20, the target 12:40 has one place left.
        starts = [slot_start(day, f"{10 + m // 60}:{m % 60:02d}") for m in range(0, 160, 20)]
        tokens = []
        for i in range(n):
            booking, token = booking_ops.create_booking(
                division, starts[i % len(starts)],
                details(email=f"mover{i}@example.ru", phone=f"+7916{4000000 + i:07d}"), now,
                booking_ops.Policy.from_config(app.config), mailroom_of(app))
            tokens.append((booking.code, token))
        db.session.commit()

    body = {"start": target.astimezone(MSK).isoformat()}
    results = all_at_once(n, lambda i: server.request(
        "POST", f"/api/v1/bookings/{tokens[i][0]}/reschedule", body, {"Authorization": f"Bearer {tokens[i][1]}"}))

    assert statuses(results) == {200: 1, 409: n - 1}, results
    assert holders(app, slug, target)[0] == [1, 2]


def test_access_log_shows_no_manage_token(site):
    app, server = site
    slug = add_division(app, 1)
    status, _headers, body = server.request("POST", "/api/v1/bookings",
                                            api_booking(slug, slot_start(first_free_day(), "12:00"), 99),
                                            with_key(server))
    assert status == 201
    code, token = re.search(r'"code":\s*"([^"]+)"', body).group(1), re.search(r'"manage_token":\s*"([^"]+)"',
                                                                              body).group(1)
    assert server.request("GET", f"/bookings/{code}?token={token}")[0] == 200
    assert server.request("GET", f"/api/v1/bookings/{code}", headers={"Authorization": f"Bearer {token}"})[0] == 200
    assert server.request("GET", f"/bookings/{code}/move?token=wrong{token}")[0] == 404

    access = server.access_log.read_text()
    assert f"/bookings/{code}" in access
    assert token not in access and token not in server.log()
