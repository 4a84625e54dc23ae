"""Flask-WTF forms: the shape and validation of what people type, nothing more."""
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, HiddenField, IntegerField, PasswordField, RadioField, SelectChoice,
                     SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField, TimeField)
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import (DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp,
                                ValidationError)

from ..core import validation
from ..accounts.operations import PASSWORD_MIN_LENGTH
from .formatting import ROLE_LABELS, STATUS_LABELS, TOPIC_LABELS, WEEKDAY_LABELS
from ..models import BookingStatus, Role, Topic


class Normalised:
    """Run a ``validation.normalise_*`` function and keep its result as the field's data."""

    def __init__(self, func, **kwargs):
        self.func = func
        self.kwargs = kwargs

    def __call__(self, form, field):
        try:
            field.data = self.func(field.data, **self.kwargs)
        except ValueError as exc:
            raise ValidationError(_(str(exc))) from None


# WTForms' own messages read as a calque in Russian («Значение должно быть между 5 и 240.»): ours instead.
TOO_LONG = _l("Please keep it under %(max)d characters.")
NUMBER_RANGE = _l("Enter a number from %(min)s to %(max)s.")
BAD_DATE = dict(invalid_value_message=_l("Enter a date like 2026-12-31."))
BAD_TIME = dict(invalid_value_message=_l("Enter a time like 10:00."))
BAD_NUMBER = dict(invalid_value_message=_l("Enter a number."))


def _phone_in_region(value):
    """A phone number in E.164, numbers without a country code read in ``PHONE_DEFAULT_REGION``."""
    return validation.normalise_phone(value, current_app.config["PHONE_DEFAULT_REGION"])


class CitizenForm(FlaskForm):
    """A citizen's details, shared by the public form and the operator's phone booking."""

    full_name = StringField(_l("Full name"), validators=[Normalised(validation.normalise_name)],
                            render_kw={"autocomplete": "name", "maxlength": validation.NAME_MAX})
    phone = StringField(_l("Phone"), validators=[Normalised(_phone_in_region)],
                        description=_l("For example +7 916 123-45-67"),
                        render_kw={"autocomplete": "tel", "type": "tel", "inputmode": "tel"})
    email = StringField(_l("E-mail"), validators=[Normalised(validation.normalise_email)],
                        description=_l("The confirmation and the reminder are sent here."),
                        render_kw={"autocomplete": "email", "type": "email", "inputmode": "email"})
    topic = RadioField(_l("Topic"), choices=[SelectChoice(t, TOPIC_LABELS[t]) for t in tuple(Topic)],
                       validators=[InputRequired(message=_l("Choose a topic."))])
    account = StringField(_l("Customer account number"),
                          validators=[Optional(), Normalised(validation.normalise_account)],
                          description=_l("It is on your bill. Leave it empty if you do not have one."),
                          render_kw={"inputmode": "numeric"})
    address = StringField(_l("Address of the property concerned"), filters=[validation.clean_field],
                          validators=[Optional(), Length(max=300, message=TOO_LONG)],
                          render_kw={"autocomplete": "street-address"})
    message = TextAreaField(_l("Your question"), filters=[lambda value: validation.clean_field(value, multiline=True)],
                            validators=[Length(max=validation.MESSAGE_MAX, message=TOO_LONG)],
                            description=_l("Briefly: what happened and since when."),
                            render_kw={"rows": 4, "maxlength": validation.MESSAGE_MAX})


class BookingForm(CitizenForm):
    start = HiddenField(validators=[DataRequired()])
    # A honeypot: hidden from people (CSS, aria-hidden) but filled in by form-filling bots.
    website = StringField(_l("Leave this field empty"))
    consent = BooleanField(_l("I agree to the processing of my personal data for this appointment"),
                           validators=[DataRequired(message=_l("Consent is needed to book an appointment."))])
    submit = SubmitField(_l("Book the appointment"))

    def choose_start(self, request):
        """Take the chosen time from the address (first view) or from a button offering an alternative."""
        if request.method == "GET":
            self.start.data = request.args.get("start", "")
        if request.form.get("alt_start"):
            self.start.data = request.form["alt_start"]
        return self.start.data


class CancelForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Cancel the appointment"))


class MoveForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    start = HiddenField()
    confirm = HiddenField()  # "1" on the second POST, after the old and the new time were shown


class LinkRequestForm(FlaskForm):
    """The address a booking was made with, to mail a fresh manage link to it."""

    email = StringField(_l("E-mail"), validators=[Normalised(validation.normalise_email)],
                        description=_l("The address you gave when booking."),
                        render_kw={"autocomplete": "email", "type": "email", "inputmode": "email"})
    submit = SubmitField(_l("Send me a new link"))


class LinkRenewForm(FlaskForm):
    submit = SubmitField(_l("Open my booking"))


class RequeueForm(FlaskForm):
    submit = SubmitField(_l("Try again"))


# --- Staff side ------------------------------------------------------------------------------------

SLUG_RE = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class LoginForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[DataRequired(message=_l("Enter your e-mail address."))],
                        render_kw={"autocomplete": "username", "type": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class PhoneBookingForm(BookingForm):
    """The citizen's form as a hotline operator fills it in during a call."""

    # Many callers have no e-mail: then nothing is mailed, and the operator tells them the code.
    email = StringField(_l("E-mail"), validators=[Optional(), Normalised(validation.normalise_email)],
                        description=_l("If the caller has one: the confirmation and the reminder are sent "
                                       "there. Without it, nothing is mailed: tell the caller the code."),
                        render_kw={"type": "email", "inputmode": "email"})
    # The operator reads the form to the caller: it speaks of the caller, not to them.
    account = StringField(_l("Customer account number"),
                          validators=[Optional(), Normalised(validation.normalise_account)],
                          description=_l("It is on the caller's bill. Leave it empty if they do not have one."),
                          render_kw={"inputmode": "numeric"})
    message = TextAreaField(_l("The caller's question"),
                            validators=[Length(max=validation.MESSAGE_MAX,
                                               message=_l("Please keep it under %(max)d characters."))],
                            description=_l("Briefly: what happened and since when."),
                            render_kw={"rows": 4, "maxlength": validation.MESSAGE_MAX})
    consent = BooleanField(_l("The caller agrees to the processing of their personal data for this appointment"),
                           validators=[DataRequired(message=_l("Ask the caller for consent first."))])
    submit = SubmitField(_l("Book for the caller"))


class MarkForm(FlaskForm):
    status = SelectField(choices=[SelectChoice(s, STATUS_LABELS[s])
                                  for s in (BookingStatus.ATTENDED, BookingStatus.NO_SHOW)])
    next = HiddenField()


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Staff note"), validators=[Length(max=2000, message=TOO_LONG)],
                         description=_l("Seen by staff only, never by the visitor."), render_kw={"rows": 2})
    next = HiddenField()
    submit = SubmitField(_l("Save the note"))


class StaffCancelForm(FlaskForm):
    reason = StringField(_l("Reason (told to the visitor)"),
                         validators=[Optional(), Length(max=300, message=TOO_LONG)])
    next = HiddenField()
    submit = SubmitField(_l("Cancel the booking"))


class StaffMoveForm(FlaskForm):
    start = HiddenField(validators=[DataRequired()])
    confirm = HiddenField()  # "1" on the second POST, after the old and the new time were shown


class DivisionForm(FlaskForm):
    slug = StringField(_l("Address name"), validators=[
        DataRequired(message=_l("Enter the page address.")), Length(max=64, message=TOO_LONG), Regexp(
        SLUG_RE, message=_l("Lower-case Latin letters, digits and single hyphens only."))],
        description=_l("Part of the division's web address, for example severny-filial."))
    name = StringField(_l("Division name"), validators=[DataRequired(message=_l("Enter the division's name.")),
                                                         Length(max=200, message=TOO_LONG)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    head_name = StringField(_l("Full name of the head"),
                            validators=[DataRequired(message=_l("Enter the full name of the head.")),
                                        Length(max=200, message=TOO_LONG)],
                            description=_l("For example: Karpov Aleksey Viktorovich or Karpov A. V."))
    head_title = StringField(_l("Position of the head"), validators=[Optional(), Length(max=200, message=TOO_LONG)],
                             description=_l("In lower case, as it reads mid-sentence, for example: "
                                            "director of the branch."))
    address = StringField(_l("Address"), validators=[DataRequired(message=_l("Enter the address.")),
                                                     Length(max=300, message=TOO_LONG)])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=100, message=TOO_LONG)])
    directions = TextAreaField(_l("How to get there"),
                               validators=[Optional(), Length(max=2000, message=TOO_LONG)],
                               render_kw={"rows": 2})
    description = TextAreaField(_l("What the division deals with"),
                                validators=[Optional(), Length(max=2000, message=TOO_LONG)],
                                render_kw={"rows": 3})
    email = StringField(_l("E-mail of the division"), validators=[Optional(), Normalised(validation.normalise_email)])
    active = BooleanField(_l("Open for bookings"), default=True)
    submit = SubmitField(_l("Save"))


