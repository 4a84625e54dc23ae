"""Bursts of bookings: which origin made how many bookings in a period, its bookings, and undoing them at once.

An origin is the API client whose key made a booking, or for a web booking the
keyed hash of the client address (``Booking.client_ref``, :func:`client_ref`):
the same address always gives the same reference under one secret, so staff can
find every booking made from one address, while the database alone cannot tell
the address. Cancelling goes through the usual operation, so every visitor is
told as after any cancellation by the division.

Request-free: the caller passes the period, ``now`` and the actor, and commits.
"""
import hashlib
import hmac
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import ApiClient, Booking
from .operations import can_change, cancel_booking

LIST_LIMIT = 500
REF_LENGTH = 24  # hex characters: 96 bits, far beyond any collision among a city's addresses


def client_ref(address, secret_key):
    """The reference of ``address`` (an IPv4 or IPv6 address as text) under ``secret_key``; '' without one."""
    address = (address or "").strip().lower()
    if not address:
        return ""
    digest = hmac.new(secret_key.encode("utf-8"), b"client-address:" + address.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:REF_LENGTH]


@dataclass(frozen=True)
class Origin:
    """Where bookings came from: an API client (``api_client``) or a web address's reference (``client_ref``)."""

    client_ref: str = ""
    api_client: object = None
    count: int = 0


def _made_between(first_dt, end_dt):
    return sa.and_(Booking.created_at >= first_dt, Booking.created_at < end_dt)


def busiest_origins(first_dt, end_dt, limit=20):
    """The origins that made the most bookings between ``first_dt`` and ``end_dt``, most first."""
    web = db.session.execute(
        sa.select(Booking.client_ref, sa.func.count())
        .where(_made_between(first_dt, end_dt), Booking.client_ref != "")
        .group_by(Booking.client_ref).order_by(sa.func.count().desc()).limit(limit)).all()
    api = db.session.execute(
        sa.select(ApiClient, sa.func.count(Booking.id)).join(Booking, Booking.api_client_id == ApiClient.id)
        .where(_made_between(first_dt, end_dt))
        .group_by(ApiClient.id).order_by(sa.func.count(Booking.id).desc()).limit(limit)).all()
    origins = [Origin(client_ref=ref, count=n) for ref, n in web] + [Origin(api_client=c, count=n) for c, n in api]
    return sorted(origins, key=lambda o: -o.count)[:limit]


def bookings_by_origin(first_dt, end_dt, client_ref=None, api_client_id=None, limit=LIST_LIMIT):
    """The bookings made between ``first_dt`` and ``end_dt`` from one address reference or by one API client."""
    if client_ref:
        origin = Booking.client_ref == client_ref
    elif api_client_id:
        origin = Booking.api_client_id == api_client_id
    else:
        return []
    return db.session.scalars(
        sa.select(Booking).where(_made_between(first_dt, end_dt), origin)
        .order_by(Booking.created_at, Booking.id).limit(limit)).all()


def cancel_selected(booking_ids, now, actor, mailroom, reason=""):
    """Cancel the chosen bookings that can still change (each visitor told); returns (cancelled, left alone)."""
    chosen = db.session.scalars(sa.select(Booking).where(Booking.id.in_(list(booking_ids)))
                                .order_by(Booking.id)).all() if booking_ids else []
    cancelled, left = [], []
    for booking in chosen:
        if can_change(booking, now):
            cancel_booking(booking, now, mailroom, actor=actor, reason=reason)
            cancelled.append(booking)
        else:
            left.append(booking)
    db.session.flush()
    return cancelled, left
