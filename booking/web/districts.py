"""Districts: administrators attach them to divisions; the home page finds a citizen's division by district."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from .. import bookings
from ..accounts.auth import roles_required
from ..bookings import districts
from ..extensions import db
from ..models import Role

bp = Blueprint("districts", __name__)


class DistrictsForm(FlaskForm):
    names = TextAreaField(_l("Districts served"), validators=[Length(max=10_000)],
                          description=_l("One district per line, as Moscow names them, e.g. Бескудниковский. "
                                         "A district served by another division moves to this one."),
                          render_kw={"rows": 12})
    submit = SubmitField(_l("Save the districts"))


@bp.route("/admin/divisions/<slug>/districts", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(slug):
    division = bookings.get_division(slug, include_inactive=True)
    if division is None:
        abort(404)
    form = DistrictsForm()
    if form.validate_on_submit():
        moved = districts.set_districts(division, districts.parse_names(form.names.data))
        db.session.commit()
        flash(_("The districts are saved."), "success")
        if moved:
            flash(_("Moved from another division: %(names)s.", names=", ".join(moved)), "success")
        return redirect(url_for("admin.division", slug=division.slug), code=303)
    if request.method == "GET":
        form.names.data = "\n".join(districts.district_names(division))
    return render_template("admin/form.html", form=form, heading=_("Districts served by %(name)s", name=division.name),
                           division=division, intro=None, back_label=None, back_url=None, action=request.path), \
        (422 if form.errors else 200)


@bp.get("/find-division")
def find():
    """The home page's district select (a plain form): on to the division that serves the district."""
    try:
        district_id = int(request.args.get("district", ""))
    except ValueError:
        district_id = None
    if district_id is not None and not 0 < district_id < 2**31:  # beyond any id; SQLite would raise on it
        district_id = None
    division = districts.division_of(district_id) if district_id else None
    if division is None:
        flash(_("Choose your district from the list."), "error")
        return redirect(url_for("public.index", _anchor="district-finder"), code=303)
    return redirect(url_for("public.division", slug=division.slug), code=303)
