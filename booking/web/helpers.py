"""What the HTML views share: the request's policy and language, looking things up or answering 404,
reading a form into an operation's input, the week grid, and committing an operation."""
from datetime import time, timedelta

from flask import abort, current_app, request
from flask_babel import get_locale
from flask_login import current_user

from .. import bookings
from ..accounts.auth import require_division
from ..core.scheduling import booking_window, closure_on, holiday_name, slots_for_day
from ..core.timeutil import local_to_utc, local_today, parse_iso_date, parse_iso_datetime, week_start
from ..extensions import db
from ..notify.settings import mailroom_of


def current_policy():
    """The booking rules of the application serving this request."""
    return bookings.Policy.from_config(current_app.config)


def mailroom():
    """What sending needs of the application serving this request (or command), for the operations."""
    return mailroom_of(current_app)


def lang():
    """The reader's language: ``ru`` or ``en``."""
    return str(get_locale() or "ru")


def division_or_404(slug, include_inactive=False):
    division = bookings.get_division(slug, include_inactive=include_inactive)
    if division is None:
        abort(404)
    return division


def own_booking_or_404(code, token):
    """The booking a citizen reaches with its code and private token; 404 for any other pair."""
    booking = bookings.find_booking(code, token)
    if booking is None:
        abort(404)
    return booking


def staff_booking_or_404(code):
    """The booking with ``code`` if the member of staff may see its division (404 / 403 otherwise)."""
    booking = bookings.find_booking_by_code(code)
    if booking is None:
        abort(404)
    require_division(booking.division)
    return booking


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


def _requested_week(policy, now, around=None):
    """The Monday of the week asked for in ``?week=`` (else of ``around``, else None), and the window's first and last."""
    window = booking_window(now, policy.tz, policy.horizon_days, policy.min_notice_minutes)
    first, last = week_start(window.first_day), week_start(window.last_day)
    try:
        wanted = week_start(parse_iso_date(request.args["week"]))
    except (KeyError, ValueError):
        if around is None:
            return None, first, last
        wanted = week_start(around.astimezone(policy.tz).date())
    return min(max(wanted, first), last), first, last


def week_of_slots(division, now, policy, around=None, available=None):
    """The slots of one week grouped by local day, with navigation to the neighbours.

    Without ``?week=`` it is the week of ``around`` (an instant, e.g. the appointment being moved), else
    the first week that has a free time, so nobody lands on an empty week.
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

    monday, first, last = _requested_week(policy, now, around)
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
    horizon = booking_window(now, policy.tz, policy.horizon_days, policy.min_notice_minutes).last_day
    days = []
    for day, items in by_day.items():
        closure = closure_on(day, division.closures)
        days.append({"day": day, "slots": items, "past": day < today, "beyond": day > horizon,
                     "holiday": holiday_name(day, policy.holiday_country, lang()),
                     # Why a day offers nothing: closed (with the reason the public is told), no reception
                     # on that weekday, or every time taken ("No free time").
                     "closed": closure is not None, "closed_reason": closure.reason if closure else "",
                     "no_reception": not slots_for_day(day, division.rules, policy.tz)})
    return {
        "monday": monday,
        "sunday": sunday,
        "days": days,
        "has_slots": bool(slots),
        "prev_week": monday - timedelta(days=7) if monday > first else None,
        "next_week": monday + timedelta(days=7) if monday < last else None,
        "today": today,
    }


def move_refusal(booking, start_dt, now, policy, confirmed, actor=None):
    """Why ``booking`` cannot move to ``start_dt`` (a :class:`bookings.BookingError`), or None.

    Before the confirmation only the time is checked; once confirmed, the booking is moved and committed.
    """
    if start_dt is None:
        return bookings.SlotNotBookable()
    if not confirmed:
        slot = bookings.slot_view_at(booking.division, start_dt, now, policy)
        if slot is None:
            return bookings.SlotNotBookable(
                alternatives=bookings.free_alternatives(booking.division, start_dt, now, policy),
                reason=bookings.unbookable_reason(booking.division, start_dt, now, policy))
        if start_dt == booking.start_utc:
            return bookings.SlotNotBookable()
        if slot.available == 0:
            return bookings.SlotTaken(alternatives=bookings.free_alternatives(booking.division, start_dt, now, policy))
        return None
    _done, refusal = commit_or_refuse(
        lambda: bookings.reschedule_booking(booking, start_dt, now, policy, mailroom(),
                                            **({"actor": actor} if actor else {})))
    return refusal


def staff_actor(channel="web"):
    """The logged-in member of staff as the actor of an operation."""
    user = current_user._get_current_object()
    return bookings.Actor(kind=user.role, user=user, channel=channel)
