"""The head's day: marking visits attended or no-show, private notes, cancelling from the agenda."""
from booking.models import BookingStatus
from helpers import slot_start
from staff_support import audit_trail, past_booking, text


def test_the_head_marks_a_visit_attended_from_the_agenda(client, db, make_division, make_booking, make_user,
                                                         log_in_as, past_day):
    division = make_division(weekdays=range(7))
    booking = past_booking(make_booking, division, past_day)
    head = log_in_as(make_user("head", divisions=[division]))
    agenda_url = f"/agenda/{past_day.isoformat()}"
    assert f'action="/staff/bookings/{booking.code}/mark"' in text(client.get(agenda_url))
    response = client.post_form(f"/staff/bookings/{booking.code}/mark", {"status": "attended", "next": agenda_url})
    assert response.status_code == 303 and response.headers["Location"] == agenda_url
    db.session.refresh(booking)
    assert booking.status == BookingStatus.ATTENDED
    assert audit_trail(db, booking)[-1] == ("attended", "head", head.id, "")
    page = client.get(agenda_url)
    assert "Attended" in text(page) and f"{booking.code}: Attended." in text(page)


def test_a_mark_can_be_corrected_to_no_show(client, db, make_division, make_booking, make_user, log_in_as, past_day):
    division = make_division(weekdays=range(7))
    booking = past_booking(make_booking, division, past_day)
    log_in_as(make_user("head", divisions=[division]))
    client.post_form(f"/staff/bookings/{booking.code}/mark", {"status": "attended"})
    client.post_form(f"/staff/bookings/{booking.code}/mark", {"status": "no_show"})
    db.session.refresh(booking)
    assert booking.status == BookingStatus.NO_SHOW
    assert [row.action for row in audit_trail(db, booking)] == ["created", "attended", "no_show"]
    assert "Did not come" in text(client.get(f"/agenda/{past_day.isoformat()}"))


def test_a_visit_cannot_be_marked_before_its_day(client, db, make_division, make_booking, make_user, log_in_as,
                                                  coming_day):
    division = make_division()
    booking, _ = make_booking(division, slot_start(coming_day, "10:00"))
    log_in_as(make_user("head", divisions=[division]))
    assert "/mark" not in text(client.get(f"/agenda/{coming_day.isoformat()}"))
    response = client.post_form(f"/staff/bookings/{booking.code}/mark", {"status": "attended"}, follow_redirects=True)
    assert "A visit can be marked from the day of the reception on." in text(response)
    db.session.refresh(booking)
    assert booking.status == BookingStatus.BOOKED
    assert [row.action for row in audit_trail(db, booking)] == ["created"]


def test_a_cancelled_booking_cannot_be_marked(client, db, make_division, make_booking, make_user, log_in_as, past_day):
    division = make_division(weekdays=range(7))
    booking = past_booking(make_booking, division, past_day)
    booking.status = BookingStatus.CANCELLED
    db.session.commit()
    log_in_as(make_user("head", divisions=[division]))
    response = client.post_form(f"/staff/bookings/{booking.code}/mark", {"status": "attended"}, follow_redirects=True)
    assert "This booking can no longer be changed." in text(response)
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED


def test_only_the_two_marks_are_accepted(client, db, make_division, make_booking, make_user, log_in_as, past_day):
    division = make_division(weekdays=range(7))
    booking = past_booking(make_booking, division, past_day)
    log_in_as(make_user("head", divisions=[division]))
    for forged in ("cancelled", "booked", ""):
        assert client.post_form(f"/staff/bookings/{booking.code}/mark", {"status": forged}).status_code == 400
    db.session.refresh(booking)
    assert booking.status == BookingStatus.BOOKED


def test_actions_never_redirect_off_site(client, make_division, make_booking, make_user, log_in_as, past_day):
    division = make_division(weekdays=range(7))
    booking = past_booking(make_booking, division, past_day)
    log_in_as(make_user("head", divisions=[division]))
    response = client.post_form(f"/staff/bookings/{booking.code}/mark",
                    {"status": "attended", "next": "https://evil.example/"})
    assert response.headers["Location"] == f"/staff/bookings/{booking.code}"


def test_a_private_note_is_seen_by_staff_only(client, db, make_division, make_booking, make_user, log_in_as,
                                              coming_day):
    division = make_division()
    booking, token = make_booking(division, slot_start(coming_day, "10:00"))
    head = log_in_as(make_user("head", divisions=[division]))
    agenda_url = f"/agenda/{coming_day.isoformat()}"
    response = client.post_form(f"/staff/bookings/{booking.code}/note",
                    {"note": "Принести акт обследования", "next": agenda_url})
    assert response.headers["Location"] == agenda_url
    assert "Принести акт обследования" in text(client.get(agenda_url))
    assert audit_trail(db, booking)[-1] == ("note", "head", head.id, "Принести акт обследования")
    citizen_page = client.get(f"/bookings/{booking.code}?token={token}")
    assert citizen_page.status_code == 200
    assert "Принести акт обследования" not in text(citizen_page)


def test_the_head_cancels_from_the_agenda(client, db, make_division, make_booking, make_user, log_in_as, coming_day):
    division = make_division()
    booking, _ = make_booking(division, slot_start(coming_day, "10:00"), full_name="Отменов Иван")
    head = log_in_as(make_user("head", divisions=[division]))
    agenda_url = f"/agenda/{coming_day.isoformat()}"
    assert f'action="/staff/bookings/{booking.code}/cancel"' in text(client.get(agenda_url))
    response = client.post_form(f"/staff/bookings/{booking.code}/cancel",
                    {"reason": "Руководитель в командировке", "next": agenda_url})
    assert response.headers["Location"] == agenda_url
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED and booking.cancelled_by == "division"
    assert audit_trail(db, booking)[-1] == ("cancelled", "head", head.id, "Руководитель в командировке")
    html = text(client.get(agenda_url))
    assert "Отменов Иван" in html.split('id="cancelled-heading"', 1)[1]


def test_a_past_booking_cannot_be_cancelled(client, db, make_division, make_booking, make_user, log_in_as, past_day):
    division = make_division(weekdays=range(7))
    booking = past_booking(make_booking, division, past_day)
    log_in_as(make_user("head", divisions=[division]))
    response = client.post_form(f"/staff/bookings/{booking.code}/cancel", {}, follow_redirects=True)
    assert "This booking can no longer be changed." in text(response)
    db.session.refresh(booking)
    assert booking.status == BookingStatus.BOOKED
