"""Administrators create, name, list and revoke API keys; staff see bookings as made through a named client."""
import re

import sqlalchemy as sa
from flask import g

from booking.models import ApiClient
from helpers import MSK, slot_start
from staff_support import text


def test_an_administrator_creates_a_key_shown_once_and_revokes_it(client, make_user, log_in_as, db):
    log_in_as(make_user("admin"))
    page = client.post_form("/admin/api-keys/", {"name": "Горячая линия", "permissions": ["bookings"]})
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    key = re.search(r'<code class="api-key">(pk_[^<]+)</code>', text(page)).group(1)
    stored = db.session.scalar(sa.select(ApiClient))
    assert stored.name == "Горячая линия" and stored.permissions == "bookings"

    listing = client.get("/admin/api-keys/")
    assert "Горячая линия" in text(listing) and key not in text(listing)  # shown once only
    assert stored.key_prefix in text(listing)

    revoked = client.post_form(f"/admin/api-keys/{stored.id}/revoke", follow_redirects=True)
    assert revoked.status_code == 200 and "revoked" in text(revoked)
    db.session.expire_all()
    assert db.session.get(ApiClient, stored.id).revoked_at is not None


def test_a_key_needs_a_name_and_a_permission(client, make_user, log_in_as, db):
    log_in_as(make_user("admin"))
    page = client.post_form("/admin/api-keys/", {"name": " ", "permissions": []})
    assert page.status_code == 422
    assert "Give the client a name." in text(page) and "Choose at least one permission." in text(page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiClient)) == 0


def test_only_administrators_reach_the_key_pages(client, make_user, log_in_as):
    assert client.get("/admin/api-keys/").status_code in (302, 303)
    log_in_as(make_user("operator"))
    assert client.get("/admin/api-keys/").status_code == 403
    assert client.post_form("/admin/api-keys/", {"name": "X", "permissions": ["bookings"]}).status_code == 403


def test_a_booking_made_with_a_key_is_shown_as_made_through_that_client(client, make_user, log_in_as, make_division,
                                                                        make_api_key, coming_day):
    division = make_division()
    key = make_api_key("Горячая линия")
    start = slot_start(coming_day, "10:20")
    created = client.post("/api/v1/bookings", headers={"X-API-Key": key}, json={
        "division": division.slug, "start": start.astimezone(MSK).isoformat(), "name": "Петров Пётр",
        "email": "petrov@example.ru", "phone": "+79161234567", "topic": "heating", "consent": True})
    code = created.get_json()["code"]
    log_in_as(make_user("admin"))

    english = text(client.get(f"/staff/bookings/{code}"))
    assert "Via “Горячая линия”" in english and "through the API" not in english
    client.get("/lang/ru")
    g.pop("_flask_babel", None)  # the test's long-lived app context would keep the English locale
    russian = text(client.get(f"/staff/bookings/{code}"))
    # «через» takes the accusative: the client's name is kept as it is after a word that declines.
    assert "Через программу «Горячая линия»" in russian and "Через API" not in russian
    agenda = text(client.get(f"/agenda/{coming_day.isoformat()}", query_string={"division": division.slug}))
    assert "Через программу «Горячая линия»" in agenda


def test_the_russian_key_list_names_the_client_and_says_a_key_is_in_use(client, make_user, log_in_as, make_api_key):
    make_api_key("Горячая линия")
    log_in_as(make_user("admin"))
    client.get("/lang/ru")
    g.pop("_flask_babel", None)
    listing = text(client.get("/admin/api-keys/"))
    header = re.search(r"<thead>.*?</thead>", listing, re.S).group(0)
    assert "Название клиента" in header and "ФИО" not in header
    row = re.search(r'<tr id="api-client-\d+">.*?</tr>', listing, re.S).group(0)
    assert "действует" in row and "активна" not in row
    # On a phone each row is a card: the two dates say which is which.
    assert 'data-label="Создан"' in row and 'data-label="Последнее использование"' in row
