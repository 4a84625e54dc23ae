"""Messages to staff through the outbox: rows with no booking, rendered from their own templates.

They travel like the citizens' messages (queued in the transaction of the change,
delivered by the same workers, retried, listed at ``/staff/outbox`` when they
fail), but they concern an account, not a booking, so ``booking_id`` stays empty
and the personal-data purge of bookings never touches them. Staff messages are
in Russian, the working language of the staff.
"""
import sqlalchemy as sa
from flask_babel import force_locale

from ..extensions import db
from ..i18n import long_datetime
from ..models import OutboxMessage
from .common import Status, checked_address, header_text
from .compose import Rendered, compose

ACCOUNT_LOCKED = "account_locked"
ANSWER_DUE = "answer_due"  # a written answer promised at a reception falls due (booking.appeals.reminders)

SUBJECTS = {
    ACCOUNT_LOCKED: "{service}: учётная запись {email} заблокирована после множества неверных паролей",
    "answer_due:soon": "Срок ответа {due}, код\u00a0{code}",
    "answer_due:overdue": "Срок ответа истёк {due}, код\u00a0{code}",
}


def queue_staff_message(mailroom, kind, recipient, name, context, now, dedup_key, subject_key=None, booking_id=None):
    """Write a ``kind`` message for a member of staff to the outbox, once per ``dedup_key``.

    ``subject_key`` picks another subject than the kind's; ``booking_id`` ties the message to the
    booking it is about, so that the booking's personal-data purge blanks it too.
    """
    if db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key)) is not None:
        return False
    config = mailroom.config
    context = {"lang": "ru", "service_name": config["SERVICE_NAME"], "operator_name": config["OPERATOR_NAME"],
               "hotline": config["HOTLINE_PHONE"], **context}
    with force_locale("ru"):
        rendered = Rendered(
            subject=header_text(SUBJECTS[subject_key or kind].format(service=context["service_name"], **context), 300),
            text=mailroom.render(f"email/staff/{kind}.txt", context),
            html=mailroom.render(f"email/staff/{kind}.html", context))
    message = OutboxMessage(dedup_key=dedup_key, booking_id=booking_id, kind=kind, recipient=recipient,
                            subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
                            status=Status.PENDING, attempts=0, next_attempt_at=now, created_at=now)
    try:
        message.recipient = checked_address(recipient)
    except ValueError as exc:
        message.status, message.last_error = Status.FAILED, f"invalid address: {exc}"[:500]
    else:
        message.raw_message = compose(mailroom, rendered, message.recipient, name, now)
    db.session.add(message)
    db.session.flush()
    return True


def queue_account_locked(mailroom, user, admins, failures, now):
    """Tell ``user`` and every administrator that ``user``'s account is locked, and until when."""
    with force_locale("ru"):
        context = {"email": user.email, "failures": failures, "until": long_datetime(user.locked_until),
                   "at": long_datetime(now)}
    stamp = f"{user.locked_until:%Y%m%dT%H%M%S}"
    recipients = [user] + [admin for admin in admins if admin.id != user.id]
    for recipient in recipients:
        queue_staff_message(mailroom, ACCOUNT_LOCKED, recipient.email, recipient.name,
                            {**context, "to_holder": recipient.id == user.id}, now,
                            dedup_key=f"{ACCOUNT_LOCKED}:{user.id}:{stamp}:{recipient.id}")
