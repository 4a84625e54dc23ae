"""Flask-WTF forms: the shape and validation of what people type, nothing more."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from . import validation
from .formatting import TOPIC_LABELS
from .models import Topic


class Normalised:
    """Run a ``validation.normalise_*`` function and keep its result as the field's data."""

    def __init__(self, func, **kwargs):
        self.func = func
        self.kwargs = kwargs

    def __call__(self, form, field):
        try:
            field.data = self.func(field.data, **self.kwargs)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class CitizenForm(FlaskForm):
    """A citizen's details, shared by the public form and the operator's phone booking."""

    full_name = StringField(_l("Full name"), validators=[Normalised(validation.normalise_name)],
                            render_kw={"autocomplete": "name", "maxlength": validation.NAME_MAX})
    phone = StringField(_l("Phone"), validators=[Normalised(validation.normalise_phone)],
                        description=_l("For example +7 916 123-45-67"),
                        render_kw={"autocomplete": "tel", "type": "tel", "inputmode": "tel"})
    email = StringField(_l("E-mail"), validators=[Normalised(validation.normalise_email)],
                        description=_l("The confirmation and the reminder are sent here."),
                        render_kw={"autocomplete": "email", "type": "email", "inputmode": "email"})
    topic = RadioField(_l("Topic"), choices=[SelectChoice(t, TOPIC_LABELS[t]) for t in Topic.ALL],
                       validators=[InputRequired(message=_l("Choose a topic."))])
    account = StringField(_l("Customer account number"),
                          validators=[Optional(), Normalised(validation.normalise_account)],
                          description=_l("It is on your bill. Leave it empty if you do not have one."),
                          render_kw={"inputmode": "numeric"})
    address = StringField(_l("Address of the property concerned"),
                          validators=[Optional(), Length(max=300)],
                          render_kw={"autocomplete": "street-address"})
    message = TextAreaField(_l("Your question"),
                            validators=[Length(max=validation.MESSAGE_MAX,
                                               message=_l("Please keep it under %(max)d characters."))],
                            description=_l("Briefly: what happened and since when."),
                            render_kw={"rows": 4, "maxlength": validation.MESSAGE_MAX})


class BookingForm(CitizenForm):
    start = HiddenField(validators=[DataRequired()])
    consent = BooleanField(_l("I agree to the processing of my personal data for this appointment"),
                           validators=[DataRequired(message=_l("Consent is needed to book an appointment."))])
    submit = SubmitField(_l("Book the appointment"))


class CancelForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Cancel the appointment"))


class MoveForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    start = HiddenField()
