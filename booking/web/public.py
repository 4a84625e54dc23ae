"""The citizen's pages: divisions, free slots, booking form, and the private manage page."""
import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from .. import bookings
from ..bookings.districts import served_districts
from ..core.timeutil import local_today, now_utc
from ..models import Topic
from ..security import limit_booking, mark_private
from .forms import BookingForm, CancelForm, MoveForm
from . import booking_limits, page_cache
from .helpers import (commit_or_refuse, current_policy, details_from, division_or_404, mailroom, move_refusal,
                      own_booking_or_404, parse_start, week_of_slots)
from .reasons import unbookable_message
from .redirects import local_path

bp = Blueprint("public", __name__)
log = logging.getLogger(__name__)


@bp.get("/")
def index():
    kept = page_cache.serve(("home", bookings.catalog_key(current_policy())))
    if kept is not None:
        return kept
    return render_template("public/index.html", divisions=bookings.active_divisions(), districts=served_districts())


@bp.get("/lang/<lang>")
def set_language(lang):
    # ``next`` may be a manage link with its token: never cached, never sent on as a Referer.
    mark_private()
    if lang in ("ru", "en"):
        session["lang"] = lang
    return redirect(local_path(request.args.get("next", ""), url_for("public.index")))


@bp.get("/divisions/<slug>")
def division(slug):
    policy = current_policy()
    now = now_utc()
    # The places held are read here, every time; the page is rendered once per distinct answer.
    available = bookings.division_availability(slug, now, policy)
    if available is None:
        abort(404)
    kept = page_cache.serve(("week", available.key, available.shown, local_today(now, policy.tz)))
    if kept is not None:
        return kept
    division = division_or_404(slug)
    return render_template("public/division.html", division=division,
                           week=week_of_slots(division, now, policy, available=available), policy=policy)


@bp.route("/divisions/<slug>/book", methods=["GET", "POST"])
@limit_booking
def book(slug):
    if request.method == "GET":
        kept = _kept_form(slug)
        if kept is not None:
            return kept
    division = division_or_404(slug)
    if request.method == "POST" and request.form.get("website"):
        # A bot filled the honeypot: answer as if all went well, store nothing.
        log.info("booking form honeypot filled; nothing stored")
        return render_template("public/received.html", division=division)
    policy = current_policy()
    now = now_utc()
    form = BookingForm()
    start_dt = parse_start(form.choose_start(request), policy)
    if start_dt is None:
        flash(_("Choose a time first."), "error")
        return redirect(url_for("public.division", slug=slug))

    slot = bookings.slot_view_at(division, start_dt, now, policy)
    reason = bookings.unbookable_reason(division, start_dt, now, policy) if slot is None else None
    if slot is None and request.method == "GET":
        flash(unbookable_message(reason, policy) + " " + _("Choose another one."), "error")
        return redirect(url_for("public.division", slug=slug, week=start_dt.astimezone(policy.tz).date()))

    alternatives, problem = [], None
    if slot is None:
        # The time stopped being bookable while the form was filled in: keep what was typed.
        form.validate()
        alternatives = bookings.free_alternatives(division, start_dt, now, policy)
        problem = bookings.SlotNotBookable.code
    elif form.validate_on_submit():
        try:
            reservation = booking_limits.reserve(division.slug)
        except booking_limits.TooManyBookings as exc:
            return render_template("public/too_many_bookings.html", division=division, limit=exc.limit), 429
        try:
            made, refusal = commit_or_refuse(lambda: booking_limits.with_client_ref(
                bookings.create_booking(division, start_dt, details_from(form), now, policy, mailroom())))
        except Exception:
            reservation.release()  # e.g. the database unavailable: nothing was booked
            raise
        if refusal is None:
            booking, token = made
            return redirect(url_for("public.manage", code=booking.code, token=token, new=1), code=303)
        reservation.release()
        alternatives, problem = refusal.alternatives, refusal.code
        reason = getattr(refusal, "reason", None)
    elif slot.available == 0:
        alternatives, problem = bookings.free_alternatives(division, start_dt, now, policy), bookings.SlotTaken.code
    status = 409 if problem else (422 if form.errors else 200)
    return render_template("public/book.html", division=division, form=form, slot=slot,
                           problem=problem, alternatives=alternatives,
                           problem_text=unbookable_message(reason, policy) if reason else None,
                           note_topics=Topic.IN_HOUSE_NOTE), status


