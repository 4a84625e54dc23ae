"""Addresses that SMS lead to: Kannel's delivery reports, and the short renewal link a citizen receives."""
from flask import Blueprint, abort, redirect, request, url_for

from .. import bookings
from ..core.timeutil import now_utc
from ..database import write_intent
from ..extensions import db
from ..notify import links, sms
from ..security import mark_private
from .helpers import mailroom

bp = Blueprint("sms", __name__)
bp.before_request(mark_private)


@bp.get("/sms/dlr/<int:message_id>")
def delivery_report(message_id):
    """Kannel reports what became of an SMS; only a report signed for this message counts."""
    try:
        status = int(request.args.get("status", ""))
    except ValueError:
        abort(400)
    with write_intent():
        if not sms.record_report(mailroom(), message_id, request.args.get("sig", ""), status):
            db.session.rollback()
            abort(404)
        db.session.commit()
    return "", 204


@bp.get("/r/<code>/<key>")
def short_link(code, key):
    """The short renewal link of an SMS: on to the renewal page, as the e-mailed link would."""
    now = now_utc()
    for booking in bookings.bookings_by_code(code):
        if sms.short_link_is_valid(mailroom(), booking, key, now):
            signature = links.renewal_signature(mailroom(), booking)
            return redirect(url_for("mail.renew_link", code=booking.code, signature=signature), code=303)
    abort(404)


def init_app(app):
    app.register_blueprint(bp)
