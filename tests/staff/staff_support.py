"""Plain helpers for the staff tests: page text, recent days, past bookings, audit trails.

Posting forms with their CSRF token and logging in are the ``Browser``'s (tests/helpers.py).
"""
from datetime import timedelta

import holidays
import sqlalchemy as sa

from booking.models import AuditEntry
from booking.core.timeutil import now_utc
from helpers import MSK, slot_start


def text(response):
    return response.get_data(as_text=True)


def today():
    return now_utc().astimezone(MSK).date()


def recent_day(before=None):
    """A past day (default: before today) that is no Russian public holiday."""
    day = (before or today()) - timedelta(days=1)
    ru = holidays.country_holidays("RU", years=[day.year - 1, day.year])
    while day in ru:
        day -= timedelta(days=1)
    return day


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
