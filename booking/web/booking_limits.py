"""Places per person on the public booking form, counted across every process and machine.

A client address may make at most ``BOOKING_LIMIT_PER_ADDRESS_DAY`` new
bookings a day across all divisions, and ``BOOKING_LIMIT_PER_DIVISION_DAY`` in
one division; over it the citizen is sent to the hotline. Operators (who book
on the staff pages) and API clients (with their key) do not pass here, nor do
addresses in ``RATELIMIT_EXEMPT_IPS``; ``RATELIMIT_ENABLED=False`` switches it off.

The counts live in Flask-Limiter's storage (Redis in production,
``RATELIMIT_STORAGE_URI``), keyed by the address's keyed hash. Only successful
bookings count, and exactly: a place in the count is taken atomically before
the booking is written (:func:`reserve`) and given back when the booking fails
(:func:`Reservation.release`), so N simultaneous submissions from one address
never make more than the limit. When the storage is unreachable, counting goes
on in each process's memory (Flask-Limiter's in-memory fallback) and the log
says so once.
"""
import logging

from flask import current_app, request
from flask_login import current_user
from limits import RateLimitItemPerDay

from ..bookings.bursts import client_ref
from ..extensions import limiter
from ..models import Role

log = logging.getLogger(__name__)

_SCOPE_ADDRESS = "priyom-bookings-per-address"
_SCOPE_DIVISION = "priyom-bookings-per-division"


class TooManyBookings(Exception):
    """This address has made as many bookings as one person may today."""

    def __init__(self, limit):
        super().__init__(f"at most {limit} bookings a day")
        self.limit = limit


def request_client_ref():
    """The keyed hash of the current request's client address (the one ProxyFix established)."""
    return client_ref(request.remote_addr or "", current_app.config["SECRET_KEY"])


def with_client_ref(made):
    """``made`` (a new booking and its token), the booking marked with the request's address reference."""
    booking, _token = made
    booking.client_ref = request_client_ref()
    return made


def _applies():
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return False
    if request.remote_addr in config.get("RATELIMIT_EXEMPT_IPS", ()):
        return False
    # A member of staff at the hotline booking for callers on the public form is not one person.
    if current_user.is_authenticated and current_user.role in (Role.OPERATOR, Role.ADMIN):
        return False
    return True


class Reservation:
    """Places taken in the day's counts for one booking; :meth:`release` gives them back."""

    def __init__(self, taken=()):
        self.taken = list(taken)

    def release(self):
        """Give the places back (the booking was not made)."""
        for item, identifiers in self.taken:
            _run(lambda rate_limiter: rate_limiter.storage.incr(item.key_for(*identifiers), item.get_expiry(),
                                                                amount=-1))
        self.taken = []


def _counts(slug, ref):
    config = current_app.config
    return [
        (RateLimitItemPerDay(int(config["BOOKING_LIMIT_PER_ADDRESS_DAY"])), (_SCOPE_ADDRESS, ref)),
        (RateLimitItemPerDay(int(config["BOOKING_LIMIT_PER_DIVISION_DAY"])), (_SCOPE_DIVISION, ref, slug)),
    ]


def reserve(division_slug):
    """Take a place in today's counts of this address for a booking in ``division_slug``.

    Raises :class:`TooManyBookings` (nothing taken) when either count is full.
    """
    if not _applies():
        return Reservation()
    reservation = Reservation()
    for item, identifiers in _counts(division_slug, request_client_ref()):
        allowed = _run(lambda rate_limiter: rate_limiter.hit(item, *identifiers))
        reservation.taken.append((item, identifiers))
        if not allowed:
            reservation.release()
            raise TooManyBookings(item.amount)
    return reservation


def _run(operation):
    """``operation(rate_limiter)`` on the shared storage, or on this process's memory once it is unreachable."""
    try:
        return operation(limiter.limiter)
    except Exception:
        if not limiter._in_memory_fallback_enabled or limiter._storage_dead:
            raise
        # The same switch Flask-Limiter makes for its own limits: it checks the storage again later
        # and goes back to it once it answers.
        log.warning("The abuse-limit storage (RATELIMIT_STORAGE_URI) is unreachable: counting in this "
                    "process's memory until it answers again")
        limiter._storage_dead = True
        return operation(limiter.limiter)