def _kept_form(slug):
    """The form for a free time as rendered before, or None: then it is rendered (and kept)."""
    policy = current_policy()
    start_dt = parse_start(request.args.get("start", ""), policy)
    if start_dt is None:
        return None
    day = start_dt.astimezone(policy.tz).date()
    available = bookings.division_availability(slug, now_utc(), policy, day, day)
    slot = next((s for s in available.slots if s.start_dt == start_dt), None) if available else None
    if slot is None or available.counts.get(start_dt, 0) >= slot.capacity:
        return None  # the full view says why
    return page_cache.serve(("form", available.shown, slot.start_dt, slot.end_dt))


@bp.get("/bookings/<code>")
def manage(code):
    token = request.args.get("token", "")
    now = now_utc()
    snapshot = bookings.booking_snapshot(code, token)
    if snapshot is None:
        abort(404)
    can_change = bookings.can_change(snapshot, now)
    kept = page_cache.serve(("manage", snapshot.values, can_change), personal=True)
    if kept is not None:
        return kept
    booking = own_booking_or_404(code, token)
    return render_template("public/booking.html", booking=booking, token=token,
                           is_new=request.args.get("new") == "1",
                           can_change=can_change)


@bp.get("/bookings/<code>/cancel")
def confirm_cancel(code):
    """Ask before cancelling: a mistaken tap on a phone should not lose the appointment."""
    token = request.args.get("token", "")
    booking = own_booking_or_404(code, token)
    if not bookings.can_change(booking, now_utc()):
        flash(_("This appointment can no longer be changed."), "error")
        return redirect(url_for("public.manage", code=booking.code, token=token), code=303)
    return render_template("public/cancel.html", booking=booking, token=token, form=CancelForm(token=token))


@bp.post("/bookings/<code>/cancel")
def cancel(code):
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    booking = own_booking_or_404(code, form.token.data)
    _done, refusal = commit_or_refuse(lambda: bookings.cancel_booking(booking, now_utc(), mailroom()))
    if refusal is None:
        flash(_("The appointment is cancelled."), "success")
    else:
        flash(_("This appointment can no longer be changed."), "error")
    return redirect(url_for("public.manage", code=booking.code, token=form.token.data), code=303)


@bp.route("/bookings/<code>/move", methods=["GET", "POST"])
def move(code):
    """Choose a new time, then confirm it: the appointment moves only on the second, confirming POST."""
    form = MoveForm()
    token = form.token.data if request.method == "POST" else request.args.get("token", "")
    booking = own_booking_or_404(code, token)
    policy = current_policy()
    now = now_utc()
    if not bookings.can_change(booking, now):
        flash(_("This appointment can no longer be changed."), "error")
        return redirect(url_for("public.manage", code=booking.code, token=token), code=303)
    problem, problem_text, alternatives = None, None, []
    if form.validate_on_submit():
        start_dt = parse_start(form.start.data, policy)
        refusal = move_refusal(booking, start_dt, now, policy, confirmed=form.confirm.data == "1")
        if refusal is None and form.confirm.data != "1":
            form.confirm.data = "1"
            return render_template("public/move_confirm.html", booking=booking, form=form, token=token,
                                   new_slot=bookings.slot_view_at(booking.division, start_dt, now, policy))
        if refusal is None:
            flash(_("The appointment is moved."), "success")
            return redirect(url_for("public.manage", code=booking.code, token=token), code=303)
        problem, alternatives = refusal.code, refusal.alternatives
        problem_text = unbookable_message(refusal.reason, policy) if getattr(refusal, "reason", None) else None
    form.token.data = token
    return render_template("public/move.html", booking=booking, form=form, token=token,
                           week=week_of_slots(booking.division, now, policy, around=booking.start_utc),
                           problem=problem, problem_text=problem_text,
                           alternatives=alternatives), (409 if problem else 200)
