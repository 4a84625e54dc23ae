"""What retention leaves of reception cards and written answers: the anonymous counts.

Purged with their booking (see :mod:`booking.retention`): the text the citizen
raised, the explanation, the referral's addressee, the answer's number and
text, and who was responsible are blanked; the division, day, topic, outcome,
result and dates stay for the statistics.
"""
import sqlalchemy as sa

from ..extensions import db
from .models import ReceptionCard, WrittenAnswer

BLANK_CARD = {"raised": "", "explanation": "", "referred_to": "", "responsible_id": None}
BLANK_ANSWER = {"outgoing_number": "", "summary": "", "recorded_by_id": None}


def purge_cards(booking_ids):
    """Blank the personal content of the cards and answers of ``booking_ids``."""
    cards = sa.select(ReceptionCard.id).where(ReceptionCard.booking_id.in_(booking_ids))
    db.session.execute(sa.update(WrittenAnswer).where(WrittenAnswer.card_id.in_(cards)).values(**BLANK_ANSWER))
    db.session.execute(sa.update(ReceptionCard).where(ReceptionCard.booking_id.in_(booking_ids))
                       .values(**BLANK_CARD))
