"""Administrators find the bookings one address or API client made in a period and cancel a burst at once."""
from datetime import timedelta

import sqlalchemy as sa
from flask import g

from booking.bookings import retention
from booking.bookings.bursts import client_ref
from booking.models import ApiClient, Booking, BookingStatus, OutboxMessage
from booking.core.timeutil import now_utc
from helpers import slot_start
from staff_support import text

SCRIPT = "198.51.100.7"
CITIZEN = "203.0.113.20"


def web_booking(app, make_booking, division, start, address, **details):
    booking, _token = make_booking(division, start, **details)
    booking.client_ref = client_ref(address, app.config["SECRET_KEY"])
    return booking


def burst(app, db, make_division, make_booking, make_api_key, coming_day):
    """Three bookings from a script's address, one from a citizen, two through the hotline's key."""
    division = make_division(places=3)
    script = [web_booking(app, make_booking, division, slot_start(coming_day, clock), SCRIPT)
              for clock in ("10:00", "10:20", "10:40")]
    citizen = web_booking(app, make_booking, division, slot_start(coming_day, "11:00"), CITIZEN)
    make_api_key("Горячая линия")
    hotline = db.session.scalar(sa.select(ApiClient))
    api = []
    for clock in ("11:20", "11:40"):
        booking, _token = make_booking(division, slot_start(coming_day, clock))
        booking.api_client, booking.channel = hotline, "api"
        api.append(booking)
    db.session.commit()
    return script, citizen, api, hotline


def test_the_busiest_origins_and_one_addresses_bookings_are_listed(app, db, client, make_user, log_in_as,
                                                                   make_division, make_booking, make_api_key,
                                                                   coming_day):
    script, citizen, api, hotline = burst(app, db, make_division, make_booking, make_api_key, coming_day)
    log_in_as(make_user("admin"))

    page = text(client.get("/admin/bursts/"))
    ref = client_ref(SCRIPT, app.config["SECRET_KEY"])
    assert f"Web address {ref[:8]}" in page and "Via “Горячая линия”" in page
    assert SCRIPT not in page
    client.get("/lang/ru")
    g.pop("_flask_babel", None)
    russian = text(client.get("/admin/bursts/"))
    assert f"Посетитель сайта {ref[:8]}" in russian and '<th scope="col">Записей</th>' in russian

    by_address = client.get("/admin/bursts/", query_string={"address": SCRIPT})
    listed = text(by_address)
    assert all(b.code in listed for b in script) and citizen.code not in listed
    assert all(b.code not in listed for b in api)
    by_client = text(client.get("/admin/bursts/", query_string={"client": hotline.id}))
    assert all(b.code in by_client for b in api) and script[0].code not in by_client

    yesterday = (coming_day - timedelta(days=400)).isoformat()
    past = text(client.get("/admin/bursts/", query_string={"address": SCRIPT, "from": yesterday, "to": yesterday}))
    assert script[0].code not in past


def test_a_selection_is_cancelled_at_once_and_the_visitors_are_told(app, db, client, make_user, log_in_as,
                                                                    make_division, make_booking, make_api_key,
                                                                    coming_day):
    script, citizen, _api, _hotline = burst(app, db, make_division, make_booking, make_api_key, coming_day)
    admin = log_in_as(make_user("admin"))
    back = f"/admin/bursts/?address={SCRIPT}"
    done = client.post_form("/admin/bursts/cancel", {"booking": [script[0].id, script[1].id], "reason": "Бот",
                                                 "next": back})
    assert done.status_code == 303 and done.headers["Location"].endswith(back)
    db.session.expire_all()
    statuses = [db.session.get(Booking, b.id).status for b in script + [citizen]]
    assert statuses == [BookingStatus.CANCELLED, BookingStatus.CANCELLED, BookingStatus.BOOKED, BookingStatus.BOOKED]
    notices = db.session.scalars(sa.select(OutboxMessage.booking_id).where(OutboxMessage.kind == "cancellation")).all()
    assert sorted(notices) == sorted([script[0].id, script[1].id])
    cancelled = db.session.get(Booking, script[0].id)
    assert cancelled.cancelled_by == "division"
    assert any(e.action == "cancelled" and e.actor_id == admin.id for e in cancelled.audit_entries)
    assert "2 bookings cancelled" in text(client.get(back))


def test_only_administrators_see_origins(client, make_user, log_in_as):
    log_in_as(make_user("operator"))
    assert client.get("/admin/bursts/").status_code == 403
    assert client.post_form("/admin/bursts/cancel", {"booking": ["1"]}).status_code == 403


def test_bad_input_is_a_clear_message(client, make_user, log_in_as):
    log_in_as(make_user("admin"))
    response = client.get("/admin/bursts/", query_string={"address": "not an address"})
    assert response.status_code == 422 and "Enter an IP address" in text(response)
    response = client.get("/admin/bursts/", query_string={"from": "2026-12-05", "to": "2026-12-01"})
    assert response.status_code == 422 and "before the first day" in text(response)


def test_the_address_reference_is_purged_with_the_personal_data(app, db, make_division, make_booking, coming_day):
    division = make_division()
    booking = web_booking(app, make_booking, division, slot_start(coming_day, "10:00"), SCRIPT)
    db.session.commit()
    assert booking.client_ref
    retention.purge_personal_data(booking.end_utc + timedelta(days=1), now_utc())
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).client_ref == ""
