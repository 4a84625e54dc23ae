"""The hotline operator: booking for a caller, finding a caller's bookings, moving and cancelling them."""
import re
from datetime import timedelta

import sqlalchemy as sa

from booking.notify import outbox
from booking.models import Booking, BookingStatus, OutboxMessage
from helpers import MSK, slot_start
from staff_support import audit_trail, text

CALLER = {"full_name": "Смирнова Галина Ивановна", "phone": "8 (916) 765-43-21", "email": "galina@example.ru",
          "topic": "heating", "message": "Холодные батареи в квартире", "account": "", "address": "", "consent": "y"}


def book_for_caller(client, division, start, **changes):
    return client.post_form(f"/staff/book/{division.slug}/details", {**CALLER, "start": start.isoformat(), **changes})


def test_operator_finds_a_free_slot_and_books_it_for_the_caller(client, db, make_division, make_user, log_in_as,
                                                                coming_day):
    division = make_division(name="Северный филиал")
    operator = log_in_as(make_user("operator", name="Анна Смирнова"))
    assert f'href="/staff/book/{division.slug}"' in text(client.get("/staff/book"))
    start = slot_start(coming_day, "10:20")
    week = text(client.get(f"/staff/book/{division.slug}?week={coming_day.isoformat()}"))
    slot_link = re.search(rf'href="(/staff/book/{division.slug}/details\?start=[^"]+)"', week).group(1)
    form = client.get(slot_link.replace("&amp;", "&"))
    assert form.status_code == 200 and "The caller agrees to the processing" in text(form)

    response = book_for_caller(client, division, start)
    assert response.status_code == 303
    booking = db.session.query(Booking).one()
    assert response.headers["Location"] == f"/staff/bookings/{booking.code}?new=1"
    assert (booking.channel, booking.created_by_id, booking.phone) == ("phone", operator.id, "+79167654321")
    assert booking.start_utc == start and booking.status == BookingStatus.BOOKED
    assert audit_trail(db, booking) == [("created", "operator", operator.id, "phone")]
    page = text(client.get(response.headers["Location"]))
    assert f"Booked: code {booking.code}." in page
    assert "Booked by phone by operator Анна Смирнова" in page
    assert "Hotline operator: Анна Смирнова" in page
    # What to read out to the caller: the code, the time, the place and what to bring.
    read_out = page.split('id="read-out-heading"', 1)[1].split("</section>", 1)[0]
    for expected in (booking.code, "10:20–10:40", division.address, "Please bring your passport"):
        assert expected in read_out, expected
    assert 'id="read-out-heading"' not in text(client.get(f"/staff/bookings/{booking.code}"))


def test_the_form_needs_the_callers_consent_and_details(client, db, make_division, make_user, log_in_as, coming_day):
    division = make_division()
    log_in_as(make_user("operator"))
    response = book_for_caller(client, division, slot_start(coming_day, "10:20"), consent="", phone="12")
    assert response.status_code == 422
    assert "Ask the caller for consent first." in text(response)
    assert "Enter a phone number like +7 916 123-45-67." in text(response)
    assert 'value="Смирнова Галина Ивановна"' in text(response)  # what was typed is kept
    assert db.session.query(Booking).count() == 0


def test_the_form_speaks_of_the_callers_question_and_data_not_the_operators(client, db, make_division, make_user,
                                                                            log_in_as, coming_day):
    division = make_division()
    log_in_as(make_user("operator"))
    start = slot_start(coming_day, "10:20").astimezone(MSK).isoformat()
    page = text(client.get(f"/staff/book/{division.slug}/details", query_string={"start": start}))
    assert "The caller&#39;s question" in page or "The caller's question" in page
    assert "The caller's details are used only" in page or "The caller&#39;s details are used only" in page
    assert "Your question" not in page and "Your details are used" not in page
    # what the operator typed into the question still reaches the booking
    assert book_for_caller(client, division, slot_start(coming_day, "10:20")).status_code in (302, 303)
    assert db.session.scalar(sa.select(Booking.message)) == CALLER["message"]


