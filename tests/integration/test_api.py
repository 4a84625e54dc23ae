"""The JSON API: every endpoint, its errors, and that nothing answers 500."""
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from booking.models import Booking, BookingStatus, Closure
from helpers import MSK, first_free_day, slot_start


def payload(division, start, /, **overrides):
    body = {"division": division.slug, "start": start.astimezone(MSK).isoformat(), "name": "Петров Пётр",
            "email": "petrov@example.ru", "phone": "+7 916 123-45-67", "topic": "heating",
            "message": "Холодно", "consent": True}
    body.update(overrides)
    return body


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(client, api_key):
    """The hotline's software: every request carries its API key (the manage token goes in Authorization)."""
    client.environ_base["HTTP_X_API_KEY"] = api_key
    return client


@pytest.fixture
def division(make_division):
    return make_division(slug="severny", name="Северный филиал", places=1)


@pytest.fixture
def start():
    return slot_start(first_free_day(), "10:20")


def test_divisions_list(client, division, make_division):
    make_division(active=False)
    response = client.get("/api/v1/divisions")
    assert response.status_code == 200
    body = response.get_json()
    assert [d["slug"] for d in body] == ["severny"]
    assert {"slug", "name", "head", "address"} <= set(body[0])
    assert "Set-Cookie" not in response.headers


def test_slots_default_to_the_window_with_offsets(client, division):
    response = client.get("/api/v1/divisions/severny/slots")
    slots = response.get_json()
    assert response.status_code == 200 and slots
    first = slots[0]
    assert first["start"].endswith("+03:00") and first["capacity"] == 1 and first["available"] == 1
    assert [s["start"] for s in slots] == sorted(s["start"] for s in slots)


def test_slots_between_dates_and_only_free_ones(client, division, make_booking, start):
    day = start.astimezone(MSK).date()
    make_booking(division, start)
    response = client.get(f"/api/v1/divisions/severny/slots?from={day}&to={day}")
    starts = [s["start"] for s in response.get_json()]
    assert len(starts) == 8  # nine slots from 10:00 to 13:00, one taken
    assert start.astimezone(MSK).isoformat() not in starts
    assert all(s.startswith(day.isoformat()) for s in starts)


def test_listing_follows_every_booking_and_cancellation(client, division, start):
    day = start.astimezone(MSK).date()
    url = f"/api/v1/divisions/severny/slots?from={day}&to={day}"
    listed = start.astimezone(MSK).isoformat()
    assert listed in [s["start"] for s in client.get(url).get_json()]
    booked = client.post("/api/v1/bookings", json=payload(division, start)).get_json()
    assert listed not in [s["start"] for s in client.get(url).get_json()]
    client.post(f"/api/v1/bookings/{booked['code']}/cancel", headers=bearer(booked["manage_token"]))
    assert listed in [s["start"] for s in client.get(url).get_json()]


def test_listing_follows_changed_rules_and_closures_at_once(client, division, start, db):
    day = start.astimezone(MSK).date()
    url = f"/api/v1/divisions/severny/slots?from={day}&to={day}"
    assert {s["capacity"] for s in client.get(url).get_json()} == {1}
    for rule in division.rules:
        rule.places = 3
    db.session.commit()
    assert {s["capacity"] for s in client.get(url).get_json()} == {3}
    division.closures.append(Closure(first_day=day, last_day=day, reason="Отпуск"))
    db.session.commit()
    assert client.get(url).get_json() == []
    division.active = False
    db.session.commit()
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("query, field", [("from=2026-13-01", "from"), ("to=tomorrow", "to"),
                                          ("from=2026-12-10&to=2026-12-01", "to")])
def test_bad_slot_dates_are_422_with_the_field(client, division, query, field):
    response = client.get(f"/api/v1/divisions/severny/slots?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["fields"]


def test_unknown_division_is_404_json(client):
    response = client.get("/api/v1/divisions/nope/slots")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_create_booking(client, division, start, db):
    response = client.post("/api/v1/bookings", json=payload(division, start))
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "booked" and body["division"] == "severny"
    assert body["start"] == start.astimezone(MSK).isoformat()
    assert body["end"] == (start + timedelta(minutes=20)).astimezone(MSK).isoformat()
    assert len(body["manage_token"]) >= 43
    booking = db.session.scalar(sa.select(Booking))
    assert booking.code == body["code"] and booking.channel == "api" and booking.phone == "+79161234567"
    assert response.headers["Location"].endswith(f"/api/v1/bookings/{body['code']}")


def test_full_slot_is_409_with_alternatives(client, division, start, make_booking):
    make_booking(division, start)
    response = client.post("/api/v1/bookings", json=payload(division, start))
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "slot_taken" and body["message"]
    assert body["alternatives"] and all(a["start"] != payload(division, start)["start"] for a in body["alternatives"])


def test_time_that_is_no_slot_is_409(client, division, start):
    response = client.post("/api/v1/bookings", json=payload(division, start + timedelta(minutes=5)))
    assert response.status_code == 409 and response.get_json()["error"] == "slot_not_bookable"


def test_second_booking_of_the_same_person_is_409(client, division, start):
    assert client.post("/api/v1/bookings", json=payload(division, start)).status_code == 201
    again = client.post("/api/v1/bookings", json=payload(division, start + timedelta(minutes=40)))
    assert again.status_code == 409 and again.get_json()["error"] == "limit_reached"


def test_unknown_division_on_create_is_404(client, division, start):
    response = client.post("/api/v1/bookings", json=payload(division, start, division="nope"))
    assert response.status_code == 404


@pytest.mark.parametrize("overrides, field", [
    ({"email": "not-an-email"}, "email"),
    ({"phone": "12345"}, "phone"),
    ({"name": "X"}, "name"),
    ({"topic": "weather"}, "topic"),
    ({"consent": False}, "consent"),
    ({"consent": "yes"}, "consent"),
    ({"start": "next monday"}, "start"),
    ({"start": "9999-12-31T23:59:59+00:00"}, "start"),  # past the end of the calendar in Moscow time
    ({"start": "0001-01-01T00:00:00"}, "start"),
    ({"name": 42}, "name"),
    ({"message": ["a"]}, "message"),
    ({"message": "x" * 2001}, "message"),
    ({"locale": "de"}, "locale"),
    ({"is_admin": True}, "is_admin"),
])
def test_invalid_fields_are_422_naming_each_field(client, division, start, overrides, field):
    response = client.post("/api/v1/bookings", json=payload(division, start, **overrides))
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_error" and field in body["fields"]


def test_missing_fields_are_all_listed(client):
    response = client.post("/api/v1/bookings", json={})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"division", "start", "name", "email", "phone", "topic", "consent"}


