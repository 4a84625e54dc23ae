"""Delivery: claiming due outbox rows, sending them over one SMTP connection, recording each outcome.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL and a ``BEGIN IMMEDIATE``
transaction on SQLite; each row is committed as sent the moment the server
has accepted it, so a crash resends at most the message in flight. Failures
are retried with exponential back-off and, after the last attempt, marked
failed for staff to see.
"""
import os
import secrets
import smtplib
import socket
import ssl
from dataclasses import dataclass, fields
from datetime import timedelta

import flask_mail
import sqlalchemy as sa

from ..core.timeutil import now_utc
from ..database import outcome_connection, write_intent
from ..extensions import db
from ..models import Booking, BookingStatus, OutboxMessage
from .common import Kind, Status, log, not_sending_reason, sender_address
from .heartbeat import Heartbeat, forget_dead_workers, live_workers
from .outbox import reminder_is_for


@dataclass
class Claimed:
    """A claimed outbox row, detached from the session so no transaction stays open while sending."""

    id: int
    kind: str
    booking_id: int
    dedup_key: str
    recipient: str
    subject: str
    body_text: str
    body_html: str
    ics: str
    ics_method: str
    attempts: int
    created_at: object
    raw_message: bytes



class _Connection(flask_mail.Connection):
    """Flask-Mail's connection to the ``MAIL_*`` server, with what Flask-Mail 0.10 leaves out.

    Flask-Mail reads the settings (server, port, TLS or SSL, login) and logs in;
    this adds a timeout on every SMTP operation (a server that stops answering
    must not hold a worker for ever) and checks the server's certificate, which
    smtplib does not do unless handed a context that does. The context is made
    only for TLS: loading the system's CA certificates takes tens of milliseconds.
    """

    def __init__(self, config):
        super().__init__(flask_mail.Mail().init_mail(config))
        self.timeout = config.get("MAIL_TIMEOUT", 30)

    def configure_host(self):
        state = self.mail
        if state.use_ssl:
            smtp = smtplib.SMTP_SSL(state.server, state.port or 465, timeout=self.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(state.server, state.port or 25, timeout=self.timeout)
        try:
            if state.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if state.username and state.password:
                smtp.login(state.username, state.password)
        except BaseException:
            _close_quietly(smtp)
            raise
        return smtp


def open_smtp(mailroom):
    """An SMTP connection as configured by ``MAIL_*``, with a timeout on every operation."""
    return _Connection(mailroom.config).configure_host()


def _close_quietly(smtp):
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


@dataclass
class DeliveryReport:
    """What one or more delivery batches did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    claimed: int = 0
    connections: int = 0
    # Batches cut short because the server could not be reached or stopped accepting mail.
    outages: int = 0

    def add(self, other):
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self):
        return (f"sent {self.sent}, to retry {self.retried}, failed {self.failed}, skipped {self.skipped} "
                f"over {self.connections} connection(s)")


def retry_delay(mailroom, attempts):
    """The back-off after the ``attempts``-th failed attempt: base × 2^(attempts−1), capped."""
    config = mailroom.config
    base = config["MAIL_RETRY_BASE_SECONDS"]
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), config["MAIL_RETRY_MAX_SECONDS"]))


def _worker_id():
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class _Worker:
    """Who holds a batch's claims, the settings it works by, and the connection on which it records each outcome."""

    id: str
    mailroom: object
    connection: object = None


def _recover_stale_claims(mailroom, clock_now):
    """Put back rows claimed by a worker that died; the interrupted attempt counts.

    A worker counts as dead when its heartbeat is older than ``MAIL_WORKER_DEAD_SECONDS``
    (or it has none: it stopped before this version or its row was lost) and its claims are
    at least that old: a live worker keeps its claims however slow its mail server is.
    """
    config = mailroom.config
    outbox = OutboxMessage.__table__
    limit = clock_now - timedelta(seconds=config["MAIL_WORKER_DEAD_SECONDS"])
    with write_intent():
        result = db.session.execute(
            outbox.update()
            .where(outbox.c.status == Status.SENDING, outbox.c.claimed_at < limit,
                   outbox.c.claimed_by.not_in(live_workers(limit)))
            .values(status=sa.case((outbox.c.attempts + 1 >= config["MAIL_MAX_ATTEMPTS"], Status.FAILED),
                                   else_=Status.PENDING),
                    attempts=outbox.c.attempts + 1, claimed_by="", claimed_at=None,
                    last_error="delivery interrupted: the worker stopped before finishing"))
        forget_dead_workers(db.session.connection(), limit)
        db.session.commit()
    if result.rowcount:
        log.warning("recovered %d outbox message(s) from a stopped delivery worker", result.rowcount)


# What an e-mail was built from: its finished bytes carry it (an SMS, without bytes, is its body_text).
_SOURCE_COLUMNS = ("body_text", "body_html", "ics")


def _claimed_column(outbox, name):
    column = outbox.c[name]
    if name in _SOURCE_COLUMNS:
        # Read only where it is needed: a finished message is sent as it is.
        return sa.case((outbox.c.raw_message.is_(None), column), else_=sa.literal("")).label(name)
    return column


def _claim(now, batch_size, worker, clock_now, channel="email"):
    """Mark up to ``batch_size`` due rows of ``channel`` as being sent by ``worker`` (an id); returns them."""
    outbox = OutboxMessage.__table__
    with write_intent():
        ids = db.session.scalars(
            sa.select(outbox.c.id)
            .where(outbox.c.status == Status.PENDING, outbox.c.next_attempt_at <= now,
                   outbox.c.channel == channel)
            .order_by(outbox.c.next_attempt_at, outbox.c.id).limit(batch_size)
            .with_for_update(skip_locked=True)).all()
        rows = []
        if ids:
            db.session.execute(
                outbox.update().where(outbox.c.id.in_(ids), outbox.c.status == Status.PENDING)
                .values(status=Status.SENDING, claimed_by=worker, claimed_at=clock_now))
            rows = db.session.execute(
                sa.select(*(_claimed_column(outbox, field.name) for field in fields(Claimed)))
                .where(outbox.c.claimed_by == worker, outbox.c.status == Status.SENDING)
                .order_by(outbox.c.next_attempt_at, outbox.c.id)).all()
        db.session.commit()
    return [Claimed(*row) for row in rows]  # selected in the order of the fields


# Built once; the SET clause comes from each call's parameters.
_FINISH = (OutboxMessage.__table__.update()
           .where(OutboxMessage.__table__.c.id == sa.bindparam("claimed_id"),
                  OutboxMessage.__table__.c.claimed_by == sa.bindparam("claim_owner"),
                  OutboxMessage.__table__.c.status == Status.SENDING))


def _finish(message, worker, **values):
    """Record the outcome of one claimed row, only if the claim is still ours.

    One statement on the worker's autocommit connection (``outcome_connection``),
    committed at once, so that a crash resends at most the message in flight.
    """
    with worker.connection.begin():
        result = worker.connection.execute(_FINISH, {"claimed_id": message.id, "claim_owner": worker.id,
                                                        "claimed_by": "", "claimed_at": None, **values})
    if result.rowcount != 1:
        log.error("outbox message %s was taken from this worker before it finished", message.id)


def _mark_sent(message, worker, sent_at):
    # The finished bytes may hold the private manage link: they go once sent.
    _finish(message, worker, status=Status.SENT, sent_at=sent_at, attempts=message.attempts + 1, last_error="",
            raw_message=None)


def _mark_failure(message, worker, now, error, permanent=False):
    """Schedule the next attempt with back-off, or mark failed after the last one; returns the status."""
    attempts = message.attempts + 1
    if permanent or attempts >= worker.mailroom.config["MAIL_MAX_ATTEMPTS"]:
        _finish(message, worker, status=Status.FAILED, attempts=attempts, last_error=error[:1000])
        log.error("outbox message %s failed for good after %d attempt(s): %s", message.id, attempts, error)
        return Status.FAILED
    _finish(message, worker, status=Status.PENDING, attempts=attempts, last_error=error[:1000],
            next_attempt_at=now + retry_delay(worker.mailroom, attempts))
    return Status.PENDING


def _release(message, worker):
    """Give an untried row back without counting an attempt."""
    _finish(message, worker, status=Status.PENDING)


def _error_text(exc):
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"{exc.smtp_code} {detail}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {err.decode('utf-8', 'replace')}" for code, err in exc.recipients.values())
    return f"{exc.__class__.__name__}: {exc}"


