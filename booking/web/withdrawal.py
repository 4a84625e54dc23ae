"""The citizen's «Delete my data»: a confirmation page, then the withdrawal of consent."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField
from wtforms.validators import DataRequired

from .. import bookings
from ..bookings import withdrawal
from ..core.timeutil import now_utc
from ..extensions import db
from ..security import private
from .helpers import own_booking_or_404

bp = Blueprint("withdrawal", __name__)


class EraseForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Delete my data"))


@bp.get("/bookings/<code>/erase")
def confirm_erase(code):
    """Ask first, saying what will happen: the appointment goes too, and nothing can be undone."""
    token = request.args.get("token", "")
    booking = own_booking_or_404(code, token)
    return render_template("public/erase.html", booking=booking, token=token, form=EraseForm(token=token),
                           cancels=bookings.can_change(booking, now_utc()))


@bp.post("/bookings/<code>/erase")
def erase(code):
    form = EraseForm()
    if not form.validate_on_submit():
        abort(400)
    booking = own_booking_or_404(code, form.token.data)
    withdrawal.erase_personal_data(booking, now_utc())
    db.session.commit()
    return redirect(url_for("withdrawal.erased"), code=303)


@bp.get("/bookings/erased")
@private
def erased():
    return render_template("public/erased.html")
