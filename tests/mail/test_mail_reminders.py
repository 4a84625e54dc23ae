"""Reminders: at their time, once, only for active bookings made before the reminder time."""
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from booking import bookings as booking_ops
from booking.models import OutboxMessage
from helpers import MSK, app_mailroom, details, slot_start

MONDAY_MORNING = datetime(2026, 12, 7, 8, 0, tzinfo=MSK)
WEDNESDAY = date(2026, 12, 9)
THURSDAY = date(2026, 12, 10)


def book(db, policy, division, start, now=MONDAY_MORNING, **overrides):
    booking, _token = booking_ops.create_booking(division, start, details(**overrides), now, policy=policy,
                                                 mailroom=app_mailroom())
    db.session.commit()
    return booking


def send_reminders(runner, at):
    result = runner.invoke(args=["send-reminders", "--now", at])
    assert result.exit_code == 0, result.output
    return result.output


def reminders(smtp_server):
    return [m for m in smtp_server.messages if m["Subject"].startswith(("Напоминание", "Reminder"))]


def test_each_reminder_is_sent_once_at_its_time(db, policy, make_division, runner, smtp_server):
    booking = book(db, policy, make_division(), slot_start(WEDNESDAY, "10:20"))

    assert "Reminders queued: 0" in send_reminders(runner, "2026-12-08T10:19:00+03:00")
    assert reminders(smtp_server) == []
    assert "Reminders queued: 1" in send_reminders(runner, "2026-12-08T10:21:00+03:00")
    assert "Reminders queued: 0" in send_reminders(runner, "2026-12-08T10:21:00+03:00")
    assert "Reminders queued: 0" in send_reminders(runner, "2026-12-08T15:00:00+03:00")

    [reminder] = reminders(smtp_server)
    assert reminder["Subject"] == f"Напоминание: приём 9 декабря в 10:20, код {booking.code}"
    text = reminder.get_body(preferencelist=("plain",)).get_content()
    assert "среда, 9 декабря 2026, 10:20–10:40" in text and booking.code in text and "паспорт" in text
    assert f"https://priyom.example/bookings/{booking.code}/link" in text
    assert len(smtp_server.messages) == 2  # the confirmation and one reminder


def test_a_time_without_offset_is_moscow_time(db, policy, make_division, runner, smtp_server):
    book(db, policy, make_division(), slot_start(WEDNESDAY, "10:20"))
    assert "Reminders queued: 1" in send_reminders(runner, "2026-12-08T10:21")


def test_no_reminder_for_a_booking_made_after_its_reminder_time(db, policy, make_division, runner, smtp_server):
    book(db, policy, make_division(), slot_start(WEDNESDAY, "10:20"), now=datetime(2026, 12, 8, 12, 0, tzinfo=MSK))
    for at in ("2026-12-08T12:05:00+03:00", "2026-12-09T09:00:00+03:00", "2026-12-09T10:19:00+03:00"):
        assert "Reminders queued: 0" in send_reminders(runner, at)
    assert reminders(smtp_server) == []


def test_no_reminder_for_a_cancelled_booking(db, policy, make_division, runner, smtp_server, mailroom):
    booking = book(db, policy, make_division(), slot_start(WEDNESDAY, "10:20"))
    booking_ops.cancel_booking(booking, MONDAY_MORNING + timedelta(hours=1), mailroom)
    db.session.commit()
    assert "Reminders queued: 0" in send_reminders(runner, "2026-12-08T10:21:00+03:00")
    assert reminders(smtp_server) == []


def test_no_reminder_once_the_visit_has_begun(db, policy, make_division, runner, smtp_server):
    book(db, policy, make_division(), slot_start(WEDNESDAY, "10:20"))
    assert "Reminders queued: 0" in send_reminders(runner, "2026-12-09T10:20:00+03:00")


def test_a_moved_booking_is_reminded_of_its_new_time(db, policy, make_division, runner, smtp_server, mailroom):
    booking = book(db, policy, make_division(), slot_start(WEDNESDAY, "10:20"))
    send_reminders(runner, "2026-12-08T10:21:00+03:00")
    booking_ops.reschedule_booking(db.session.get(type(booking), booking.id), slot_start(THURSDAY, "11:00"),
                                datetime(2026, 12, 8, 11, 0, tzinfo=MSK), policy=policy, mailroom=mailroom)
    db.session.commit()
    assert "Reminders queued: 0" in send_reminders(runner, "2026-12-09T10:21:00+03:00")
    assert "Reminders queued: 1" in send_reminders(runner, "2026-12-09T11:01:00+03:00")
    subjects = [m["Subject"] for m in reminders(smtp_server)]
    assert subjects == [f"Напоминание: приём 9 декабря в 10:20, код {booking.code}",
                        f"Напоминание: приём 10 декабря в 11:00, код {booking.code}"]


