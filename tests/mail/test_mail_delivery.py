"""Delivery: outages, back-off, refusals, time-outs, crashed workers, many messages, concurrent workers."""
import socket
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from booking import bookings as booking_ops
from booking.notify import delivery, outbox
from booking.notify.common import sender_address
from booking.notify.compose import build_email, email_bytes
from booking.database import outcome_connection
from booking.models import OutboxMessage
from booking.core.timeutil import now_utc
from conftest import flask_command
from helpers import first_free_day, slot_start


def rows(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def web_booking(client, division, start, email="petrov@example.ru", phone="+79161234567"):
    return client.post(f"/divisions/{division.slug}/book", data={
        "start": start.isoformat(), "full_name": "Петров Пётр Петрович", "phone": phone, "email": email,
        "topic": "heating", "message": "Холодные батареи", "consent": "y"})


def api_booking(client, division, start, key, email="ivanova@example.ru", phone="+79161234568"):
    return client.post("/api/v1/bookings", headers={"X-API-Key": key}, json={
        "division": division.slug, "start": start.isoformat(), "name": "Иванова Анна", "email": email,
        "phone": phone, "topic": "billing", "consent": True})


def test_booking_succeeds_while_the_mail_server_is_down_and_mail_follows(db, client, make_division,
                                                                         smtp_server, api_key, mailroom):
    division = make_division(places=2)
    start = slot_start(first_free_day(), "10:20")
    smtp_server.stop()

    assert web_booking(client, division, start).status_code == 303
    assert api_booking(client, division, start, api_key).status_code == 201

    t0 = now_utc()
    report = delivery.deliver_all_due(mailroom, t0)
    assert (report.sent, report.retried, report.connections) == (0, 2, 0)
    for row in rows(db):
        assert row.status == "pending" and row.attempts == 1
        assert row.next_attempt_at == t0 + timedelta(seconds=60)
        assert "Connection refused" in row.last_error or "Errno" in row.last_error

    smtp_server.start()
    assert delivery.deliver_all_due(mailroom, t0 + timedelta(seconds=30)).claimed == 0  # back-off honoured
    assert smtp_server.received == []
    assert delivery.deliver_all_due(mailroom, t0 + timedelta(seconds=61)).sent == 2
    assert delivery.deliver_all_due(mailroom, t0 + timedelta(minutes=10)).claimed == 0
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == ["ivanova@example.ru", "petrov@example.ru"]
    assert [row.status for row in rows(db)] == ["sent", "sent"]


def test_back_off_doubles_then_the_message_fails_and_staff_can_requeue_it(app, db, make_division, make_booking,
                                                                          smtp_server, mailroom):
    app.config["MAIL_MAX_ATTEMPTS"] = 4
    smtp_server.stop()
    booking, _token = make_booking(make_division(), slot_start(first_free_day(), "10:20"))
    now = now_utc()
    delays = []
    for _ in range(4):
        delivery.deliver_all_due(mailroom, now)
        [row] = rows(db)
        if row.status == "failed":
            break
        delays.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert delays == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert row.status == "failed" and row.attempts == 4
    assert outbox.failed_messages() == [row]

    smtp_server.start()
    assert outbox.requeue(row, now) is True
    db.session.commit()
    assert delivery.deliver_all_due(mailroom, now).sent == 1
    assert [r.rcpt_tos for r in smtp_server.received] == [[booking.email]]


def test_every_attempt_sends_the_bytes_written_when_the_message_was_queued(db, make_division, make_booking,
                                                                           smtp_server, mailroom):
    smtp_server.handler.refuse = {"later@example.ru": "451 4.3.0 Try again later"}
    queued_at = now_utc() - timedelta(minutes=5)
    booking, token = make_booking(make_division(), slot_start(first_free_day(), "10:20"), email="later@example.ru",
                                  now=queued_at)
    [row] = rows(db)
    queued = row.raw_message
    assert queued.startswith(b"Content-Type: multipart/mixed")

    assert delivery.deliver_all_due(mailroom, now_utc()).retried == 1
    [row] = rows(db)
    assert row.status == "pending" and row.raw_message == queued  # kept for the next attempt

    smtp_server.handler.refuse = {}
    assert delivery.deliver_all_due(mailroom, row.next_attempt_at).sent == 1
    [received] = smtp_server.received
    assert received.data.replace(b"\r\n", b"\n") == queued.replace(b"\r\n", b"\n")
    message = received.message
    assert message["Date"].datetime == queued_at.replace(microsecond=0)  # when it was written, not sent
    assert message["To"].addresses[0].addr_spec == "later@example.ru"
    assert message["To"].addresses[0].display_name == booking.full_name
    [row] = rows(db)
    # Once sent, neither the finished bytes nor the texts keep the private link.
    assert row.status == "sent" and row.raw_message is None
    assert token not in row.body_text and token not in row.body_html


def test_a_row_without_a_finished_message_is_refused_not_sent_half_made(db, make_division, make_booking,
                                                                        smtp_server, mailroom):
    """Every e-mail is finished when queued (older ones by a migration); a row written by hand without it fails."""
    make_booking(make_division(), slot_start(first_free_day(), "10:20"))
    db.session.execute(sa.update(OutboxMessage).values(raw_message=None))
    db.session.commit()
    report = delivery.deliver_all_due(mailroom, now_utc())
    assert (report.sent, report.failed) == (0, 1) and smtp_server.messages == []
    [row] = rows(db)
    assert row.status == "failed" and "no finished message" in row.last_error


def test_a_permanent_refusal_fails_at_once_a_temporary_one_is_retried(db, make_division, make_booking,
                                                                       smtp_server, mailroom):
    smtp_server.handler.refuse = {"gone@example.ru": "550 5.1.1 No such user",
                                  "full@example.ru": "452 4.2.2 Mailbox full"}
    division = make_division(places=3)
    start = slot_start(first_free_day(), "10:20")
    for n, address in enumerate(("gone@example.ru", "full@example.ru", "fine@example.ru")):
        make_booking(division, start, email=address, phone=f"+7916000000{n}")
    report = delivery.deliver_all_due(mailroom, now_utc())
    assert (report.sent, report.failed, report.retried, report.connections) == (1, 1, 1, 1)
    by_recipient = {row.recipient: row for row in rows(db)}
    assert by_recipient["gone@example.ru"].status == "failed"
    assert by_recipient["gone@example.ru"].last_error.startswith("550")
    assert by_recipient["full@example.ru"].status == "pending"
    assert by_recipient["full@example.ru"].last_error.startswith("452")
    assert by_recipient["fine@example.ru"].status == "sent"


def test_a_silent_server_times_out_instead_of_hanging(app, db, make_division, make_booking, mailroom):
    make_booking(make_division(), slot_start(first_free_day(), "10:20"))
    with socket.socket() as silent:  # accepts connections, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app.config.update(MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT=1)
        started = time.monotonic()
        report = delivery.deliver_all_due(mailroom, now_utc())
    assert time.monotonic() - started < 5
    assert report.retried == 1
    [row] = rows(db)
    assert row.status == "pending" and "timed out" in row.last_error


def test_claims_of_a_crashed_worker_are_recovered_and_live_claims_are_left_alone(db, make_division,
                                                                                  make_booking, smtp_server, mailroom):
    division = make_division(places=2)
    start = slot_start(first_free_day(), "10:20")
    make_booking(division, start, email="crashed@example.ru")
    make_booking(division, start, email="busy@example.ru")
    now = now_utc()
    outbox = OutboxMessage.__table__
    db.session.execute(outbox.update().where(outbox.c.recipient == "crashed@example.ru")
                       .values(status="sending", claimed_by="dead-worker", claimed_at=now - timedelta(hours=1)))
    db.session.execute(outbox.update().where(outbox.c.recipient == "busy@example.ru")
                       .values(status="sending", claimed_by="live-worker", claimed_at=now - timedelta(seconds=5)))
    db.session.commit()

    delivery.deliver_all_due(mailroom, now)
    assert [r.rcpt_tos for r in smtp_server.received] == [["crashed@example.ru"]]
    by_recipient = {row.recipient: row for row in rows(db)}
    assert by_recipient["crashed@example.ru"].status == "sent"
    assert by_recipient["crashed@example.ru"].attempts == 2  # the interrupted attempt counts
    assert by_recipient["busy@example.ru"].status == "sending"


def test_without_a_mail_server_messages_wait_in_the_outbox_and_the_log_says_so(app, db, make_division,
                                                                               make_booking, runner, caplog):
    app.config["MAIL_SERVER"] = ""
    with caplog.at_level("WARNING", logger="booking.notify"):
        make_booking(make_division(), slot_start(first_free_day(), "10:20"))
        result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0 and "sent 0" in result.output
    assert "MAIL_SERVER is not set" in caplog.text
    assert [row.status for row in rows(db)] == ["pending"]


def test_a_reminder_is_not_sent_once_its_booking_is_cancelled(db, make_division, make_booking, smtp_server, mailroom):
    now = now_utc()
    booking, _ = make_booking(make_division(), slot_start(first_free_day(), "10:20"), now=now - timedelta(days=5))
    delivery.deliver_all_due(mailroom, now)
    assert outbox.queue_due_reminders(mailroom, booking.start_utc - timedelta(hours=23)) == 1
    db.session.commit()
    booking_ops.cancel_booking(booking, now, mailroom)
    db.session.commit()
    report = delivery.deliver_all_due(mailroom, booking.start_utc - timedelta(hours=22))
    assert (report.sent, report.skipped) == (1, 1)
    assert [m["Subject"].split(" ")[0] for m in smtp_server.messages] == ["Вы", "Приём"]  # confirmation, cancellation
    assert {row.kind: row.status for row in rows(db)}["reminder"] == "skipped"


def _queue_many(db, mailroom, count):
    """``count`` short pending messages, finished as queuing finishes them, written in one statement."""
    now = now_utc()
    sender = sender_address(mailroom)

    def finished(n):
        text = SimpleNamespace(subject=f"Письмо {n}", body_text=f"Письмо номер {n}", body_html="", ics="",
                               ics_method="", recipient=f"citizen{n}@example.ru")
        return email_bytes(build_email(text, sender, date=now, message_id=f"<load.{n}@example.ru>"))

    db.session.execute(sa.insert(OutboxMessage), [
        {"dedup_key": f"load:{n}", "kind": "test", "recipient": f"citizen{n}@example.ru", "subject": f"Письмо {n}",
         "body_text": f"Письмо номер {n}", "status": "pending", "next_attempt_at": now, "created_at": now,
         "raw_message": finished(n)}
        for n in range(count)])
    db.session.commit()


@pytest.mark.slow
def test_a_thousand_messages_go_out_over_few_connections(app, db, runner, smtp_server, mailroom):
    app.config["MAIL_BATCH_SIZE"] = 250
    _queue_many(db, mailroom, 1000)

    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "sent 1000" in result.output
    assert len(smtp_server.received) == 1000
    assert smtp_server.connections == 4
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 1000
    assert {row.status for row in rows(db)} == {"sent"}


@pytest.mark.slow
def test_two_send_mail_processes_never_send_a_message_twice(app, db, smtp_server, mailroom):
    _queue_many(db, mailroom, 300)
    smtp_server.handler.delay = 0.005  # sending takes a while, so the two processes overlap

    processes = [flask_command(app, smtp_server, "send-mail", "--batch-size", "10") for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs

    message_ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(message_ids) == 300
    assert len(set(message_ids)) == 300
    sent_by_each = [int(out.split("sent ")[1].split(",")[0]) for out, _err in outputs]
    assert sum(sent_by_each) == 300
    assert all(sent > 0 for sent in sent_by_each), sent_by_each  # both really worked at once
    assert {row.status for row in rows(db)} == {"sent"}


def _database_default_synchronous_commit(engine, value):
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        name = connection.exec_driver_sql("SELECT current_database()").scalar()
        action = f"SET synchronous_commit TO {value}" if value else "RESET synchronous_commit"
        connection.exec_driver_sql(f'ALTER DATABASE "{name}" {action}')
    engine.dispose()  # new connections take the database's default


def test_outcomes_are_written_on_a_connection_that_goes_back_to_the_pool_unchanged(db):
    outbox = OutboxMessage.__table__
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:  # the test cluster runs with it off; the server's usual default is on
        _database_default_synchronous_commit(db.engine, "on")
    try:
        with outcome_connection(db.engine) as connection:
            connection.execute(sa.insert(outbox).values(kind="test", recipient="a@example.ru", subject="s",
                                                        body_text="t"))
            # Committed by the statement itself: another connection sees the row at once.
            with db.engine.connect() as other:
                assert other.execute(sa.select(sa.func.count()).select_from(outbox)).scalar() == 1
            driver = connection.connection.driver_connection
            if postgresql:
                assert connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
            connection.commit()
        if postgresql:
            with driver.cursor() as cursor:  # the very connection, back in the pool
                cursor.execute("SHOW synchronous_commit")
                setting = cursor.fetchone()[0]
            driver.rollback()  # leave it idle, as the pool expects
            assert setting == "on"
    finally:
        if postgresql:
            _database_default_synchronous_commit(db.engine, None)
