"""Administration: divisions, reception rules, closures and staff accounts; administrators only.

A change of the reception rules or a new closure never drops bookings
silently: when it would leave future bookings without a slot, the
administrator sees them and chooses to cancel them (the citizens are told) or
to keep them as exceptions, which stay valid and appear on the agenda.
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectChoice

from .. import accounts, bookings
from ..accounts import throttle as login_throttle
from ..accounts.auth import roles_required
from ..bookings import divisions
from ..core.timeutil import now_utc
from ..extensions import db
from ..models import Closure, ReceptionRule, Role, User
from .forms import ClosureForm, DivisionForm, NewUserForm, PasswordForm, RuleForm, UserForm
from .helpers import current_policy, division_or_404, mailroom, staff_actor

bp = Blueprint("admin", __name__)

@bp.before_request
@roles_required(Role.ADMIN)
def _administrators_only():
    """Every page here is for administrators (anyone else: login or 403)."""


def _get_or_404(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def _form_page(form, heading, division=None, back=(None, None), intro=None):
    """An administration form page; it posts back to the address it was opened at."""
    return render_template("admin/form.html", form=form, heading=heading, division=division, intro=intro,
                           back_label=back[0], back_url=back[1], action=request.path)


def _to_division_page(division, message):
    flash(message, "success")
    return redirect(url_for("admin.division", slug=division.slug), code=303)


# --- Divisions ------------------------------------------------------------------------------------

@bp.get("/")
def index():
    return render_template("admin/index.html", divisions=bookings.all_divisions())


@bp.get("/divisions/<slug>")
def division(slug):
    division = division_or_404(slug, include_inactive=True)
    return render_template("admin/division.html", division=division, history=divisions.division_history(division))


def _save_division(form, division=None):
    """The division saved from the form (a new one when ``division`` is None), or None when its address is taken."""
    try:
        return divisions.save_division(division, {name: form[name].data for name in divisions.DIVISION_FIELDS},
                                       now_utc(), staff_actor())
    except divisions.SlugTaken:
        form.slug.errors.append(_("Another division has this address name."))
        return None


@bp.route("/divisions/new", methods=["GET", "POST"])
def new_division():
    form = DivisionForm()
    if form.validate_on_submit() and (division := _save_division(form)) is not None:
        db.session.commit()
        return _to_division_page(division, _("The division is created. Add its reception hours."))
    return _form_page(form, _("New division"))


@bp.route("/divisions/<slug>/edit", methods=["GET", "POST"])
def edit_division(slug):
    division = division_or_404(slug, include_inactive=True)
    form = DivisionForm(obj=division)
    if form.validate_on_submit() and _save_division(form, division) is not None:
        db.session.commit()
        return _to_division_page(division, _("The division is saved."))
    return _form_page(form, _("Edit the division"), division=division)


# --- Reception rules and closures -----------------------------------------------------------------

def _schedule_change(division, rules, closures, apply, reason, message):
    """Apply a change of ``division``'s schedule, first asking what to do with the bookings it affects.

    ``rules`` and ``closures`` describe the schedule after the change; ``apply`` makes it.
    """
    now, policy = now_utc(), current_policy()
    affected = bookings.affected_bookings(division, rules, closures, now, policy)
    decision = request.form.get("decision")
    confirmed = set(request.form.getlist("affected")) == {b.code for b in affected}
    if affected and (decision not in ("cancel", "keep") or not confirmed):
        # Nothing changes until the administrator has seen exactly these bookings and decided.
        return render_template("admin/affected.html", division=division, affected=affected,
                               action=request.path, reason=reason,
                               resubmitted=decision is not None and not confirmed)
    apply()
    if affected:
        bookings.settle_affected(affected, decision, now, staff_actor(), mailroom(), reason=reason)
    db.session.commit()
    if affected and decision == "cancel":
        message = ngettext("%(message)s %(num)d booking cancelled.", "%(message)s %(num)d bookings cancelled.",
                           len(affected), message=message)
    elif affected:
        message = ngettext("%(message)s %(num)d booking kept as an exception.",
                           "%(message)s %(num)d bookings kept as exceptions.", len(affected), message=message)
    return _to_division_page(division, message)


def _rule_spec(form):
    return bookings.RuleSpec(form.weekday.data, form.start_time.data, form.end_time.data, form.slot_minutes.data,
                             form.places.data, form.valid_from.data, form.valid_until.data)


@bp.route("/divisions/<slug>/rules/new", methods=["GET", "POST"])
def new_rule(slug):
    division = division_or_404(slug, include_inactive=True)
    form = RuleForm()
    if form.validate_on_submit():
        spec = _rule_spec(form)
        return _schedule_change(
            division, bookings.rules_with(division, spec=spec), division.closures,
            lambda: divisions.add_rule(division, spec, now_utc(), staff_actor()),
            _("The reception hours changed."), _("The reception hours are added."))
    return _form_page(form, _("New reception hours"), division=division)


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
def edit_rule(rule_id):
    rule = _get_or_404(ReceptionRule, rule_id)
    division = rule.division
    form = RuleForm(obj=rule)
    if form.validate_on_submit():
        spec = _rule_spec(form)
        return _schedule_change(division, bookings.rules_with(division, replace=rule, spec=spec),
                                division.closures, lambda: divisions.change_rule(rule, spec, now_utc(), staff_actor()),
                                _("The reception hours changed."),
                                _("The reception hours are saved."))
    return _form_page(form, _("Edit reception hours"), division=division)


@bp.post("/rules/<int:rule_id>/delete")
def delete_rule(rule_id):
    rule = _get_or_404(ReceptionRule, rule_id)
    division = rule.division
    return _schedule_change(division, bookings.rules_with(division, replace=rule), division.closures,
                            lambda: divisions.remove_rule(rule, now_utc(), staff_actor()),
                            _("The reception hours changed."),
                            _("The reception hours are removed."))


@bp.route("/divisions/<slug>/closures/new", methods=["GET", "POST"])
def new_closure(slug):
    division = division_or_404(slug, include_inactive=True)
    form = ClosureForm()
    if form.validate_on_submit():
        spec = bookings.ClosureSpec(form.first_day.data, form.last_day.data, (form.reason.data or "").strip())
        return _schedule_change(
            division, division.rules, bookings.closures_with(division, spec),
            lambda: divisions.add_closure(division, spec, now_utc(), staff_actor()),
            spec.reason or _("The division does not receive on this day."), _("The closure is added."))
    return _form_page(form, _("New closure"), division=division,
                      intro=_("Citizens cannot book on these days. Bookings already made are listed before anything "
                              "changes."))


@bp.post("/closures/<int:closure_id>/delete")
def delete_closure(closure_id):
    closure = _get_or_404(Closure, closure_id)
    division = closure.division
    divisions.remove_closure(closure, now_utc(), staff_actor())
    db.session.commit()
    return _to_division_page(division, _("The closure is removed: those days are open for bookings again."))


# --- Staff accounts -------------------------------------------------------------------------------

def _account_form_page(form, heading, intro=None):
    return _form_page(form, heading, back=(_("Staff accounts"), url_for("admin.users")), intro=intro)


def _with_division_choices(form):
    form.divisions.choices = [SelectChoice(d.id, d.name) for d in bookings.all_divisions()]
    return form


def _chosen_divisions(form):
    return accounts.divisions_by_id(form.divisions.data) if form.role.data == Role.HEAD else []


@bp.get("/users")
def users():
    return render_template("admin/users.html", users=accounts.all_users())


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = _with_division_choices(NewUserForm())
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.email.data, form.role.data, form.password.data, name=form.name.data,
                                        divisions=_chosen_divisions(form), active=form.active.data)
        except accounts.AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("The account %(email)s is created.", email=user.email), "success")
            return redirect(url_for("admin.users"), code=303)
    return _account_form_page(form, _("New account"))


def _user_form_problem(form, user):
    if user.id == current_user.id and (form.role.data != Role.ADMIN or not form.active.data):
        return _("You cannot take away your own administration rights or deactivate yourself.")
    return None


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id):
    user = _get_or_404(User, user_id)
    form = _with_division_choices(UserForm(obj=user))
    if request.method == "GET":
        form.divisions.data = [d.id for d in user.divisions]
    if form.validate_on_submit():
        problem = _user_form_problem(form, user)
        if not problem:
            try:
                accounts.update_user(user, form.email.data, form.role.data, name=form.name.data,
                                     active=form.active.data, divisions=_chosen_divisions(form))
            except accounts.AccountError as exc:
                problem = str(exc)
        if problem:
            form.email.errors.append(problem)
        else:
            db.session.commit()
            flash(_("The account %(email)s is saved.", email=user.email), "success")
            return redirect(url_for("admin.users"), code=303)
    return _account_form_page(form, _("Account %(email)s", email=user.email))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
def user_password(user_id):
    user = _get_or_404(User, user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        accounts.set_password(user, form.password.data)
        login_throttle.forget_failures(user.email, current_app.config["SECRET_KEY"])
        db.session.commit()
        flash(_("The password of %(email)s is set.", email=user.email), "success")
        return redirect(url_for("admin.users"), code=303)
    return _account_form_page(form, _("Set the password of %(email)s", email=user.email),
                              intro=_("Tell the person the new password in person or by phone, never by e-mail."))
