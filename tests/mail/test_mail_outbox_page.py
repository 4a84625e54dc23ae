"""Failed messages, as an administrator sees them at /staff/outbox and sends them again."""
import pytest
import sqlalchemy as sa

from booking.notify import delivery, outbox
from booking.models import OutboxMessage, User
from booking.core.timeutil import now_utc
from helpers import first_free_day, slot_start


@pytest.fixture
def login(db, log_in_as):
    def as_role(role):
        user = User(email=f"{role}@priyom.example", name=role.title(), role=role)
        db.session.add(user)
        db.session.commit()
        return log_in_as(user)

    return as_role


@pytest.fixture
def failed_message(app, db, make_division, make_booking, smtp_server):
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    smtp_server.handler.refuse = {"petrov@example.ru": "451 4.3.0 Try later"}
    make_booking(make_division(), slot_start(first_free_day(), "10:20"), email="petrov@example.ru")
    delivery.deliver_all_due(now_utc())
    smtp_server.handler.refuse = {}
    [message] = outbox.failed_messages()
    return message


def test_an_administrator_sees_failed_messages_and_sends_one_again(db, client, login, failed_message, smtp_server):
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
    assert delivery.deliver_all_due(now_utc()).sent == 1
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
