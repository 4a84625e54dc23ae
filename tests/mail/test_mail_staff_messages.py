"""Messages to staff go through the same outbox and delivery as the citizens' ones."""
import sqlalchemy as sa

from booking.accounts.throttle import ThrottleRules, attempt_login
from booking.core.timeutil import now_utc
from booking.models import OutboxMessage
from booking.notify import delivery


def test_an_account_lock_notice_is_delivered_to_the_holder_and_the_administrators(app, db, smtp_server, mailroom,
                                                                                  make_user):
    app.config["LOGIN_ACCOUNT_LOCK_FAILURES"] = 3
    head = make_user("head", email="karpov@priyom.example", name="Карпов А. В.")
    make_user("admin", email="admin@priyom.example", name="Смирнова А. С.")
    now = now_utc()
    for n in range(3):
        attempt_login(head.email, "guess", f"203.0.113.{n}", now, ThrottleRules.from_config(app.config),
                      app.config["SECRET_KEY"], mailroom)
    db.session.commit()

    report = delivery.deliver_all_due(mailroom, now)

    assert report.sent == 2
    received = {tuple(m.rcpt_tos): m.message for m in smtp_server.received}
    assert set(received) == {("karpov@priyom.example",), ("admin@priyom.example",)}
    holder = received[("karpov@priyom.example",)]
    assert "karpov@priyom.example" in holder["Subject"] and holder["Subject"].startswith("Приём:")
    body = holder.get_body(("plain",)).get_content()
    assert "Ваша учётная запись karpov@priyom.example" in body and "АО «Теплосеть-Демо»" in body
    assert "Карпов" in holder["To"]
    statuses = db.session.scalars(sa.select(OutboxMessage.status)).all()
    assert statuses == ["sent", "sent"]
