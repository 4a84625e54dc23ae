"""Booking operations: book, cancel, reschedule, and the queries behind the slot pages.

Request-free: every operation takes ``now`` (and, when it causes a message, the
application's :class:`~booking.notify.settings.Mailroom`) and works inside the caller's
transaction (it flushes, the request or command commits). Capacity is left to
the ``uq_booking_place`` index; a lost race surfaces as :class:`SlotTaken`.
"""
import hashlib
import hmac
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..core.vocabulary import AuditAction
from ..extensions import db
from ..database import committed_rows
from ..models import AuditEntry, Booking, BookingStatus
from ..notify import outbox
from .availability import start_converter, alternatives, bookable_slot
from .values import (Actor, LimitReached, NotChangeable, SlotNotBookable, SlotTaken, code_candidates, hash_token,
                     new_code, new_token)

def _person_lock_key(division_id, kind, value):
    digest = hashlib.blake2b(f"{division_id}:{kind}:{value}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _serialise_person(division_id, details):
    """Let one transaction at a time check and use a person's allowance at a division.

    On PostgreSQL two requests of the same person would both count zero bookings
    and both book; a transaction-scoped advisory lock per e-mail and per phone
    (taken in a fixed order) makes the second wait for the first. SQLite needs
    nothing: writing transactions already run one at a time (BEGIN IMMEDIATE).
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_person_lock_key(division_id, kind, value)
                   for kind, value in (("email", details.email), ("phone", details.phone)) if value})
    for key in keys:
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _same_person(details):
    """Conditions matching this person's bookings: same e-mail or same phone (an empty e-mail matches none)."""
    conditions = [Booking.phone == details.phone]
    if details.email:
        conditions.append(Booking.email == details.email)
    return conditions


def _check_person_limit(division, details, now, policy, exclude_id=None):
    if not policy.max_active_per_person:
        return
    _serialise_person(division.id, details)
    query = (sa.select(sa.func.count()).select_from(Booking)
             .where(Booking.division_id == division.id, Booking.status == BookingStatus.BOOKED,
                    Booking.end_utc > now,
                    sa.or_(*_same_person(details))))
    if exclude_id is not None:
        query = query.where(Booking.id != exclude_id)
    if db.session.scalar(query) >= policy.max_active_per_person:
        raise LimitReached()


def _taken_places(division_id, start_dt):
    return set(db.session.scalars(
        sa.select(Booking.place_no).where(Booking.division_id == division_id, Booking.start_utc == start_dt,
                                          Booking.status.in_(BookingStatus.HOLDING))))


def _claim_place(booking, slot, flush_new=False):
    """Give ``booking`` a free place of ``slot``; the unique index arbitrates races."""
    taken = _taken_places(booking.division_id, slot.start_dt)
    for place_no in range(1, slot.capacity + 1):
        if place_no in taken:
            continue
        savepoint = db.session.begin_nested()
        booking.start_utc, booking.end_utc, booking.place_no = slot.start_dt, slot.end_dt, place_no
        if flush_new:
            db.session.add(booking)
        try:
            db.session.flush()
        except IntegrityError:
            savepoint.rollback()
            continue
        savepoint.commit()
        return True
    return False


def audit(booking, actor, action, detail="", now=None):
    """Record who did what to ``booking``."""
    entry = AuditEntry(booking=booking, actor_kind=actor.kind, actor_id=actor.user_id,
                       action=action, detail=detail)
    if now is not None:
        entry.at = now
    db.session.add(entry)
    return entry


def create_booking(division, start_dt, details, now, policy, mailroom, actor=None, consent_at=None):
    """Book a place at ``start_dt``; returns ``(booking, manage_token)``.

    Raises :class:`SlotNotBookable`, :class:`LimitReached` or :class:`SlotTaken`
    (the last two carry the nearest free alternatives).
    """
    actor = actor or Actor()
    slot = bookable_slot(division, start_dt, now, policy)
    # A full slot is refused before the person's own bookings are looked at: otherwise the
    # answer would tell a stranger whether that e-mail or phone already has an appointment.
    if len(_taken_places(division.id, slot.start_dt)) >= slot.capacity:
        raise SlotTaken(alternatives=alternatives(division, start_dt, now, policy, exclude=start_dt))
    _check_person_limit(division, details, now, policy)

    token = new_token()
    booking = Booking(
        code=_unused_code(), division_id=division.id, full_name=details.full_name, phone=details.phone,
        email=details.email, topic=details.topic, message=details.message, account=details.account,
        address=details.address, locale=details.locale, consent_at=consent_at or now,
        consent_version=policy.consent_version,
        manage_token_hash=hash_token(token), channel=actor.channel,
        created_by_id=actor.user_id, created_at=now, updated_at=now, status=BookingStatus.BOOKED,
    )
    booking.division = division
    if not _claim_place(booking, slot, flush_new=True):
        if booking in db.session:
            db.session.expunge(booking)
        raise SlotTaken(alternatives=alternatives(division, start_dt, now, policy, exclude=start_dt))
    audit(booking, actor, AuditAction.CREATED, detail=actor.channel, now=now)
    outbox.queue_confirmation(mailroom, booking, token, now)
    return booking, token


def _unused_code():
    while True:
        code = new_code()
        if db.session.scalar(sa.select(Booking.id).where(Booking.code == code)) is None:
            return code


def find_booking(code, token):
    """The booking with ``code`` whose manage token is ``token``, else None."""
    if not code or not token:
        return None
    digest = hash_token(token)
    for booking in bookings_by_code(code):
        if hmac.compare_digest(booking.manage_token_hash, digest):
            return booking
    return None


class BookingSnapshot(NamedTuple):
    """Every column of a booking and of its division as read (``values``), and what decides if it can change."""

    values: tuple
    status: str
    start_utc: object


def booking_snapshot(code, token):
    """:class:`BookingSnapshot` of the booking ``code`` whose manage token is ``token``, else None.

    One read of committed rows, no ORM objects: what the citizen's page shows
    follows from these values, so they can key it (:func:`find_booking` loads
    the booking itself).
    """
    if not code or not token:
        return None
    digest = hash_token(token)
    codes = code_candidates(code)
    names, rows = committed_rows(db.engine, "SELECT booking.*, division.* FROM booking JOIN division ON "
                                 "division.id = booking.division_id WHERE booking.code IN "
                                 f"({', '.join('?' for _code in codes)})", tuple(codes))
    for row in rows:
        if hmac.compare_digest(row[names.index("manage_token_hash")], digest):
            start = start_converter(db.engine.dialect)(row[names.index("start_utc")])
            return BookingSnapshot(tuple(row), row[names.index("status")], start)
    return None


def bookings_by_code(code):
    """The bookings a typed code may mean (usually one), the likeliest reading first."""
    candidates = code_candidates(code)
    found = db.session.scalars(sa.select(Booking).where(Booking.code.in_(candidates))).all()
    return sorted(found, key=lambda b: candidates.index(b.code))


def find_booking_by_code(code):
    """The booking a typed code most likely means, or None."""
    found = bookings_by_code(code)
    return found[0] if found else None


def send_manage_link(code, email, now, mailroom):
    """Mail a renewal link when ``email`` is the booking's address; silent either way."""
    booking = find_booking_by_code(code)
    if booking is None or not booking.email or booking.purged_at is not None:
        return False
    if not hmac.compare_digest(booking.email.encode("utf-8"), email.encode("utf-8")):
        return False
    return outbox.queue_manage_link(mailroom, booking, now)


def renew_manage_token(booking, now, actor=None):
    """Replace the manage token (the old link stops working); returns the new one."""
    token = new_token()
    booking.manage_token_hash = hash_token(token)
    audit(booking, actor or Actor(), AuditAction.LINK_RENEWED, now=now)
    db.session.flush()
    return token


def can_change(booking, now):
    """Whether the citizen may still cancel or move ``booking``."""
    return booking.status == BookingStatus.BOOKED and booking.start_utc > now


def cancel_booking(booking, now, mailroom, actor=None, reason=""):
    """Cancel and free the place; the citizen or the division may do it."""
    actor = actor or Actor()
    if not can_change(booking, now):
        raise NotChangeable()
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = "citizen" if actor.kind == "citizen" else "division"
    booking.sequence += 1
    booking.updated_at = now
    audit(booking, actor, AuditAction.CANCELLED, detail=reason, now=now)
    db.session.flush()
    outbox.queue_cancellation_notice(mailroom, booking, now, reason=reason)
    return booking


def reschedule_booking(booking, new_start_dt, now, policy, mailroom, actor=None):
    """Move ``booking`` to another bookable slot of its division."""
    actor = actor or Actor()
    if not can_change(booking, now):
        raise NotChangeable()
    division = booking.division
    if new_start_dt == booking.start_utc:
        raise SlotNotBookable(alternatives=alternatives(division, new_start_dt, now, policy, exclude=new_start_dt))
    slot = bookable_slot(division, new_start_dt, now, policy)
    old_start = booking.start_utc
    old = (booking.start_utc, booking.end_utc, booking.place_no)
    if not _claim_place(booking, slot):
        booking.start_utc, booking.end_utc, booking.place_no = old
        raise SlotTaken(alternatives=alternatives(division, new_start_dt, now, policy, exclude=new_start_dt))
    booking.sequence += 1
    booking.updated_at = now
    audit(booking, actor, AuditAction.RESCHEDULED, detail=f"{old_start.isoformat()} -> {new_start_dt.isoformat()}", now=now)
    db.session.flush()
    outbox.queue_reschedule_notice(mailroom, booking, old_start, now)
    return booking

