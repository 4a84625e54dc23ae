"""Rules of the reception card and the written answer, the list of open matters, reminders and retention."""
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from booking import bookings as services
from booking.appeals import cards, matters, reminders
from booking.appeals.cards import AnswerInput, AppealError, AppealSettings, CardInput
from booking.appeals.models import ReceptionCard, WrittenAnswer
from booking.bookings import retention
from booking.core.timeutil import now_utc
from booking.models import BookingStatus, OutboxMessage
from helpers import MSK, slot_start


@pytest.fixture
def settings(app):
    return AppealSettings.from_config(app.config)


@pytest.fixture
def world(db, make_division, make_booking, make_user, past_day):
    division = make_division(weekdays=range(7))
    head = make_user("head", divisions=[division])
    start = slot_start(past_day, "10:00")
    booking, token = make_booking(division, start, now=start - timedelta(hours=3))
    services.mark_booking(booking, BookingStatus.ATTENDED, now_utc(), services.Actor(kind="head", user=head), MSK)
    db.session.commit()
    return dict(division=division, head=head, booking=booking, actor=services.Actor(kind="head", user=head),
                day=past_day)


def test_the_due_date_follows_the_setting_and_never_exceeds_thirty_days(app):
    assert AppealSettings.from_config({**app.config, "ANSWER_DUE_DAYS": 14}).due_days == 14
    assert AppealSettings.from_config({**app.config, "ANSWER_DUE_DAYS": 45}).due_days == 30
    settings = AppealSettings.from_config(app.config)
    day = date(2026, 10, 5)
    assert cards.due_date_for("written_due", day, settings) == date(2026, 10, 19)
    assert cards.due_date_for("referred", day, settings) == date(2026, 10, 12)
    assert cards.due_date_for("oral", day, settings) is None


def test_no_card_before_the_visit_is_marked_attended(db, make_division, make_booking, make_user, settings,
                                                     coming_day, mailroom):
    division = make_division()
    head = make_user("head", divisions=[division])
    booking, _ = make_booking(division, slot_start(coming_day, "10:00"))
    with pytest.raises(AppealError) as refused:
        cards.save_card(booking, CardInput(raised="x", topic="heating", outcome="oral", result="explained"),
                        now_utc(), services.Actor(kind="head", user=head), settings, mailroom)
    assert refused.value.code == "not_attended"


@pytest.mark.parametrize("data, code", [
    (dict(raised=" ", outcome="oral", result="explained"), "raised_required"),
    (dict(outcome="written_due"), "responsible_required"),
    (dict(outcome="referred"), "referred_to_required"),
    (dict(outcome="not_supported", result="not_supported"), "explanation_required"),
    (dict(outcome="oral"), "result_required"),
    (dict(outcome="referred", referred_to="УК «Дом»", referred_on=date(2000, 1, 1), result="explained"),
     "referred_on_invalid"),
])
def test_a_card_missing_what_its_outcome_needs_is_refused(db, world, settings, data, code, mailroom):
    values = dict(raised="Холодные батареи", topic="heating")
    values.update(data)
    with pytest.raises(AppealError) as refused:
        cards.save_card(world["booking"], CardInput(**values), now_utc(), world["actor"], settings, mailroom)
    assert refused.value.code == code
    assert cards.card_of(world["booking"]) is None


def test_a_referral_sent_closes_the_matter_and_tells_the_citizen_where_it_went(db, world, settings, mailroom):
    card = cards.save_card(world["booking"], CardInput(raised="Течь в подвале дома", topic="heating",
                                                       outcome="referred", referred_to="ГБУ «Жилищник района»"),
                           now_utc(), world["actor"], settings, mailroom)
    db.session.commit()
    assert card.is_open and card.due_date == world["day"] + timedelta(days=7)
    card = cards.save_card(world["booking"], CardInput(raised="Течь в подвале дома", topic="heating",
                                                       outcome="referred", referred_to="ГБУ «Жилищник района»",
                                                       referred_on=world["day"], result="explained"),
                           now_utc(), world["actor"], settings, mailroom)
    db.session.commit()
    assert not card.is_open
    [message] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "answer")).all()
    assert "ГБУ «Жилищник района»" in message.body_text and message.recipient == world["booking"].email
    with pytest.raises(AppealError) as refused:
        cards.save_card(world["booking"], CardInput(raised="x", topic="heating", outcome="oral", result="supported"),
                        now_utc(), world["actor"], settings, mailroom)
    assert refused.value.code == "closed"


