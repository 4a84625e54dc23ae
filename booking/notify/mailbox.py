"""The demonstration's mailbox: the outbox read back as its recipients would see each message.

A demonstration sends nothing (it has no mail server); this shows what would
have arrived, from the finished bytes the outbox keeps for every message.
"""
import email
from dataclasses import dataclass
from email import policy

import sqlalchemy as sa

from ..extensions import db
from ..models import OutboxMessage


@dataclass(frozen=True)
class Letter:
    """One message as its recipient would read it."""

    id: int
    kind: str
    status: str
    recipient: str
    subject: str
    created_at: object
    text: str
    html: str
    ics: str
    ics_filename: str


def _parts(message):
    """The text, the HTML and the attached invite of an outbox row, from its finished bytes when it has them."""
    if not message.raw_message:
        return message.body_text, message.body_html, message.ics, "invite.ics"
    parsed = email.message_from_bytes(message.raw_message, policy=policy.default)
    text = html = ics = ""
    filename = "invite.ics"
    for part in parsed.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            ics, filename = part.get_payload(decode=True).decode("utf-8"), part.get_filename() or filename
        elif part.get_content_type() == "text/plain":
            text = part.get_content()
        elif part.get_content_type() == "text/html":
            html = part.get_content()
        elif part.get_content_type() == "text/calendar" and not ics:
            ics = part.get_content()
    return text, html, ics, filename


def _letter(message):
    text, html, ics, filename = _parts(message)
    return Letter(id=message.id, kind=message.kind, status=message.status, recipient=message.recipient,
                  subject=message.subject, created_at=message.created_at, text=text, html=html, ics=ics,
                  ics_filename=filename)


def letters(limit=100):
    """The newest messages of the outbox, newest first."""
    rows = db.session.scalars(sa.select(OutboxMessage)
                              .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit))
    return [_letter(row) for row in rows]


def letter(message_id):
    """One message of the outbox, or None."""
    message = db.session.get(OutboxMessage, message_id)
    return _letter(message) if message is not None else None
