"""Forms of the reception card and the written answer, and the labels of outcomes and results."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..appeals.cards import TEXT_MAX
from ..appeals.labels import OUTCOME_LABELS, RESULT_LABELS
from ..appeals.models import Outcome, Result
from ..models import Topic
from .formatting import TOPIC_LABELS

# What each refusal of :mod:`booking.appeals.cards` says to the person filling the form.
ERROR_MESSAGES = {
    "raised_required": _l("Write what the citizen raised."),
    "topic_invalid": _l("Choose a topic."),
    "outcome_required": _l("Choose the outcome."),
    "result_invalid": _l("Choose a result from the list."),
    "responsible_required": _l("Choose who in the division is responsible for the answer."),
    "referred_to_required": _l("Name the organisation the appeal is referred to."),
    "referred_on_invalid": _l("The date it was sent must be between the visit and today."),
    "explanation_required": _l("Write the explanation given to the citizen."),
    "result_required": _l("Choose the result: the matter is closed with it."),
    "sent_on_invalid": _l("The date the answer was sent must be between the visit and today."),
    "summary_required": _l("Write the answer in short, or tick that it went by post."),
    "not_attended": _l("A card is written only for a visit marked attended."),
    "closed": _l("This matter is closed and can no longer be changed."),
    "not_written": _l("No written answer was promised for this visit."),
}


def outcome_label(value):
    return OUTCOME_LABELS.get(value, value)


def result_label(value):
    return RESULT_LABELS.get(value, value or "")


def _result_choices(blank):
    choices = [SelectChoice("", blank)] if blank else []
    return choices + [SelectChoice(r.value, RESULT_LABELS[r]) for r in Result]


class CardForm(FlaskForm):
    raised = TextAreaField(_l("What the citizen raised"), validators=[Length(max=TEXT_MAX)],
                           render_kw={"rows": 4, "maxlength": TEXT_MAX})
    topic = SelectField(_l("Topic"), choices=[SelectChoice(t, TOPIC_LABELS[t]) for t in tuple(Topic)])
    outcome = RadioField(_l("Outcome"), choices=[SelectChoice(o.value, OUTCOME_LABELS[o]) for o in Outcome],
                         validators=[InputRequired(message=_l("Choose the outcome."))])
    responsible = SelectField(_l("Responsible for the written answer"), coerce=int, choices=[],
                              validators=[Optional()])
    referred_to = StringField(_l("Organisation referred to"), validators=[Length(max=300)],
                              description=_l("For example the management company or the homeowners' association."))
    referred_on = DateField(_l("Date the appeal was sent there"), validators=[Optional()],
                            description=_l("Within 7 days of the visit; the citizen is told where it went."))
    explanation = TextAreaField(_l("Explanation given"), validators=[Length(max=TEXT_MAX)],
                                render_kw={"rows": 3, "maxlength": TEXT_MAX})
    result = SelectField(_l("Result"), choices=_result_choices(_l("Not yet: the matter stays open")),
                         description=_l("Closes the matter. Needed for an oral answer, a refusal and a sent referral."))

    def set_people(self, people):
        self.responsible.choices = [SelectChoice(0, "—")] + [SelectChoice(u.id, u.name or u.email) for u in people]


class AnswerForm(FlaskForm):
    sent_on = DateField(_l("Date sent"), validators=[InputRequired(message=_l("Enter the date it was sent."))])
    outgoing_number = StringField(_l("Outgoing number"), validators=[Length(max=64)])
    summary = TextAreaField(_l("The answer in short"), validators=[Length(max=TEXT_MAX)],
                            render_kw={"rows": 3, "maxlength": TEXT_MAX})
    by_post = BooleanField(_l("Sent by post"))
    # No result is preselected: closing a matter as «supported» by an unnoticed default would skew the figures.
    result = SelectField(_l("Result"), choices=_result_choices("—"))
