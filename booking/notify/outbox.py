"""The outbox: every message is first a row written in the transaction of the change that causes it.

Queuing composes the finished message at once; reminders fall due with time;
administrators see what failed and send it again.
"""
from datetime import timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import AuditEntry, Booking, BookingStatus, OutboxMessage
from .common import (RENEWAL_MAX_AGE, RENEWAL_REQUEST_PERIOD, Kind, Status, checked_address, hours_label, log,
                     not_sending_reason, redact, reminder_offsets)
from .compose import compose, render_message
from .links import manage_url, renewal_signature

_INSERT_ONCE = {}


def _insert_once(values):
    """Insert an outbox row unless one with its ``dedup_key`` exists; True when inserted."""
    dialect = db.session.get_bind().dialect.name
    statement = _INSERT_ONCE.get(dialect)
    if statement is None:
        # Built once: the values travel as parameters, so the compiled form is reused.
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        outbox = OutboxMessage.__table__
        statement = _INSERT_ONCE[dialect] = (insert(outbox).on_conflict_do_nothing(index_elements=["dedup_key"])
                                             .returning(outbox.c.id))
    return db.session.execute(statement, values).first() is not None


def queue(mailroom, kind, booking, now, dedup_key, **extra):
    """Write ``kind`` of message for ``booking`` to the outbox, once per ``dedup_key``.

    A booking made by phone without an e-mail address gets no e-mail; with SMS
    configured, the notice goes to its phone (:mod:`booking.notify.sms`).
    """
    from . import sms
    by_sms = sms.queue_for(mailroom, kind, booking, now, dedup_key, **extra)
    if not booking.email:
        return by_sms
    rendered = render_message(mailroom, kind, booking, now, **extra)
    values = dict(dedup_key=dedup_key, booking_id=booking.id, kind=kind, subject=rendered.subject,
                  body_text=rendered.text, body_html=rendered.html, ics=rendered.ics,
                  ics_method=rendered.ics_method, status=Status.PENDING, attempts=0, next_attempt_at=now,
                  created_at=now, recipient=booking.email)
    try:
        values["recipient"] = checked_address(booking.email)
    except ValueError as exc:
        # Kept, as failed, so that staff see the booking has no working address.
        values.update(status=Status.FAILED, last_error=f"invalid address: {exc}"[:500])
    else:
        values["raw_message"] = compose(mailroom, rendered, values["recipient"], booking.full_name, now)
    # A private link travels only in the finished bytes, dropped once sent; what staff read never has it.
    values.update(body_text=redact(rendered.text), body_html=redact(rendered.html))
    inserted = _insert_once(values)
    reason = not_sending_reason(mailroom)
    if inserted and reason:
        log.warning("%s: the %s for booking %s stays in the outbox", reason, kind, booking.id)
    return inserted


def queue_confirmation(mailroom, booking, token, now):
    """The confirmation with the invite and the private manage link (the token is known only now)."""
    return queue(mailroom, Kind.CONFIRMATION, booking, now, f"confirmation:{booking.id}",
                 manage_url=manage_url(mailroom, booking, token))


def queue_reschedule_notice(mailroom, booking, old_start, now):
    """The notice of a move, with an updated invite (same UID, higher SEQUENCE)."""
    return queue(mailroom, Kind.RESCHEDULE, booking, now, f"reschedule:{booking.id}:{booking.sequence}",
                 old_start=old_start)


def queue_cancellation_notice(mailroom, booking, now, reason=""):
    """The notice of a cancellation, worded for who cancelled, with a CANCEL invite."""
    return queue(mailroom, Kind.CANCELLATION, booking, now, f"cancellation:{booking.id}:{booking.sequence}",
                 by_division=booking.cancelled_by != "citizen", reason=reason)