@pytest.mark.parametrize("data, content_type, status", [
    ("{not json", "application/json", 400),
    ("[1, 2]", "application/json", 400),
    ("null", "application/json", 400),
    ("name=x", "application/x-www-form-urlencoded", 415),
    ("", "text/plain", 415),
])
def test_malformed_bodies_are_4xx_json(client, division, data, content_type, status):
    response = client.post("/api/v1/bookings", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.is_json and response.get_json()["error"]


def test_huge_body_is_413_json(client):
    response = client.post("/api/v1/bookings", data=json.dumps({"message": "x" * 200_000}),
                           content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"] == "payload_too_large"


def test_errors_speak_the_clients_language(client, division, start):
    response = client.post("/api/v1/bookings", json=payload(division, start, email="bad"),
                           headers={"Accept-Language": "en"})
    assert "e-mail" in response.get_json()["fields"]["email"].lower()


def test_get_cancel_and_reschedule_with_the_manage_token(client, division, start, db):
    created = client.post("/api/v1/bookings", json=payload(division, start)).get_json()
    code, token = created["code"], created["manage_token"]
    got = client.get(f"/api/v1/bookings/{code}", headers=bearer(token))
    assert got.status_code == 200 and got.get_json()["start"] == created["start"]
    new_start = (start + timedelta(hours=1)).astimezone(MSK).isoformat()
    moved = client.post(f"/api/v1/bookings/{code}/reschedule", json={"start": new_start}, headers=bearer(token))
    assert moved.status_code == 200 and moved.get_json()["start"] == new_start
    cancelled = client.post(f"/api/v1/bookings/{code}/cancel", headers=bearer(token))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == BookingStatus.CANCELLED
    again = client.post(f"/api/v1/bookings/{code}/cancel", headers=bearer(token))
    assert again.status_code == 409 and again.get_json()["error"] == "not_changeable"


def test_reschedule_into_a_full_slot_is_409_and_keeps_the_booking(client, division, start, make_booking):
    created = client.post("/api/v1/bookings", json=payload(division, start)).get_json()
    other = start + timedelta(minutes=40)
    make_booking(division, other)
    response = client.post(f"/api/v1/bookings/{created['code']}/reschedule",
                           json={"start": other.astimezone(MSK).isoformat()}, headers=bearer(created["manage_token"]))
    assert response.status_code == 409
    still = client.get(f"/api/v1/bookings/{created['code']}", headers=bearer(created["manage_token"])).get_json()
    assert still["start"] == created["start"]


@pytest.mark.parametrize("body, field", [({}, "start"), ({"start": 5}, "start"), ({"start": "x"}, "start"),
                                         ({"start": "2026-12-01T10:00:00+03:00", "extra": 1}, "extra")])
def test_reschedule_validation(client, division, start, body, field):
    created = client.post("/api/v1/bookings", json=payload(division, start)).get_json()
    response = client.post(f"/api/v1/bookings/{created['code']}/reschedule", json=body,
                           headers=bearer(created["manage_token"]))
    assert response.status_code == 422 and field in response.get_json()["fields"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer"}])
def test_wrong_or_missing_token_is_404_like_an_unknown_code(client, division, start, headers):
    created = client.post("/api/v1/bookings", json=payload(division, start)).get_json()
    for method, suffix in (("get", ""), ("post", "/cancel")):
        response = getattr(client, method)(f"/api/v1/bookings/{created['code']}{suffix}", headers=headers)
        unknown = getattr(client, method)(f"/api/v1/bookings/AAA-AAA{suffix}", headers=headers)
        assert response.status_code == unknown.status_code == 404
        assert response.get_json() == unknown.get_json()


def test_api_needs_no_csrf_and_sets_no_cookie(client, division, start):
    response = client.post("/api/v1/bookings", json=payload(division, start))
    assert response.status_code == 201 and "Set-Cookie" not in response.headers


def test_unknown_api_path_and_method_are_json(client):
    assert client.get("/api/v1/nothing").get_json()["error"] == "not_found"
    response = client.delete("/api/v1/divisions")
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"


def test_openapi_document_describes_every_route(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {("/api/v1" + path, method.upper()) for path, item in document["paths"].items() for method in item}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and rule.endpoint != "api.openapi":
            path = rule.rule.replace("<", "{").replace(">", "}")
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
