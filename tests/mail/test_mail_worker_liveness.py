"""A delivery worker that dies gives its claims back within a minute; a live one keeps them; SIGTERM stops cleanly."""
import threading
from datetime import timedelta

import sqlalchemy as sa

from booking.core.timeutil import now_utc
from booking.models import DeliveryWorker, OutboxMessage
from booking.notify import delivery
from booking.notify.heartbeat import Heartbeat
from helpers import first_free_day, slot_start

OUTBOX = OutboxMessage.__table__


def claim_as(db, recipient, worker, claimed_at):
    db.session.execute(OUTBOX.update().where(OUTBOX.c.recipient == recipient)
                       .values(status="sending", claimed_by=worker, claimed_at=claimed_at))
    db.session.commit()


def statuses(db):
    return dict(db.session.execute(sa.select(OUTBOX.c.recipient, OUTBOX.c.status)).all())


def test_claims_of_a_silent_worker_go_back_after_half_a_minute_and_a_beating_one_keeps_its_claims(
        db, make_division, make_booking, smtp_server, mailroom):
    division = make_division(places=3)
    start = slot_start(first_free_day(), "10:20")
    for name in ("dead", "slow", "fresh"):
        make_booking(division, start, email=f"{name}@example.ru")
    now = now_utc()
    # "dead" claimed 40 s ago and has not beaten since; "slow" claimed 10 minutes ago and is still beating
    # (one long SMTP exchange); "fresh" claimed a moment ago by a worker that has not written its row yet.
    db.session.add(DeliveryWorker(id="dead-worker", started_at=now - timedelta(minutes=5),
                                  heartbeat_at=now - timedelta(seconds=40)))
    db.session.add(DeliveryWorker(id="slow-worker", started_at=now - timedelta(minutes=10),
                                  heartbeat_at=now - timedelta(seconds=5)))
    db.session.commit()
    claim_as(db, "dead@example.ru", "dead-worker", now - timedelta(seconds=40))
    claim_as(db, "slow@example.ru", "slow-worker", now - timedelta(minutes=10))
    claim_as(db, "fresh@example.ru", "new-worker", now - timedelta(seconds=2))

    delivery.deliver_all_due(mailroom, now)

    assert [r.rcpt_tos for r in smtp_server.received] == [["dead@example.ru"]]
    assert statuses(db) == {"dead@example.ru": "sent", "slow@example.ru": "sending", "fresh@example.ru": "sending"}
    assert db.session.scalars(sa.select(DeliveryWorker.id)).all() == ["slow-worker"]  # the dead one forgotten


def test_a_heartbeat_is_refreshed_by_its_own_thread_while_the_worker_is_busy_and_removed_at_the_end(app, db):
    with app.app_context():
        with Heartbeat(db.engine, "busy-worker", interval=0.05) as beat:
            first = db.session.get(DeliveryWorker, "busy-worker").heartbeat_at
            db.session.commit()
            threading.Event().wait(0.3)  # the worker is stuck in one long operation
            later = db.session.get(DeliveryWorker, "busy-worker").heartbeat_at
            db.session.commit()
            assert beat._thread.is_alive()
        assert later > first
        assert db.session.get(DeliveryWorker, "busy-worker") is None


def test_a_stopped_worker_finishes_the_message_in_flight_and_gives_the_rest_back_at_once(
        db, make_division, make_booking, smtp_server, monkeypatch, mailroom):
    division = make_division(places=3)
    start = slot_start(first_free_day(), "10:20")
    for n in range(3):
        make_booking(division, start, email=f"visitor{n}@example.ru")
    stop = threading.Event()
    sent = []
    original = delivery._mark_sent

    def mark_and_stop(message, worker, sent_at):
        original(message, worker, sent_at)
        sent.append(message.recipient)
        stop.set()  # SIGTERM arrives while the first message is being sent

    monkeypatch.setattr(delivery, "_mark_sent", mark_and_stop)
    report = delivery.deliver_all_due(mailroom, now_utc(), stop=stop)
    monkeypatch.undo()
    assert report.sent == 1 and len(sent) == 1
    left = db.session.execute(sa.select(OUTBOX.c.status, OUTBOX.c.attempts, OUTBOX.c.claimed_by)
                              .where(OUTBOX.c.recipient != sent[0])).all()
    assert left == [("pending", 0, ""), ("pending", 0, "")]  # back at once, no attempt counted
    assert delivery.deliver_all_due(mailroom, now_utc()).sent == 2  # and the next worker sends them straight away