def test_a_caller_without_e_mail_is_booked_and_nothing_is_mailed(client, db, make_division, make_booking,
                                                                 make_user, log_in_as, coming_day, mailroom):
    division = make_division(places=2)
    log_in_as(make_user("operator"))
    start = slot_start(coming_day, "10:20")
    make_booking(division, slot_start(coming_day, "11:00"), email="")  # another caller without e-mail
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    response = book_for_caller(client, division, start, email="")
    assert response.status_code == 303  # an empty e-mail is no one's: the other caller's booking is no limit
    booking = db.session.scalars(sa.select(Booking).where(Booking.start_utc == start)).one()
    assert booking.email == "" and booking.phone == "+79167654321"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    page = text(client.get(response.headers["Location"]))
    assert "none: changes are not mailed, tell the visitor by phone" in page

    # A reminder is never due for it, and a move or a cancellation reminds staff to call.
    assert outbox.queue_due_reminders(mailroom, start - timedelta(hours=20), [timedelta(hours=24)]) == 0
    moved = client.post_form(f"/staff/bookings/{booking.code}/move",
                 {"start": slot_start(coming_day, "12:00").isoformat(), "confirm": "1"})
    assert moved.status_code == 303
    page = text(client.get(moved.headers["Location"]))
    assert "The visitor has no e-mail: tell them by phone, +7 916 765-43-21." in page
    client.post_form(f"/staff/bookings/{booking.code}/cancel", {"reason": ""})
    assert "tell them by phone" in text(client.get(f"/staff/bookings/{booking.code}"))
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_the_same_phone_still_counts_without_e_mail(client, make_division, make_booking, make_user, log_in_as,
                                                    coming_day):
    division = make_division()
    make_booking(division, slot_start(coming_day, "11:00"), phone="+79167654321", email="")
    log_in_as(make_user("operator"))
    response = book_for_caller(client, division, slot_start(coming_day, "10:20"), email="")
    assert response.status_code == 409
    assert "The caller already has an appointment with this division." in text(response)


def test_citizens_booking_online_still_need_an_e_mail(client, db, make_division, coming_day):
    division = make_division()
    response = client.post_form(f"/divisions/{division.slug}/book",
                    {**CALLER, "email": "", "start": slot_start(coming_day, "10:20").isoformat()})
    assert response.status_code == 422
    assert "Enter your e-mail address." in text(response)
    assert db.session.query(Booking).count() == 0


def test_a_taken_slot_offers_the_nearest_free_ones(client, make_division, make_booking, make_user, log_in_as,
                                                   coming_day):
    division = make_division()
    make_booking(division, slot_start(coming_day, "10:20"))
    log_in_as(make_user("operator"))
    response = book_for_caller(client, division, slot_start(coming_day, "10:20"))
    assert response.status_code == 409
    html = text(response)
    assert "This time was just taken." in html
    assert f'name="alt_start" value="{slot_start(coming_day, "10:00").astimezone(MSK).isoformat()}"' in html
    assert f'action="/staff/book/{division.slug}/details"' in html


def test_a_caller_who_already_has_a_booking_is_told_to_move_it(client, make_division, make_booking, make_user,
                                                               log_in_as, coming_day):
    division = make_division()
    make_booking(division, slot_start(coming_day, "11:00"), phone="+79167654321")
    log_in_as(make_user("operator"))
    response = book_for_caller(client, division, slot_start(coming_day, "10:20"))
    assert response.status_code == 409
    assert "The caller already has an appointment with this division." in text(response)


def test_search_by_code_in_any_spelling_or_by_phone(client, make_division, make_booking, make_user, log_in_as,
                                                    coming_day):
    division = make_division()
    first, _ = make_booking(division, slot_start(coming_day, "10:00"), phone="+79167654321", full_name="Первый Звонок")
    other, _ = make_booking(make_division(), slot_start(coming_day, "11:00"), phone="+79167654321",
                            full_name="Второй Звонок")
    make_booking(division, slot_start(coming_day, "12:00"), phone="+79160000000", full_name="Посторонний Человек")
    log_in_as(make_user("operator"))
    by_code = text(client.get(f"/staff/search?q={first.code.lower().replace('-', '')}"))
    assert "Первый Звонок" in by_code and "Второй Звонок" not in by_code
    by_phone = text(client.get("/staff/search?q=8 916 765-43-21"))
    assert "Первый Звонок" in by_phone and "Второй Звонок" in by_phone
    assert "Посторонний Человек" not in by_phone
    assert f'href="/staff/bookings/{other.code}"' in by_phone
    nothing = text(client.get("/staff/search?q=нет такого"))
    assert "No booking with this code or phone number." in nothing


