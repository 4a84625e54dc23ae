"""The answer e-mails read as the others do: one English template set, translated, in the booking's language."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from booking import bookings
from booking.appeals import cards
from booking.appeals.cards import AnswerInput, AppealSettings, CardInput
from booking.core.timeutil import now_utc
from booking.models import BookingStatus, OutboxMessage
from booking.notify.common import Kind
from booking.notify.compose import render_message
from helpers import MSK, slot_start

NBSP = "\u00a0"


@pytest.fixture
def answered(db, app, make_division, make_booking, make_user, past_day, mailroom):
    """A booking (in ``locale``) whose written answer has been recorded; returns ``(booking, card)``."""
    division = make_division(weekdays=range(7))
    head = make_user("head", divisions=[division])
    settings = AppealSettings.from_config(app.config)

    def make(locale, start="10:00"):
        booking, _ = make_booking(division, slot_start(past_day, start), now=slot_start(past_day, start)
                                  - timedelta(hours=3), full_name="Смирнова Мария Сергеевна", locale=locale)
        actor = bookings.Actor(kind="head", user=head)
        bookings.mark_booking(booking, BookingStatus.ATTENDED, now_utc(), actor, MSK)
        card = cards.save_card(booking, CardInput(raised="Нет горячей воды", topic="hot_water",
                                                  outcome="written_due", responsible=head), now_utc(), actor, settings, mailroom)
        cards.record_answer(card, AnswerInput(sent_on=past_day, outgoing_number="01-15/372", summary="Подача восстановлена",
                                              result="measures_taken"), now_utc(), actor, settings, mailroom)
        db.session.commit()
        return booking, card

    return make


def test_the_russian_answer_is_all_russian(db, answered, past_day, mailroom):
    booking, card = answered("ru")
    rendered = render_message(mailroom, Kind.ANSWER, booking, now_utc(), card=card, answer=card.answer)
    assert rendered.subject == f"Ответ на ваше обращение на приёме, код{NBSP}{booking.code}".replace(NBSP, " ")
    for part in (rendered.subject, rendered.text, re.sub(r"<[^>]+>", " ", rendered.html)):
        assert re.findall(r"\b[A-Za-z]{3,}\b", part.replace(booking.code, "").split("http")[0]) == [], part
    assert rendered.text.startswith("Здравствуйте, Мария Сергеевна!\n")
    assert f"вам направлен письменный ответ (исх. №{NBSP}01-15/372)" in rendered.text
    assert "Кратко: Подача восстановлена" in rendered.text and "Итог рассмотрения: меры приняты." in rendered.text
    assert "Ответ на ваше обращение" in rendered.html and "<strong>меры приняты</strong>" in rendered.html
    # The outbox row is the same message, queued once when the answer was recorded.
    [row] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == Kind.ANSWER,
                                                              OutboxMessage.booking_id == booking.id)).all()
    assert row.subject == rendered.subject


def test_the_english_answer_is_english(db, answered, mailroom):
    booking, card = answered("en", start="11:00")
    rendered = render_message(mailroom, Kind.ANSWER, booking, now_utc(), card=card, answer=card.answer)
    assert rendered.subject == f"The answer to your appeal at the reception — code {booking.code}"
    assert "A written answer was sent to you on" in rendered.text and "(ref. no. 01-15/372)" in rendered.text
    assert "Result: measures taken." in rendered.text
    assert rendered.text.startswith("Dear Мария Сергеевна,\n")
    assert "You came to the reception on" in rendered.text and "In short: Подача восстановлена" in rendered.text
    for russian in ("Итог", "направлен", "Кратко", "Здравствуйте"):
        assert russian not in rendered.text and russian not in rendered.html
