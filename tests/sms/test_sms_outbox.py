"""What goes by SMS and when, the texts themselves, and Kannel's delivery reports (no gateway needed)."""

import pytest
import sqlalchemy as sa

from booking.models import OutboxMessage
from booking.notify import delivery, outbox, sms
from booking.notify.common import Kind
from booking.core.timeutil import now_utc
from helpers import MSK, csrf_token, first_free_day, next_weekday, slot_start

GATEWAY = "http://127.0.0.1:9/cgi-bin/sendsms"  # never reached: these tests deliver nothing


def rows(db, channel):
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.channel == channel)
                              .order_by(OutboxMessage.id)).all()


def test_without_a_gateway_nothing_is_queued_for_sms(db, make_division, make_booking):
    division = make_division()
    make_booking(division, slot_start(first_free_day(), "10:00"), email="")
    make_booking(division, slot_start(first_free_day(), "10:20"))
    assert rows(db, "sms") == [] and len(rows(db, "email")) == 1


@pytest.mark.parametrize("notify,expected", [("no-email", 1), ("all", 2)])
def test_sms_go_to_bookings_without_e_mail_or_to_all(app, db, make_division, make_booking, notify, expected, mailroom):
    app.config.update(SMS_GATEWAY_URL=GATEWAY, SMS_NOTIFY=notify)
    division = make_division()
    make_booking(division, slot_start(first_free_day(), "10:00"), email="", phone="+79030000001")
    make_booking(division, slot_start(first_free_day(), "10:20"), phone="+79030000002")
    texts = rows(db, "sms")
    assert [r.recipient for r in texts] == ["+79030000001", "+79030000002"][:expected]
    assert len(rows(db, "email")) == 1
    # The e-mail worker leaves SMS alone, whatever happens to the mail server.
    assert delivery.deliver_due(mailroom, now_utc()).claimed == 0


def test_a_phone_only_booking_gets_its_reminder_by_sms(app, db, make_division, make_booking, mailroom):
    from datetime import timedelta
    app.config.update(SMS_GATEWAY_URL=GATEWAY)
    start = slot_start(first_free_day(), "10:00")
    booking, _ = make_booking(make_division(), start, email="", now=start - timedelta(days=2))
    assert outbox.queue_due_reminders(mailroom, start - timedelta(hours=23)) == 1
    db.session.commit()
    assert [r.kind for r in rows(db, "sms")] == ["confirmation", "reminder"]
    assert rows(db, "sms")[1].body_text.startswith("Напоминаем: приём ")


SAMPLE_DIVISIONS = [("Северный филиал", "Northern branch"), ("Абонентский отдел", "Customer service"),
                    ("Отдел расчётов", "Billing department")]


@pytest.mark.parametrize("name,name_en", SAMPLE_DIVISIONS)
def test_texts_are_short_with_code_and_time_and_no_secret(db, make_division, make_booking, name, name_en):
    booking, token = make_booking(make_division(name=name, name_en=name_en, start="09:00"),
                                  slot_start(next_weekday(0, first_free_day()), "09:00"))
    for lang in ("ru", "en"):
        for kind in (Kind.CONFIRMATION, Kind.RESCHEDULE, Kind.CANCELLATION, Kind.REMINDER):
            text = sms.compose(kind, booking, lang, MSK)
            assert booking.code in text and "09:00" in text and token not in text
            assert sms.segments(text) == 1, text
            assert len(text) <= (70 if sms.needs_unicode(text) else 160)
    ru = sms.compose(Kind.CONFIRMATION, booking, "ru", MSK)
    day = f"{booking.start_utc.astimezone(MSK):%d.%m}"
    assert ru == f"Вы записаны на приём пн {day} в 09:00, {name}. Код {booking.code}"
    en = sms.compose(Kind.CONFIRMATION, booking, "en", MSK)
    assert en.startswith("Booked: Mon ") and name_en in en and not sms.needs_unicode(en)


