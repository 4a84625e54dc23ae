"""Links never come from the request: one configured address (PUBLIC_BASE_URL), and only its host is served."""
import re

import pytest
import sqlalchemy as sa

from booking import create_app
from booking.config import ConfigurationError, settle_public_base_url
from booking.models import OutboxMessage
from helpers import csrf_token, first_free_day, slot_start

PUBLIC = "https://priyom.example.ru"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PUBLIC_BASE_URL": PUBLIC + "/"}


class OnThePublicAddress:
    """A browser on the deployment's own address (a ``Host`` header given to a request wins)."""

    def __init__(self, client):
        self.client = client

    def get(self, path, **kwargs):
        return self.client.get(path, base_url=PUBLIC, **kwargs)

    def post(self, path, **kwargs):
        return self.client.post(path, base_url=PUBLIC, **kwargs)


@pytest.fixture
def public_client(client):
    return OnThePublicAddress(client)


@pytest.fixture
def booked(make_division, make_booking):
    return make_booking(make_division(), slot_start(first_free_day(), "10:20"))


def ask_for_a_link(client, booking, **headers):
    page = client.get(f"/bookings/{booking.code}/link", headers=headers)
    if page.status_code != 200:
        return page
    return client.post(f"/bookings/{booking.code}/link", headers=headers,
                       data={"csrf_token": csrf_token(page), "email": booking.email})


def mailed_links(db):
    return [url for message in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "manage_link"))
            for url in re.findall(r"https?://[^\s\"<>]+", message.body_text)]


def test_a_link_request_for_a_foreign_host_is_refused_and_mails_nothing(public_client, db, booked):
    booking, _token = booked
    # The attacker's form, fetched from the real host, sent with a Host header of their choosing.
    page = public_client.get(f"/bookings/{booking.code}/link")
    response = public_client.post(f"/bookings/{booking.code}/link", headers={"Host": "attacker.example"},
                                  data={"csrf_token": csrf_token(page), "email": booking.email})
    assert response.status_code == 400
    assert public_client.get("/", headers={"Host": "attacker.example"}).status_code == 400
    assert mailed_links(db) == []


def test_the_mailed_link_is_under_the_configured_address(public_client, db, booked):
    booking, _token = booked
    assert ask_for_a_link(public_client, booking).status_code == 303
    links = mailed_links(db)
    assert links and all(url.startswith(f"{PUBLIC}/") for url in links)
    assert any(url.startswith(f"{PUBLIC}/bookings/{booking.code}/link/") for url in links), links


def test_links_on_pages_name_the_configured_address_whatever_host_was_asked(app_config, make_division, make_booking):
    # localhost is let in as an extra host (a health check's, say): the links still name the public address.
    app = create_app({**app_config, "EXTRA_TRUSTED_HOSTS": ["localhost"]})
    with app.app_context():
        booking, token = make_booking(make_division(), slot_start(first_free_day(), "10:40"))
        page = app.test_client().get(f"/bookings/{booking.code}?token={token}")
    assert page.status_code == 200
    assert f"{PUBLIC}/bookings/{booking.code}?token=" in page.text
    assert "http://localhost/bookings/" not in page.text


def test_only_the_public_host_and_the_extra_ones_are_trusted():
    config = {"PUBLIC_BASE_URL": "https://Priyom.Example.ru/booking/", "EXTRA_TRUSTED_HOSTS": ["10.0.0.5"]}
    settle_public_base_url(config, debug=False)
    assert config["PUBLIC_BASE_URL"] == "https://Priyom.Example.ru/booking"
    assert config["TRUSTED_HOSTS"] == ["priyom.example.ru", "10.0.0.5"]


@pytest.mark.parametrize("base", [None, "", "priyom.example.ru", "ftp://priyom.example.ru", "https://"])
def test_production_refuses_a_missing_or_unusable_public_address(base):
    with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL"):
        settle_public_base_url({"PUBLIC_BASE_URL": base}, debug=False)


def test_the_application_refuses_to_start_without_a_public_address(app_config, monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL is not set"):
        create_app({k: v for k, v in app_config.items() if k != "PUBLIC_BASE_URL"})


def test_demo_mode_links_to_the_local_server_on_its_port(monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    config = {"PUBLIC_BASE_URL": "", "DEMO_MODE": True}
    settle_public_base_url(config, debug=False)
    assert config["PUBLIC_BASE_URL"] == "http://127.0.0.1:8123"
    assert set(config["TRUSTED_HOSTS"]) == {"127.0.0.1", "localhost"}


def test_commands_print_links_under_the_configured_address(app, runner, make_division):
    result = runner.invoke(args=["feed-url", make_division().slug])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{PUBLIC}/feeds/agenda/")
