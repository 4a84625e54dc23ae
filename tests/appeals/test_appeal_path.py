"""The whole path after a visit: card, promised answer, reminders to staff, answer, citizen told, report.

Runs on SQLite and, through ``tests/pg.py``, on PostgreSQL; mail goes to a real
SMTP server (aiosmtpd) and the report's figures are checked against the
bookings the test made.
"""
import csv
import io
import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from booking import bookings as services
from booking.appeals import cards
from booking.core.timeutil import now_utc
from booking.models import BookingStatus
from helpers import MSK, slot_start
from helpers import today
from staff_support import audit_trail, text


def staff(user):
    return services.Actor(kind=user.role, user=user)


@pytest.fixture
def visits(app, db, policy, make_division, make_booking, make_user, past_day, mailroom):
    """Four bookings on ``past_day``: two attended, one not come (by phone), one cancelled."""
    division = make_division(slug="severny", weekdays=range(7))
    head = make_user("head", divisions=[division], name="Карпов А. В.")
    operator = make_user("operator", name="Смирнова Анна")
    director = make_user("director", name="Директор")

    def book(clock, **details):
        start = slot_start(past_day, clock)
        return make_booking(division, start, now=start - timedelta(hours=3), **details)

    (answered, token), (oral, _t) = book("10:00", topic="heating"), book("10:20", topic="billing")
    phoned, _t = book("10:40", topic="heating",
                      actor=services.Actor(kind="operator", user=operator, channel="phone"))
    cancelled, _t = book("11:00", topic="heating")
    services.cancel_booking(cancelled, slot_start(past_day, "09:00"), mailroom)
    services.mark_booking(phoned, BookingStatus.NO_SHOW, now_utc(), staff(head), MSK)
    services.mark_booking(oral, BookingStatus.ATTENDED, now_utc(), staff(head), MSK)
    settings = cards.AppealSettings.from_config(app.config)
    cards.save_card(oral, cards.CardInput(raised="Счёт за отопление", topic="billing", outcome="oral",
                                          result="explained"), now_utc(), staff(head), settings, mailroom)
    db.session.commit()
    return dict(division=division, head=head, operator=operator, director=director, answered=answered,
                token=token, oral=oral, phoned=phoned, cancelled=cancelled)


def staff_mail(smtp_server, address):
    return [m for m in smtp_server.messages if m["To"].addresses[0].addr_spec == address
            and m["Subject"].startswith("Срок ответа")]


def send_reminders(runner, at):
    result = runner.invoke(args=["send-reminders", "--now", at])
    assert result.exit_code == 0, result.output
    return result.output