def _is_permanent(exc):
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _err in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _booking_states(messages):
    ids = {m.booking_id for m in messages if m.booking_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Booking.id, Booking.status, Booking.start_utc)
                              .where(Booking.id.in_(ids))).all()
    db.session.commit()
    return {row.id: row for row in rows}


def _obsolete_reminder(message, state, now):
    if message.kind != Kind.REMINDER:
        return False
    return (state is None or state.status != BookingStatus.BOOKED or state.start_utc <= now
            or not reminder_is_for(message.dedup_key, state.start_utc))


def deliver_due(mailroom, now, batch_size=None, clock=now_utc, stop=None):
    """Send one batch of due outbox messages over one SMTP connection.

    Manages its own transactions (call it with no work pending). ``now``
    decides what is due and when retries fall due; ``clock`` stamps claims,
    so that replaying an instant never takes messages from a live worker.
    When ``stop`` (a ``threading.Event``) is set, the message in flight is
    finished and the rest of the batch goes back to the queue at once.
    """
    config = mailroom.config
    report = DeliveryReport()
    db.session.commit()
    reason = not_sending_reason(mailroom)
    if reason:
        waiting = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.status == Status.PENDING,
                                           OutboxMessage.channel == "email"))
        db.session.commit()
        if waiting:
            log.warning("%s: %d message(s) stay in the outbox", reason, waiting)
        return report
    worker = _Worker(_worker_id(), mailroom)
    _recover_stale_claims(mailroom, clock())
    messages = _claim(now, batch_size or config["MAIL_BATCH_SIZE"], worker.id, clock())
    report.claimed = len(messages)
    if not messages:
        return report
    # Outcomes are written on a connection of their own, held for the batch: one short
    # transaction per message without a trip through the session and the pool each time.
    with Heartbeat(db.engine, worker.id, config["MAIL_HEARTBEAT_SECONDS"], clock), \
            outcome_connection(db.engine) as worker.connection:
        _deliver_claimed(messages, worker, now, clock, report, stop)
    return report


