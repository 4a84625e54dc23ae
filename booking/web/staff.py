"""Staff pages: logging in, the daily agenda, a booking's staff page, and booking on a caller's behalf.

Every view checks the role here and the division through :mod:`booking.auth`;
heads see their own divisions only. The work itself is done by
:mod:`booking.services` and :mod:`booking.accounts`.
"""
from dataclasses import replace
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import accounts, bookings
from ..accounts import throttle as login_throttle
from ..accounts.auth import STAFF, require_division, roles_required
from ..core.exports import csv_bytes, xlsx_bytes
from ..core.scheduling import holiday_name
from ..core.timeutil import local_today, now_utc, parse_iso_date
from ..core.validation import format_phone, normalise_phone
from ..extensions import db
from ..models import Role, Topic
from ..notify import sms
from ..security import limit_login
from . import sessions as staff_sessions
from .formatting import clock, status_label, topic_label
from .forms import LoginForm, MarkForm, NoteForm, PhoneBookingForm, StaffCancelForm, StaffMoveForm
from . import page_cache
from .helpers import (commit_or_refuse, current_policy, details_from, division_or_404, lang, mailroom,
                      move_refusal, parse_start, staff_actor, staff_booking_or_404, week_of_slots)
from .reasons import unbookable_message
from .read_only import reads_only
from .redirects import local_path

bp = Blueprint("staff", __name__)

BOOKERS = (Role.OPERATOR, Role.ADMIN)
MARKERS = (Role.HEAD, Role.ADMIN)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Logging in and out ---------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
@limit_login
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    target = local_path(form.next.data) or url_for("staff.home")
    if current_user.is_authenticated:
        return redirect(target)
    failed, wait, throttled = False, 0, False
    if form.validate_on_submit():
        attempt = login_throttle.attempt_login(
            form.email.data, form.password.data, request.remote_addr, now_utc(),
            login_throttle.ThrottleRules.from_config(current_app.config), current_app.config["SECRET_KEY"],
            mailroom())
        db.session.commit()
        if attempt.user is not None:
            # A fresh session at login: nothing chosen before it carries over, except the language.
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(attempt.user)
            staff_sessions.start(attempt.user)
            return redirect(target, code=303)
        failed, wait, throttled = True, attempt.wait_seconds, attempt.throttled
    response = render_template("staff/login.html", form=form, failed=failed, wait=wait, throttled=throttled)
    if throttled:
        return response, 429, {"Retry-After": str(wait)}
    return response, (401 if failed else 200)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # Ends this session and any copy of its cookie.
        accounts.end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("staff.login"), code=303)


@bp.get("/staff/")
@roles_required(*STAFF)
def home():
    if current_user.role == Role.OPERATOR:
        return redirect(url_for("staff.search"))
    return redirect(url_for("staff.agenda"))


# --- The agenda -----------------------------------------------------------------------------------

def _day_or_404(value, policy):
    if value is None:
        return local_today(now_utc(), policy.tz)
    try:
        day = parse_iso_date(value)
    except ValueError:
        abort(404)
    if not 1900 < day.year < 9999:  # the agenda links the days around it; date.min/max have none
        abort(404)
    return day


def _agenda_divisions():
    """The divisions the current user may choose on the agenda."""
    if current_user.role == Role.HEAD:
        return list(current_user.divisions)
    return bookings.all_divisions()


def _agenda_division(divisions):
    """The division asked for with ``?division=``, else the first the user may see; 403 for others'."""
    slug = request.args.get("division")
    if not slug:
        return divisions[0] if divisions else None
    division = bookings.get_division(slug, include_inactive=True)
    if division is None:
        abort(404)
    require_division(division)
    return division


@bp.get("/agenda", defaults={"day": None})
@bp.get("/agenda/<day>")
@reads_only
@roles_required(*STAFF)
def agenda(day):
    policy = current_policy()
    if day is None and request.args.get("day"):
        # The date picker submits ?day=…; the agenda of a day has its own address.
        return redirect(url_for("staff.agenda", day=request.args["day"], division=request.args.get("division")))
    day = _day_or_404(day, policy)
    divisions = _agenda_divisions()
    division = _agenda_division(divisions)
    if division is None:
        return render_template("staff/agenda.html", division=None, divisions=divisions, day=day)
    now = now_utc()
    division_arg = {"division": division.slug} if request.args.get("division") else {}
    kept = page_cache.serve(_agenda_key(division, divisions, day, now, policy), staff=True, personal=True)
    if kept is not None:
        return kept
    agenda = bookings.agenda_day(division, day, policy)
    # "Cancel" leaves a booking's row when it starts: the page is kept until the next start at the latest.
    page_cache.keep_until(min((row.booking.start_utc for row in agenda.rows
                               if row.booking is not None and row.booking.start_utc > now), default=None))
    return render_template(
        "staff/agenda.html", division=division, divisions=divisions, day=day, now=now,
        agenda=agenda,
        holiday=holiday_name(day, policy.holiday_country, lang()),
        today=local_today(now, policy.tz), division_arg=division_arg,
        prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1),
        can_mark=lambda b: current_user.role in MARKERS and bookings.can_mark(b, now, policy.tz),
        can_change=lambda b: current_user.role != Role.DIRECTOR and bookings.can_change(b, now),
    )


