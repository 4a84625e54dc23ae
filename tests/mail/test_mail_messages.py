"""What the citizen receives: confirmations, moves, cancellations, in Russian or English, with invites."""
from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes
from email import policy as email_policy

import sqlalchemy as sa

from booking import bookings as booking_ops
from booking.notify import common, delivery, outbox
from booking.models import OutboxMessage
from conftest import invite_of
from helpers import MSK, app_mailroom, details, slot_start

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=MSK)  # Monday
MONDAY = date(2026, 12, 7)
WEDNESDAY = date(2026, 12, 9)


def book(db, division, policy, start=None, now=NOW, **overrides):
    booking, token = booking_ops.create_booking(division, start or slot_start(WEDNESDAY, "10:20"),
                                             details(**overrides), now, policy=policy, mailroom=app_mailroom())
    db.session.commit()
    return booking, token


def deliver(now=NOW):
    return delivery.deliver_all_due(app_mailroom(), now)


def outbox_rows(db):
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message):
    return message.get_body(preferencelist=("html",)).get_content()


def test_a_booking_sends_one_confirmation_with_an_invite(db, make_division, policy, smtp_server, client):
    division = make_division(directions="Вход со двора", room="каб. 105")
    booking, token = book(db, division, policy)
    assert smtp_server.received == []  # nothing is sent while booking

    report = deliver()
    assert report.sent == 1
    deliver()  # a second run finds nothing more to send
    [received] = smtp_server.received
    assert received.rcpt_tos == ["petrov@example.ru"]
    message = received.message
    assert message["To"].addresses[0].addr_spec == "petrov@example.ru"
    assert message["To"].addresses[0].display_name == "Петров Пётр Петрович"
    assert message["Subject"] == f"Вы записаны на приём 9 декабря в 10:20, код {booking.code}"

    text = text_of(message)
    for expected in (booking.code, "среда, 9 декабря 2026", "10:20–10:40", "время московское",
                     "Москва, ул. Тестовая, д. 1, каб. 105", "Вход со двора", "паспорт",
                     f"https://priyom.example/bookings/{booking.code}?token={token}"):
        assert expected in text
    assert f"https://priyom.example/bookings/{booking.code}?token={token}" in html_of(message)
    # The link in the message opens the booking.
    assert client.get(f"/bookings/{booking.code}?token={token}").status_code == 200

    invite, calendar_part, attachment = invite_of(message)
    assert calendar_part.get_content_type() == "text/calendar"
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_content_charset() == "utf-8"
    assert attachment.get_filename() == "invite.ics"
    assert invite.method.value == "REQUEST"
    event = invite.vevent
    assert event.uid.value.startswith(f"booking-{booking.id}-")
    assert event.dtstart.value.astimezone(timezone.utc) == datetime(2026, 12, 9, 7, 20, tzinfo=timezone.utc)
    assert event.dtend.value.astimezone(timezone.utc) == datetime(2026, 12, 9, 7, 40, tzinfo=timezone.utc)
    assert int(event.sequence.value) == 0
    assert event.organizer.value.lower() == "mailto:priyom@priyom.example"
    assert event.attendee.value.lower() == "mailto:petrov@example.ru"
    # Calendars get shared: the invite carries no secret.
    assert token not in calendar_part.get_content()


def test_reschedule_sends_an_updated_invite_with_the_same_uid(db, make_division, policy, smtp_server, mailroom):
    division = make_division()
    booking, _token = book(db, division, policy)
    booking_ops.reschedule_booking(booking, slot_start(WEDNESDAY, "11:00"), NOW, policy=policy, mailroom=mailroom)
    db.session.commit()
    deliver()

    confirmation, notice = smtp_server.messages
    first, _, _ = invite_of(confirmation)
    moved, calendar_part, attachment = invite_of(notice)
    assert calendar_part.get_param("method") == "REQUEST"
    assert moved.method.value == "REQUEST"
    assert moved.vevent.uid.value == first.vevent.uid.value
    assert int(moved.vevent.sequence.value) > int(first.vevent.sequence.value)
    assert moved.vevent.dtstart.value.astimezone(timezone.utc) == datetime(2026, 12, 9, 8, 0, tzinfo=timezone.utc)
    assert notice["Subject"] == f"Приём перенесён на 9 декабря в 11:00, код {booking.code}"
    text = text_of(notice)
    assert "11:00–11:20" in text and "среда, 9 декабря 2026, 10:20" in text  # new time, and the old one
    assert f"https://priyom.example/bookings/{booking.code}/link" in text


