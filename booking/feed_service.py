"""Calendar files and feeds: what each one lists, ready for :mod:`booking.ical` to write."""
from email.utils import parseaddr

from flask import current_app

from . import ical


def organizer_email(division):
    """The address calendars show as organiser: the division's, else the service's sender."""
    return division.email or parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1]


def booking_ics(booking, now, policy, manage_url=""):
    """One booking as a downloadable .ics, in the language the citizen booked in."""
    return ical.booking_ics(booking, policy.tz, now, method="PUBLISH", manage_url=manage_url,
                            organizer_email=organizer_email(booking.division))
