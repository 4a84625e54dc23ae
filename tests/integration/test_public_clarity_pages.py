"""What a new user meets on the public pages: moving asks first, cancelled pages offer nothing, a taken time is
not offered again, days without time say why, and every unbookable time is explained."""
import re
from datetime import timedelta

import sqlalchemy as sa

from booking.models import Booking, BookingStatus
from helpers import MSK, csrf_token, first_free_day, slot_start
from test_public_flow import FORM, book_url, manage_params, post_booking


def section_of_day(html, day):
    return html.split(f'id="day-{day.isoformat()}"', 1)[1].split("</section>", 1)[0]


def test_moving_shows_the_old_and_new_time_and_moves_only_when_confirmed(client, make_division, db):
    division = make_division()
    day = first_free_day() + timedelta(days=14)  # not the first week with free time
    while day.weekday() > 4:
        day += timedelta(days=1)
    path, token = manage_params(post_booking(client, division, slot_start(day, "10:20")))
    page = client.get(f"{path}/move?token={token}")  # no ?week=: the booking's own week
    assert page.status_code == 200
    monday = day - timedelta(days=day.weekday())
    assert f'id="day-{monday.isoformat()}"' in page.text
    assert "Your appointment: <strong>" in page.text and "10:20–10:40</strong>" in page.text
    assert "Now:" not in page.text
    new_start = slot_start(day, "12:00").astimezone(MSK).isoformat()
    assert f'value="{new_start}"' in page.text

    data = {"csrf_token": csrf_token(page), "token": token, "start": new_start}
    asked = client.post(f"{path}/move", data=data)
    assert asked.status_code == 200
    old = asked.text.split('class="old-time"', 1)[1].split("</dd>", 1)[0]
    new = asked.text.split('class="new-time"', 1)[1].split("</dd>", 1)[0]
    assert "10:20–10:40" in old and "12:00–12:20" in new
    booking = db.session.scalar(sa.select(Booking))
    assert booking.start_utc == slot_start(day, "10:20") and booking.sequence == 0  # nothing moved yet

    confirmed = client.post(f"{path}/move", data={**data, "confirm": "1"})
    assert confirmed.status_code == 303
    db.session.refresh(booking)
    assert booking.start_utc == slot_start(day, "12:00") and booking.sequence == 1


def test_a_confirmation_for_a_time_taken_meanwhile_moves_nothing(client, make_division, make_booking, db):
    division = make_division()
    day = first_free_day()
    path, token = manage_params(post_booking(client, division, slot_start(day, "10:20")))
    page = client.get(f"{path}/move?token={token}&week={day.isoformat()}")
    new_start = slot_start(day, "12:00")
    make_booking(division, new_start)  # someone else is quicker
    response = client.post(f"{path}/move", data={"csrf_token": csrf_token(page), "token": token,
                                                 "start": new_start.astimezone(MSK).isoformat(), "confirm": "1"})
    assert response.status_code == 409 and "This time was just taken." in response.text
    booking = db.session.scalar(sa.select(Booking).where(Booking.email == "petrov@example.ru"))
    assert booking.start_utc == slot_start(day, "10:20")


def test_a_cancelled_booking_offers_no_calendar_and_no_changes(client, make_division, db):
    division = make_division()
    path, token = manage_params(post_booking(client, division, slot_start(first_free_day(), "10:20")))
    before = client.get(f"{path}?token={token}").text
    assert ".ics" in before and "cancel or move" in before
    page = client.get(f"{path}/cancel?token={token}")
    client.post(f"{path}/cancel", data={"csrf_token": csrf_token(page), "token": token})
    assert db.session.scalar(sa.select(Booking)).status == BookingStatus.CANCELLED
    after = client.get(f"{path}?token={token}").text
    for gone in (".ics", "Add to my calendar", "/move", "/cancel", "cancel or move", "Move to another time"):
        assert gone not in after, gone
    assert "Book another time" in after


def test_the_confirmation_repeats_the_phone_and_the_question(client, make_division):
    division = make_division()
    response = post_booking(client, division, slot_start(first_free_day(), "10:20"))
    page = client.get(response.headers["Location"]).text
    assert "+7 916 123-45-67" in page and FORM["message"] in page
    assert 'class="calendar-link"' in page