def _agenda_key(division, divisions, day, now, policy):
    """What a day's agenda shows, read in this request: who looks, and the division's count of changes.

    The count covers the division's row, bookings, reception rules, closures and
    feed link (booking.change_counts); the division's columns are in the key too,
    since they are at hand.
    """
    user = current_user
    return ("agenda", (user.id, user.role, user.name, user.email), tuple((d.id, d.slug, d.name) for d in divisions),
            tuple(getattr(division, column.key) for column in division.__table__.columns),
            bookings.division_change_count(division), day, local_today(now, policy.tz))


def _agenda_csv_cells(row):
    booking = row.booking
    when = f"{clock(row.start_dt)}–{clock(row.end_dt)}"
    if booking is None:
        free = _("Free") if row.free_places == 1 else _("Free: %(num)d places", num=row.free_places)
        return [when, free] + [""] * 9
    status = str(status_label(booking.status))
    if row.off_schedule:
        status = _("%(status)s, outside the reception hours", status=status)
    return [when, status, booking.full_name, format_phone(booking.phone), booking.email,
            str(topic_label(booking.topic)), booking.message, booking.account, booking.address,
            booking.code, booking.staff_note]


def _agenda_table(day):
    """``(division, day, header, rows)`` of the agenda asked for, as the exports write it."""
    policy = current_policy()
    day = _day_or_404(day, policy)
    division = _agenda_division(_agenda_divisions())
    if division is None:
        abort(404)
    agenda = bookings.agenda_day(division, day, policy)
    header = [_("Time"), _("Status"), _("Name"), _("Phone"), _("E-mail"), _("Topic"), _("Question"),
              _("Customer account"), _("Address"), _("Code"), _("Staff note")]
    rows = [_agenda_csv_cells(row) for row in agenda.rows]
    rows += [_agenda_csv_cells(bookings.AgendaRow(b.start_utc, b.end_utc, booking=b)) for b in agenda.cancelled]
    return division, day, header, rows


def _download(body, mimetype, filename):
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/agenda/<day>.csv")
@roles_required(*STAFF)
def agenda_csv(day):
    division, day, header, rows = _agenda_table(day)
    return _download(csv_bytes(header, rows), "text/csv", f"agenda-{division.slug}-{day.isoformat()}.csv")


@bp.get("/agenda/<day>.xlsx")
@roles_required(*STAFF)
def agenda_xlsx(day):
    """The agenda as an Excel workbook: every cell text, so phone numbers show as typed."""
    division, day, header, rows = _agenda_table(day)
    return _download(xlsx_bytes(header, rows, title=day.isoformat()), XLSX_TYPE,
                     f"agenda-{division.slug}-{day.isoformat()}.xlsx")


# --- A booking's staff page and the actions on it -------------------------------------------------

def _back_to(booking, form):
    target = local_path(form.next.data) or url_for("staff.booking", code=booking.code)
    return redirect(target, code=303)


@bp.get("/staff/bookings/<code>")
@roles_required(*STAFF)
def booking(code):
    booking = staff_booking_or_404(code)
    now = now_utc()
    policy = current_policy()
    return render_template(
        "staff/booking.html", booking=booking, day=booking.start_utc.astimezone(policy.tz).date(),
        may_mark=current_user.role in MARKERS and bookings.can_mark(booking, now, policy.tz),
        may_change=bookings.can_change(booking, now) and current_user.role != Role.DIRECTOR,
        may_move=current_user.role in BOOKERS,
        just_booked=request.args.get("new") == "1" and booking.status == "booked",
        sms_to_phone=sms.wanted_for(mailroom(), booking),
    )


def _unmailed(booking):
    """What staff must do themselves when a change cannot be mailed."""
    if booking.email:
        return ""
    if sms.wanted_for(mailroom(), booking):
        return " " + _("The visitor has no e-mail and is told by SMS at %(phone)s.", phone=format_phone(booking.phone))
    return " " + _("The visitor has no e-mail: tell them by phone, %(phone)s.", phone=format_phone(booking.phone))


def _run(booking, operation, form, done_message):
    """Validate ``form``, run ``operation`` and commit; a refused operation becomes a message."""
    if not form.validate_on_submit():
        abort(400)
    _done, refusal = commit_or_refuse(operation)
    if refusal is None:
        flash(done_message, "success")
    elif isinstance(refusal, bookings.TooEarly):
        flash(_("A visit can be marked from the day of the reception on."), "error")
    else:
        flash(_("This booking can no longer be changed."), "error")
    return _back_to(booking, form)


@bp.post("/staff/bookings/<code>/mark")
@roles_required(*MARKERS)
def mark(code):
    booking = staff_booking_or_404(code)
    form = MarkForm()
    policy = current_policy()
    return _run(booking, lambda: bookings.mark_booking(booking, form.status.data, now_utc(), staff_actor(),
                                                       policy.tz),
                form, _("%(code)s: %(status)s.", code=booking.code, status=status_label(form.status.data)))


