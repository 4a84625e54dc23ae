"""Staff pages of what follows a reception: the reception card, the written answer, open matters.

The card is shown on the booking's staff page (through ``reception_card_panel``)
and has a page of its own where a refused form comes back with its input. Who
may see a booking is decided by :mod:`booking.auth`; heads fill cards for their
own divisions, operators and administrators for any, directors only read.
"""
from types import SimpleNamespace

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import bookings
from ..accounts.auth import READ_ONLY_METHODS, STAFF, can_access_division, roles_required
from ..appeals import cards as card_ops
from ..appeals import matters as matter_list
from ..appeals.models import Outcome
from ..core.timeutil import local_today, now_utc
from ..extensions import db
from ..models import Role, User
from .appeal_forms import ERROR_MESSAGES, AnswerForm, CardForm, outcome_label, result_label
from .helpers import mailroom, staff_actor, staff_booking_or_404

bp = Blueprint("answers", __name__)

STATE_LABELS = {matter_list.OPEN: _l("Open"), matter_list.DUE_SOON: _l("Due within 3 days"),
                matter_list.OVERDUE: _l("Overdue"), matter_list.CLOSED: _l("Closed")}


@bp.before_app_request
def directors_only_read():
    """A director reads only: a request that would change something through a staff view is refused."""
    view = current_app.view_functions.get(request.endpoint)
    if (request.method not in READ_ONLY_METHODS and getattr(view, "required_roles", None)
            and current_user.is_authenticated and current_user.role == Role.DIRECTOR):
        abort(403)


def settings():
    return card_ops.AppealSettings.from_config(current_app.config)


def _may_fill():
    return current_user.is_authenticated and current_user.role in card_ops.FILLERS


def _card_form(booking, card, formdata=None):
    form = CardForm(formdata=formdata) if formdata is not None else CardForm(formdata=None, obj=card)
    form.set_people(card_ops.responsible_candidates(booking.division))
    form.due_days = settings().due_days
    if formdata is None:
        form.topic.data = card.topic if card else booking.topic
        form.responsible.data = card.responsible_id if card and card.responsible_id else 0
        form.result.data = (card.result or "") if card else ""
        if card is None:
            form.raised.data = booking.message
    return form


def reception_card_panel(booking):
    """What the booking's staff page shows of the card: the card, and the forms the user may use."""
    card = card_ops.card_of(booking)
    editable = _may_fill() and card_ops.may_fill(booking) and (card is None or card.is_open)
    today = local_today(now_utc(), settings().tz)
    return SimpleNamespace(
        card=card, editable=editable, attended=card_ops.may_fill(booking),
        overdue=card is not None and matter_list.is_overdue(card, today),
        card_form=_card_form(booking, card) if editable else None,
        answer_form=AnswerForm(formdata=None) if editable and card and card.outcome == Outcome.WRITTEN_DUE else None,
    )


bp.add_app_template_global(reception_card_panel)
bp.add_app_template_global(outcome_label)
bp.add_app_template_global(result_label)


def _refused(form, exc):
    """Put a refusal of the operation on the form field it concerns; True when it had one."""
    message = ERROR_MESSAGES.get(exc.code, exc.code)
    if exc.field and hasattr(form, exc.field):
        getattr(form, exc.field).errors = [*getattr(form, exc.field).errors, message]
        return True
    flash(message, "error")
    return False


def _card_input(form):
    responsible = db.session.get(User, form.responsible.data) if form.responsible.data else None
    return card_ops.CardInput(raised=form.raised.data, topic=form.topic.data, outcome=form.outcome.data,
                              responsible=responsible, referred_to=form.referred_to.data,
                              referred_on=form.referred_on.data, explanation=form.explanation.data,
                              result=form.result.data or "")


def _card_page(booking, card, card_form, answer_form, status=200):
    return render_template("staff/reception_card.html", booking=booking, card=card, card_form=card_form,
                           answer_form=answer_form), status


