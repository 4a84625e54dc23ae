"""Who runs the service and what a citizen consents to: the operator's name on pages and e-mails,
the consent text and the privacy policy in both languages, the consent version of each booking,
and withdrawing consent («Удалить мои данные»)."""
import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from booking import create_app
from booking.models import AuditEntry, Booking, BookingStatus, OutboxMessage
from booking.operator import DEMO_OPERATOR
from helpers import csrf_token, first_free_day, slot_start
from test_public_flow import book_url, manage_params, post_booking

DEMO_NAME = DEMO_OPERATOR["OPERATOR_NAME"]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "OPERATOR_NAME": "ГУП «Тепло Города»", "OPERATOR_ADDRESS": "Москва, ул. Льва Толстого, 1",
            "OPERATOR_CONTACTS": "+7 495 111-22-33, pd@teplo.example", "SERVICE_NAME": "Запись к руководителю",
            "SERVICE_NAME_EN": "Meet the head", "CONSENT_VERSION": "2026-12-v3", "RETENTION_DAYS": 200}


def test_the_header_titles_and_footer_name_the_service_and_its_operator(client):
    page = client.get("/", headers={"Accept-Language": "ru"}).text
    assert re.search(r"<title>[^<]*— Запись к руководителю</title>", page)
    assert 'class="brand-name">Запись к руководителю<' in page
    assert "ГУП «Тепло Города»" in page and "pd@teplo.example" in page
    assert 'href="/consent"' in page and 'href="/privacy"' in page
    english = client.get("/", headers={"Accept-Language": "en"}).text
    assert re.search(r"<title>[^<]*— Meet the head</title>", english)


@pytest.mark.parametrize("path", ["/consent", "/privacy"])
def test_consent_and_privacy_name_the_operator_purposes_data_period_and_withdrawal(client, path):
    russian = client.get(path, headers={"Accept-Language": "ru"})
    assert russian.status_code == 200
    text = russian.text
    for needed in ("ГУП «Тепло Города»", "Москва, ул. Льва Толстого, 1", "pd@teplo.example", "2026-12-v3",
                   "200\u00a0дн.", "Удалить мои данные", "152-ФЗ"):
        assert needed in text, needed
    english = client.get(path, headers={"Accept-Language": "en"}).text
    for needed in ("ГУП «Тепло Города»", "200\u00a0days", "Delete my data", "152-FZ"):
        assert needed in english, needed
    assert 'lang="en"' in english and "Which data" in english


def test_the_consent_text_lists_purposes_data_and_processing(client):
    text = client.get("/consent", headers={"Accept-Language": "ru"}).text
    for heading in ("Цели обработки", "Какие данные", "Что с ними делается", "Как долго", "Как отозвать согласие"):
        assert heading in text


def test_every_booking_form_links_the_consent_and_the_policy(client, make_division):
    division = make_division()
    start = slot_start(first_free_day())
    form = client.get(book_url(division, start)).text
    box = form.split('name="consent"', 1)[1]
    assert 'href="/consent"' in box and 'href="/privacy"' in box


def test_a_booking_records_the_consent_version_it_accepted(client, make_division, db, app):
    division = make_division()
    post_booking(client, division, slot_start(first_free_day(), "10:20"))
    app.config["CONSENT_VERSION"] = "2027-01-v4"
    post_booking(client, division, slot_start(first_free_day(), "10:40"), email="other@example.ru",
                 phone="+7 916 765-43-21")
    versions = db.session.scalars(sa.select(Booking.consent_version).order_by(Booking.start_utc)).all()
    assert versions == ["2026-12-v3", "2027-01-v4"]


def test_e_mails_carry_the_service_and_the_operator(client, make_division, db):
    division = make_division()
    post_booking(client, division, slot_start(first_free_day(), "10:20"), email="smith@example.ru")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    post_booking(client, division, slot_start(first_free_day(), "10:40"), email="petrov@example.ru",
                 phone="+7 916 765-43-21")
    english, russian = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert "by Meet the head, the reception booking service of ГУП «Тепло Города»" in english.body_text
    assert "«Запись к руководителю» (ГУП «Тепло Города»)" in russian.body_text
    assert "«Запись к руководителю»" in russian.body_html and "/privacy" in russian.body_text


