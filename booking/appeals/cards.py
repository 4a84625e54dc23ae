"""Reception cards and written answers: filling a card after a visit, and closing the matter.

59-FZ, art. 13: the content of an oral appeal is written into a reception
card; the answer is given orally where the facts are evident, else in writing
(at most 30 days), and a question outside the utility's competence is referred
to whoever handles it. Request-free: every operation takes ``settings`` and
``now``, records itself in the booking's audit trail, flushes, and leaves the
commit to the caller. The citizen's e-mail goes through the outbox in the same
transaction, composed with the application's mailroom, which the operations
that close a matter take as their last argument.
"""
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from ..bookings import audit
from ..core.timeutil import get_tz, local_today
from ..core.vocabulary import AuditAction
from ..extensions import db
from ..models import BookingStatus, Role, Topic, User
from ..notify import outbox
from ..notify.common import Kind
from .models import Outcome, ReceptionCard, Result, WrittenAnswer

DUE_DAYS_MAX = 30  # 59-FZ, art. 12
REFERRAL_DAYS = 7  # 59-FZ, art. 8: sent to whoever handles it within seven days
TEXT_MAX = 4000
# Outcomes that are settled at the reception itself.
SETTLED_AT_RECEPTION = (Outcome.ORAL, Outcome.NOT_SUPPORTED)
# Who may fill a card and record an answer (heads only for their own divisions).
FILLERS = (Role.HEAD, Role.OPERATOR, Role.ADMIN)


@dataclass(frozen=True)
class AppealSettings:
    """The rules of appeals in a deployment, read from configuration."""

    tz: object
    due_days: int = 14
    holiday_country: str = "RU"

    @classmethod
    def from_config(cls, config):
        days = int(config.get("ANSWER_DUE_DAYS", 14))
        return cls(tz=get_tz(config["BOOKING_TIMEZONE"]), due_days=max(1, min(days, DUE_DAYS_MAX)),
                   holiday_country=config["BOOKING_HOLIDAY_COUNTRY"])


class AppealError(Exception):
    """A card or answer refused; ``field`` names the form field at fault, when there is one."""

    def __init__(self, code, field=None):
        super().__init__(code)
        self.code, self.field = code, field


@dataclass
class CardInput:
    """What a member of staff writes into a card."""

    raised: str
    topic: str
    outcome: str
    responsible: object = None  # a User, for a written answer
    referred_to: str = ""
    referred_on: object = None  # date
    explanation: str = ""
    result: str = ""


@dataclass
class AnswerInput:
    """A written answer as recorded when it was sent."""

    sent_on: object  # date
    outgoing_number: str = ""
    summary: str = ""
    by_post: bool = False
    result: str = ""


def visit_day(booking, tz):
    """The local date of the booking's reception."""
    return booking.start_utc.astimezone(tz).date()


def due_date_for(outcome, day, settings):
    """When an answer or a referral is due after a reception on ``day``; None when settled at once."""
    if outcome == Outcome.WRITTEN_DUE:
        return day + timedelta(days=settings.due_days)
    if outcome == Outcome.REFERRED:
        return day + timedelta(days=REFERRAL_DAYS)
    return None


def card_of(booking):
    """The booking's reception card, or None."""
    return db.session.scalar(sa.select(ReceptionCard).where(ReceptionCard.booking_id == booking.id))


def may_fill(booking):
    """Whether a card can be written for ``booking``: only for a visit that took place."""
    return booking.status == BookingStatus.ATTENDED


def responsible_candidates(division):
    """Staff who may be made responsible for an answer of ``division``: its heads, operators, admins."""
    heads = sa.select(User).where(User.active.is_(True), User.role == Role.HEAD,
                                  User.divisions.any(id=division.id))
    others = sa.select(User).where(User.active.is_(True), User.role.in_((Role.OPERATOR, Role.ADMIN)))
    users = list(db.session.scalars(heads)) + list(db.session.scalars(others))
    return sorted(users, key=lambda u: ((u.name or u.email).lower(), u.id))


def _text(value):
    return (value or "").strip()[:TEXT_MAX]