def test_a_long_division_name_is_left_out_to_stay_in_one_segment(db, make_division, make_booking):
    booking, _ = make_booking(make_division(name="Управление эксплуатации тепловых сетей Юго-Западного округа"),
                              slot_start(first_free_day(), "10:00"))
    text = sms.compose(Kind.REMINDER, booking, "ru", MSK)
    assert text == f"Напоминаем: приём {sms.when_text(booking.start_utc, 'ru', MSK)}. Код {booking.code}"
    assert len(text) <= 70


def test_segments_count_like_a_phone():
    assert sms.segments("a" * 160) == 1 and sms.segments("a" * 161) == 2
    assert sms.segments("я" * 70) == 1 and sms.segments("я" * 71) == 2 and sms.segments("я" * 135) == 3


@pytest.fixture
def sent_sms(app, db, make_division, make_booking):
    """An SMS already handed to the gateway."""
    app.config.update(SMS_GATEWAY_URL=GATEWAY)
    make_booking(make_division(), slot_start(first_free_day(), "10:00"), email="", phone="+79035550000")
    [row] = rows(db, "sms")
    row.status = "sent"
    db.session.commit()
    return row


def test_a_delivery_report_needs_the_signature_of_its_message(client, db, sent_sms, mailroom):
    other = sms.report_signature(mailroom, sent_sms.id + 1)
    assert client.get(f"/sms/dlr/{sent_sms.id}?status=2&sig={other}").status_code == 404
    assert client.get(f"/sms/dlr/{sent_sms.id}?status=2").status_code == 404
    db.session.refresh(sent_sms)
    assert sent_sms.status == "sent" and sent_sms.delivery_status == ""
    good = sms.report_signature(mailroom, sent_sms.id)
    assert client.get(f"/sms/dlr/{sent_sms.id}?status=1&sig={good}").status_code == 204
    db.session.refresh(sent_sms)
    assert sent_sms.delivery_status == "delivered"


def test_an_sms_the_operator_could_not_deliver_is_listed_for_administrators(client, db, sent_sms, make_user,
                                                                            log_in_as, mailroom):
    url = sms.report_url(mailroom, sent_sms.id).replace("%d", "2")
    assert client.get(url[url.index("/sms/"):]).status_code == 204
    db.session.refresh(sent_sms)
    assert sent_sms.status == "failed" and sent_sms.delivery_status == "failed"
    log_in_as(make_user("admin", email="admin@priyom.example", name="Admin"))
    html = client.get("/staff/outbox").get_data(as_text=True)
    assert "+79035550000" in html and "SMS · Confirmation" in html and "could not deliver the SMS" in html


def test_a_kind_of_message_without_an_sms_text_goes_by_e_mail_only(app, db, make_division, make_booking, mailroom):
    app.config.update(SMS_GATEWAY_URL=GATEWAY, SMS_NOTIFY="all")
    booking, _ = make_booking(make_division(), slot_start(first_free_day(), "10:00"))
    assert sms.queue_for(mailroom, "answer", booking, now_utc(), f"answer:{booking.id}") is False
    assert sms.queue_for(mailroom, Kind.REMINDER, booking, now_utc(), f"reminder:{booking.id}:x:24h") is True


def test_staff_are_told_a_visitor_without_e_mail_gets_sms(app, client, db, make_division, make_booking, make_user,
                                                          log_in_as):
    app.config.update(SMS_GATEWAY_URL=GATEWAY)
    booking, _ = make_booking(make_division(), slot_start(first_free_day(), "10:00"), email="", phone="+79167654321")
    log_in_as(make_user("operator", email="operator@priyom.example", name="Op"))
    page = client.get(f"/staff/bookings/{booking.code}").get_data(as_text=True)
    assert "none: changes are sent by SMS" in page and "tell the visitor by phone" not in page
    client.post(f"/staff/bookings/{booking.code}/cancel", data={"csrf_token": csrf_token(page), "reason": ""})
    page = client.get(f"/staff/bookings/{booking.code}").get_data(as_text=True).replace("\xa0", " ")
    assert "The visitor has no e-mail and is told by SMS at +7 916 765-43-21." in page
    assert [r.kind for r in rows(db, "sms")] == ["confirmation", "cancellation"]