def test_a_booking_moved_after_the_new_reminder_time_gets_none(db, policy, make_division, runner, smtp_server,
                                                               mailroom):
    booking = book(db, policy, make_division(), slot_start(WEDNESDAY, "10:20"))
    # Moved on Tuesday at noon to Wednesday 11:00, less than a day ahead: the move notice says it all.
    booking_ops.reschedule_booking(booking, slot_start(WEDNESDAY, "11:00"), datetime(2026, 12, 8, 12, 0, tzinfo=MSK),
                                policy=policy, mailroom=mailroom)
    db.session.commit()
    for at in ("2026-12-08T12:05:00+03:00", "2026-12-09T10:50:00+03:00"):
        assert "Reminders queued: 0" in send_reminders(runner, at)


def test_several_reminder_times(app, db, policy, make_division, runner, smtp_server):
    app.config["MAIL_REMINDER_HOURS"] = "24, 2"
    division = make_division(places=2)
    early = book(db, policy, division, slot_start(WEDNESDAY, "10:20"))
    late = book(db, policy, division, slot_start(WEDNESDAY, "10:20"), email="late@example.ru", phone="+79160000001",
                now=datetime(2026, 12, 8, 20, 0, tzinfo=MSK))
    send_reminders(runner, "2026-12-08T10:21:00+03:00")  # 24 h: only the booking made on Monday
    send_reminders(runner, "2026-12-09T08:21:00+03:00")  # 2 h: both
    send_reminders(runner, "2026-12-09T08:30:00+03:00")
    recipients = sorted(m["To"].addresses[0].addr_spec for m in reminders(smtp_server))
    assert recipients == ["late@example.ru", "petrov@example.ru", "petrov@example.ru"]
    keys = set(db.session.scalars(sa.select(OutboxMessage.dedup_key).where(OutboxMessage.kind == "reminder")))
    assert keys == {f"reminder:{early.id}:20261209T072000Z:24h", f"reminder:{early.id}:20261209T072000Z:2h",
                    f"reminder:{late.id}:20261209T072000Z:2h"}


def test_a_late_run_sends_only_the_latest_due_reminder(app, db, policy, make_division, runner, smtp_server):
    app.config["MAIL_REMINDER_HOURS"] = "24,2"
    book(db, policy, make_division(), slot_start(WEDNESDAY, "10:20"))
    send_reminders(runner, "2026-12-09T09:30:00+03:00")  # nothing ran for a day
    [reminder] = reminders(smtp_server)
    assert db.session.scalar(sa.select(OutboxMessage.dedup_key).where(OutboxMessage.kind == "reminder")).endswith(":2h")


def test_an_english_booking_is_reminded_in_english(db, policy, make_division, runner, smtp_server):
    booking = book(db, policy, make_division(), slot_start(WEDNESDAY, "10:20"), locale="en")
    send_reminders(runner, "2026-12-08T10:21:00+03:00")
    [reminder] = reminders(smtp_server)
    assert reminder["Subject"] == f"Reminder: appointment on 9 December at 10:20 — code {booking.code}"
    assert "Wednesday, 9 December 2026" in reminder.get_body(preferencelist=("plain",)).get_content()


def test_a_bad_instant_is_refused(runner):
    result = runner.invoke(args=["send-reminders", "--now", "tomorrow"])
    assert result.exit_code == 2 and "ISO 8601" in result.output


def test_reminder_hours_accept_a_list_in_any_form():
    from booking.notify.common import reminder_offsets

    assert reminder_offsets("24,2") == reminder_offsets([2, 24]) == [timedelta(hours=2), timedelta(hours=24)]
    assert reminder_offsets(24) == reminder_offsets("24") == [timedelta(hours=24)]
    assert reminder_offsets("0.5, 24, 24") == [timedelta(minutes=30), timedelta(hours=24)]
    with pytest.raises(ValueError):
        reminder_offsets("24,-1")
