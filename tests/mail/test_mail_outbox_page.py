"""Failed messages, as an administrator sees them at /staff/outbox and sends them again."""
import pytest
import sqlalchemy as sa

from booking.notify import delivery, outbox
from booking.models import OutboxMessage
from booking.core.timeutil import now_utc
from helpers import first_free_day, slot_start


@pytest.fixture
def login(make_user, log_in_as):
    """Log a new account of ``role`` in."""

    def as_role(role):
        return log_in_as(make_user(role, email=f"{role}@priyom.example", name=role.title()))

    return as_role


@pytest.fixture
def failed_message(app, db, make_division, make_booking, smtp_server, mailroom):
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    smtp_server.handler.refuse = {"petrov@example.ru": "451 4.3.0 Try later"}
    make_booking(make_division(), slot_start(first_free_day(), "10:20"), email="petrov@example.ru")
    delivery.deliver_all_due(mailroom, now_utc())
    smtp_server.handler.refuse = {}
    [message] = outbox.failed_messages()
    return message


def test_an_administrator_sees_failed_messages_and_sends_one_again(db, client, login, failed_message, smtp_server,
                                                                   mailroom):
    login("admin")
    page = client.get("/staff/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "petrov@example.ru" in html and "451 4.3.0 Try later" in html
    assert "<td>Confirmation<br><small>Вы записаны на приём " in html  # the kind in words; the subject as sent
    assert "token=" not in html  # bodies, with their links, are not shown

    response = client.post(f"/staff/outbox/{failed_message.id}/requeue")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(OutboxMessage, failed_message.id).status == "pending"
    assert delivery.deliver_all_due(mailroom, now_utc()).sent == 1
    assert [r.rcpt_tos for r in smtp_server.received] == [["petrov@example.ru"]]
    assert "petrov@example.ru" not in client.get("/staff/outbox").get_data(as_text=True)


def test_kinds_of_message_are_named_in_the_readers_language(client, login, failed_message):
    login("admin")
    client.get("/lang/ru?next=/staff/outbox")
    html = client.get("/staff/outbox").get_data(as_text=True)
    assert "<td>Подтверждение<br><small>Вы записаны на приём " in html


def test_only_failed_messages_can_be_sent_again(db, client, login, failed_message):
    login("admin")
    db.session.execute(sa.update(OutboxMessage).values(status="sent"))
    db.session.commit()
    client.post(f"/staff/outbox/{failed_message.id}/requeue")
    db.session.expire_all()
    assert db.session.get(OutboxMessage, failed_message.id).status == "sent"
    assert client.post("/staff/outbox/999999/requeue").status_code == 404


@pytest.mark.parametrize("role", ["head", "operator"])
def test_other_staff_are_refused(client, login, failed_message, role):
    login(role)
    assert client.get("/staff/outbox").status_code == 403
    assert client.post(f"/staff/outbox/{failed_message.id}/requeue").status_code == 403


def test_visitors_must_log_in(client, failed_message):
    assert client.get("/staff/outbox").status_code in (302, 401)
    assert client.post(f"/staff/outbox/{failed_message.id}/requeue").status_code in (302, 401)


def test_waiting_messages_are_listed_with_their_next_attempt_and_last_error(app, db, client, login, make_division,
                                                                           make_booking, smtp_server, mailroom):
    smtp_server.handler.refuse = {"petrov@example.ru": "451 4.3.0 Try later"}
    make_booking(make_division(), slot_start(first_free_day(), "10:20"), email="petrov@example.ru")
    delivery.deliver_all_due(mailroom, now_utc())  # one failed attempt: retried later, not failed for good
    login("admin")
    html = client.get("/staff/outbox").get_data(as_text=True)
    waiting = html.split('id="waiting-heading"', 1)[1].split('id="failed-heading"', 1)[0]
    assert "petrov@example.ru" in waiting and "451 4.3.0 Try later" in waiting
    [message] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert message.status == "pending" and message.next_attempt_at > message.created_at
    from booking.web.formatting import long_datetime
    assert str(long_datetime(message.next_attempt_at)) in waiting
    assert "Waiting: 1" in html and "No message has failed." in html
    assert "No mail server is configured" not in html


def test_without_a_mail_server_the_page_says_so_and_lists_what_waits(app, db, client, login, make_division,
                                                                     make_booking):
    app.config["MAIL_SERVER"] = ""
    for n in range(3):
        make_booking(make_division(), slot_start(first_free_day(), "10:20"), email=f"wait{n}@example.ru")
    login("admin")
    client.get("/lang/ru?next=/staff/outbox")
    html = client.get("/staff/outbox").get_data(as_text=True)
    assert "Почтовый сервер не настроен: письма не отправляются." in html
    assert "Все письма доставлены" not in html and "Ожидают отправки: 3" in html
    waiting = html.split('id="waiting-heading"', 1)[1].split('id="failed-heading"', 1)[0]
    assert all(f"wait{n}@example.ru" in waiting for n in range(3))
    # The menu and the title call the page the same.
    assert html.count("Исходящие письма") >= 3  # <title>, menu, <h1>
