"""Administration of API keys: create and name a client (its key shown once), list, revoke.

Administrators only. A new key is shown on the page that answers the creating
POST, never in an address or a flash message, and that page is never cached.
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts import api_clients as api_keys
from ..accounts.auth import roles_required
from ..extensions import db
from ..models import Role
from ..security import mark_private
from ..core.timeutil import now_utc

bp = Blueprint("api_keys", __name__)

PERMISSION_LABELS = {
    "bookings": _l("Book appointments (POST /api/v1/bookings)"),
    "statistics": _l("Read the statistics"),
}


class ApiKeyForm(FlaskForm):
    name = StringField(_l("Name of the client"), validators=[
        DataRequired(message=_l("Give the client a name.")), Length(max=api_keys.NAME_MAX)],
        description=_l("Who uses the key, e.g. Hotline. Bookings made with it are shown as made through it."))
    permissions = SelectMultipleField(_l("Permissions"), default=["bookings"],
                                      choices=[SelectChoice(p, PERMISSION_LABELS[p]) for p in api_keys.PERMISSIONS],
                                      widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                      validators=[DataRequired(message=_l("Choose at least one permission."))])
    submit = SubmitField(_l("Create the key"))


class RevokeForm(FlaskForm):
    submit = SubmitField(_l("Revoke"))


@bp.before_request
@roles_required(Role.ADMIN)
def _administrators_only():
    """Every page here is for administrators; none of them may be cached."""
    mark_private()


def _page(form, new_key=None, new_client=None, status=200):
    return render_template("admin/api_keys.html", clients=api_keys.all_clients(), form=form,
                           revoke_form=RevokeForm(), new_key=new_key, new_client=new_client,
                           permission_labels=PERMISSION_LABELS), status


@bp.get("/")
def index():
    return _page(ApiKeyForm())


@bp.post("/")
def create():
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        client, key = api_keys.create_client(form.name.data, now_utc(), form.permissions.data)
    except api_keys.ApiKeyError as exc:
        form.name.errors.append(str(exc))
        return _page(form, status=422)
    db.session.commit()
    return _page(ApiKeyForm(formdata=None), new_key=key, new_client=client)


@bp.post("/<int:client_id>/revoke")
def revoke(client_id):
    if not RevokeForm().validate_on_submit():
        abort(400)
    client = api_keys.get_client(client_id)
    if client is None:
        abort(404)
    api_keys.revoke(client, now_utc())
    db.session.commit()
    flash(_("The key of “%(name)s” is revoked: it no longer works.", name=client.name), "success")
    return redirect(url_for("api_keys.index"), code=303)