def test_cancellation_sends_cancel_with_the_same_uid_and_higher_sequence(db, make_division, policy, smtp_server,
                                                                         mailroom):
    division = make_division()
    booking, _token = book(db, division, policy)
    booking_ops.reschedule_booking(booking, slot_start(WEDNESDAY, "11:00"), NOW, policy=policy, mailroom=mailroom)
    booking_ops.cancel_booking(booking, NOW, mailroom)
    db.session.commit()
    deliver()

    confirmation, moved, cancelled = smtp_server.messages
    sequences = [int(invite_of(m)[0].vevent.sequence.value) for m in (confirmation, moved, cancelled)]
    assert sequences == sorted(set(sequences))  # strictly growing
    invite, calendar_part, attachment = invite_of(cancelled)
    assert calendar_part.get_param("method") == "CANCEL"
    assert invite.method.value == "CANCEL"
    assert invite.vevent.uid.value == invite_of(confirmation)[0].vevent.uid.value
    assert invite.vevent.status.value == "CANCELLED"
    assert attachment.get_filename() == "cancel.ics"
    text = text_of(cancelled)
    assert "Вы отменили запись" in text
    assert ">Запись отменена</h1>" in html_of(cancelled)


def test_a_division_cancelling_says_so_and_gives_the_reason(db, make_division, policy, smtp_server, mailroom):
    division = make_division(name="Северный филиал")
    booking, _token = book(db, division, policy)
    booking_ops.cancel_booking(booking, NOW, mailroom, actor=booking_ops.Actor(kind="head"),
                               reason="Руководитель в командировке")
    db.session.commit()
    deliver()

    cancelled = smtp_server.messages[-1]
    text = text_of(cancelled)
    assert "К сожалению" in text and "Северный филиал не сможет принять вас" in text
    assert "Причина: Руководитель в командировке" in text
    assert "Вы отменили" not in text
    # Not «филиалом»: a department, an operator or the system may cancel as well.
    assert ">Приём отменён</h1>" in html_of(cancelled)
    assert invite_of(cancelled)[0].method.value == "CANCEL"


def test_english_booking_gets_english_mail(db, make_division, policy, smtp_server, mailroom):
    division = make_division(name="Северный филиал", name_en="Northern branch")
    booking, token = book(db, division, policy, locale="en")
    booking_ops.cancel_booking(booking, NOW, mailroom)
    db.session.commit()
    deliver()

    confirmation, cancelled = smtp_server.messages
    assert confirmation["Subject"] == f"You are booked for 9 December at 10:20 — code {booking.code}"
    text = text_of(confirmation)
    assert "Wednesday, 9 December 2026" in text and "Moscow time" in text and "Northern branch" in text
    assert "What to bring" in text and "Здравствуйте" not in text
    assert text.startswith("Dear Пётр Петрович,")
    assert "You are booked" in html_of(confirmation)
    assert "You have cancelled your appointment" in text_of(cancelled)


def test_header_injection_adds_no_header_and_no_recipient(db, make_division, policy, smtp_server, mailroom):
    division = make_division(name="Филиал\r\nBcc: victim@example.org\r\nX-Evil: 1")
    booking, _token = book(db, division, policy, full_name="Пётр\r\nBcc: thief@example.org\u2028X-Evil: 2\u202e")
    booking_ops.cancel_booking(booking, NOW, mailroom, actor=booking_ops.Actor(kind="head"), reason="a\r\nX-Evil: 3")
    db.session.commit()
    deliver()

    assert len(smtp_server.received) == 2
    for received in smtp_server.received:
        assert received.rcpt_tos == ["petrov@example.ru"]
        header_block = received.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
        assert "Bcc" not in header_block and "X-Evil" not in header_block
        message = received.message
        assert message["Bcc"] is None and message["X-Evil"] is None
        assert "\n" not in message["Subject"] and "\n" not in str(message["To"])
        assert message["To"].addresses[0].addr_spec == "petrov@example.ru"
    assert smtp_server.messages[0]["To"].addresses[0].display_name == "Пётр Bcc: thief@example.org X-Evil: 2"


def test_header_text_keeps_one_clean_line():
    assert common.header_text("a\r\nb\tc\u2028d\u0085e\u202ef\u200bg  h") == "a b c d e f g h"
    assert common.header_text("x" * 500) == "x" * 200


def test_an_invalid_address_is_kept_as_failed_for_staff(db, make_division, policy, smtp_server):
    division = make_division()
    booking, _token = book(db, division, policy, email="not an address")
    deliver()
    assert smtp_server.received == []
    [failed] = outbox.failed_messages()
    assert failed.booking_id == booking.id and failed.last_error.startswith("invalid address")