def test_demo_mode_names_a_fictional_utility_not_a_real_company(tmp_path, monkeypatch):
    for name in ("OPERATOR_NAME", "OPERATOR_ADDRESS", "OPERATOR_CONTACTS"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"DEMO_MODE": True, "SECRET_KEY": "k" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite3'}"})
    assert app.config["OPERATOR_NAME"] == DEMO_NAME == "АО «Теплосеть-Демо»"
    assert "вымышленный" in app.config["OPERATOR_ADDRESS"]


def test_production_without_an_operator_says_so_at_start(tmp_path, monkeypatch, caplog):
    for name in ("OPERATOR_NAME", "OPERATOR_ADDRESS", "OPERATOR_CONTACTS", "DEMO_MODE"):
        monkeypatch.delenv(name, raising=False)
    with caplog.at_level(logging.WARNING):
        app = create_app({"SECRET_KEY": "k" * 40, "PUBLIC_BASE_URL": "https://priyom.example",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}"})
    assert app.config["OPERATOR_NAME"] == ""
    assert any("OPERATOR_NAME" in record.getMessage() for record in caplog.records)


# --- Withdrawing consent ------------------------------------------------------------------------

def erase(client, path, token):
    page = client.get(f"{path}/erase?token={token}")
    assert page.status_code == 200
    return page, client.post(f"{path}/erase", data={"csrf_token": csrf_token(page), "token": token})


def test_delete_my_data_cancels_a_future_booking_and_erases_the_person(client, make_division, db):
    division = make_division()
    path, token = manage_params(post_booking(client, division, slot_start(first_free_day(), "10:20"),
                                             email="petrov@example.ru"))
    manage = client.get(f"{path}?token={token}").text
    assert f"{path}/erase?token={token}" in manage and "Delete my data" in manage
    page, response = erase(client, path, token)
    assert "The appointment is cancelled too" in page.text  # said before it happens
    assert response.status_code == 303 and response.headers["Location"] == "/bookings/erased"
    assert "Your data are deleted" in client.get("/bookings/erased").text
    booking = db.session.scalar(sa.select(Booking))
    assert booking.status == BookingStatus.CANCELLED and booking.cancelled_by == "citizen"
    assert (booking.full_name, booking.phone, booking.email, booking.address, booking.account, booking.message) == \
        ("", "", "", "", "", "")
    assert booking.purged_at is not None
    # The bare fact of the visit stays for statistics.
    assert booking.division_id == division.id and booking.topic == "hot_water" and booking.start_utc
    # The private link is dead now.
    assert client.get(f"{path}?token={token}").status_code == 404


def test_the_audit_records_the_erasure_but_not_what_was_erased(client, make_division, db):
    path, token = manage_params(post_booking(client, make_division(), slot_start(first_free_day(), "10:20"),
                                             email="petrov@example.ru"))
    erase(client, path, token)
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["created", "cancelled", "data_erased"]
    assert all(e.detail == "" for e in entries)
    for message in db.session.scalars(sa.select(OutboxMessage)):
        assert "petrov" not in (message.recipient + message.body_text + message.body_html + message.subject)
        assert message.raw_message is None and message.status in ("skipped", "sent", "failed")
    dump = " ".join(str(v) for row in db.session.execute(sa.select(Booking)).mappings() for v in row.values())
    assert "Петров" not in dump and "petrov" not in dump and "79161234567" not in dump


def test_no_cancellation_notice_goes_to_an_erased_address(client, make_division, db):
    path, token = manage_params(post_booking(client, make_division(), slot_start(first_free_day(), "10:20"),
                                             email="petrov@example.ru"))
    erase(client, path, token)
    kinds = db.session.scalars(sa.select(OutboxMessage.kind)).all()
    assert "cancellation" not in kinds


def test_a_past_visit_keeps_its_status_and_loses_the_person(client, make_division, make_booking, db):
    division = make_division()
    start = slot_start(first_free_day(), "10:20")
    booking, token = make_booking(division, start, now=start - timedelta(days=3))
    booking.status = BookingStatus.ATTENDED
    booking.start_utc, booking.end_utc = start - timedelta(days=30), start - timedelta(days=30) + timedelta(minutes=20)
    db.session.commit()
    page = client.get(f"/bookings/{booking.code}/erase?token={token}")
    assert "The appointment is cancelled too" not in page.text
    client.post(f"/bookings/{booking.code}/erase", data={"csrf_token": csrf_token(page), "token": token})
    db.session.refresh(booking)
    assert booking.status == BookingStatus.ATTENDED and booking.full_name == "" and booking.purged_at


def test_erasing_needs_the_token_and_the_form(client, make_division, make_booking):
    booking, token = make_booking(make_division(), slot_start(first_free_day(), "10:20"))
    assert client.get(f"/bookings/{booking.code}/erase?token=wrong").status_code == 404
    page = client.get(f"/bookings/{booking.code}/erase?token={token}")
    assert client.post(f"/bookings/{booking.code}/erase", data={"token": token}).status_code == 400
    assert client.post(f"/bookings/{booking.code}/erase",
                       data={"csrf_token": csrf_token(page), "token": "wrong"}).status_code == 404


def test_staff_see_the_consent_version_and_that_data_were_erased(client, make_division, make_user, log_in_as):
    path, token = manage_params(post_booking(client, make_division(), slot_start(first_free_day(), "10:20")))
    code = path.rsplit("/", 1)[1]
    erase(client, path, token)
    log_in_as(make_user("admin", email="admin@priyom.example", name="Админ"))
    page = client.get(f"/staff/bookings/{code}").text
    assert "text of 2026-12-v3" in page
    history = page.split('id="history-heading"', 1)[1]
    assert "Personal data erased at the citizen" in history and 'class="audit-data_erased"' in history


def test_a_booking_through_the_api_records_the_consent_version_too(client, make_division, db, api_key):
    division = make_division()
    response = client.post("/api/v1/bookings", headers={"X-API-Key": api_key}, json={
        "division": division.slug, "start": slot_start(first_free_day(), "10:20").isoformat(),
        "name": "Иванова Анна", "email": "ivanova@example.ru", "phone": "+79161234568", "topic": "billing",
        "consent": True})
    assert response.status_code == 201
    assert db.session.scalar(sa.select(Booking.consent_version)) == "2026-12-v3"
