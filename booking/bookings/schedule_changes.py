"""What-if schedule changes: which future bookings a change of reception rules or a new closure
would leave without a place, and what the administrator decided for them."""
from dataclasses import dataclass

import sqlalchemy as sa

from ..core import scheduling
from ..core.vocabulary import AuditAction
from ..extensions import db
from ..models import Booking, BookingStatus
from .operations import audit, cancel_booking


@dataclass(frozen=True)
class RuleSpec:
    """The shape of a reception rule, detached from the database, for what-if schedules."""

    weekday: int
    start_time: object
    end_time: object
    slot_minutes: int = 20
    places: int = 1
    valid_from: object = None
    valid_until: object = None

    @classmethod
    def of(cls, rule):
        return cls(rule.weekday, rule.start_time, rule.end_time, rule.slot_minutes, rule.places,
                   rule.valid_from, rule.valid_until)


@dataclass(frozen=True)
class ClosureSpec:
    first_day: object
    last_day: object
    reason: str = ""

    @classmethod
    def of(cls, closure):
        return cls(closure.first_day, closure.last_day, closure.reason)



def off_schedule_bookings(division, rules, closures, now, policy):
    """Future ``booked`` bookings of ``division`` that ``rules`` and ``closures`` would leave without a place.

    A booking is left out when no slot starts at its time, or when its slot has fewer
    places than bookings (those booked last lose theirs).
    """
    future = db.session.scalars(
        sa.select(Booking).where(Booking.division_id == division.id, Booking.status == BookingStatus.BOOKED,
                                 Booking.start_utc > now)
        .order_by(Booking.start_utc, Booking.place_no)).all()
    if not future:
        return []
    first = future[0].start_utc.astimezone(policy.tz).date()
    last = future[-1].start_utc.astimezone(policy.tz).date()
    holidays = scheduling.public_holidays(first, last, policy.holiday_country)
    slots = {s.start_dt: s for s in scheduling.generate_slots(rules, closures, holidays, first, last, policy.tz)}
    held, left_out = {}, []
    for booking in future:
        slot = slots.get(booking.start_utc)
        held[booking.start_utc] = held.get(booking.start_utc, 0) + 1
        if slot is None or held[booking.start_utc] > slot.capacity:
            left_out.append(booking)
    return left_out


def affected_bookings(division, rules, closures, now, policy):
    """The future bookings that a change to ``rules``/``closures`` would newly leave without a slot.

    Bookings already kept outside the current schedule are not counted again.
    """
    current = {b.id for b in off_schedule_bookings(division, [RuleSpec.of(r) for r in division.rules],
                                                   [ClosureSpec.of(c) for c in division.closures], now, policy)}
    return [b for b in off_schedule_bookings(division, rules, closures, now, policy) if b.id not in current]


def rules_with(division, replace=None, spec=None):
    """The division's rules as specs, with rule ``replace`` swapped for ``spec`` (None: removed; added when
    ``replace`` is None)."""
    rules = [RuleSpec.of(r) for r in division.rules if replace is None or r.id != replace.id]
    return rules + ([spec] if spec is not None else [])


def closures_with(division, spec):
    """The division's closures as specs, plus ``spec``."""
    return [ClosureSpec.of(c) for c in division.closures] + [spec]


def settle_affected(bookings, decision, now, actor, mailroom, reason=""):
    """Cancel the affected ``bookings`` (``decision == "cancel"``) or keep them as exceptions (``"keep"``)."""
    if decision not in ("cancel", "keep"):
        raise ValueError(f"unknown decision: {decision}")
    for booking in bookings:
        if decision == "cancel":
            cancel_booking(booking, now, mailroom, actor=actor, reason=reason)
        else:
            audit(booking, actor, AuditAction.KEPT_AS_EXCEPTION, detail=reason, now=now)
    db.session.flush()
    return bookings
