"""The citizen's pages: divisions, free slots, booking form, and the private manage page."""
import logging
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from . import services
from .extensions import db
from .forms import BookingForm, CancelForm, MoveForm
from .models import Topic
from .scheduling import booking_window, holiday_name
from .security import limit_booking, mark_private
from .timeutil import local_today, now_utc, parse_iso_date, parse_iso_datetime, week_start
from .web.redirects import local_path

bp = Blueprint("public", __name__)
log = logging.getLogger(__name__)


@bp.get("/")
def index():
    return render_template("public/index.html", divisions=services.active_divisions())


@bp.get("/lang/<lang>")
def set_language(lang):
    # ``next`` may be a manage link with its token: never cached, never sent on as a Referer.
    mark_private()
    if lang in ("ru", "en"):
        session["lang"] = lang
    return redirect(local_path(request.args.get("next", ""), url_for("public.index")))


def _division_or_404(slug):
    division = services.get_division(slug)
    if division is None:
        abort(404)
    return division


def _requested_week(policy, now):
    """The Monday of the week asked for in ``?week=`` (None when not asked), and the window's first and last."""
    window = booking_window(now, policy.tz, policy.horizon_days, policy.min_notice_minutes)
    first, last = week_start(window.first_day), week_start(window.last_day)
    try:
        wanted = week_start(parse_iso_date(request.args["week"]))
    except (KeyError, ValueError):
        return None, first, last
    return min(max(wanted, first), last), first, last


def week_of_slots(division, now, policy):
    """The slots of one week grouped by local day, with navigation to the neighbours.

    Without ``?week=`` it is the first week that has a free time, so nobody lands on an empty week.
    """
    def slots_of(monday):
        return services.slot_views(division, now, policy, monday, monday + timedelta(days=6))

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
             "holiday": holiday_name(day, policy.holiday_country, _lang())}
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


def _lang():
    return str(get_locale() or "ru")


@bp.get("/divisions/<slug>")
def division(slug):
    division = _division_or_404(slug)
    policy = services.current_policy()
    now = now_utc()
    return render_template("public/division.html", division=division,
                           week=week_of_slots(division, now, policy), policy=policy)


def _parse_start(value, policy):
    try:
        return parse_iso_datetime(value, policy.tz)
    except (TypeError, ValueError):
        return None


def _details_from(form):
    return services.CitizenDetails(
        full_name=form.full_name.data, phone=form.phone.data, email=form.email.data or "",
        topic=form.topic.data, message=form.message.data or "", account=form.account.data or "",
        address=(form.address.data or "").strip(), locale=_lang(),
    )


@bp.route("/divisions/<slug>/book", methods=["GET", "POST"])
@limit_booking
def book(slug):
    division = _division_or_404(slug)
    if request.method == "POST" and request.form.get("website"):
        # A bot filled the honeypot: answer as if all went well, store nothing.
        log.info("booking form honeypot filled; nothing stored")
        return render_template("public/received.html", division=division)
    policy = services.current_policy()
    now = now_utc()
    form = BookingForm()
    start_dt = _parse_start(form.choose_start(request), policy)
    if start_dt is None:
        flash(_("Choose a time first."), "error")
        return redirect(url_for("public.division", slug=slug))

    slot = services.slot_view_at(division, start_dt, now, policy)
    if slot is None and request.method == "GET":
        flash(_("This time cannot be booked. Choose another one."), "error")
        return redirect(url_for("public.division", slug=slug, week=start_dt.astimezone(policy.tz).date()))

    alternatives, problem = [], None
    if slot is None:
        # The time stopped being bookable while the form was filled in: keep what was typed.
        form.validate()
        alternatives = services.free_alternatives(division, start_dt, now, policy)
        problem = services.SlotNotBookable.code
    elif form.validate_on_submit():
        try:
            booking, token = services.create_booking(division, start_dt, _details_from(form), now)
            db.session.commit()
        except services.BookingError as exc:
            db.session.rollback()
            alternatives, problem = exc.alternatives, exc.code
        else:
            return redirect(url_for("public.manage", code=booking.code, token=token, new=1), code=303)
    elif slot.available == 0:
        alternatives, problem = services.free_alternatives(division, start_dt, now, policy), services.SlotTaken.code
    status = 409 if problem else (422 if form.errors else 200)
    return render_template("public/book.html", division=division, form=form, slot=slot,
                           problem=problem, alternatives=alternatives,
                           note_topics=Topic.IN_HOUSE_NOTE), status


def _booking_or_404(code, token):
    booking = services.find_booking(code, token)
    if booking is None:
        abort(404)
    return booking


@bp.get("/bookings/<code>")
def manage(code):
    token = request.args.get("token", "")
    booking = _booking_or_404(code, token)
    now = now_utc()
    return render_template("public/booking.html", booking=booking, token=token,
                           is_new=request.args.get("new") == "1",
                           can_change=services.can_change(booking, now))


@bp.get("/bookings/<code>/cancel")
def confirm_cancel(code):
    """Ask before cancelling: a mistaken tap on a phone should not lose the appointment."""
    token = request.args.get("token", "")
    booking = _booking_or_404(code, token)
    if not services.can_change(booking, now_utc()):
        flash(_("This appointment can no longer be changed."), "error")
        return redirect(url_for("public.manage", code=booking.code, token=token), code=303)
    return render_template("public/cancel.html", booking=booking, token=token, form=CancelForm(token=token))


@bp.post("/bookings/<code>/cancel")
def cancel(code):
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    booking = _booking_or_404(code, form.token.data)
    try:
        services.cancel_booking(booking, now_utc())
        db.session.commit()
        flash(_("The appointment is cancelled."), "success")
    except services.NotChangeable:
        db.session.rollback()
        flash(_("This appointment can no longer be changed."), "error")
    return redirect(url_for("public.manage", code=booking.code, token=form.token.data), code=303)


@bp.route("/bookings/<code>/move", methods=["GET", "POST"])
def move(code):
    form = MoveForm()
    token = form.token.data if request.method == "POST" else request.args.get("token", "")
    booking = _booking_or_404(code, token)
    policy = services.current_policy()
    now = now_utc()
    if not services.can_change(booking, now):
        flash(_("This appointment can no longer be changed."), "error")
        return redirect(url_for("public.manage", code=booking.code, token=token), code=303)
    problem, alternatives = None, []
    if form.validate_on_submit():
        start_dt = _parse_start(form.start.data, policy)
        try:
            if start_dt is None:
                raise services.SlotNotBookable()
            services.reschedule_booking(booking, start_dt, now)
            db.session.commit()
        except services.BookingError as exc:
            db.session.rollback()
            problem, alternatives = exc.code, exc.alternatives
        else:
            flash(_("The appointment is moved."), "success")
            return redirect(url_for("public.manage", code=booking.code, token=token), code=303)
    form.token.data = token
    return render_template("public/move.html", booking=booking, form=form, token=token,
                           week=week_of_slots(booking.division, now, policy), problem=problem,
                           alternatives=alternatives), (409 if problem else 200)
