"""Personal data retention: old bookings lose the citizen's details and keep their statistics."""
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from booking import bookings as booking_ops
from booking.bookings import retention
from booking.models import AuditEntry, Booking, BookingStatus, OutboxMessage
from booking.core.timeutil import now_utc
from helpers import MSK, first_free_day, slot_start

# Monday 2024-12-02: a visit long past.
OLD_NOW = datetime(2024, 12, 2, 8, 0, tzinfo=MSK)
OLD_DAY = date(2024, 12, 2)
PERSONAL = ("full_name", "phone", "email", "address", "account", "message", "staff_note")


@pytest.fixture
def old_and_recent(db, make_division, make_booking, mailroom):
    """A visit of December 2024 (with a note, audit entries and e-mails) and an upcoming one."""
    division = make_division()
    old, old_token = make_booking(division, slot_start(OLD_DAY, "10:20"), now=OLD_NOW, full_name="Старов Олег",
                                  address="Москва, ул. Старая, д. 1", account="1234567890",
                                  message="Нет отопления с октября", topic="heating")
    old.staff_note = "Звонил дважды, просил перезвонить на +79160000000"
    booking_ops.cancel_booking(old, OLD_NOW + timedelta(minutes=5), mailroom, reason="по просьбе Старова")
    db.session.add_all([
        OutboxMessage(booking_id=old.id, kind="confirmation", recipient=old.email, subject="Запись K7Q",
                      body_text="Старов Олег, вы записаны", body_html="<p>Старов Олег</p>", ics="BEGIN:VCALENDAR",
                      status="sent", last_error="550 old@example.ru unknown"),
        OutboxMessage(booking_id=old.id, kind="reminder", recipient=old.email, subject="Напоминание",
                      body_text="Старов Олег", status="pending", raw_message="To: Старов Олег".encode()),
    ])
    db.session.commit()
    recent, recent_token = make_booking(division, slot_start(first_free_day(), "10:00"), full_name="Новиков Николай")
    return old, old_token, recent, recent_token


def test_purge_blanks_personal_data_and_keeps_the_statistics(db, old_and_recent):
    old, old_token, recent, recent_token = old_and_recent
    before = {"division_id": old.division_id, "start_utc": old.start_utc, "end_utc": old.end_utc,
              "topic": old.topic, "status": old.status, "channel": old.channel, "code": old.code}
    now = now_utc()

    assert retention.purge_personal_data(now - timedelta(days=365), now) == 1
    db.session.commit()
    db.session.expire_all()

    old = db.session.get(Booking, old.id)
    assert {name: getattr(old, name) for name in PERSONAL} == dict.fromkeys(PERSONAL, "")
    assert {name: getattr(old, name) for name in before} == before
    assert old.status == BookingStatus.CANCELLED
    assert old.purged_at == now
    assert booking_ops.find_booking(old.code, old_token) is None  # the manage link is dead

    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.booking_id == old.id)).all()
    assert [e.action for e in entries] == ["created", "cancelled"]
    assert {e.detail for e in entries} == {""}

    messages = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.booking_id == old.id)
                                  .order_by(OutboxMessage.id)).all()
    for message in messages:
        assert (message.recipient, message.subject, message.body_text, message.body_html, message.ics) == \
            ("", "", "", "", "")
        assert message.raw_message is None
    # What went out stays "sent"; what had not gone out yet will never go.
    outcomes = [(m.status, m.last_error) for m in messages]
    assert outcomes.count(("sent", "")) == 1
    assert set(outcomes) == {("sent", ""), ("failed", "personal data purged")}

    recent = db.session.get(Booking, recent.id)
    assert recent.full_name == "Новиков Николай" and recent.purged_at is None
    assert booking_ops.find_booking(recent.code, recent_token) is recent


def test_purging_again_changes_nothing(db, old_and_recent):
    old = old_and_recent[0]
    first = now_utc()
    assert retention.purge_personal_data(first - timedelta(days=365), first) == 1
    db.session.commit()
    later = first + timedelta(days=1)
    assert retention.purge_personal_data(later - timedelta(days=365), later) == 0
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Booking, old.id).purged_at == first


def test_a_visit_is_kept_until_it_ended_more_than_the_retention_period_ago(db, old_and_recent):
    old = old_and_recent[0]
    assert retention.purge_personal_data(old.end_utc, old.end_utc + timedelta(days=365)) == 0
    assert retention.purge_personal_data(old.end_utc + timedelta(seconds=1), old.end_utc) == 1


def test_the_command_uses_retention_days_by_default(app, runner, db, old_and_recent):
    old, _token, recent, _recent_token = old_and_recent
    age = (now_utc() - old.end_utc).days
    app.config["RETENTION_DAYS"] = age + 1
    result = runner.invoke(args=["purge-personal-data"])
    assert result.exit_code == 0, result.output
    assert f"0 booking(s) whose visit ended more than {age + 1} days ago" in result.output

    result = runner.invoke(args=["purge-personal-data", "--older-than", str(age - 1)])
    assert result.exit_code == 0, result.output
    assert "1 booking(s)" in result.output
    db.session.expire_all()
    assert db.session.get(Booking, old.id).full_name == ""
    assert db.session.get(Booking, recent.id).full_name == "Новиков Николай"

    assert "0 booking(s)" in runner.invoke(args=["purge-personal-data", "--older-than", "0"]).output


def test_the_command_refuses_a_negative_age(runner):
    result = runner.invoke(args=["purge-personal-data", "--older-than", "-1"])
    assert result.exit_code == 2


def test_retention_defaults_to_a_year(app):
    assert app.config["RETENTION_DAYS"] == 365
