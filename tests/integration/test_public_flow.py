"""The citizen's web flow through the test client, with CSRF protection on."""
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import sqlalchemy as sa

from booking.models import Booking, BookingStatus
from helpers import MSK, csrf_token, first_free_day, slot_start

FORM = {"full_name": "Петров Пётр Петрович", "phone": "8 (916) 123-45-67", "email": "Petrov@Example.ru",
        "topic": "hot_water", "account": "1234567890", "address": "ул. Тверская, д. 1, кв. 5",
        "message": "Нет горячей воды с понедельника", "consent": "y"}


def book_url(division, start):
    return f"/divisions/{division.slug}/book?" + urlencode({"start": start.astimezone(MSK).isoformat()})


def post_booking(client, division, start, **overrides):
    page = client.get(book_url(division, start))
    data = {**FORM, "csrf_token": csrf_token(page), "start": start.isoformat(), **overrides}
    return client.post(f"/divisions/{division.slug}/book", data=data)


def manage_params(response):
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return urlsplit(response.headers["Location"]).path, query["token"][0]


def test_home_lists_active_divisions_only(client, make_division):
    make_division(name="Северный филиал")
    make_division(name="Закрытый филиал", active=False)
    page = client.get("/")
    assert page.status_code == 200
    assert "Северный филиал" in page.text and "Закрытый филиал" not in page.text


def test_division_page_shows_free_slots_of_the_week(client, make_division):
    division = make_division(address="Москва, Дмитровское ш., 71")
    day = first_free_day()
    page = client.get(f"/divisions/{division.slug}?week={day.isoformat()}")
    assert page.status_code == 200
    assert "Дмитровское ш., 71" in page.text
    offered = {unquote(v) for v in re.findall(r'/book\?start=([^"&]+)"', page.text)}
    assert slot_start(day, "10:20").astimezone(MSK).isoformat() in offered
    monday = day - timedelta(days=day.weekday())
    assert all(monday <= datetime.fromisoformat(v).date() < monday + timedelta(days=7) for v in offered)


def test_unknown_or_inactive_division_is_404(client, make_division):
    division = make_division(active=False)
    assert client.get("/divisions/nope").status_code == 404
    assert client.get(f"/divisions/{division.slug}").status_code == 404


def test_booking_flow_confirms_and_stores_normalised_details(client, make_division, db):
    division = make_division()
    start = slot_start(first_free_day(), "10:20")
    response = post_booking(client, division, start)
    assert response.status_code == 303
    path, token = manage_params(response)
    booking = db.session.scalar(sa.select(Booking))
    assert path == f"/bookings/{booking.code}"
    assert (booking.phone, booking.email) == ("+79161234567", "petrov@example.ru")
    assert booking.consent_at is not None and booking.topic == "hot_water"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert booking.code in page.text and "10:20" in page.text
    assert token in page.text  # the private link is shown once more to keep
    # The code never breaks at its hyphen, on the confirmation or on the page opened later.
    assert f'<span class="nowrap">{booking.code}</span>.' in page.text and "&lt;span" not in page.text
    later = client.get(f"{path}?token={token}").text
    heading = later[later.find("<h1>"):later.find("</h1>") + 5]
    assert f'<span class="nowrap">{booking.code}</span></h1>' in heading, heading