def test_the_private_link_is_removed_from_the_outbox_once_sent(db, make_division, policy, smtp_server):
    division = make_division()
    booking, token = book(db, division, policy)
    [row] = outbox_rows(db)
    # Until it is sent, the link is only in the finished message, not in what staff can read.
    assert token in message_from_bytes(row.raw_message, policy=email_policy.default).get_body(("plain",)).get_content()
    assert token not in row.body_text and token not in row.body_html
    assert f"/bookings/{booking.code}?token=[removed]" in row.body_text
    deliver()
    db.session.expire_all()
    [row] = outbox_rows(db)
    assert row.status == "sent" and row.sent_at is not None
    assert token not in row.body_text and token not in row.body_html and token not in row.ics
    assert row.raw_message is None
    [received] = smtp_server.messages
    assert f"/bookings/{booking.code}?token={token}" in received.get_body(("plain",)).get_content()


def test_queuing_twice_keeps_one_message(db, make_division, policy, smtp_server, mailroom):
    division = make_division()
    booking, token = book(db, division, policy)
    assert outbox.queue_confirmation(mailroom, booking, token, NOW) is False
    db.session.commit()
    deliver()
    assert len(smtp_server.received) == 1


def test_a_failed_change_leaves_no_message(db, make_division, policy, smtp_server, mailroom):
    division = make_division()
    booking, _token = book(db, division, policy)
    other, _ = book(db, division, policy, start=slot_start(WEDNESDAY, "11:00"), email="b@example.ru",
                    phone="+79160000002")
    try:
        booking_ops.reschedule_booking(booking, slot_start(WEDNESDAY, "11:00"), NOW, policy=policy, mailroom=mailroom)
    except booking_ops.SlotTaken:
        db.session.rollback()
    assert [row.kind for row in outbox_rows(db)] == ["confirmation", "confirmation"]


def test_messages_are_written_in_the_bookings_transaction(db, make_division, policy, smtp_server, mailroom):
    division = make_division()
    booking_ops.create_booking(division, slot_start(WEDNESDAY, "10:20"), details(), NOW, policy=policy,
                               mailroom=mailroom)
    db.session.rollback()
    assert outbox_rows(db) == []


def test_later_messages_offer_a_fresh_link_instead_of_the_token(db, make_division, policy, smtp_server, client,
                                                                mailroom):
    division = make_division()
    booking, old_token = book(db, division, policy, start=slot_start(MONDAY + timedelta(days=7), "10:20"))
    booking_ops.reschedule_booking(booking, slot_start(MONDAY + timedelta(days=7), "11:00"), NOW, policy=policy,
                                   mailroom=mailroom)
    db.session.commit()
    deliver()
    notice = smtp_server.messages[-1]
    assert old_token not in notice.as_string()

    # The citizen asks for a new link with the address of the booking; a wrong address gets the same answer.
    page = client.get(f"/bookings/{booking.code}/link")
    assert page.status_code == 200
    answers = []
    for address in ("someone@example.ru", "Petrov@Example.ru"):
        response = client.post(f"/bookings/{booking.code}/link", data={"email": address}, follow_redirects=True)
        answers.append((response.status_code, response.get_data()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200 and "a new link is on its way" in answers[0][1].decode()
    delivery.deliver_all_due(mailroom, datetime.now(timezone.utc))
    link_message = smtp_server.messages[-1]
    assert len(smtp_server.received) == 3
    assert link_message["Subject"] == f"Новая ссылка на запись {booking.code}"
    [renewal_url] = [word for word in text_of(link_message).split() if "/link/" in word]
    path = renewal_url.removeprefix("https://priyom.example")

    # Following the link changes nothing (mail scanners follow links); the button renews the token.
    assert client.get(path).status_code == 200
    assert client.get(f"/bookings/{booking.code}?token={old_token}").status_code == 200
    renewed = client.post(path)
    assert renewed.status_code == 303
    new_url = renewed.headers["Location"]
    assert client.get(new_url).status_code == 200
    assert client.get(f"/bookings/{booking.code}?token={old_token}").status_code == 404
    # Single use.
    assert client.post(path).status_code == 410
    assert client.get(path).status_code == 410


def test_asking_for_links_repeatedly_sends_one_per_quarter_hour(db, make_division, policy, smtp_server, client):
    division = make_division()
    booking, _token = book(db, division, policy)
    for _ in range(3):
        client.post(f"/bookings/{booking.code}/link", data={"email": "petrov@example.ru"})
    kinds = [row.kind for row in outbox_rows(db)]
    assert kinds.count("manage_link") == 1
