"""Plain helpers for the staff tests: page text, past bookings, audit trails.

Posting forms with their CSRF token and logging in are the ``Browser``'s (tests/helpers.py).
"""
from datetime import timedelta

import sqlalchemy as sa

from booking.models import AuditEntry
from helpers import slot_start


def text(response):
    return response.get_data(as_text=True)


def past_booking(make_booking, division, day, clock="10:00", **details):
    """A booking made on the morning of ``day`` for a reception that day."""
    start = slot_start(day, clock)
    booking, _ = make_booking(division, start, now=start - timedelta(hours=3), **details)
    return booking


def audit_trail(db, booking):
    """The booking's history as (action, actor kind, actor id, detail) rows, oldest first."""
    return db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.actor_kind, AuditEntry.actor_id, AuditEntry.detail)
        .where(AuditEntry.booking_id == booking.id).order_by(AuditEntry.id)).all()
