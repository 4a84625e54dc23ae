"""E-mails queued before messages were kept finished get their finished bytes now.

Revision e25c469b14d7 began writing each e-mail's RFC 5322 bytes when it is
queued; rows queued before it (waiting, being sent, or failed and perhaps to
be retried) had none and were built when sent. This builds them from the texts
those rows stored (unredacted then), with the sender of the application's
settings, so that delivery has one way to send: the finished bytes.

Revision ID: 9d4e61c2b7a5
Revises: 3b7d2f1c9a40
Create Date: 2026-11-30 11:20:00.000000

"""
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op
from flask import current_app

from booking.notify.common import sender_address
from booking.notify.compose import build_email, email_bytes
from booking.notify.settings import Mailroom


# revision identifiers, used by Alembic.
revision = '9d4e61c2b7a5'
down_revision = '3b7d2f1c9a40'
branch_labels = None
depends_on = None

_UNFINISHED = sa.text(
    "SELECT m.id, m.recipient, m.subject, m.body_text, m.body_html, m.ics, m.ics_method, m.created_at, "
    "b.full_name FROM outbox_message m LEFT JOIN booking b ON b.id = m.booking_id "
    "WHERE m.raw_message IS NULL AND m.channel = 'email' AND m.status IN ('pending', 'sending', 'failed')")


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(_UNFINISHED).all()
    if not rows:
        return
    sender = sender_address(Mailroom.from_app(current_app._get_current_object()))
    for row in rows:
        created = row.created_at  # SQLite gives the stored text
        if not isinstance(created, datetime):
            created = datetime.fromisoformat(str(created))
        message = SimpleNamespace(**{**row._mapping, "created_at": created})
        try:
            data = email_bytes(build_email(message, sender, name=row.full_name or ""))
        except ValueError as error:  # an address that can no longer be written: delivery will refuse the row
            current_app.logger.warning("outbox message %s left without finished bytes: %s", row.id, error)
            continue
        bind.execute(sa.text("UPDATE outbox_message SET raw_message = :data WHERE id = :id"),
                     {"data": data, "id": row.id})


def downgrade():
    pass  # the bytes are what the earlier revision would have built when sending: nothing to undo
