"""A member of staff's own account page: who they are, and "log out everywhere"."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm

from .. import accounts
from ..accounts.auth import STAFF, roles_required
from ..extensions import db

bp = Blueprint("account", __name__)


@bp.get("/staff/account")
@roles_required(*STAFF)
def account():
    return render_template("staff/account.html", user=current_user, form=FlaskForm(),
                           idle_minutes=current_app.config["STAFF_IDLE_MINUTES"])


@bp.post("/staff/account/logout-everywhere")
@roles_required(*STAFF)
def logout_everywhere():
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please submit it again."), "error")
        return redirect(url_for("account.account"), code=303)
    accounts.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("You are logged out on every device."), "success")
    return redirect(url_for("staff.login"), code=303)