def queue_manage_link(mailroom, booking, now):
    """A message with a renewal link, at most once per booking and period."""
    period = int(now.timestamp() // RENEWAL_REQUEST_PERIOD.total_seconds())
    url = mailroom.url("mail.renew_link", code=booking.code, signature=renewal_signature(mailroom, booking))
    return queue(mailroom, Kind.MANAGE_LINK, booking, now, f"manage_link:{booking.id}:{period}", renewal_url=url,
                 renewal_days=RENEWAL_MAX_AGE.days)


def _start_stamp(start_utc):
    return f"{start_utc:%Y%m%dT%H%M%SZ}"


def reminder_key(booking, offset):
    return f"reminder:{booking.id}:{_start_stamp(booking.start_utc)}:{hours_label(offset)}h"


def reminder_is_for(dedup_key, start_utc):
    """Whether a reminder's key names ``start_utc`` (the booking may have moved since)."""
    return dedup_key.split(":")[2] == _start_stamp(start_utc.astimezone(timezone.utc))


def queue_due_reminders(mailroom, now, offsets=None):
    """Queue the reminders due at ``now``; returns how many were added.

    For each active booking still ahead, only the latest reminder instant
    that has passed counts (a late run sends one reminder, not several), and
    none when the booking was made or moved after that instant.
    """
    offsets = offsets or reminder_offsets(mailroom.config["MAIL_REMINDER_HOURS"])
    candidates = db.session.scalars(
        sa.select(Booking).where(Booking.status == BookingStatus.BOOKED, Booking.start_utc > now,
                                 Booking.start_utc <= now + offsets[-1],
                                 sa.true() if _sms_enabled(mailroom) else Booking.email != "")
        .order_by(Booking.start_utc, Booking.id)).all()
    if not candidates:
        return 0
    ids = [b.id for b in candidates]
    moved_at = dict(db.session.execute(
        sa.select(AuditEntry.booking_id, sa.func.max(AuditEntry.at))
        .where(AuditEntry.booking_id.in_(ids), AuditEntry.action == "rescheduled")
        .group_by(AuditEntry.booking_id)).all())
    due = {}
    for booking in candidates:
        passed = [offset for offset in offsets if booking.start_utc - offset <= now]
        if not passed:
            continue
        offset = passed[0]
        made_at = max(booking.created_at, moved_at.get(booking.id) or booking.created_at)
        if made_at <= booking.start_utc - offset:
            due[reminder_key(booking, offset)] = booking
    if not due:
        return 0
    queued = set(db.session.scalars(sa.select(OutboxMessage.dedup_key)
                                    .where(OutboxMessage.dedup_key.in_(list(due)))))
    added = 0
    for key, booking in due.items():
        if key not in queued:
            added += queue(mailroom, Kind.REMINDER, booking, now, key)
    return added


def _sms_enabled(mailroom):
    from . import sms
    return sms.enabled(mailroom)


def failed_messages(limit=200):
    """The messages that could not be delivered, newest first."""
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.status == Status.FAILED)
                              .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                              .limit(limit)).all()


def waiting_messages(limit=200):
    """The messages not yet sent (pending, or being sent now), next due first."""
    return db.session.scalars(sa.select(OutboxMessage)
                              .where(OutboxMessage.status.in_((Status.PENDING, Status.SENDING)))
                              .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                              .limit(limit)).all()


def outbox_counts():
    """How many messages are in each status."""
    return dict(db.session.execute(sa.select(OutboxMessage.status, sa.func.count())
                                   .group_by(OutboxMessage.status)).all())


def requeue(message, now):
    """Give a failed message a fresh series of attempts; False unless it had failed."""
    if message.status != Status.FAILED:
        return False
    try:
        if message.channel != "sms":  # an SMS goes to the booking's phone, checked when booked
            message.recipient = checked_address(message.recipient)
    except ValueError:
        return False
    message.status, message.attempts, message.next_attempt_at = Status.PENDING, 0, now
    message.claimed_by, message.claimed_at = "", None
    db.session.flush()
    return True