def test_an_answer_needs_a_date_between_the_visit_and_today_and_its_content(db, world, settings, mailroom):
    card = cards.save_card(world["booking"], CardInput(raised="Перерасчёт", topic="billing", outcome="written_due",
                                                       responsible=world["head"]), now_utc(), world["actor"], settings,
                           mailroom)
    for data, code in [(AnswerInput(sent_on=world["day"] - timedelta(days=1), summary="x", result="supported"),
                        "sent_on_invalid"),
                       (AnswerInput(sent_on=date.today() + timedelta(days=2), summary="x", result="supported"),
                        "sent_on_invalid"),
                       (AnswerInput(sent_on=world["day"], result="supported"), "summary_required"),
                       (AnswerInput(sent_on=world["day"], by_post=True, result=""), "result_required")]:
        with pytest.raises(AppealError) as refused:
            cards.record_answer(card, data, now_utc(), world["actor"], settings, mailroom)
        assert refused.value.code == code
    cards.record_answer(card, AnswerInput(sent_on=world["day"], by_post=True, result="supported"), now_utc(),
                        world["actor"], settings, mailroom)
    assert card.closed_at is not None and card.answer.by_post


def test_open_matters_soonest_due_first_with_overdue_ones_and_filters(db, world, settings, mailroom):
    card = cards.save_card(world["booking"], CardInput(raised="Перерасчёт", topic="billing", outcome="written_due",
                                                       responsible=world["head"]), now_utc(), world["actor"], settings,
                           mailroom)
    db.session.commit()
    due = card.due_date
    assert matters.matters(matters.MatterFilter(), due) == [card]
    assert matters.matters(matters.MatterFilter(state=matters.OVERDUE), due) == []
    assert matters.matters(matters.MatterFilter(state=matters.OVERDUE), due + timedelta(days=1)) == [card]
    assert matters.is_overdue(card, due + timedelta(days=1)) and not matters.is_overdue(card, due)
    assert matters.matters(matters.MatterFilter(state=matters.DUE_SOON), due - timedelta(days=3)) == [card]
    assert matters.matters(matters.MatterFilter(state=matters.DUE_SOON), due - timedelta(days=4)) == []
    assert matters.matters(matters.MatterFilter(responsible_id=world["head"].id + 100), due) == []
    assert matters.matters(matters.MatterFilter(division_ids=(world["division"].id + 100,)), due) == []


def test_reminder_stages():
    due = date(2026, 12, 15)
    assert reminders.stage(due, date(2026, 12, 11)) is None
    assert reminders.stage(due, date(2026, 12, 12)) == reminders.SOON
    assert reminders.stage(due, due) == reminders.SOON
    assert reminders.stage(due, date(2026, 12, 16)) == reminders.OVERDUE


def test_a_late_run_sends_only_the_overdue_reminder(db, world, settings, mailroom):
    card = cards.save_card(world["booking"], CardInput(raised="Перерасчёт", topic="billing", outcome="written_due",
                                                       responsible=world["head"]), now_utc(), world["actor"], settings,
                           mailroom)
    db.session.commit()
    late = datetime.combine(card.due_date + timedelta(days=2), datetime.min.time(), MSK).replace(hour=9)
    assert reminders.queue_due_answer_reminders(late, settings, mailroom) == 1
    assert reminders.queue_due_answer_reminders(late, settings, mailroom) == 0
    keys = db.session.scalars(sa.select(OutboxMessage.dedup_key).where(OutboxMessage.kind == "answer_due")).all()
    assert [k.split(":")[3] for k in keys] == ["overdue"]


def test_retention_blanks_cards_and_answers_but_keeps_the_counts(db, world, settings, mailroom):
    card = cards.save_card(world["booking"], CardInput(raised="Перерасчёт за октябрь", topic="billing",
                                                       outcome="written_due", responsible=world["head"]),
                           now_utc(), world["actor"], settings, mailroom)
    cards.record_answer(card, AnswerInput(sent_on=world["day"], outgoing_number="01-15/9", summary="Сделан перерасчёт",
                                          result="measures_taken"), now_utc(), world["actor"], settings, mailroom)
    db.session.commit()
    assert retention.purge_personal_data(now_utc() + timedelta(days=1), now_utc()) == 1
    db.session.commit()
    db.session.expire_all()
    card = db.session.scalars(sa.select(ReceptionCard)).one()
    answer = db.session.scalars(sa.select(WrittenAnswer)).one()
    assert (card.raised, card.responsible_id, answer.summary, answer.outgoing_number) == ("", None, "", "")
    assert (card.topic, card.outcome, card.result, card.due_date, answer.sent_on) == (
        "billing", "written_due", "measures_taken", world["day"] + timedelta(days=14), world["day"])
