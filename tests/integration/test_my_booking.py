"""«My booking»: code + phone or e-mail sends the manage link again, saying the same whether or not they match."""

import pytest
import sqlalchemy as sa

from booking.models import OutboxMessage
from helpers import MSK, csrf_token, first_free_day, slot_start

SAME_ANSWER = "a new link to it is on its way"


def ask(client, code, contact):
    token = csrf_token(client.get("/my-booking"))
    return client.post("/my-booking", data={"csrf_token": token, "code": code, "contact": contact},
                       follow_redirects=True)


def outbox(db, **where):
    query = sa.select(OutboxMessage).where(OutboxMessage.kind == "manage_link")
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return db.session.scalars(query).all()


@pytest.fixture
def app_config(app_config, request):
    return {**app_config, **getattr(request, "param", {})}


@pytest.fixture
def booked(db, make_division, make_booking):
    booking, _token = make_booking(make_division(), slot_start(first_free_day(), "10:00"),
                                   email="petrov@example.ru", phone="+79161234567")
    booking.code = "3VH-3X9"
    db.session.commit()
    return booking


def test_every_public_page_links_to_it(client, make_division):
    division = make_division()
    for url in ("/", f"/divisions/{division.slug}", "/bookings/NOPE-00?token=x", "/my-booking"):
        assert 'href="/my-booking"' in client.get(url).get_data(as_text=True), url
    assert "Lost the link to your booking?" in client.get("/bookings/ABC-DEF?token=x").get_data(as_text=True)
    russian = client.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<a class="my-booking-link" href="/my-booking">Моя запись</a>' in russian


@pytest.mark.parametrize("code,contact", [("3VH-3X9", "petrov@example.ru"), ("3вн 3х9", "Petrov@Example.ru"),
                                          ("3vh3x9", "8 916 123-45-67")])
def test_a_matching_code_and_contact_mail_a_new_link(client, db, booked, code, contact):
    page = ask(client, code, contact)
    assert page.status_code == 200 and SAME_ANSWER in page.get_data(as_text=True)
    [message] = outbox(db, channel="email")
    assert message.recipient == "petrov@example.ru" and "3VH-3X9" in message.subject


@pytest.mark.parametrize("code,contact", [("3VH-3X9", "other@example.ru"), ("3VH-3X9", "+7 916 000-00-00"),
                                          ("AAA-AAA", "petrov@example.ru")])
def test_anything_else_gets_the_same_answer_and_sends_nothing(client, db, booked, code, contact):
    page = ask(client, code, contact)
    assert page.status_code == 200 and SAME_ANSWER in page.get_data(as_text=True)
    assert outbox(db) == []


def test_a_contact_that_is_neither_phone_nor_e_mail_is_explained(client, db, booked):
    page = ask(client, "3VH-3X9", "мой телефон")
    assert page.status_code == 422 and "like +7 916 123-45-67" in page.get_data(as_text=True)
    assert 'value="3VH-3X9"' in page.get_data(as_text=True)  # what was typed stays


def test_with_sms_a_phone_gets_a_short_link_that_leads_to_the_booking(app, client, db, booked):
    app.config.update(SMS_GATEWAY_URL="http://127.0.0.1:9/cgi-bin/sendsms", PUBLIC_BASE_URL="https://priyom.example")
    ask(client, "3VH3X9", "+7 (916) 123-45-67")
    [message] = outbox(db, channel="sms")
    assert message.recipient == "+79161234567" and outbox(db, channel="email") == []
    text = message.body_text
    assert text.startswith("Запись 3VH-3X9: https://priyom.example/r/3VH3X9/") and len(text) <= 70
    link = text.split(": ", 1)[1].removeprefix("https://priyom.example")
    assert client.get(link.replace("/r/3VH3X9/", "/r/3VH3X9/x")).status_code == 404
    renewal = client.get(link)
    assert renewal.status_code == 303 and "/bookings/3VH-3X9/link/" in renewal.headers["Location"]
    page = client.get(renewal.headers["Location"]).get_data(as_text=True)
    token = csrf_token(page)
    opened = client.post(renewal.headers["Location"], data={"csrf_token": token})
    assert opened.status_code == 303 and "/bookings/3VH-3X9?token=" in opened.headers["Location"]
    assert client.get(opened.headers["Location"]).status_code == 200
    # Single use: once the link was renewed, the SMS link leads nowhere.
    assert client.get(link).status_code == 404
    from booking.security import redact
    assert redact(f"GET {link} HTTP/1.1") == "GET /r/3VH3X9/[redacted] HTTP/1.1"  # not in the server's log


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "BOOKING_RATE_LIMIT": "2 per minute"}],
                         indirect=True)
def test_it_is_limited_per_address_like_the_booking_form(client, db, booked):
    statuses = [ask(client, "3VH-3X9", f"x{n}@example.ru").status_code for n in range(3)]
    assert statuses == [200, 200, 429]


def test_the_you_already_have_a_booking_message_links_to_it(client, db, booked):
    division = booked.division
    start = slot_start(first_free_day(), "10:40").astimezone(MSK).isoformat()
    form = client.get(f"/divisions/{division.slug}/book", query_string={"start": start}).get_data(as_text=True)
    token = csrf_token(form)
    answer = client.post(f"/divisions/{division.slug}/book", data={
        "csrf_token": token, "start": start, "full_name": "Петров Пётр", "phone": "+79161234567",
        "email": "petrov@example.ru", "topic": "heating", "consent": "y"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "You already have an appointment" in html
    assert 'href="/my-booking"' in html.split("You already have an appointment")[1].split("</div>")[0]
