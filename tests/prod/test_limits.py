"""Abuse limits per client address, and the booking form's honeypot."""
import pytest

from booking.models import Booking
from booking.security import limit_login
from helpers import first_free_day, slot_start
from prod.kit import ROOT, api_payload, booking_form


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATELIMIT_ENABLED": True, "BOOKING_RATE_LIMIT": "3 per minute",
            "API_BOOKING_RATE_LIMIT": "2 per minute", "LOGIN_RATE_LIMIT": "2 per minute"}


@pytest.fixture
def api_post(api_key):
    """Book through the API with the hotline's key, from ``address``."""

    def post(client, slug, n, address="192.0.2.1", headers=None):
        start = slot_start(first_free_day(), "10:00")
        return client.post("/api/v1/bookings", json=api_payload(slug, start, email=f"c{n}@example.ru",
                                                                phone=f"+7916000{n:04d}", name="Петров Пётр"),
                           environ_base={"REMOTE_ADDR": address}, headers={"X-API-Key": api_key, **(headers or {})})

    return post


def test_booking_form_submissions_are_limited_with_a_friendly_page(client, make_division):
    division = make_division()
    url = f"/divisions/{division.slug}/book"
    data = booking_form(client, division.slug, slot_start(first_free_day(), "10:20"), full_name="")
    for _ in range(5):  # opening the form does not count
        assert client.get(url, query_string={"start": data["start"]}).status_code == 200
    assert [client.post(url, data=data).status_code for _ in range(3)] == [422, 422, 422]

    refused = client.post(url, data=data)
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "Too many requests" in refused.get_data(as_text=True)
    assert refused.get_data(as_text=True).count("Wait a minute") + refused.get_data(as_text=True).count(
        "wait a minute") == 1, "the page asks to wait once"
    assert "Traceback" not in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0


def test_api_bookings_are_limited_with_a_json_answer(api_post, client, make_division, db):
    division = make_division(places=5)
    assert [api_post(client, division.slug, n).status_code for n in range(2)] == [201, 201]
    refused = api_post(client, division.slug, 2)
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) > 0
    assert db.session.query(Booking).count() == 2


def test_each_client_address_has_its_own_budget(api_post, client, make_division):
    division = make_division(places=5)
    assert [api_post(client, division.slug, n).status_code for n in range(3)] == [201, 201, 429]
    assert api_post(client, division.slug, 3, address="192.0.2.2").status_code == 201


def test_a_forwarded_address_counts_only_behind_a_configured_proxy(api_post, app_config, make_division):
    from booking import create_app

    division = make_division(places=9)
    spoofed = create_app(app_config).test_client()
    codes = [api_post(spoofed, division.slug, n, headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
             for n in range(3)]
    assert codes == [201, 201, 429]  # a client cannot dodge the limit by inventing the header

    proxied = create_app({**app_config, "PROXY_FIX_X_FOR": 1}).test_client()
    codes = [api_post(proxied, division.slug, n, address="10.0.0.1", headers={"X-Forwarded-For": f"198.51.100.{n}"})
             .status_code for n in range(3, 6)]
    assert codes == [201, 201, 201]  # one proxy, three citizens


def test_trusted_addresses_are_not_limited(api_post, app_config, make_division):
    from booking import create_app

    division = make_division(places=9)
    client = create_app({**app_config, "RATELIMIT_EXEMPT_IPS": ["10.20.30.40"]}).test_client()
    assert {api_post(client, division.slug, n, address="10.20.30.40").status_code for n in range(5)} == {201}


def test_limits_switch_off_with_flask_ratelimit_enabled_false(api_post, app_config, make_division, monkeypatch):
    from booking import create_app

    division = make_division(places=9)
    monkeypatch.setenv("FLASK_RATELIMIT_ENABLED", "false")
    config = {k: v for k, v in app_config.items() if k != "RATELIMIT_ENABLED"}
    app = create_app(config)
    assert app.config["RATELIMIT_ENABLED"] is False
    client = app.test_client()
    assert {api_post(client, division.slug, n).status_code for n in range(5)} == {201}


def test_limit_login_limits_login_attempts_per_address(app_config):
    """How the staff login form applies its limit: ``@limit_login`` under the route decorator."""
    from booking import create_app

    app = create_app({**app_config, "WTF_CSRF_ENABLED": False})

    @limit_login
    def login():
        return "login form"

    app.add_url_rule("/login-for-test", view_func=login, methods=["GET", "POST"])
    client = app.test_client()
    assert {client.get("/login-for-test").status_code for _ in range(4)} == {200}
    assert [client.post("/login-for-test").status_code for _ in range(3)] == [200, 200, 429]


# --- honeypot ---------------------------------------------------------------------------------

def test_a_filled_honeypot_gets_a_neutral_page_and_nothing_is_stored(client, make_division, db):
    division = make_division()
    data = booking_form(client, division.slug, slot_start(first_free_day(), "10:20"), website="http://spam.example")
    response = client.post(f"/divisions/{division.slug}/book", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Your request has been received" in page
    assert "token=" not in page and "/bookings/" not in page
    assert db.session.query(Booking).count() == 0


def test_an_empty_honeypot_books_as_usual(client, make_division, db):
    division = make_division()
    data = booking_form(client, division.slug, slot_start(first_free_day(), "10:20"))
    response = client.post(f"/divisions/{division.slug}/book", data=data)
    assert response.status_code == 303
    assert db.session.query(Booking).count() == 1


def test_the_honeypot_is_hidden_from_people(client, make_division):
    division = make_division()
    page = client.get(f"/divisions/{division.slug}/book",
                      query_string={"start": slot_start(first_free_day(), "10:20").isoformat()})
    html = page.get_data(as_text=True)
    assert '<div class="hp-field" aria-hidden="true">' in html
    assert 'name="website"' in html and 'tabindex="-1"' in html and 'autocomplete="off"' in html
    css = (ROOT / "booking" / "static" / "style.css").read_text()
    assert ".hp-field { position: absolute; left: -10000px" in css
