"""What the HTML views share: the request's policy and language, looking things up or answering 404,
reading a form into an operation's input, the week grid, and committing an operation."""
from datetime import time, timedelta

from flask import abort, current_app, request
from flask_babel import get_locale
from flask_login import current_user

from .. import bookings
from ..core.scheduling import booking_window, holiday_name
from ..core.timeutil import local_to_utc, local_today, parse_iso_date, parse_iso_datetime, week_start
from ..extensions import db


def current_policy():
    """The booking rules of the application serving this request."""
    return bookings.Policy.from_config(current_app.config)


def lang():
    """The reader's language: ``ru`` or ``en``."""
    return str(get_locale() or "ru")


def division_or_404(slug, include_inactive=False):
    division = bookings.get_division(slug, include_inactive=include_inactive)
    if division is None:
        abort(404)
    return division


def parse_start(value, policy):
    """A slot start as submitted (ISO 8601, Moscow time when without offset), or None."""
    try:
        return parse_iso_datetime(value, policy.tz)
    except (TypeError, ValueError):
        return None


def details_from(form):
    """The citizen's details as typed into a booking form (already normalised by its validators)."""
    return bookings.CitizenDetails(
        full_name=form.full_name.data, phone=form.phone.data, email=form.email.data or "",
        topic=form.topic.data, message=form.message.data or "", account=form.account.data or "",
        address=(form.address.data or "").strip(), locale=lang(),
    )


def commit_or_refuse(operation):
    """Run ``operation`` and commit: ``(result, None)``, or ``(None, error)`` rolled back when it was refused."""
    try:
        result = operation()
        db.session.commit()
    except bookings.BookingError as exc:
        db.session.rollback()
        return None, exc
    return result, None


def _requested_week(policy, now):
    """The Monday of the week asked for in ``?week=`` (None when not asked), and the window's first and last."""
    window = booking_window(now, policy.tz, policy.horizon_days, policy.min_notice_minutes)
    first, last = week_start(window.first_day), week_start(window.last_day)
    try:
        wanted = week_start(parse_iso_date(request.args["week"]))
    except (KeyError, ValueError):
        return None, first, last
    return min(max(wanted, first), last), first, last


def week_of_slots(division, now, policy, available=None):
    """The slots of one week grouped by local day, with navigation to the neighbours.

    Without ``?week=`` it is the first week that has a free time, so nobody lands on an empty week.
    ``available``: the division's :class:`~booking.bookings.Availability` over the whole window, when
    the caller has read it already (the week is then cut from it instead of read again).
    """
    def slots_of(monday):
        if available is None:
            return bookings.slot_views(division, now, policy, monday, monday + timedelta(days=6))
        first, last = local_to_utc(monday, time(0), policy.tz), local_to_utc(monday + timedelta(days=7), time(0),
                                                                              policy.tz)
        return [view for view in free if first <= view.start_dt < last]

    free = available.views() if available is not None else None

    monday, first, last = _requested_week(policy, now)
    if monday is None:
        monday = first
        slots = slots_of(monday)
        while not slots and monday < last:
            monday += timedelta(days=7)
            slots = slots_of(monday)
        if not slots:
            monday = first
    else:
        slots = slots_of(monday)
    sunday = monday + timedelta(days=6)
    by_day = {monday + timedelta(days=i): [] for i in range(7)}
    for slot in slots:
        by_day[slot.start_dt.astimezone(policy.tz).date()].append(slot)
    today = local_today(now, policy.tz)
    days = [{"day": day, "slots": items, "past": day < today,
             "holiday": holiday_name(day, policy.holiday_country, lang())}
            for day, items in by_day.items()]
    return {
        "monday": monday,
        "sunday": sunday,
        "days": days,
        "has_slots": bool(slots),
        "prev_week": monday - timedelta(days=7) if monday > first else None,
        "next_week": monday + timedelta(days=7) if monday < last else None,
        "today": today,
    }


def staff_actor(channel="web"):
    """The logged-in member of staff as the actor of an operation."""
    user = current_user._get_current_object()
    return bookings.Actor(kind=user.role, user=user, channel=channel)
