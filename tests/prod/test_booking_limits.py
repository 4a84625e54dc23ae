"""The web form holds a place per person, not per script: bookings a day per client address, all and per division.

In-process here, with memory:// and with a real Redis, and with Redis gone;
tests/prod/test_shared_limits.py shows the counts shared by gunicorn's workers.
"""
import logging

import pytest
import sqlalchemy as sa

from booking.i18n import unbreakable
from booking.models import Booking
from helpers import MSK, first_free_day, slot_start
from prod.kit import booking_form

ADDRESS = "198.51.100.7"
CLOCKS = ["10:00", "10:20", "10:40", "11:00", "11:20", "11:40", "12:00", "12:20"]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATELIMIT_ENABLED": True, "BOOKING_RATE_LIMIT": "1000 per minute",
            "API_BOOKING_RATE_LIMIT": "1000 per minute", "RATELIMIT_STORAGE_URI": "memory://"}


@pytest.fixture
def divisions(make_division):
    return make_division(slug="severny", places=5), make_division(slug="yuzhny", places=5)


def book(client, division, n, address=ADDRESS, **fields):
    """Submit the public form for the n-th free time of ``division``, as person n; the response."""
    start = slot_start(first_free_day(), CLOCKS[n % len(CLOCKS)])
    data = booking_form(client, division.slug, start, email=f"person{n}@example.ru", phone=f"+7916555{n:04d}",
                        **fields)
    return client.post(f"/divisions/{division.slug}/book", data=data, environ_base={"REMOTE_ADDR": address})


def count(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(Booking.channel == "web"))


def test_the_defaults_are_four_a_day_and_two_per_division(app):
    assert app.config["BOOKING_LIMIT_PER_ADDRESS_DAY"] == 4
    assert app.config["BOOKING_LIMIT_PER_DIVISION_DAY"] == 2


def test_one_address_books_at_most_two_per_division_and_four_in_all(client, divisions, db, app):
    north, south = divisions
    assert [book(client, north, n).status_code for n in range(2)] == [303, 303]
    refused = book(client, north, 2)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "No more bookings from this connection today" in page
    # The number is shown with no-break spaces, so it never wraps; the link dials it.
    assert unbreakable(app.config["HOTLINE_PHONE"]) in page and 'href="tel:+74950000000"' in page
    assert "at most 2 bookings a day" in page
    assert [book(client, south, n).status_code for n in range(3, 5)] == [303, 303]
    assert count(db) == 4


def test_four_in_all_across_divisions(client, make_division, db):
    divisions = [make_division(places=5) for _ in range(3)]
    codes = [book(client, divisions[n % 3], n).status_code for n in range(5)]
    assert codes == [303, 303, 303, 303, 429]
    assert "at most 4 bookings a day" in book(client, divisions[2], 6).get_data(as_text=True)
    assert count(db) == 4


def test_the_refusal_speaks_russian_to_a_russian_reader(client, divisions):
    north, _south = divisions
    client.get("/lang/ru")
    for n in range(2):
        assert book(client, north, n).status_code == 303
    page = book(client, north, 2).get_data(as_text=True)
    assert "горячую линию" in page and 'lang="ru"' in page


def test_failed_attempts_do_not_count(client, divisions, db, make_booking):
    north, _south = divisions
    for n in range(5):
        assert book(client, north, n, full_name="").status_code == 422  # a form error
    start = slot_start(first_free_day(), CLOCKS[0])
    data = booking_form(client, north.slug, start, email="late@example.ru", phone="+79165559999")
    for _ in range(5):
        make_booking(north, start)
    taken = client.post(f"/divisions/{north.slug}/book", data=data, environ_base={"REMOTE_ADDR": ADDRESS})
    assert taken.status_code == 409  # the time was taken meanwhile
    assert [book(client, north, n).status_code for n in (1, 2, 3)] == [303, 303, 429]


def test_each_address_has_its_own_count(client, divisions):
    north, _south = divisions
    assert [book(client, north, n).status_code for n in range(3)] == [303, 303, 429]
    assert book(client, north, 3, address="198.51.100.8").status_code == 303


def test_api_clients_are_not_bound(client, divisions, api_key, db):
    north, _south = divisions
    for n in range(3):
        start = slot_start(first_free_day(), CLOCKS[n]).astimezone(MSK).isoformat()
        body = {"division": north.slug, "start": start, "name": "Петров Пётр", "email": f"api{n}@example.ru",
                "phone": f"+7916777{n:04d}", "topic": "heating", "consent": True}
        response = client.post("/api/v1/bookings", headers={"X-API-Key": api_key},
                               environ_base={"REMOTE_ADDR": ADDRESS}, json=body)
        assert response.status_code == 201
    # The API's bookings did not use up the address's places on the form.
    assert [book(client, north, n).status_code for n in (3, 4)] == [303, 303]


def test_operators_are_not_bound(client, divisions, make_user, log_in_as):
    north, _south = divisions
    log_in_as(make_user("operator", email="operator@example.ru"))
    # From the address the operator logged in from: a session is bound to it.
    assert [book(client, north, n, address="127.0.0.1").status_code for n in range(4)] == [303] * 4


def test_a_bookings_client_address_is_kept_only_as_a_keyed_hash(client, divisions, db, app):
    from booking.bookings.bursts import client_ref

    north, _south = divisions
    assert book(client, north, 0).status_code == 303
    booking = db.session.scalar(sa.select(Booking))
    assert booking.client_ref == client_ref(ADDRESS, app.config["SECRET_KEY"])
    assert ADDRESS not in booking.client_ref and len(booking.client_ref) == 24
    assert client_ref(ADDRESS, "another secret of thirty-two characters") != booking.client_ref


def test_ratelimit_enabled_false_turns_the_limit_off(app_config, divisions, db):
    from booking import create_app

    client = create_app({**app_config, "RATELIMIT_ENABLED": False}).test_client()
    assert [book(client, divisions[0], n).status_code for n in range(4)] == [303] * 4


# --- Redis -----------------------------------------------------------------------------------------

def test_counts_live_in_redis_when_configured(app_config, divisions, redis_server):
    from booking import create_app

    redis_server.flush()
    config = {**app_config, "RATELIMIT_STORAGE_URI": redis_server.url}
    first = create_app(config).test_client()
    assert [book(first, divisions[0], n).status_code for n in range(2)] == [303, 303]
    # A new application (a restarted process) still knows the counts.
    again = create_app(config).test_client()
    assert book(again, divisions[0], 2).status_code == 429


def test_an_unreachable_redis_still_serves_and_the_log_says_so_once(app_config, divisions, db, caplog,
                                                                       redis_server):
    from booking import create_app

    redis_server.flush()
    client = create_app({**app_config, "RATELIMIT_STORAGE_URI": redis_server.url}).test_client()
    assert book(client, divisions[0], 0).status_code == 303
    redis_server.stop()
    try:
        with caplog.at_level(logging.INFO):
            codes = [book(client, divisions[0], n).status_code for n in range(1, 4)]
    finally:
        redis_server.start()
    # Served, and still limited, now in this process's memory.
    assert codes == [303, 303, 429]
    unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(unreachable) == 1, [r.getMessage() for r in caplog.records]
    db.session.rollback()
    assert count(db) == 3
