"""Administrators see where bookings came from in a period and undo a burst at once.

The page lists the busiest origins of the period (API clients by name, web
addresses by their keyed hash: the addresses themselves are never stored), the
bookings of one origin (chosen from that list, or by typing the address, which
is hashed the same way), and cancels a selection through the usual
cancellation, so each visitor is told.
"""
import ipaddress
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import bookings
from ..accounts import api_clients
from ..accounts.auth import roles_required
from ..bookings import bursts
from ..bookings.bursts import REF_LENGTH, client_ref
from ..core.timeutil import local_day_bounds, local_today, now_utc, parse_iso_date
from ..extensions import db
from ..models import Role
from ..security import mark_private
from .converters import ROW_ID_MAX
from .helpers import current_policy, mailroom
from .redirects import local_path

bp = Blueprint("bursts", __name__)

DEFAULT_DAYS = 2
REASON_MAX = 300


@bp.before_request
@roles_required(Role.ADMIN)
def _administrators_only():
    """Administrators only; the lists carry personal data, so nothing here is cached."""
    mark_private()


def _period(tz):
    """The first and last local day asked for (default: yesterday and today), and a problem if any."""
    today = local_today(now_utc(), tz)
    first, last = today - timedelta(days=DEFAULT_DAYS - 1), today
    problem = None
    try:
        if request.args.get("from"):
            first = parse_iso_date(request.args["from"])
        if request.args.get("to"):
            last = parse_iso_date(request.args["to"])
    except ValueError:
        problem = _("Use dates like 2026-12-02.")
    if last < first:
        problem = _("The last day is before the first day.")
    return first, last, problem


def _origin():
    """The reference or API client id chosen (``ref``, ``address`` or ``client``), and a problem if any."""
    ref = request.args.get("ref", "").strip().lower()
    address = request.args.get("address", "").strip()
    client_id = request.args.get("client", "").strip()
    if address:
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            return None, None, _("Enter an IP address such as 203.0.113.5.")
        return client_ref(address, current_app.config["SECRET_KEY"]), None, None
    if ref:
        if len(ref) != REF_LENGTH or any(c not in "0123456789abcdef" for c in ref):
            return None, None, _("This is not an address reference.")
        return ref, None, None
    if client_id:
        if not client_id.isdigit() or int(client_id) > ROW_ID_MAX or api_clients.get_client(int(client_id)) is None:
            return None, None, _("No such API client.")
        return None, int(client_id), None
    return None, None, None


@bp.get("/")
def index():
    policy = current_policy()
    first, last, problem = _period(policy.tz)
    ref, client_id, origin_problem = _origin()
    problem = problem or origin_problem
    origins, results = [], []
    if not problem:
        first_dt, end_dt = local_day_bounds(first, policy.tz)[0], local_day_bounds(last, policy.tz)[1]
        origins = bursts.busiest_origins(first_dt, end_dt)
        results = bursts.bookings_by_origin(first_dt, end_dt, client_ref=ref, api_client_id=client_id)
    now = now_utc()
    return render_template("admin/bursts.html", first=first, last=last, problem=problem, origins=origins,
                           results=results, ref=ref, client_id=client_id, clients=api_clients.all_clients(),
                           can_change=lambda b: bookings.can_change(b, now),
                           chosen_client=api_clients.get_client(client_id) if client_id else None,
                           back=request.full_path.rstrip("?")), (422 if problem else 200)


@bp.post("/cancel")
def cancel():
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError

    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        abort(400)
    back = local_path(request.form.get("next", ""), url_for("bursts.index"))
    if not back.startswith(url_for("bursts.index")):
        back = url_for("bursts.index")
    ids = [int(v) for v in request.form.getlist("booking") if v.isdigit()]
    if not ids:
        flash(_("Choose the bookings to cancel first."), "error")
        return redirect(back, code=303)
    reason = " ".join(request.form.get("reason", "").split())[:REASON_MAX]
    user = current_user._get_current_object()
    cancelled, left = bursts.cancel_selected(ids, now_utc(), bookings.Actor(kind=user.role, user=user),
                                             mailroom(), reason=reason)
    db.session.commit()
    message = ngettext("%(num)d booking cancelled; the visitor is told.",
                       "%(num)d bookings cancelled; the visitors are told.", len(cancelled))
    if left:
        message += " " + ngettext("%(num)d booking could not be cancelled (already cancelled or past).",
                                  "%(num)d bookings could not be cancelled (already cancelled or past).", len(left))
    flash(message, "success")
    return redirect(back, code=303)
