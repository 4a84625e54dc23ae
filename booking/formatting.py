"""Template filters and globals: local times in the reader's language, phones, topics."""
from datetime import datetime

from flask import current_app, request, session, url_for
from flask_babel import format_date, format_datetime, format_time, get_locale
from flask_babel import lazy_gettext as _l

from .models import BookingStatus, Role, Topic
from .timeutil import get_tz
from .validation import format_phone

TOPIC_LABELS = {
    Topic.HEATING: _l("Heating"),
    Topic.HOT_WATER: _l("Hot water"),
    Topic.BILLING: _l("Bills and payments"),
    Topic.CONNECTION: _l("Connection to the networks"),
    Topic.OTHER: _l("Other"),
}

STATUS_LABELS = {
    BookingStatus.BOOKED: _l("Booked"),
    BookingStatus.CANCELLED: _l("Cancelled"),
    BookingStatus.ATTENDED: _l("Attended"),
    BookingStatus.NO_SHOW: _l("Did not come"),
}

WEEKDAY_LABELS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                  _l("Saturday"), _l("Sunday")]


def long_datetime(dt):
    """«среда, 2 декабря, 10:20» in the reader's language and the booking time zone."""
    return format_datetime(dt, "EEEE, d MMMM, HH:mm")


def long_date(value):
    """«среда, 2 декабря 2026»."""
    return format_date(value, "EEEE, d MMMM y")


def day_heading(value):
    """«ср, 2 декабря»."""
    return format_date(value, "EEE, d MMMM")


def clock(dt):
    return format_time(dt, "HH:mm")


def iso_local(dt):
    """An instant as ISO 8601 in the booking time zone, e.g. ``2026-12-02T10:00:00+03:00``."""
    return dt.astimezone(get_tz(current_app.config["BOOKING_TIMEZONE"])).isoformat()


def topic_label(topic):
    return TOPIC_LABELS.get(topic, topic)


def status_label(status):
    return STATUS_LABELS.get(status, status)


def init_app(app):
    app.jinja_env.filters.update(
        long_datetime=long_datetime, long_date=long_date, day_heading=day_heading, clock=clock,
        phone=format_phone, iso_local=iso_local, topic_label=topic_label, status_label=status_label,
        role_label=role_label, actor_label=actor_label, audit_action=audit_action, audit_detail=audit_detail,
        booking_origin=booking_origin,
    )

    @app.context_processor
    def _globals():
        def switch_language_url(lang):
            return url_for("public.set_language", lang=lang, next=request.full_path.rstrip("?"))

        return {
            "current_locale": str(get_locale()),
            "switch_language_url": switch_language_url,
            "hotline_phone": app.config["HOTLINE_PHONE"],
            "weekday_labels": WEEKDAY_LABELS,
            "chosen_language": session.get("lang"),
        }


ROLE_LABELS = {
    Role.HEAD: _l("Head of division"),
    Role.OPERATOR: _l("Hotline operator"),
    Role.ADMIN: _l("Administrator"),
}

ACTOR_LABELS = {
    "citizen": _l("Citizen"),
    "head": _l("Head of division"),
    "operator": _l("Hotline operator"),
    "admin": _l("Administrator"),
    "system": _l("System"),
}

AUDIT_ACTIONS = {
    "created": _l("Booked"),
    "rescheduled": _l("Moved"),
    "cancelled": _l("Cancelled"),
    BookingStatus.ATTENDED: _l("Marked attended"),
    BookingStatus.NO_SHOW: _l("Marked as not come"),
    "note": _l("Staff note changed"),
    "kept_as_exception": _l("Kept although the reception hours changed"),
}


CHANNEL_LABELS = {
    "web": _l("online"),
    "phone": _l("by phone"),
    "api": _l("through the API"),
}


def role_label(role):
    return ROLE_LABELS.get(role, role)


def actor_label(kind):
    return ACTOR_LABELS.get(kind, kind)


def audit_action(action):
    return AUDIT_ACTIONS.get(action, action)


def audit_detail(entry):
    """An audit entry's detail for people: the channel of a booking, the old and new time of a move."""
    if entry.action == "created":
        return CHANNEL_LABELS.get(entry.detail, entry.detail)
    if entry.action == "rescheduled" and " -> " in entry.detail:
        try:
            old, new = (datetime.fromisoformat(part) for part in entry.detail.split(" -> ", 1))
        except ValueError:
            return entry.detail
        return f"{long_datetime(old)} → {long_datetime(new)}"
    return entry.detail


def booking_origin(booking):
    """How the booking was made, e.g. «booked by phone by operator Anna Smirnova»."""
    if booking.channel == "phone":
        user = booking.created_by
        name = (user.name or user.email) if user is not None else "?"
        if user is not None and user.role == Role.OPERATOR:
            return _l("Booked by phone by operator %(name)s", name=name)
        return _l("Booked by phone by %(name)s", name=name)
    if booking.channel == "api":
        return _l("Booked through the API")
    return _l("Booked online by the citizen")
