"""The staff side of bookings: a day's agenda, marking visits, staff notes and search.

Marking rule: a visit can be marked attended or no-show from the local day of its reception on
(never before), and the mark can be changed afterwards; a cancelled booking cannot be marked.
"""
from dataclasses import dataclass

import sqlalchemy as sa

from ..core import scheduling
from ..core.timeutil import local_day_bounds
from ..core.vocabulary import AuditAction
from ..extensions import db
from ..models import Booking, BookingStatus
from .operations import audit
from .values import NotChangeable, TooEarly, code_candidates

STAFF_MARKS = (BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
STAFF_NOTE_MAX = 2000


@dataclass(frozen=True)
class AgendaRow:
    """One line of a day's agenda: a booking, or the free places of a slot."""

    start_dt: object
    end_dt: object
    booking: object = None
    free_places: int = 0
    # True for a booking kept at a time the reception rules no longer lay out.
    off_schedule: bool = False


@dataclass
class Agenda:
    day: object
    rows: list
    cancelled: list
    closures: list




def bookings_for_day(division, day, tz, include_cancelled=True):
    """A division's bookings on local date ``day``, in time order."""
    start, end = local_day_bounds(day, tz)
    query = (sa.select(Booking).where(Booking.division_id == division.id,
                                      Booking.start_utc >= start, Booking.start_utc < end)
             .order_by(Booking.start_utc, Booking.place_no))
    if not include_cancelled:
        query = query.where(Booking.status != BookingStatus.CANCELLED)
    return db.session.scalars(query).all()



def agenda_day(division, day, policy):
    """Every slot the rules lay out on local date ``day``, its bookings and free places, in time order.

    Bookings at times the rules no longer produce (kept as exceptions) are listed too.
    """
    holidays = scheduling.public_holidays(day, day, policy.holiday_country)
    slots = scheduling.generate_slots(division.rules, division.closures, holidays, day, day, policy.tz)
    bookings = bookings_for_day(division, day, policy.tz)
    holding = [b for b in bookings if b.is_holding]
    rows = []
    slot_starts = {s.start_dt for s in slots}
    for slot in slots:
        holders = [b for b in holding if b.start_utc == slot.start_dt]
        rows.extend(AgendaRow(slot.start_dt, slot.end_dt, booking=b) for b in holders)
        if len(holders) < slot.capacity:
            rows.append(AgendaRow(slot.start_dt, slot.end_dt, free_places=slot.capacity - len(holders)))
    rows.extend(AgendaRow(b.start_utc, b.end_utc, booking=b, off_schedule=True)
                for b in holding if b.start_utc not in slot_starts)
    rows.sort(key=lambda r: (r.start_dt, r.booking is None, r.booking.place_no if r.booking else 0))
    closures = [c for c in division.closures if c.first_day <= day <= c.last_day]
    return Agenda(day=day, rows=rows, cancelled=[b for b in bookings if not b.is_holding], closures=closures)


def can_mark(booking, now, tz):
    """Whether the visit can be marked attended or no-show now."""
    return booking.is_holding and booking.start_utc.astimezone(tz).date() <= now.astimezone(tz).date()


def mark_booking(booking, status, now, actor, tz):
    """Mark the visit attended or no-show (see the marking rule above)."""
    if status not in STAFF_MARKS:
        raise ValueError(f"not a mark: {status}")
    if not booking.is_holding:
        raise NotChangeable()
    if not can_mark(booking, now, tz):
        raise TooEarly()
    if booking.status == status:
        return booking
    booking.status = status
    booking.updated_at = now
    audit(booking, actor, AuditAction(status), now=now)
    db.session.flush()
    return booking


def set_staff_note(booking, note, now, actor):
    """Replace the private staff note of ``booking``."""
    note = (note or "").strip()[:STAFF_NOTE_MAX]
    if note == (booking.staff_note or ""):
        return booking
    booking.staff_note = note
    booking.updated_at = now
    audit(booking, actor, AuditAction.NOTE, detail=note, now=now)
    db.session.flush()
    return booking


def search_bookings(code=None, phone=None, limit=50):
    """Bookings with this code or this E.164 phone number, latest reception first."""
    conditions = []
    if code:
        conditions.append(Booking.code.in_(code_candidates(code)))
    if phone:
        conditions.append(Booking.phone == phone)
    if not conditions:
        return []
    return db.session.scalars(sa.select(Booking).where(sa.or_(*conditions))
                              .order_by(Booking.start_utc.desc()).limit(limit)).all()

