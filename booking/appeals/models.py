"""Tables of what follows a reception: the reception card and the written answer.

A card belongs to one attended booking (59-FZ, art. 13: the content of an oral
appeal is written into a reception card). Its outcome says what the division
promised; a matter is open until ``closed_at`` is set. The division and the
local day of the visit are copied onto the card so that the list of open
matters and the statistics are grouped queries over indexed columns.
"""
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..core.timeutil import now_utc
from ..extensions import db
from ..models import UTCDateTime


class Outcome(enum.StrEnum):
    """What was decided at the reception."""

    ORAL = "oral"  # answered orally, with the citizen's consent
    WRITTEN_DUE = "written_due"  # a written answer is due by the card's due date
    REFERRED = "referred"  # sent to the organisation that handles it
    NOT_SUPPORTED = "not_supported"  # outside competence or refused, with the explanation given


class Result(enum.StrEnum):
    """How a closed matter counts in appeal statistics."""

    SUPPORTED = "supported"  # «поддержано»
    NOT_SUPPORTED = "not_supported"  # «не поддержано»
    EXPLAINED = "explained"  # «разъяснено»
    MEASURES_TAKEN = "measures_taken"  # «меры приняты»


def _one_of(column, values):
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class ReceptionCard(db.Model):
    """What the citizen raised at the reception and what the division decided."""

    __tablename__ = "reception_card"
    __table_args__ = (
        sa.CheckConstraint(_one_of("outcome", Outcome), name="ck_card_outcome"),
        sa.CheckConstraint(f"result IS NULL OR {_one_of('result', Result)}", name="ck_card_result"),
        sa.Index("ix_card_open_due", "closed_at", "due_date"),
        sa.Index("ix_card_division_visit", "division_id", "visit_day"),
        sa.Index("ix_card_visit", "visit_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("booking.id", ondelete="CASCADE"), unique=True)
    division_id: Mapped[int] = mapped_column(sa.ForeignKey("division.id"))
    visit_day: Mapped[object] = mapped_column(sa.Date)  # local (Moscow) date of the reception
    raised: Mapped[str] = mapped_column(sa.Text, default="")
    topic: Mapped[str] = mapped_column(sa.String(32))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    due_date: Mapped[object] = mapped_column(sa.Date, nullable=True)
    responsible_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    referred_to: Mapped[str] = mapped_column(sa.String(300), default="")
    referred_on: Mapped[object] = mapped_column(sa.Date, nullable=True)
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    result: Mapped[str] = mapped_column(sa.String(16), nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    closed_at: Mapped[object] = mapped_column(UTCDateTime, nullable=True)

    booking = relationship("Booking", backref=backref("reception_card", uselist=False, passive_deletes=True))
    division = relationship("Division")
    responsible = relationship("User")
    answer = relationship("WrittenAnswer", back_populates="card", uselist=False, cascade="all, delete-orphan",
                          passive_deletes=True)

    @property
    def is_open(self):
        return self.closed_at is None


class WrittenAnswer(db.Model):
    """The written answer sent to the citizen, which closes a matter."""

    __tablename__ = "written_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("reception_card.id", ondelete="CASCADE"), unique=True)
    sent_on: Mapped[object] = mapped_column(sa.Date)
    outgoing_number: Mapped[str] = mapped_column(sa.String(64), default="")
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    by_post: Mapped[bool] = mapped_column(default=False)
    recorded_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), nullable=True)

    card = relationship("ReceptionCard", back_populates="answer")
    recorded_by = relationship("User")
