"""Input no person types answers 4xx with the usual page or JSON, never 500; redirects stay on the site.

Run on SQLite and on PostgreSQL (``tests/pg.py``), which refuses NUL characters
outright: a NUL that reached a query there was a 500.
"""
import logging
from urllib.parse import quote

import pytest

from booking.security import redact
from booking.web.redirects import local_path
from helpers import PASSWORD, csrf_token, first_free_day, slot_start
from prod.kit import api_payload, booking_form


@pytest.fixture
def client(client, api_key):
    """Every request carries the hotline's API key, so the API's answers come from the operations themselves."""
    client.environ_base["HTTP_X_API_KEY"] = api_key
    return client


@pytest.fixture
def division(make_division):
    return make_division(slug="severny-filial")


@pytest.fixture
def admin(make_user):
    return make_user("admin", email="admin@example.ru", name="Администратор")


def assert_refused(response, json=False):
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if json:
        assert response.is_json and response.json["error"]
    else:
        assert response.mimetype == "text/html"


# --- NUL characters -----------------------------------------------------------------------------

def test_a_nul_character_in_a_path_or_a_query_is_refused(client, division):
    assert_refused(client.get("/divisions/severny%00filial"))
    assert_refused(client.get(f"/divisions/{division.slug}?week=2026-12-01%00"))
    assert_refused(client.get("/api/v1/divisions/severny%00filial/slots"), json=True)
    assert_refused(client.get("/feeds/agenda/abc%00def.ics"))


def test_a_nul_character_in_a_login_e_mail_is_refused(client):
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_token(page), "email": "admin\x00@example.ru",
                                           "password": PASSWORD})
    assert_refused(response)


def test_a_nul_character_in_a_booking_form_field_is_refused_and_nothing_is_booked(client, division, db):
    from booking.models import Booking

    data = booking_form(client, division.slug, slot_start(first_free_day(), "10:00"), message="Холодно\x00")
    assert_refused(client.post(f"/divisions/{division.slug}/book", data=data))
    assert db.session.query(Booking).count() == 0


def test_a_nul_character_in_an_api_division_is_not_found(client, division):
    payload = api_payload("severny\x00filial", slot_start(first_free_day(), "10:00"))
    assert_refused(client.post("/api/v1/bookings", json=payload), json=True)


# --- dates at the ends of the calendar ----------------------------------------------------------

EXTREME_STARTS = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "9999-12-31T10:00:00+03:00"]


@pytest.mark.parametrize("start", EXTREME_STARTS)
def test_a_start_at_the_ends_of_the_calendar_is_refused_by_the_api(client, division, start):
    response = client.post("/api/v1/bookings", json={**api_payload(division.slug, slot_start(first_free_day())),
                                                     "start": start})
    assert_refused(response, json=True)
    assert response.status_code == 422 and "start" in response.json["fields"]


@pytest.mark.parametrize("start", EXTREME_STARTS)
def test_a_start_at_the_ends_of_the_calendar_sends_the_booking_page_back_to_the_division(client, division, start):
    # What the page does with any time it cannot book: back to the division's times, with a message.
    response = client.get(f"/divisions/{division.slug}/book", query_string={"start": start})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/divisions/{division.slug}")
    assert client.get(response.headers["Location"]).status_code == 200


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "9999-12-31.csv"])
def test_an_agenda_at_the_ends_of_the_calendar_is_not_found(client, admin, log_in_as, division, day):
    log_in_as(admin)
    assert client.get(f"/agenda/{day}").status_code == 404


@pytest.mark.parametrize("query", ["from=9999-12-31&to=9999-12-31", "from=0001-01-01"])
def test_api_slots_at_the_ends_of_the_calendar_are_refused(client, division, query):
    response = client.get(f"/api/v1/divisions/{division.slug}/slots?{query}")
    assert response.status_code == 422 and response.is_json


# --- bodies and methods -------------------------------------------------------------------------

def test_a_deeply_nested_json_body_is_bad_json(client, division):
    for body in ("[" * 50_000, '{"a":' * 10_000 + "1" + "}" * 10_000):
        response = client.post("/api/v1/bookings", data=body, content_type="application/json")
        assert_refused(response, json=True)


def test_options_on_a_staff_page_without_a_login_is_refused(client, admin, log_in_as):
    assert_refused(client.open("/admin/users", method="OPTIONS"))
    log_in_as(admin)
    assert client.open("/admin/users", method="OPTIONS").status_code == 200


# --- redirects that follow next= ----------------------------------------------------------------

HOSTILE_NEXT = ["/agenda\r\nSet-Cookie: x=1", "/agenda\nX: 1", "/\\evil.example", "//evil.example",
                "https://evil.example/", "/agenda\x7f", "agenda"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_safe_redirect_check_keeps_only_plain_paths(target):
    assert local_path(target, "/fallback") == "/fallback"


def test_the_safe_redirect_check_keeps_a_path_with_its_query():
    assert local_path("/bookings/K7Q-4M2?token=abc&new=1") == "/bookings/K7Q-4M2?token=abc&new=1"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_language_switch_never_redirects_off_the_site_or_breaks_the_header(client, target):
    response = client.get("/lang/en?next=" + quote(target, safe=""))
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_logging_in_never_redirects_off_the_site_or_breaks_the_header(client, admin, target):
    page = client.get("/login?next=" + quote(target, safe=""))
    assert page.status_code == 200
    response = client.post("/login", data={"csrf_token": csrf_token(page), "email": admin.email,
                                           "password": PASSWORD, "next": target})
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/staff/"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_replacing_a_feed_link_never_redirects_off_the_site_or_breaks_the_header(client, admin, log_in_as,
                                                                                division, target):
    log_in_as(admin)
    page = client.get("/admin/users/new")
    response = client.post(f"/feeds/agenda/{division.slug}/rotate",
                           data={"csrf_token": csrf_token(page), "next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"


# --- the language switch and the log ------------------------------------------------------------

def test_the_language_switch_is_private_and_its_log_line_hides_the_token(client, make_division, make_booking,
                                                                         caplog):
    booking, token = make_booking(make_division(), slot_start(first_free_day(), "10:20"))
    target = f"/bookings/{booking.code}?token={token}"
    response = client.get("/lang/en?next=" + quote(target, safe=""))
    assert response.headers["Location"] == target
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    for logged in (f"/lang/en?next={quote(target, safe='')}", f"/lang/en?next={quote(quote(target, safe=''))}",
                   f"/lang/en?next=%2Fbookings%2F{booking.code}%3FTOKEN%3d{token}"):
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            logging.getLogger("werkzeug").info('"GET %s HTTP/1.1" 302 -', logged)
        assert token not in redact(logged)
    assert token not in caplog.text