@bp.route("/staff/bookings/<code>/card", methods=["GET", "POST"])
@roles_required(*card_ops.FILLERS)
def card(code):
    booking = staff_booking_or_404(code)
    card = card_ops.card_of(booking)
    if not card_ops.may_fill(booking) or (card is not None and not card.is_open):
        flash(ERROR_MESSAGES["closed" if card is not None else "not_attended"], "error")
        return redirect(url_for("staff.booking", code=booking.code), code=303)
    form = _card_form(booking, card, formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        try:
            saved = card_ops.save_card(booking, _card_input(form), now_utc(), staff_actor(), settings(), mailroom())
            db.session.commit()
        except card_ops.AppealError as exc:
            db.session.rollback()
            if not _refused(form, exc):
                return redirect(url_for("staff.booking", code=booking.code), code=303)
        else:
            flash(_("%(code)s: the reception card is saved.", code=booking.code) if saved.is_open
                  else _("%(code)s: the matter is closed.", code=booking.code), "success")
            return redirect(url_for("staff.booking", code=booking.code), code=303)
    status = 422 if request.method == "POST" else 200
    answer_form = AnswerForm(formdata=None) if card and card.outcome == Outcome.WRITTEN_DUE else None
    return _card_page(booking, card, form, answer_form, status)


@bp.post("/staff/bookings/<code>/answer")
@roles_required(*card_ops.FILLERS)
def answer(code):
    booking = staff_booking_or_404(code)
    card = card_ops.card_of(booking)
    if card is None or not card.is_open or card.outcome != Outcome.WRITTEN_DUE:
        flash(ERROR_MESSAGES["not_written" if card is None or card.is_open else "closed"], "error")
        return redirect(url_for("staff.booking", code=booking.code), code=303)
    form = AnswerForm()
    if form.validate():
        data = card_ops.AnswerInput(sent_on=form.sent_on.data, outgoing_number=form.outgoing_number.data,
                                    summary=form.summary.data, by_post=form.by_post.data, result=form.result.data)
        try:
            card_ops.record_answer(card, data, now_utc(), staff_actor(), settings(), mailroom())
            db.session.commit()
        except card_ops.AppealError as exc:
            db.session.rollback()
            _refused(form, exc)
        else:
            flash(_("%(code)s: the answer is recorded and the matter closed.", code=booking.code), "success")
            return redirect(url_for("staff.booking", code=booking.code), code=303)
    card = card_ops.card_of(booking)
    return _card_page(booking, card, _card_form(booking, card), form, 422)


# --- Open matters ---------------------------------------------------------------------------------

def _visible_divisions():
    if current_user.role == Role.HEAD:
        return list(current_user.divisions)
    return bookings.all_divisions()


@bp.get("/staff/answers")
@roles_required(*STAFF)
def index():
    divisions = _visible_divisions()
    chosen = None
    slug = request.args.get("division", "")
    if slug:
        chosen = bookings.get_division(slug, include_inactive=True)
        if chosen is None:
            abort(404)
        if not can_access_division(current_user, chosen):
            abort(403)
    state = request.args.get("state", matter_list.OPEN)
    if state not in matter_list.STATES:
        state = matter_list.OPEN
    try:
        responsible_id = int(request.args.get("responsible") or 0)
    except ValueError:
        responsible_id = 0
    ids = (chosen.id,) if chosen else (None if current_user.role != Role.HEAD else tuple(d.id for d in divisions))
    spec = matter_list.MatterFilter(division_ids=ids, responsible_id=responsible_id or None, state=state)
    today = local_today(now_utc(), settings().tz)
    people = {}
    for division in ([chosen] if chosen else divisions):
        for user in card_ops.responsible_candidates(division):
            people[user.id] = user
    return render_template("staff/answers.html", matters=matter_list.matters(spec, today), today=today,
                           divisions=divisions, chosen=chosen, state=state, states=STATE_LABELS,
                           people=sorted(people.values(), key=lambda u: (u.name or u.email).lower()),
                           responsible_id=responsible_id, is_overdue=matter_list.is_overdue)

