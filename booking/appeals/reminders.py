"""Reminders of promised written answers, to the responsible person and the division's heads.

Two reminders per due date: three days before it, and on the first day after
it once the answer is still not recorded. Each goes exactly once to each
person (the outbox's ``dedup_key`` names the card, the due date, the stage and
the person); a run that comes late sends only the latest stage. Queued by the
``send-reminders`` run and the ``mail-worker``, next to the citizens' reminders.
"""
from datetime import timedelta

import sqlalchemy as sa

from ..core.timeutil import local_today
from ..extensions import db
from ..models import Role, User, user_division
from ..notify import staff_mail
from .models import Outcome, ReceptionCard

DAYS_BEFORE = 3
SOON, OVERDUE = "soon", "overdue"


def stage(due_date, today):
    """Which reminder is due ``today`` for an answer due on ``due_date``: SOON, OVERDUE or None."""
    if today > due_date:
        return OVERDUE
    if today >= due_date - timedelta(days=DAYS_BEFORE):
        return SOON
    return None


def reminder_key(card, which, user):
    return f"answer_due:{card.id}:{card.due_date.isoformat()}:{which}:{user.id}"


def _recipients(card, heads):
    people = [card.responsible] if card.responsible is not None else []
    people += heads.get(card.division_id, [])
    seen, unique = set(), []
    for user in people:
        if user.active and user.email and user.id not in seen:
            seen.add(user.id)
            unique.append(user)
    return unique


def _heads_of(division_ids):
    heads = {}
    rows = db.session.execute(
        sa.select(user_division.c.division_id, User).join(User, User.id == user_division.c.user_id)
        .where(user_division.c.division_id.in_(division_ids), User.role == Role.HEAD, User.active.is_(True))
        .order_by(User.id)).all()
    for division_id, user in rows:
        heads.setdefault(division_id, []).append(user)
    return heads


def queue_due_answer_reminders(now, settings, mailroom):
    """Queue the reminders of written answers due at ``now``; returns how many were added."""
    today = local_today(now, settings.tz)
    cards = db.session.scalars(
        sa.select(ReceptionCard).where(ReceptionCard.closed_at.is_(None),
                                       ReceptionCard.outcome == Outcome.WRITTEN_DUE,
                                       ReceptionCard.due_date <= today + timedelta(days=DAYS_BEFORE))
        .order_by(ReceptionCard.due_date, ReceptionCard.id)).all()
    if not cards:
        return 0
    heads = _heads_of({card.division_id for card in cards})
    added = 0
    for card in cards:
        which = stage(card.due_date, today)
        if which is None:
            continue
        for user in _recipients(card, heads):
            added += _queue(mailroom, card, which, user, now)
    return added


def _queue(mailroom, card, which, user, now):
    booking = card.booking
    responsible = card.responsible
    context = {
        "name": user.name or user.email, "overdue": which == OVERDUE, "due_date": card.due_date,
        "visit_day": card.visit_day, "code": booking.code, "division": card.division,
        "responsible_name": (responsible.name or responsible.email) if responsible is not None else "—",
        "topic": card.topic,
        "booking_url": mailroom.url("staff.booking", code=booking.code),
        "answers_url": mailroom.url("answers.index"),
        "due": f"{card.due_date:%d.%m.%Y}",
    }
    return staff_mail.queue_staff_message(mailroom, staff_mail.ANSWER_DUE, user.email, user.name, context, now,
                                          reminder_key(card, which, user), subject_key=f"answer_due:{which}",
                                          booking_id=booking.id)