def test_operator_moves_a_booking_to_another_free_slot(client, db, make_division, make_booking, make_user, log_in_as,
                                                       coming_day):
    division = make_division()
    booking, _ = make_booking(division, slot_start(coming_day, "10:00"))
    operator = log_in_as(make_user("operator"))
    new_start = slot_start(coming_day, "12:20")
    page = text(client.get(f"/staff/bookings/{booking.code}/move?week={coming_day.isoformat()}"))
    assert f'value="{new_start.astimezone(MSK).isoformat()}"' in page
    asked = client.post_form(f"/staff/bookings/{booking.code}/move", {"start": new_start.isoformat()})
    assert asked.status_code == 200 and "12:20–12:40" in text(asked)  # shown first, not yet moved
    db.session.refresh(booking)
    assert booking.start_utc == slot_start(coming_day, "10:00")
    response = client.post_form(f"/staff/bookings/{booking.code}/move",
                                {"start": new_start.isoformat(), "confirm": "1"})
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.start_utc == new_start and booking.sequence == 1
    action, kind, actor_id, _detail = audit_trail(db, booking)[-1]
    assert (action, kind, actor_id) == ("rescheduled", "operator", operator.id)
    history = text(client.get(f"/staff/bookings/{booking.code}")).split('id="history-heading"', 1)[1]
    moved = history.split('class="audit-rescheduled"', 1)[1].split("</tr>", 1)[0]
    assert "Moved" in moved and "10:00 → " in moved and ", 12:20</td>" in moved  # Moscow time, not UTC


def test_moving_to_a_taken_slot_keeps_the_old_time(client, db, make_division, make_booking, make_user, log_in_as,
                                                   coming_day):
    division = make_division()
    booking, _ = make_booking(division, slot_start(coming_day, "10:00"))
    make_booking(division, slot_start(coming_day, "10:20"))
    log_in_as(make_user("operator"))
    response = client.post_form(f"/staff/bookings/{booking.code}/move",
                    {"start": slot_start(coming_day, "10:20").isoformat()})
    assert response.status_code == 409 and "This time was just taken." in text(response)
    db.session.refresh(booking)
    assert booking.start_utc == slot_start(coming_day, "10:00")


def test_operator_cancels_for_a_caller(client, db, make_division, make_booking, make_user, log_in_as, coming_day):
    division = make_division()
    booking, _ = make_booking(division, slot_start(coming_day, "10:00"))
    operator = log_in_as(make_user("operator"))
    response = client.post_form(f"/staff/bookings/{booking.code}/cancel", {"reason": "Звонок гражданина"})
    assert response.headers["Location"] == f"/staff/bookings/{booking.code}"
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED
    assert audit_trail(db, booking)[-1] == ("cancelled", "operator", operator.id, "Звонок гражданина")


def test_booking_page_shows_details_and_who_did_what(client, make_division, make_booking, make_user, log_in_as,
                                                     coming_day):
    division = make_division(name="Южный филиал")
    booking, _ = make_booking(division, slot_start(coming_day, "10:00"), full_name="Петров Пётр Петрович",
                              email="petrov@example.ru", message="Счёт за отопление")
    log_in_as(make_user("admin", name="Ольга Админова"))
    client.post_form(f"/staff/bookings/{booking.code}/note", {"note": "Позвонить накануне"})
    client.post_form(f"/staff/bookings/{booking.code}/cancel", {"reason": "Дубликат"})
    html = text(client.get(f"/staff/bookings/{booking.code}"))
    for shown in ("Петров Пётр Петрович", "petrov@example.ru", "Счёт за отопление", "Южный филиал",
                  "Booked online by the citizen", "Позвонить накануне"):
        assert shown in html
    history = html.split('id="history-heading"', 1)[1]
    assert [re.sub(r"\s+", " ", cell) for cell in re.findall(r'<tr class="audit-(\w+)">', history)] == \
        ["created", "note", "cancelled"]
    assert "Citizen" in history and "online" in history
    assert "Administrator: Ольга Админова" in history and "Дубликат" in history
