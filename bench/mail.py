"""1,000 reminders through the mail outbox to a local SMTP server, against plain smtplib.

``BENCH_REMINDERS`` (1,000) bookings, spread over 50 divisions, start within
the next hours and were made days ago, so each is due its reminder. Per round,
in-process: ``queue_due_reminders(mailroom, now)`` and a commit (rendering each message,
writing its finished bytes to the outbox), then ``deliver_all_due(mailroom, now)``
(claiming, sending, marking each message sent; ``MAIL_BATCH_SIZE`` messages per
connection). The outbox is emptied between rounds. The baseline sends the very
bytes the outbox sent (captured in a first, untimed run) with ``smtplib`` over
one connection. Both talk to the same aiosmtpd server, run in a process of its
own as a mail server is: inside the sender's process its CPU time would be
charged to whichever side happens to wait for the GIL.
Target: delivery at most 1.5× smtplib; the queueing time is reported beside it.
"""
import contextlib
import smtplib
import subprocess
import sys
import threading
import time
from datetime import timedelta

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from booking.notify import delivery, outbox
from booking.notify.settings import mailroom_of
from booking.extensions import db
from booking.models import BookingStatus, OutboxMessage, Topic
from booking.core.timeutil import now_utc

from . import harness, loader

DIVISIONS = 50


class Sink:
    """aiosmtpd handler: counts messages, and keeps them while ``capture`` is on."""

    def __init__(self):
        self.count = 0
        self.capture = False
        self.kept = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            if self.capture:
                self.kept.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


def reminder_rows(count, division_ids, now, fmt):
    """``loader.VARYING`` tuples of bookings starting within hours, made three days ago."""
    per_division = -(-count // len(division_ids))
    hour = now.replace(minute=0, second=0, microsecond=0)  # slots start on whole minutes, as the product's do
    made = fmt(now - timedelta(days=3))
    for i in range(count):
        k, d = divmod(i, len(division_ids))
        assert k < per_division
        start = hour + timedelta(hours=2, minutes=20 * k)
        yield (loader._code(i), division_ids[d], fmt(start), fmt(start + timedelta(minutes=20)), BookingStatus.BOOKED,
               f"+7916{i:07d}", f"citizen{i}@example.ru", tuple(Topic)[i % 5], made, None, "")


@contextlib.contextmanager
def smtp_server_process(timeout=30):
    """An aiosmtpd server that accepts and discards mail, in a process of its own; yields its port."""
    port = harness.free_port()
    process = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink",
                                "-l", f"127.0.0.1:{port}"])
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"aiosmtpd exited with {process.returncode}")
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                    smtp.noop()
                break
            except (OSError, smtplib.SMTPException):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"aiosmtpd not ready after {timeout}s") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def prepare(url, count, now, port):
    app = harness.product_app(url)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False,
                      PUBLIC_BASE_URL="https://priyom.example.ru/", MAIL_REMINDER_HOURS="24")
    harness.create_schema(app)
    ids = [harness.add_division(app, f"bench-mail-{n}") for n in range(DIVISIONS)]
    with app.app_context():
        db.engine.dispose()
    engine = sa.create_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            loader._load_sqlite(engine.url.database, reminder_rows(count, ids, now, loader._sqlite_text))
        else:
            loader._load_postgresql(engine, reminder_rows(count, ids, now, loader._pg_text))
    finally:
        engine.dispose()
    return app


def outbox_round(app, now, count):
    """Seconds to queue and to deliver ``count`` reminders, from an empty outbox."""
    with app.app_context():
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
        started = time.perf_counter()
        queued = outbox.queue_due_reminders(mailroom_of(app), now)
        db.session.commit()
        queue_s = time.perf_counter() - started
        started = time.perf_counter()
        report = delivery.deliver_all_due(mailroom_of(app), now)
        deliver_s = time.perf_counter() - started
        db.session.remove()
    assert queued == count and report.sent == count, (queued, str(report))
    return queue_s, deliver_s, report.connections


def smtplib_round(port, messages):
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for mail_from, rcpt_tos, data in messages:
            smtp.sendmail(mail_from, rcpt_tos, data)
    return time.perf_counter() - started


def run():
    count = harness.setting("REMINDERS", 1000)
    report = harness.Report("mail", f"{count:,} reminders through the outbox vs smtplib over one connection")
    now = now_utc()
    sink = Sink()
    port = harness.free_port()  # aiosmtpd cannot bind port 0 itself
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with harness.databases() as new_database, smtp_server_process() as server_port:
            for backend in harness.backends():
                app = prepare(new_database(backend, "mail"), count, now, port)
                sink.capture, sink.kept = True, []
                outbox_round(app, now, count)  # untimed: warms up, and captures what the outbox sends
                sink.capture = False
                messages = sink.kept
                app.config["MAIL_PORT"] = server_port  # the timed rounds, both sides, go to the server process
                assert len(messages) == count, len(messages)
                size = sum(len(data) for _f, _t, data in messages) / count
                report.log(f"{backend}: {count} messages of {size / 1000:.1f} kB on average")
                times = harness.alternate({
                    "outbox": lambda app=app: outbox_round(app, now, count),
                    "smtplib": lambda messages=messages: smtplib_round(server_port, messages),
                })
                outbox, plain = times["outbox"], times["smtplib"]
                report.add(f"{backend}: outbox, delivering {count:,} reminders",
                           harness.spread(d for _q, d, _c in outbox), "s",
                           baseline=harness.spread(plain), baseline_name="smtplib, same bytes, one connection",
                           ratio=harness.spread(d / p for (_q, d, _c), p in zip(outbox, plain)),
                           target=("<=", 1.5), note=f"deliver_all_due, {outbox[0][2]} connections")
                report.add(f"{backend}: outbox, queueing {count:,} reminders",
                           harness.spread(q for q, _d, _c in outbox), "s",
                           baseline=harness.spread(plain), baseline_name="smtplib sending them",
                           ratio=harness.spread(q / p for (q, _d, _c), p in zip(outbox, plain)),
                           note="queue_due_reminders + commit: rendering and storing")
                with app.app_context():
                    db.engine.dispose()
    finally:
        controller.stop()
    return report


if __name__ == "__main__":
    harness.main(run)
