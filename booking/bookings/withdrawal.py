"""A citizen withdraws their consent: a future booking is cancelled and the personal data erased.

What is erased is what the retention purge erases (:mod:`booking.bookings.retention`): the
citizen's details, the free-text details of the audit trail and the content of the
booking's e-mails; messages not yet sent are dropped (nobody is left to send them
to). What statistics need stays: division, slot, topic, status, channel, and the
audit trail's actions and times. The audit records that the data were erased at
the citizen's request, never what they were. The manage link stops working.

Request-free: the caller passes ``now`` and commits.
"""
import sqlalchemy as sa

from ..core.vocabulary import AuditAction
from ..extensions import db
from ..models import AuditEntry, BookingStatus, OutboxMessage
from ..notify.common import Status
from .operations import audit, can_change
from .retention import BLANK_BOOKING, BLANK_MESSAGE
from .values import Actor



class AlreadyErased(ValueError):
    """The booking's personal data are gone already."""


def erase_personal_data(booking, now, actor=None):
    """Cancel ``booking`` when it is still ahead, then erase its personal data; returns it."""
    if booking.purged_at is not None:
        raise AlreadyErased()
    actor = actor or Actor()
    if can_change(booking, now):
        # No cancellation notice: the address it would go to is being erased.
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.cancelled_by = "citizen"
        booking.sequence += 1
        booking.updated_at = now
        audit(booking, actor, AuditAction.CANCELLED, now=now)
    db.session.flush()
    for name, value in BLANK_BOOKING.items():
        setattr(booking, name, value)
    booking.purged_at = now
    db.session.execute(sa.update(AuditEntry).where(AuditEntry.booking_id == booking.id).values(detail=""))
    db.session.execute(sa.update(OutboxMessage)
                       .where(OutboxMessage.booking_id == booking.id, OutboxMessage.status == Status.PENDING)
                       .values(status=Status.SKIPPED))
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.booking_id == booking.id)
                       .values(**BLANK_MESSAGE))
    audit(booking, actor, AuditAction.DATA_ERASED, now=now)
    db.session.flush()
    return booking