def test_the_form_keeps_what_was_typed_when_a_field_is_wrong(client, make_division, db):
    division = make_division()
    start = slot_start(first_free_day(), "10:20")
    response = post_booking(client, division, start, phone="12", consent="")
    assert response.status_code == 422
    assert "Петров Пётр Петрович" in response.text and "Нет горячей воды с понедельника" in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'href="#phone"' in response.text and 'href="#consent"' in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_missing_csrf_token_books_nothing(client, make_division, db):
    division = make_division()
    start = slot_start(first_free_day(), "10:20")
    response = client.post(f"/divisions/{division.slug}/book", data={**FORM, "start": start.isoformat()})
    assert response.status_code in (400, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_taken_slot_offers_alternatives_and_keeps_the_form(client, make_division, make_booking):
    division = make_division()
    start = slot_start(first_free_day(), "10:20")
    page = client.get(book_url(division, start))
    make_booking(division, start)  # someone else takes it while the form is being filled in
    data = {**FORM, "csrf_token": csrf_token(page), "start": start.isoformat()}
    response = client.post(f"/divisions/{division.slug}/book", data=data)
    assert response.status_code == 409
    assert "Петров Пётр Петрович" in response.text
    alternatives = re.findall(r'name="alt_start" value="([^"]+)"', response.text)
    assert alternatives and start.astimezone(MSK).isoformat() not in alternatives
    # Choosing an alternative books it with the details already typed.
    data["alt_start"] = alternatives[0]
    again = client.post(f"/divisions/{division.slug}/book", data=data)
    assert again.status_code == 303


def test_cancel_from_the_private_link(client, make_division, db):
    division = make_division()
    start = slot_start(first_free_day(), "10:20")
    path, token = manage_params(post_booking(client, division, start))
    assert f"{path}/cancel?token={token}" in client.get(f"{path}?token={token}").text
    page = client.get(f"{path}/cancel?token={token}")  # asked to confirm first
    assert page.status_code == 200
    response = client.post(f"{path}/cancel", data={"csrf_token": csrf_token(page), "token": token})
    assert response.status_code == 303
    booking = db.session.scalar(sa.select(Booking))
    assert booking.status == BookingStatus.CANCELLED and booking.cancelled_by == "citizen"
    after = client.get(f"{path}?token={token}")
    assert "/move" not in after.text  # a cancelled booking cannot be changed any more
    # Nor does the page still promise that its link can move or cancel it.
    assert "it lets you cancel or move" not in after.text and "Add to my calendar" not in after.text


def test_move_to_another_free_slot(client, make_division, db):
    division = make_division()
    day = first_free_day()
    path, token = manage_params(post_booking(client, division, slot_start(day, "10:20")))
    page = client.get(f"{path}/move?token={token}&week={day.isoformat()}")
    assert page.status_code == 200
    new_start = slot_start(day, "12:00").astimezone(MSK).isoformat()
    assert f'value="{new_start}"' in page.text
    data = {"csrf_token": csrf_token(page), "token": token, "start": new_start}
    asked = client.post(f"{path}/move", data=data)  # the new time is shown for confirmation first
    assert asked.status_code == 200 and 'name="confirm" type="hidden" value="1"' in asked.text
    response = client.post(f"{path}/move", data={**data, "confirm": "1"})
    assert response.status_code == 303
    booking = db.session.scalar(sa.select(Booking))
    assert booking.start_utc == slot_start(day, "12:00") and booking.sequence == 1


def test_wrong_token_reveals_nothing(client, make_division, make_booking):
    division = make_division()
    booking, token = make_booking(division, slot_start(first_free_day(), "10:20"))
    for url in (f"/bookings/{booking.code}?token=wrong", f"/bookings/{booking.code}",
                f"/bookings/{booking.code}/move?token=wrong"):
        response = client.get(url)
        assert response.status_code == 404
        assert booking.full_name not in response.text


def test_public_pages_carry_no_personal_data(client, make_division, make_booking):
    division = make_division()
    day = first_free_day()
    booking, _ = make_booking(division, slot_start(day, "10:20"), full_name="Сидорова Анна", phone="+79035550011")
    for url in ("/", f"/divisions/{division.slug}?week={day.isoformat()}", "/api/v1/divisions",
                f"/api/v1/divisions/{division.slug}/slots"):
        text = client.get(url).text
        assert "Сидорова" not in text and "79035550011" not in text


def test_unbookable_start_sends_back_to_the_slots(client, make_division):
    division = make_division()
    response = client.get(f"/divisions/{division.slug}/book?start=2020-01-01T10:00:00%2B03:00")
    assert response.status_code == 302
    assert client.get(f"/divisions/{division.slug}/book?start=garbage").status_code == 302


def test_language_switch_is_remembered_and_never_an_open_redirect(client):
    response = client.get("/lang/en?next=//evil.example/")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/lang/en?next=/divisions/x").headers["Location"] == "/divisions/x"
    assert 'lang="en"' in client.get("/").text
    client.get("/lang/ru?next=/")
    assert 'lang="ru"' in client.get("/").text