def test_from_visit_to_answer_and_report(app, db, client, runner, smtp_server, log_in_as, visits, past_day):
    booking, head, operator = visits["answered"], visits["head"], visits["operator"]
    log_in_as(head)

    # The head marks the visit and fills the card: a written answer is due, the operator answers.
    assert client.post_form(f"/staff/bookings/{booking.code}/mark", {"status": "attended"}).status_code == 303
    page = text(client.get(f"/staff/bookings/{booking.code}"))
    assert "Fill in the reception card" in page
    refused = client.post_form(f"/staff/bookings/{booking.code}/card",
                   {"raised": "Нет горячей воды третью неделю", "topic": "hot_water", "outcome": "written_due",
                    "responsible": "0", "result": ""})
    assert refused.status_code == 422
    assert "Choose who in the division is responsible" in text(refused)
    assert "Нет горячей воды третью неделю" in text(refused)  # the form keeps what was typed
    saved = client.post_form(f"/staff/bookings/{booking.code}/card",
                 {"raised": "Нет горячей воды третью неделю", "topic": "hot_water", "outcome": "written_due",
                  "responsible": str(operator.id), "result": ""})
    assert saved.status_code == 303
    card = cards.card_of(booking)
    due = past_day + timedelta(days=14)
    assert (card.outcome, card.due_date, card.responsible_id, card.is_open) == ("written_due", due, operator.id, True)

    # It is on the list of open matters, and only there for the head's division.
    answers = text(client.get("/staff/answers"))
    assert booking.code in answers and visits["oral"].code not in answers

    # Reminders: three days before and the day after the due date, once each, to the responsible and the head.
    assert "Reminders queued: 0" in send_reminders(runner, (due - timedelta(days=4)).isoformat() + "T09:00")
    assert "Reminders queued: 2" in send_reminders(runner, (due - timedelta(days=3)).isoformat() + "T09:00")
    assert "Reminders queued: 0" in send_reminders(runner, (due - timedelta(days=1)).isoformat() + "T09:00")
    assert "Reminders queued: 0" in send_reminders(runner, due.isoformat() + "T18:00")
    assert "Reminders queued: 2" in send_reminders(runner, (due + timedelta(days=1)).isoformat() + "T09:00")
    assert "Reminders queued: 0" in send_reminders(runner, (due + timedelta(days=2)).isoformat() + "T09:00")
    for person in (operator, head):
        soon, overdue = staff_mail(smtp_server, person.email)
        assert soon["Subject"] == f"Срок ответа {due:%d.%m.%Y}, код {booking.code}"
        assert overdue["Subject"] == f"Срок ответа истёк {due:%d.%m.%Y}, код {booking.code}"
        body = soon.get_body(preferencelist=("plain",)).get_content()
        assert f"https://priyom.example/staff/bookings/{booking.code}" in body and "Смирнова Анна" in body
        assert "Тема: горячая вода" in body

    # The answer is recorded: the matter closes and the citizen is told, by e-mail and on their page.
    unchosen = client.post_form(f"/staff/bookings/{booking.code}/answer",
                    {"sent_on": today().isoformat(), "summary": "Ответ", "result": ""})
    assert unchosen.status_code == 422 and "Choose the result" in text(unchosen)
    assert cards.card_of(booking).is_open
    recorded = client.post_form(f"/staff/bookings/{booking.code}/answer",
                    {"sent_on": today().isoformat(), "outgoing_number": "01-15/372",
                     "summary": "Участок сети заменён, горячая вода подана.", "result": "measures_taken"})
    assert recorded.status_code == 303
    db.session.expire_all()
    card = cards.card_of(booking)
    assert card.closed_at is not None and card.result == "measures_taken" and card.answer.outgoing_number == "01-15/372"
    assert runner.invoke(args=["send-mail"]).exit_code == 0
    [told] = [m for m in smtp_server.messages if m["To"].addresses[0].addr_spec == booking.email
              and m["Subject"].startswith("Ответ на ваше обращение")]
    body = told.get_body(preferencelist=("plain",)).get_content()
    assert "01-15/372" in body and "Участок сети заменён" in body and "меры приняты" in body
    manage = text(client.get(f"/bookings/{booking.code}?token={visits['token']}"))
    assert "After your reception" in manage and "Measures taken" in manage and "01-15/372" in manage
    actions = [row.action for row in audit_trail(db, booking)]
    assert actions[-4:] == [BookingStatus.ATTENDED, "card_saved", "answer_recorded", "matter_closed"]
    # The history says what was recorded in words, in the reader's language, never as stored keys.
    history = text(client.get(f"/staff/bookings/{booking.code}", headers={"Accept-Language": "ru"}))
    assert "Итог приёма: " in history and "Исходящий номер: 01-15/372" in history
    assert "outcome=" not in history and "result=" not in history and "sent_on=" not in history
    # A closed matter cannot be changed any more.
    again = client.post_form(f"/staff/bookings/{booking.code}/answer",
                 {"sent_on": today().isoformat(), "summary": "x", "result": "supported"})
    assert again.status_code == 303 and cards.card_of(booking).result == "measures_taken"

    # The report of the day, as the command prints it, agrees with the bookings made above.
    result = runner.invoke(args=["report", "--from", past_day.isoformat(), "--to", past_day.isoformat(),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["bookings_by_channel"] == {"web": 3, "phone": 1, "api": 0, "total": 4}
    assert figures["visits"] == {"held": 2, "no_show": 1, "cancelled": 1, "unmarked": 0}
    assert figures["by_topic"] == {"heating": 1, "hot_water": 1, "billing": 1, "connection": 0, "other": 0}
    assert figures["outcomes"] == {"oral": 1, "written_due": 1, "referred": 0, "not_supported": 0}
    assert figures["results"] == {"supported": 0, "not_supported": 0, "explained": 1, "measures_taken": 1,
                                  "open": 0}
    assert figures["written_answers"] == {"on_time": 1, "late": 0, "open": 0, "overdue": 0}
    assert figures["median_days"] == {"booking_to_visit": 0.1, "visit_to_answer": float((today() - past_day).days)}
    assert figures["places"] == {"offered": 9, "unused": 6}  # 10:00–13:00 by 20 minutes, three places held

    # The director reads the same figures on the page and in the downloads, and changes nothing.
    client.post_form("/logout")
    log_in_as(visits["director"])
    period = f"period=custom&from={past_day.isoformat()}&to={past_day.isoformat()}"
    page = client.get(f"/staff/statistics?{period}")
    assert page.status_code == 200
    assert '<svg class="chart bars" role="img"' in text(page) and "Visits held" in text(page)
    rows = list(csv.reader(io.StringIO(client.get(f"/staff/statistics.csv?{period}").get_data(as_text=True)
                                       .lstrip("\ufeff")), delimiter=";"))
    assert ["Visits held", "2"] in rows and ["Sent on time", "1"] in rows
    book = load_workbook(io.BytesIO(client.get(f"/staff/statistics.xlsx?{period}").data))
    assert len(book.sheetnames) == 7
    summary = {row[0]: row[1] for row in book[book.sheetnames[0]].iter_rows(min_row=3, values_only=True)}
    assert summary["Visits held"] == 2 and summary["All bookings made"] == 4
    assert client.post_form(f"/staff/bookings/{booking.code}/note", {"note": "x"}).status_code == 403
    assert client.get("/staff/answers?state=closed").status_code == 200