def _deliver_claimed(messages, worker, now, clock, report, stop=None):
    states = _booking_states(messages)
    sender = sender_address(worker.mailroom)
    try:
        smtp = open_smtp(worker.mailroom)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail server unreachable (%s); %d message(s) will be retried", _error_text(exc), len(messages))
        _postpone(messages, worker, now, _error_text(exc), report)
        return
    report.connections = 1
    try:
        _send_batch(smtp, messages, states, sender, worker, now, clock, stop, report)
    finally:
        _close_quietly(smtp)


def _count(report, status):
    if status == Status.FAILED:
        report.failed += 1
    else:
        report.retried += 1


def _postpone(messages, worker, now, error, report):
    """The server is away: every remaining message counts an attempt and waits its back-off."""
    report.outages += 1
    for message in messages:
        _count(report, _mark_failure(message, worker, now, error))


def _finished(message):
    """The envelope recipient and the bytes to send for a claimed row.

    Every e-mail is finished when it is queued (the address checked, the bytes
    built for it); revision 9d4e61c2b7a5 finished those queued before. A row
    without bytes was written by hand and is refused, never sent half-made.
    """
    if not message.raw_message:
        raise ValueError("the outbox row has no finished message")
    return message.recipient, message.raw_message


def _send_batch(smtp, messages, states, sender, worker, now, clock, stop, report):
    for index, message in enumerate(messages):
        if stop is not None and stop.is_set():
            for rest in messages[index:]:
                _release(rest, worker)
            return
        state = states.get(message.booking_id)
        if _obsolete_reminder(message, state, now):
            _finish(message, worker, status=Status.SKIPPED, last_error="booking cancelled, moved or past")
            report.skipped += 1
            continue
        try:
            recipient, data = _finished(message)
        except ValueError as exc:
            _count(report, _mark_failure(message, worker, now, f"cannot build message: {exc}", permanent=True))
            continue
        try:
            smtp.sendmail(sender[1], [recipient], data)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
            # About this message only: the others can still go over this connection.
            _count(report, _mark_failure(message, worker, now, _error_text(exc), permanent=_is_permanent(exc)))
            continue
        except (OSError, smtplib.SMTPException) as exc:
            # The connection is gone, or the server refuses our sender: the rest wait for the next run.
            error = _error_text(exc)
            log.warning("mail server stopped accepting mail (%s)", error)
            _postpone(messages[index:], worker, now, error, report)
            return
        _mark_sent(message, worker, clock())
        report.sent += 1


def deliver_all_due(mailroom, now, batch_size=None, max_batches=1000, clock=now_utc, stop=None):
    """Deliver batch after batch until nothing is due (or the server fails, or ``stop`` is set), then the SMS."""
    from . import sms
    total = DeliveryReport()
    for _ in range(max_batches):
        report = deliver_due(mailroom, now, batch_size, clock, stop)
        total.add(report)
        if report.claimed == 0 or report.outages or (stop is not None and stop.is_set()):
            break
    if stop is None or not stop.is_set():
        total.add(sms.deliver_all_due(mailroom, now, batch_size, max_batches, clock, stop))
    return total

