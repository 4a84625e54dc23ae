"""The list of matters that follow receptions: open ones first by due date, filtered as staff choose."""
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from .models import ReceptionCard
from .reminders import DAYS_BEFORE

OPEN, DUE_SOON, OVERDUE, CLOSED = "open", "due_soon", "overdue", "closed"
STATES = (OPEN, DUE_SOON, OVERDUE, CLOSED)
LIMIT = 500


@dataclass(frozen=True)
class MatterFilter:
    """What the list shows: ``division_ids`` (None: every division), a responsible person, a state."""

    division_ids: tuple = None
    responsible_id: int = None
    state: str = OPEN


def matters(spec, today):
    """The cards matching ``spec``: open ones soonest due first (no due date last), closed ones latest first."""
    query = sa.select(ReceptionCard).options(joinedload(ReceptionCard.booking), joinedload(ReceptionCard.division),
                                             joinedload(ReceptionCard.responsible))
    if spec.division_ids is not None:
        query = query.where(ReceptionCard.division_id.in_(spec.division_ids))
    if spec.responsible_id:
        query = query.where(ReceptionCard.responsible_id == spec.responsible_id)
    if spec.state == CLOSED:
        query = query.where(ReceptionCard.closed_at.is_not(None)).order_by(ReceptionCard.closed_at.desc())
    else:
        query = query.where(ReceptionCard.closed_at.is_(None))
        if spec.state == OVERDUE:
            query = query.where(ReceptionCard.due_date < today)
        elif spec.state == DUE_SOON:
            query = query.where(ReceptionCard.due_date >= today,
                                ReceptionCard.due_date <= today + timedelta(days=DAYS_BEFORE))
        query = query.order_by(ReceptionCard.due_date.is_(None), ReceptionCard.due_date, ReceptionCard.id)
    return db.session.scalars(query.limit(LIMIT)).unique().all()


def is_overdue(card, today):
    """Whether an open matter is past its due date."""
    return card.is_open and card.due_date is not None and card.due_date < today
