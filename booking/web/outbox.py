"""Pages about e-mail: a fresh manage link for citizens, and the outbox for administrators."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import bookings
from ..accounts.auth import roles_required
from ..core.timeutil import now_utc
from ..extensions import db
from ..models import OutboxMessage, Role
from ..notify import links, outbox as mail
from .forms import LinkRenewForm, LinkRequestForm, RequeueForm
from .helpers import mailroom

bp = Blueprint("mail", __name__)


@bp.route("/bookings/<code>/link", methods=["GET", "POST"])
def request_link(code):
    form = LinkRequestForm()
    if form.validate_on_submit():
        bookings.send_manage_link(code, form.email.data, now_utc(), mailroom())
        db.session.commit()
        # The same answer whether or not the address matched: the page reveals nothing.
        flash(_("If this is the address of booking %(code)s, a new link is on its way. "
                "It can take a few minutes.", code=bookings.normalise_code(code)), "success")
        return redirect(url_for("mail.request_link", code=code), code=303)
    return render_template("public/link_request.html", form=form, code=bookings.normalise_code(code)), \
        (422 if form.errors else 200)


@bp.route("/bookings/<code>/link/<signature>", methods=["GET", "POST"])
def renew_link(code, signature):
    booking = bookings.find_booking_by_code(code)
    if booking is None or not links.renewal_is_valid(mailroom(), booking, signature):
        return render_template("public/link_renew.html", form=None, code=bookings.normalise_code(code)), 410
    form = LinkRenewForm()
    # A button, not the link itself, renews: mail scanners that follow links change nothing.
    if form.validate_on_submit():
        token = bookings.renew_manage_token(booking, now_utc())
        db.session.commit()
        return redirect(url_for("public.manage", code=booking.code, token=token), code=303)
    return render_template("public/link_renew.html", form=form, code=booking.code)


@bp.get("/staff/outbox")
@roles_required(Role.ADMIN)
def outbox():
    config = current_app.config
    return render_template("staff/outbox.html", messages=mail.failed_messages(), waiting=mail.waiting_messages(),
                           counts=mail.outbox_counts(), form=RequeueForm(),
                           no_server=not config.get("MAIL_SERVER"), suppressed=bool(config.get("MAIL_SUPPRESS_SEND")))


@bp.post("/staff/outbox/<int:message_id>/requeue")
@roles_required(Role.ADMIN)
def requeue(message_id):
    form = RequeueForm()
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    if mail.requeue(message, now_utc()):
        db.session.commit()
        flash(_("The message will be sent again."), "success")
    else:
        db.session.rollback()
        flash(_("This message cannot be sent again."), "error")
    return redirect(url_for("mail.outbox"), code=303)
