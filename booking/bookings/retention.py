"""Personal data retention: what is left of a booking once its visit is long past.

The citizen's details are blanked — name, phone, e-mail, address, account
number, question, the staff's note, the keyed hash of the client address it
was made from and the free-text details of its audit
entries — and so is the content of its e-mails in the outbox. What the
statistics need stays: division, slot, topic, status, channel and the audit
trail's actions and times. ``purged_at`` marks a purged booking, so purging
again changes nothing; its manage link stops working.

Request-free: the caller passes ``cutoff`` and ``now`` and commits.
"""
import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEntry, Booking, OutboxMessage

BLANK_BOOKING = {
    "full_name": "", "phone": "", "email": "", "address": "", "account": "", "message": "", "staff_note": "",
    "manage_token_hash": "", "client_ref": "",
}
# last_error too: SMTP errors quote addresses.
BLANK_MESSAGE = {"recipient": "", "subject": "", "body_text": "", "body_html": "", "ics": "", "last_error": "",
                 "raw_message": None}
_CHUNK = 500


def purgeable_ids(cutoff):
    """Ids of the bookings not yet purged whose visit ended before ``cutoff``."""
    return db.session.scalars(
        sa.select(Booking.id).where(Booking.end_utc < cutoff, Booking.purged_at.is_(None)).order_by(Booking.id)
    ).all()


def purge_personal_data(cutoff, now):
    """Blank the personal data of bookings whose visit ended before ``cutoff``; returns how many."""
    ids = purgeable_ids(cutoff)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        db.session.execute(sa.update(Booking).where(Booking.id.in_(chunk)).values(**BLANK_BOOKING, purged_at=now))
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.booking_id.in_(chunk)).values(detail=""))
        db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.booking_id.in_(chunk)).values(**BLANK_MESSAGE))
        # A message never sent by now would go nowhere: close it rather than let it be retried.
        db.session.execute(sa.update(OutboxMessage)
                           .where(OutboxMessage.booking_id.in_(chunk), OutboxMessage.status == "pending")
                           .values(status="failed", last_error="personal data purged"))
    db.session.flush()
    return len(ids)
