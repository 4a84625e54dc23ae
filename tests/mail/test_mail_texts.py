"""Every kind of message read in full, as the citizen reads it: the words come from the catalog."""
import re
from datetime import date, datetime

import pytest

from booking import bookings as booking_ops
from booking.notify.common import Kind
from booking.notify.compose import render_message
from helpers import MSK, details, slot_start

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=MSK)
WEDNESDAY = date(2026, 12, 9)
NBSP = "\u00a0"
EXTRAS = {
    Kind.CONFIRMATION: dict(manage_url="https://priyom.example/bookings/X?token=t"),
    Kind.RESCHEDULE: dict(old_start=slot_start(WEDNESDAY, "10:00")),
    Kind.CANCELLATION: dict(by_division=True, reason="Руководитель в отпуске"),
    Kind.REMINDER: {},
    Kind.MANAGE_LINK: dict(renewal_url="https://priyom.example/renew", renewal_days=3),
}


@pytest.fixture
def booked(db, make_division, policy, mailroom):
    def factory(locale="ru", **overrides):
        division = make_division(head_title="Директор филиала", head_name="Карпов Алексей Викторович",
                                 name="Северный филиал", name_en="Northern branch")
        booking, _token = booking_ops.create_booking(division, slot_start(WEDNESDAY, "10:20"),
                                                     details(**overrides), NOW, policy=policy, mailroom=mailroom)
        booking.locale = locale
        db.session.commit()
        return booking
    return factory


def english_words(text):
    """Latin words outside addresses, codes and file names: a text the catalog did not translate."""
    text = re.sub(r"https?://\S+|\S+\.ics|[A-Z0-9]{3}-[A-Z0-9]{3}", "", text)
    return re.findall(r"\b[A-Za-z]{3,}\b", text)


@pytest.mark.parametrize("kind", list(EXTRAS))
def test_every_russian_message_is_all_russian_and_greets_by_name_and_patronymic(booked, kind, mailroom):
    booking = booked(full_name="Смирнова Мария Сергеевна")
    rendered = render_message(mailroom, kind, booking, NOW, **EXTRAS[kind])
    for part in (rendered.subject, rendered.text, re.sub(r"<[^>]+>", " ", rendered.html)):
        assert english_words(part) == [], part
    assert rendered.text.startswith("Здравствуйте, Мария Сергеевна!\n")
    assert "Здравствуйте, Мария Сергеевна!" in rendered.html
    # The position mid-sentence is lower case; the hotline number does not wrap.
    if kind != Kind.MANAGE_LINK:
        assert "Кто принимает: директор филиала Карпов Алексей Викторович" in rendered.text
    assert f"+7{NBSP}495{NBSP}000-00-00" in rendered.text
    # The footer names the service and its operator (the fictional one of tests and demonstrations).
    assert ("Письмо отправлено автоматически сервисом записи на приём «Приём» (АО «Теплосеть-Демо»). "
            "Отвечать на него не нужно.") in rendered.text


def test_russian_subjects_put_in_before_the_time_and_a_comma_before_the_code(booked, mailroom):
    booking = booked()
    subjects = {kind: render_message(mailroom, kind, booking, NOW, **extra).subject for kind, extra in EXTRAS.items()}
    code = booking.code
    # The catalog keeps «код» and the code together (U+00A0); a header carries a plain space (header_text).
    assert subjects == {
        Kind.CONFIRMATION: f"Вы записаны на приём 9 декабря в 10:20, код {code}",
        Kind.RESCHEDULE: f"Приём перенесён на 9 декабря в 10:20, код {code}",
        Kind.CANCELLATION: f"Приём 9 декабря в 10:20 отменён, код {code}",
        Kind.REMINDER: f"Напоминание: приём 9 декабря в 10:20, код {code}",
        Kind.MANAGE_LINK: f"Новая ссылка на запись {code}",
    }


def test_a_name_without_a_patronymic_is_greeted_in_full_in_russian_and_with_hello_in_english(booked, mailroom):
    russian = render_message(mailroom, Kind.REMINDER, booked(full_name="Петров Пётр"), NOW)
    assert russian.text.startswith("Здравствуйте, Петров Пётр!\n")
    english = render_message(mailroom, Kind.REMINDER, booked(locale="en", full_name="Петров Пётр"), NOW)
    assert english.text.startswith("Hello,\n") and "Петров" not in english.text.split("\n")[0]


@pytest.mark.parametrize("days, words", [(1, f"1{NBSP}день"), (3, f"3{NBSP}дня"), (5, f"5{NBSP}дней")])
def test_the_renewal_link_names_its_days_in_the_right_form(booked, days, words, mailroom):
    rendered = render_message(mailroom, Kind.MANAGE_LINK, booked(), NOW, renewal_url="https://priyom.example/r",
                              renewal_days=days)
    assert f"Ссылка действует {words}, открыть запись по ней можно один раз." in rendered.text
    assert f"Ссылка действует {words}" in rendered.html


def test_what_to_bring_keeps_the_number_with_its_unit_and_the_html_escapes_the_name(booked, mailroom):
    rendered = render_message(mailroom, Kind.CONFIRMATION, booked(full_name="Смирнова <b>Мария</b> Сергеевна"), NOW,
                              **EXTRAS[Kind.CONFIRMATION])
    assert f"Приходите за 5{NBSP}минут до начала." in rendered.text
    assert "<b>Мария</b>" not in rendered.html and "&lt;b&gt;" in rendered.html


def test_directions_follow_the_address_as_a_sentence_not_after_a_colon(booked, db, mailroom):
    booking = booked(full_name="Смирнова Мария Сергеевна")
    booking.division.room = "каб. 105"
    booking.division.directions = "От метро «Каширская» 5 минут пешком; 2-й этаж."
    db.session.commit()
    text = render_message(mailroom, Kind.CONFIRMATION, booking, NOW, **EXTRAS[Kind.CONFIRMATION]).text
    assert "Где: Москва, ул. Тестовая, д. 1, каб. 105. От метро «Каширская» 5 минут пешком; 2-й этаж.\n" in text
    assert not re.search(r": От метро", text)
    assert "\n\n" + "Где" not in text  # no empty line left in the details