@bp.post("/staff/bookings/<code>/note")
@roles_required(*STAFF)
def note(code):
    booking = staff_booking_or_404(code)
    form = NoteForm()
    return _run(booking, lambda: bookings.set_staff_note(booking, form.note.data, now_utc(), staff_actor()),
                form, _("%(code)s: the note is saved.", code=booking.code))


@bp.post("/staff/bookings/<code>/cancel")
@roles_required(*STAFF)
def cancel(code):
    booking = staff_booking_or_404(code)
    form = StaffCancelForm()
    return _run(booking, lambda: bookings.cancel_booking(booking, now_utc(), mailroom(), actor=staff_actor(),
                                                         reason=form.reason.data or ""),
                form, _("%(code)s is cancelled.", code=booking.code) + _unmailed(booking))


@bp.route("/staff/bookings/<code>/move", methods=["GET", "POST"])
@roles_required(*BOOKERS)
def move(code):
    booking = staff_booking_or_404(code)
    policy = current_policy()
    now = now_utc()
    if not bookings.can_change(booking, now):
        flash(_("This booking can no longer be changed."), "error")
        return redirect(url_for("staff.booking", code=booking.code), code=303)
    form = StaffMoveForm()
    problem, problem_text = None, None
    if form.validate_on_submit():
        start_dt = parse_start(form.start.data, policy)
        refusal = move_refusal(booking, start_dt, now, policy, confirmed=form.confirm.data == "1",
                               actor=staff_actor())
        if refusal is None and form.confirm.data != "1":
            form.confirm.data = "1"
            return render_template("staff/move_confirm.html", booking=booking, form=form,
                                   new_slot=bookings.slot_view_at(booking.division, start_dt, now, policy))
        if refusal is None:
            flash(_("%(code)s is moved.", code=booking.code) + _unmailed(booking), "success")
            return redirect(url_for("staff.booking", code=booking.code), code=303)
        problem = refusal.code
        problem_text = unbookable_message(refusal.reason, policy) if getattr(refusal, "reason", None) else None
    return render_template("staff/move.html", booking=booking, form=form, problem=problem, problem_text=problem_text,
                           week=week_of_slots(booking.division, now, policy, around=booking.start_utc)), \
        (409 if problem else 200)


# --- Search and booking on behalf of a caller -----------------------------------------------------

@bp.get("/staff/search")
@roles_required(*BOOKERS)
def search():
    query = request.args.get("q", "").strip()
    results = []
    if query:
        try:
            phone = normalise_phone(query, current_app.config["PHONE_DEFAULT_REGION"])
        except ValueError:
            phone = None
        results = bookings.search_bookings(code=query, phone=phone)
    return render_template("staff/search.html", query=query, results=results)


@bp.get("/staff/book")
@roles_required(*BOOKERS)
def book_divisions():
    return render_template("staff/book_divisions.html", divisions=bookings.active_divisions())


@bp.get("/staff/book/<slug>")
@roles_required(*BOOKERS)
def book_week(slug):
    division = division_or_404(slug)
    return render_template("staff/book_week.html", division=division,
                           week=week_of_slots(division, now_utc(), current_policy()))


@bp.route("/staff/book/<slug>/details", methods=["GET", "POST"])
@roles_required(*BOOKERS)
def book(slug):
    division = division_or_404(slug)
    policy = current_policy()
    now = now_utc()
    form = PhoneBookingForm()
    problem, alternatives, reason = None, [], None
    start_dt = parse_start(form.choose_start(request), policy)
    if start_dt is None:
        flash(_("Choose a time first."), "error")
        return redirect(url_for("staff.book_week", slug=division.slug))
    slot = bookings.slot_view_at(division, start_dt, now, policy)
    if form.validate_on_submit():
        # The caller's language is the site's default, not the operator's.
        details = replace(details_from(form), locale=current_app.config["BABEL_DEFAULT_LOCALE"])
        made, refusal = commit_or_refuse(
            lambda: bookings.create_booking(division, start_dt, details, now, policy, mailroom(),
                                            actor=staff_actor(channel="phone")))
        if refusal is None:
            booking = made[0]
            flash(_("Booked: code %(code)s. Tell the caller the code.", code=booking.code), "success")
            return redirect(url_for("staff.booking", code=booking.code, new=1), code=303)
        problem, alternatives, reason = refusal.code, refusal.alternatives, getattr(refusal, "reason", None)
    elif slot is None or slot.available == 0:
        problem = bookings.SlotNotBookable.code if slot is None else bookings.SlotTaken.code
        alternatives = bookings.free_alternatives(division, start_dt, now, policy)
        reason = bookings.unbookable_reason(division, start_dt, now, policy) if slot is None else None
    status = 409 if problem else (422 if form.errors else 200)
    return render_template("staff/book.html", division=division, form=form, slot=slot, start_dt=start_dt,
                           problem=problem, alternatives=alternatives, note_topics=Topic.IN_HOUSE_NOTE,
                           problem_text=unbookable_message(reason, policy) if reason else None), status