class RuleForm(FlaskForm):
    weekday = SelectField(_l("Weekday"), coerce=int,
                          choices=[SelectChoice(n, label) for n, label in enumerate(WEEKDAY_LABELS)])
    start_time = TimeField(_l("From"), validators=[InputRequired(message=_l("Enter a time."))], **BAD_TIME)
    end_time = TimeField(_l("Until"), validators=[InputRequired(message=_l("Enter a time."))], **BAD_TIME)
    slot_minutes = IntegerField(_l("Minutes per visitor"), default=20, **BAD_NUMBER,
                                validators=[InputRequired(message=_l("Enter a number.")),
                                            NumberRange(min=5, max=240, message=NUMBER_RANGE)])
    places = IntegerField(_l("Visitors received at once"), default=1, **BAD_NUMBER,
                          validators=[InputRequired(message=_l("Enter a number.")),
                                      NumberRange(min=1, max=20, message=NUMBER_RANGE)])
    valid_from = DateField(_l("Valid from (optional)"), validators=[Optional()], **BAD_DATE)
    valid_until = DateField(_l("Valid until (optional)"), validators=[Optional()], **BAD_DATE)
    submit = SubmitField(_l("Save"))

    def validate_end_time(self, field):
        start = self.start_time.data
        if start is None or field.data is None:
            return
        if field.data <= start:
            raise ValidationError(_l("The end must be after the start."))
        minutes = (field.data.hour * 60 + field.data.minute) - (start.hour * 60 + start.minute)
        if self.slot_minutes.data and minutes < self.slot_minutes.data:
            raise ValidationError(_l("The session is shorter than one visit."))

    def validate_valid_until(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("The end date is before the start date."))


class ClosureForm(FlaskForm):
    first_day = DateField(_l("First day"), validators=[InputRequired(message=_l("Enter a date."))], **BAD_DATE)
    last_day = DateField(_l("Last day"), validators=[InputRequired(message=_l("Enter a date."))], **BAD_DATE)
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=300, message=TOO_LONG)],
                         description=_l("For example: the head is on leave."))
    submit = SubmitField(_l("Add the closure"))

    def validate_last_day(self, field):
        if field.data and self.first_day.data and field.data < self.first_day.data:
            raise ValidationError(_l("The last day is before the first day."))


class UserForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[
        DataRequired(message=_l("Enter an e-mail address.")), Length(max=254, message=TOO_LONG),
        Normalised(validation.normalise_email)],
        render_kw={"type": "email"})
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in tuple(Role)])
    divisions = SelectMultipleField(_l("Divisions"), coerce=int, widget=ListWidget(prefix_label=False),
                                    option_widget=CheckboxInput(),
                                    description=_l("A head sees the visitors of these divisions only."))
    active = BooleanField(_l("Active (may log in)"), default=True)
    submit = SubmitField(_l("Save"))

    def validate_divisions(self, field):
        if self.role.data == Role.HEAD and not field.data:
            raise ValidationError(_l("A head needs at least one division."))


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(message=_l("Enter the new password.")), Length(min=PASSWORD_MIN_LENGTH,
                               message=_l("A password needs at least %(min)d characters."))],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("The same password again"), validators=[
        EqualTo("password", message=_l("The two passwords differ."))], render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Set the password"))


class NewUserForm(UserForm):
    password = PasswordForm.password
    confirm = PasswordForm.confirm