def test_a_time_taken_meanwhile_is_neither_shown_nor_resubmitted(client, make_division, make_booking):
    division = make_division()
    start = slot_start(first_free_day(), "10:20")
    page = client.get(book_url(division, start))
    assert 'class="chosen"' in page.text and 'id="submit"' in page.text
    make_booking(division, start)
    response = client.post(f"/divisions/{division.slug}/book",
                           data={**FORM, "csrf_token": csrf_token(page), "start": start.isoformat()})
    assert response.status_code == 409
    assert 'class="chosen"' not in response.text  # the summary of the lost time is gone
    assert 'id="submit"' not in response.text  # and so is the button that would send it again
    submits = re.findall(r'<button type="submit"([^>]*)>', response.text)
    offered = [attrs for attrs in submits if 'name="alt_start"' in attrs]
    assert offered and len(offered) == len(submits) - 1  # the alternatives, and a disabled default button
    assert any("disabled" in attrs and "hidden" in attrs for attrs in submits)
    assert start.astimezone(MSK).isoformat() not in " ".join(offered)


def test_days_without_time_say_why(client, make_division, make_booking):
    day = first_free_day() + timedelta(days=7)
    monday = day - timedelta(days=day.weekday())
    tuesday, wednesday, friday = monday + timedelta(days=1), monday + timedelta(days=2), monday + timedelta(days=4)
    division = make_division(weekdays=(0, 1, 2), start="10:00", end="10:20", closures=[(wednesday, wednesday)])
    make_booking(division, slot_start(tuesday, "10:00"))  # Tuesday is full
    html = client.get(f"/divisions/{division.slug}?week={monday.isoformat()}").text
    assert "No free time" in section_of_day(html, tuesday)
    assert "No reception: <span" in section_of_day(html, wednesday) and "Отпуск" in section_of_day(html, wednesday)
    assert "No reception" in section_of_day(html, friday) and "No free time" not in section_of_day(html, friday)
    client.get("/lang/ru?next=/")
    ru = client.get(f"/divisions/{division.slug}?week={monday.isoformat()}").text
    assert "Приём не проводится" in section_of_day(ru, friday)
    assert "Нет свободного времени" in section_of_day(ru, tuesday)


def test_an_unbookable_time_is_explained(client, make_division, app):
    division = make_division()
    past = slot_start(first_free_day() - timedelta(days=14), "10:20")
    client.get(book_url(division, past))
    assert "This time has already passed. Choose another one." in client.get(f"/divisions/{division.slug}").text
    far = slot_start(first_free_day() + timedelta(days=app.config["BOOKING_HORIZON_DAYS"] + 7), "10:20")
    client.get(book_url(division, far))
    assert "appointments are open 30 days ahead" in client.get(f"/divisions/{division.slug}").text
    odd = slot_start(first_free_day(), "10:10")
    client.get(book_url(division, odd))
    assert "There is no reception at this time." in client.get(f"/divisions/{division.slug}").text


def test_a_time_that_stopped_being_bookable_says_why_on_the_form(client, make_division, db, app):
    division = make_division()
    start = slot_start(first_free_day(), "10:20")
    page = client.get(book_url(division, start))
    app.config["BOOKING_MIN_NOTICE_MINUTES"] = 60 * 24 * 10  # the rules changed while the form was filled in
    response = client.post(f"/divisions/{division.slug}/book",
                           data={**FORM, "csrf_token": csrf_token(page), "start": start.isoformat()})
    assert response.status_code == 409
    assert "This time is too soon: appointments are made at least 240 hours ahead." in response.text


def test_the_api_says_why_a_time_cannot_be_booked(client, make_division, api_key):
    client.environ_base["HTTP_X_API_KEY"] = api_key
    make_division(slug="severny")
    body = {"division": "severny", "name": "Петров Пётр", "email": "petrov@example.ru", "phone": "+7 916 123-45-67",
            "topic": "heating", "consent": True}
    odd = slot_start(first_free_day(), "10:10").astimezone(MSK).isoformat()
    response = client.post("/api/v1/bookings", json={**body, "start": odd})
    assert response.status_code == 409 and response.get_json()["error"] == "slot_not_bookable"
    assert response.get_json()["message"] == "There is no reception at this time."
    past = slot_start(first_free_day() - timedelta(days=14), "10:20").astimezone(MSK).isoformat()
    response = client.post("/api/v1/bookings", json={**body, "start": past}, headers={"Accept-Language": "ru"})
    assert response.get_json()["message"] == "Это время уже прошло."
