"""API keys: only known clients create bookings through the API, and their bookings carry the client's name."""
import re

import pytest
import sqlalchemy as sa

from booking.models import ApiClient, Booking
from helpers import MSK, first_free_day, slot_start


def payload(division, start, **overrides):
    body = {"division": division.slug, "start": start.astimezone(MSK).isoformat(), "name": "Петров Пётр",
            "email": "petrov@example.ru", "phone": "+7 916 123-45-67", "topic": "heating", "consent": True}
    body.update(overrides)
    return body


@pytest.fixture
def division(make_division):
    return make_division(slug="severny", name="Северный филиал", places=3)


@pytest.fixture
def start():
    return slot_start(first_free_day(), "10:20")


@pytest.mark.parametrize("headers", [
    {},
    {"X-API-Key": "pk_" + "x" * 43},
    {"Authorization": "Bearer pk_" + "x" * 43},
    {"Authorization": "Basic cGtfeDp4"},
    {"X-API-Key": ""},
])
def test_creating_a_booking_without_a_valid_key_is_401_json(client, division, start, db, headers):
    response = client.post("/api/v1/bookings", json=payload(division, start), headers=headers)
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "unauthorized" and "API key" in body["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
def test_a_key_in_either_header_books_and_the_booking_records_its_client(client, division, start, db, api_key,
                                                                         header):
    value = api_key if header == "X-API-Key" else f"Bearer {api_key}"
    response = client.post("/api/v1/bookings", json=payload(division, start), headers={header: value})
    assert response.status_code == 201, response.get_json()
    booking = db.session.scalar(sa.select(Booking))
    assert booking.channel == "api"
    assert booking.api_client.name == "Горячая линия"
    assert booking.api_client.last_used_at is not None


def test_a_revoked_key_stops_at_once(client, division, start, db, api_key):
    from booking.accounts import api_clients as api_keys
    from booking.core.timeutil import now_utc

    api_keys.revoke(db.session.scalar(sa.select(ApiClient)), now_utc())
    db.session.commit()
    response = client.post("/api/v1/bookings", json=payload(division, start), headers={"X-API-Key": api_key})
    assert response.status_code == 401


def test_a_key_without_the_bookings_permission_cannot_book(client, division, start, make_api_key):
    key = make_api_key("Статистика", permissions=("statistics",))
    response = client.post("/api/v1/bookings", json=payload(division, start), headers={"X-API-Key": key})
    assert response.status_code == 401


def test_the_key_is_stored_only_as_a_hash(db, api_key):
    client = db.session.scalar(sa.select(ApiClient))
    assert api_key.startswith("pk_") and len(api_key) >= 40
    assert api_key not in (client.key_hash, client.key_prefix)
    assert client.key_hash == __import__("hashlib").sha256(api_key.encode()).hexdigest()


def test_reading_stays_open_and_the_citizens_own_booking_needs_no_key(client, division, start, api_key):
    assert client.get("/api/v1/divisions").status_code == 200
    assert client.get(f"/api/v1/divisions/{division.slug}/slots").status_code == 200
    created = client.post("/api/v1/bookings", json=payload(division, start), headers={"X-API-Key": api_key})
    code, token = created.get_json()["code"], created.get_json()["manage_token"]
    # The manage token, sent as today in Authorization: Bearer, without any API key.
    mine = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/bookings/{code}", headers=mine).status_code == 200
    assert client.post(f"/api/v1/bookings/{code}/cancel", headers=mine).status_code == 200
    # An API key is no manage token.
    assert client.get(f"/api/v1/bookings/{code}", headers={"Authorization": f"Bearer {api_key}"}).status_code == 404


# --- the command -----------------------------------------------------------------------------------

def test_the_command_prints_the_new_key_alone_on_the_last_line_and_the_key_works(runner, client, division,
                                                                                  start, db):
    result = runner.invoke(args=["api-key", "create", "--name", "Горячая линия"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"pk_[A-Za-z0-9_-]{43}", key)
    response = client.post("/api/v1/bookings", json=payload(division, start), headers={"X-API-Key": key})
    assert response.status_code == 201

    listed = runner.invoke(args=["api-key", "list"])
    assert listed.exit_code == 0 and "Горячая линия" in listed.output and key not in listed.output
    assert "active" in listed.output and "last used never" not in listed.output
    client_id = db.session.scalar(sa.select(ApiClient.id))
    revoked = runner.invoke(args=["api-key", "revoke", str(client_id)])
    assert revoked.exit_code == 0, revoked.output
    again = client.post("/api/v1/bookings", json=payload(division, start, email="b@example.ru", phone="+79160000002"),
                        headers={"X-API-Key": key})
    assert again.status_code == 401
    assert "revoked" in runner.invoke(args=["api-key", "list"]).output


def test_the_command_refuses_an_empty_name_and_an_unknown_client(runner):
    assert runner.invoke(args=["api-key", "create", "--name", "  "]).exit_code != 0
    assert runner.invoke(args=["api-key", "revoke", "999"]).exit_code != 0


def test_the_command_grants_the_statistics_permission_when_asked(runner, db):
    result = runner.invoke(args=["api-key", "create", "--name", "Аналитика", "--permission", "statistics"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(ApiClient.permissions)) == "statistics"