def _check_card(data, day, today, division):
    if not _text(data.raised):
        raise AppealError("raised_required", "raised")
    if data.topic not in tuple(Topic):
        raise AppealError("topic_invalid", "topic")
    if data.outcome not in set(Outcome):
        raise AppealError("outcome_required", "outcome")
    if data.result and data.result not in set(Result):
        raise AppealError("result_invalid", "result")
    if data.outcome == Outcome.WRITTEN_DUE:
        if data.responsible is None or data.responsible not in responsible_candidates(division):
            raise AppealError("responsible_required", "responsible")
    if data.outcome == Outcome.REFERRED:
        if not _text(data.referred_to):
            raise AppealError("referred_to_required", "referred_to")
        if data.referred_on is not None and not day <= data.referred_on <= today:
            raise AppealError("referred_on_invalid", "referred_on")
    if data.outcome == Outcome.NOT_SUPPORTED and not _text(data.explanation):
        raise AppealError("explanation_required", "explanation")
    closes = data.outcome in SETTLED_AT_RECEPTION or (data.outcome == Outcome.REFERRED and data.referred_on)
    if closes and not data.result:
        raise AppealError("result_required", "result")
    return bool(closes)


def _card_detail(card):
    parts = [f"outcome={card.outcome}", f"topic={card.topic}"]
    if card.due_date:
        parts.append(f"due={card.due_date.isoformat()}")
    if card.responsible is not None:
        parts.append(f"responsible={card.responsible.name or card.responsible.email}")
    if card.referred_to:
        parts.append(f"referred_to={card.referred_to}")
    if card.referred_on:
        parts.append(f"referred_on={card.referred_on.isoformat()}")
    if card.result:
        parts.append(f"result={card.result}")
    return "; ".join(parts)


def save_card(booking, data, now, actor, settings, mailroom):
    """Write or correct the reception card of an attended visit; closes it when settled.

    Raises :class:`AppealError` (``not_attended``, ``closed``, or a field's code).
    """
    if not may_fill(booking):
        raise AppealError("not_attended")
    card = card_of(booking)
    if card is not None and not card.is_open:
        raise AppealError("closed")
    day = visit_day(booking, settings.tz)
    closes = _check_card(data, day, local_today(now, settings.tz), booking.division)
    if card is None:
        card = ReceptionCard(booking=booking, division_id=booking.division_id, visit_day=day, created_at=now)
        db.session.add(card)
    card.raised, card.topic, card.outcome = _text(data.raised), data.topic, data.outcome
    card.due_date = due_date_for(data.outcome, day, settings)
    card.responsible = data.responsible if data.outcome == Outcome.WRITTEN_DUE else None
    card.referred_to = _text(data.referred_to) if data.outcome == Outcome.REFERRED else ""
    card.referred_on = data.referred_on if data.outcome == Outcome.REFERRED else None
    card.explanation = _text(data.explanation)
    card.result = data.result or None
    card.updated_at = now
    audit(booking, actor, AuditAction.CARD_SAVED, detail=_card_detail(card), now=now)
    if closes:
        _close(card, now, actor, mailroom)
    db.session.flush()
    return card


def _close(card, now, actor, mailroom):
    card.closed_at = now
    audit(card.booking, actor, AuditAction.MATTER_CLOSED, detail=f"result={card.result}", now=now)
    db.session.flush()
    # The citizen hears of a written answer or a referral; an oral one they heard at the reception.
    if card.outcome in (Outcome.WRITTEN_DUE, Outcome.REFERRED):
        outbox.queue(mailroom, Kind.ANSWER, card.booking, now, f"answer:{card.id}", card=card, answer=card.answer)


def record_answer(card, data, now, actor, settings, mailroom):
    """Record the written answer sent to the citizen; closes the matter and tells the citizen.

    Raises :class:`AppealError` (``not_written``, ``closed``, or a field's code).
    """
    if card.outcome != Outcome.WRITTEN_DUE:
        raise AppealError("not_written")
    if not card.is_open:
        raise AppealError("closed")
    today = local_today(now, settings.tz)
    if data.sent_on is None or not card.visit_day <= data.sent_on <= today:
        raise AppealError("sent_on_invalid", "sent_on")
    if not _text(data.summary) and not data.by_post:
        raise AppealError("summary_required", "summary")
    if data.result not in set(Result):
        raise AppealError("result_required", "result")
    card.answer = WrittenAnswer(sent_on=data.sent_on, outgoing_number=_text(data.outgoing_number)[:64],
                                summary=_text(data.summary), by_post=bool(data.by_post), recorded_at=now,
                                recorded_by_id=actor.user_id)
    card.result, card.updated_at = data.result, now
    detail = f"sent_on={data.sent_on.isoformat()}; number={card.answer.outgoing_number}"
    audit(card.booking, actor, AuditAction.ANSWER_RECORDED, detail=detail + ("; by post" if data.by_post else ""), now=now)
    _close(card, now, actor, mailroom)
    return card.answer
