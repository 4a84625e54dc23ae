"""«My booking»: a form on every public page's header that sends a booking's manage link again."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from ..bookings import recovery
from ..bookings.codes import normalise_code
from ..extensions import db
from ..security import limit_booking
from ..core.timeutil import now_utc
from .helpers import mailroom

bp = Blueprint("my_booking", __name__)


class MyBookingForm(FlaskForm):
    """A booking's code and the phone or e-mail given when booking."""

    code = StringField(_l("Booking code"), validators=[DataRequired(message=_l("Enter the booking code.")),
                                                       Length(max=20)],
                       description=_l("Six letters and digits, for example K7R-4M3."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    contact = StringField(_l("Phone or e-mail"),
                          validators=[DataRequired(message=_l("Enter the phone or e-mail given when booking.")),
                                      Length(max=254)],
                          description=_l("The one you gave when booking."),
                          render_kw={"autocomplete": "email"})
    submit = SubmitField(_l("Send me the link"))

    def validate_contact(self, field):
        try:
            recovery.read_contact(field.data, current_app.config["PHONE_DEFAULT_REGION"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


@bp.route("/my-booking", methods=["GET", "POST"])
@limit_booking
def form():
    page = MyBookingForm()
    if page.validate_on_submit():
        recovery.send_link_again(page.code.data, page.contact.data, now_utc(), mailroom())
        db.session.commit()
        # The same answer whether or not anything matched: the page reveals nothing.
        flash(_("If code %(code)s and this phone or e-mail belong to one booking, a new link to it is on its way. "
                "It can take a few minutes.", code=normalise_code(page.code.data)), "success")
        return redirect(url_for("my_booking.form"), code=303)
    return render_template("public/my_booking.html", form=page), (422 if page.errors else 200)
