"""«My booking»: the way back to a booking for a citizen who lost its link.

The citizen gives the booking's code and the phone or e-mail given when
booking. When they match, the manage link is sent again: to the e-mail address
through the renewal message of the e-mail path, or to the phone by SMS when SMS
is configured (else to the booking's e-mail, if it has one). Whether anything
matched is never told: the caller answers the same either way.

Request-free: takes ``now`` and the application's mailroom (its settings), flushes; the caller commits.
"""
import hmac

from ..core import validation
from ..notify import outbox, sms
from .operations import bookings_by_code


def read_contact(value, phone_region="RU"):
    """``("email", address)`` or ``("phone", E.164)`` for what was typed; ValueError when it is neither."""
    value = (value or "").strip()
    if "@" in value:
        return "email", validation.normalise_email(value)
    return "phone", validation.normalise_phone(value, phone_region)


def _same(a, b):
    return bool(a) and hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def send_link_again(code, contact, now, mailroom):
    """Send the manage link of the booking with ``code`` if ``contact`` is its e-mail or phone; True if queued."""
    try:
        kind, value = read_contact(contact, mailroom.config.get("PHONE_DEFAULT_REGION", "RU"))
    except ValueError:
        return False
    for booking in bookings_by_code(code):
        if booking.purged_at is not None:
            continue
        if kind == "email" and _same(booking.email, value):
            return outbox.queue_manage_link(mailroom, booking, now)
        if kind == "phone" and _same(booking.phone, value):
            if sms.enabled(mailroom):
                return sms.queue_manage_link(mailroom, booking, now)
            return bool(booking.email) and outbox.queue_manage_link(mailroom, booking, now)
    return False
