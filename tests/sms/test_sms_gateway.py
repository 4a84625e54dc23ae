"""SMS end to end: the outbox hands texts to a real Kannel, fakesmsc receives them, Kannel reports back."""
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from booking.core.timeutil import now_utc
from booking.models import OutboxMessage
from booking import bookings
from booking.notify import delivery, sms
from helpers import first_free_day, slot_start


@pytest.fixture
def app_config(app_config, kannel):
    return {**app_config, "SMS_GATEWAY_URL": kannel.sendsms_url, "SMS_USERNAME": kannel.username,
            "SMS_PASSWORD": kannel.password,
            "SMS_SENDER": "Priyom", "MAIL_RETRY_BASE_SECONDS": 60}


def sms_rows(db):
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.channel == "sms")
                              .order_by(OutboxMessage.id)).all()


def wait_for_report(db, message_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        status = db.session.get(OutboxMessage, message_id).delivery_status
        db.session.commit()
        if status:
            return status
        time.sleep(0.05)
    return ""


def test_a_booking_without_e_mail_gets_its_confirmation_by_sms_once(db, gateway, served, runner, make_division,
                                                                       make_booking):
    division = make_division(name="Северный филиал")
    booking, _token = make_booking(division, slot_start(first_free_day(), "10:20"), email="", phone="+79031234567")
    [row] = sms_rows(db)
    assert row.kind == "confirmation" and row.recipient == "+79031234567" and row.status == "pending"

    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    runner.invoke(args=["send-mail"])  # a second run sends nothing again
    gateway.wait_for_messages(1)
    time.sleep(0.3)
    [message] = gateway.messages()
    assert message.receiver == "+79031234567" and message.sender == "Priyom" and message.parts == 1
    assert message.text.startswith("Вы записаны на приём ") and booking.code in message.text
    assert message.text == row.body_text and len(message.text) <= 70
    assert "token" not in message.text

    assert wait_for_report(db, row.id) == "delivered"
    db.session.refresh(row)
    assert row.status == "sent" and row.attempts == 1


def test_a_gateway_that_is_down_is_retried_and_nothing_is_lost(db, gateway, served, make_division, make_booking,
                                                               mailroom):
    division = make_division(name_en="Northern branch")
    day = first_free_day()
    gateway.stop()
    try:
        for clock in ("10:00", "10:40", "11:20"):
            make_booking(division, slot_start(day, clock), email="", locale="en")
        now = now_utc()
        report = delivery.deliver_all_due(mailroom, now)
        assert report.sent == 0 and report.retried == 3 and report.outages == 1
        rows = sms_rows(db)
        assert [r.status for r in rows] == ["pending"] * 3
        assert all(r.attempts == 1 and "SMS gateway unavailable" in r.last_error for r in rows)
        # Not due yet: the back-off holds them.
        assert delivery.deliver_all_due(mailroom, now + timedelta(seconds=30)).claimed == 0
    finally:
        gateway.start()
    report = delivery.deliver_all_due(mailroom, now + timedelta(seconds=61))
    assert report.sent == 3
    gateway.wait_for_messages(3)
    time.sleep(0.3)
    received = gateway.messages()
    assert len(received) == 3
    assert sorted(m.text for m in received) == sorted(r.body_text for r in sms_rows(db))
    # English in GSM 7-bit letters: one 160-character segment.
    assert all(not sms.needs_unicode(m.text) and m.parts == 1 and m.text.startswith("Booked: ")
               and "Northern branch" in m.text for m in received), received
    assert delivery.deliver_all_due(mailroom, now + timedelta(hours=1)).claimed == 0


def test_a_move_and_a_cancellation_are_sent_by_sms(db, gateway, served, make_division, make_booking, policy, mailroom):
    division = make_division()
    day = first_free_day()
    booking, _ = make_booking(division, slot_start(day, "10:00"), email="")
    bookings.reschedule_booking(booking, slot_start(day, "11:00"), now_utc(), policy=policy, mailroom=mailroom)
    bookings.cancel_booking(booking, now_utc(), mailroom)
    db.session.commit()
    assert delivery.deliver_all_due(mailroom, now_utc()).sent == 3
    texts = [m.text for m in gateway.wait_for_messages(3)]
    assert texts[1].startswith("Приём перенесён на ") and "11:00" in texts[1]
    assert texts[2].startswith("Приём ") and "отменён" in texts[2] and booking.code in texts[2]
    assert all(len(t) <= 70 for t in texts)


def test_two_workers_at_once_send_each_text_once(app, db, gateway, served, make_division, make_booking, mailroom):
    import threading
    division = make_division(places=12)
    for n in range(12):
        make_booking(division, slot_start(first_free_day(), "10:00"), email="", phone=f"+7903555{n:04d}")
    now = now_utc()
    reports = []

    def worker():
        with app.app_context():
            reports.append(delivery.deliver_all_due(mailroom, now, batch_size=3))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r.sent for r in reports) == 12
    gateway.wait_for_messages(12)
    time.sleep(0.5)
    receivers = [m.receiver for m in gateway.messages()]
    assert sorted(receivers) == [f"+7903555{n:04d}" for n in range(12)]


def test_texts_claimed_by_a_worker_that_died_go_out_within_the_minute(db, gateway, served, make_division,
                                                                         make_booking, mailroom):
    division = make_division(places=2)
    start = slot_start(first_free_day(), "10:20")
    make_booking(division, start, email="", phone="+79031234501")
    make_booking(division, start, email="", phone="+79031234502")
    now = now_utc()
    outbox = OutboxMessage.__table__
    # One claimed 40 s ago by a worker that has not beaten since (killed), one a moment ago by a live one.
    db.session.execute(outbox.update().where(outbox.c.recipient == "+79031234501")
                       .values(status="sending", claimed_by="dead-worker", claimed_at=now - timedelta(seconds=40)))
    db.session.execute(outbox.update().where(outbox.c.recipient == "+79031234502")
                       .values(status="sending", claimed_by="busy-worker", claimed_at=now - timedelta(seconds=2)))
    db.session.commit()

    report = sms.deliver_all_due(mailroom, now)
    assert report.sent == 1
    gateway.wait_for_messages(1)
    assert [m.receiver for m in gateway.messages()] == ["+79031234501"]
    statuses = {row.recipient: (row.status, row.attempts) for row in sms_rows(db)}
    assert statuses == {"+79031234501": ("sent", 2), "+79031234502": ("sending", 0)}
