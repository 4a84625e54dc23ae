"""Public pages kept as rendered: every change a citizen would notice shows at once, in the right language."""
import re
from contextlib import contextmanager
from datetime import time, timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import template_rendered

from booking.bookings import cancel_booking
from booking.core.timeutil import now_utc
from booking.models import Closure, Division, DivisionChangeCount
from helpers import csrf_token, first_free_day, slot_start


@contextmanager
def renders(app):
    """The templates rendered inside the block."""
    seen = []

    def record(_sender, template, **_extra):
        seen.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(record, app)


def times_on(page, day):
    """The start times offered on ``day`` (as the links' ``start=`` values show them)."""
    return sorted(re.findall(rf"start={day.isoformat()}T(\d\d:\d\d)", page))


@pytest.fixture
def division(make_division):
    return make_division(slug="severny", name="Северный филиал", name_en="Northern branch", places=2)


@pytest.fixture
def day():
    return first_free_day()


def week_url(division, day):
    return f"/divisions/{division.slug}?week={day.isoformat()}"


def test_the_week_is_rendered_once_and_then_served_as_it_was(app, client, division, day):
    first = client.get(week_url(division, day))
    with renders(app) as rendered:
        again = client.get(week_url(division, day))
    assert rendered == []
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


def test_a_place_taken_shows_at_once(client, division, day, make_booking):
    url = week_url(division, day)
    assert "10:20" in times_on(client.get(url).get_data(as_text=True), day)
    make_booking(division, slot_start(day, "10:20"))
    page = client.get(url).get_data(as_text=True)
    assert "1 place left" in page
    make_booking(division, slot_start(day, "10:20"))
    assert "10:20" not in times_on(client.get(url).get_data(as_text=True), day)


def test_a_booking_changed_by_plain_sql_counts_too(db, client, division, day, make_booking):
    booking, _token = make_booking(division, slot_start(day, "10:20"))
    make_booking(division, slot_start(day, "10:20"))
    url = week_url(division, day)
    assert "10:20" not in times_on(client.get(url).get_data(as_text=True), day)
    before = db.session.get(DivisionChangeCount, division.id).changes
    db.session.execute(sa.text("UPDATE booking SET status = 'cancelled' WHERE id = :id"), {"id": booking.id})
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(DivisionChangeCount, division.id).changes == before + 1
    assert "10:20" in times_on(client.get(url).get_data(as_text=True), day)
    db.session.execute(sa.text("DELETE FROM audit_entry WHERE booking_id = :id"), {"id": booking.id})
    db.session.execute(sa.text("DELETE FROM outbox_message WHERE booking_id = :id"), {"id": booking.id})
    db.session.execute(sa.text("DELETE FROM booking WHERE id = :id"), {"id": booking.id})
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(DivisionChangeCount, division.id).changes == before + 2


def test_the_schedule_the_feed_token_and_the_division_itself_are_counted_too(db, division, day, make_division):
    other = make_division(slug="yuzhny")

    def counts():
        db.session.expire_all()
        return [getattr(db.session.get(DivisionChangeCount, d.id), "changes", 0) for d in (division, other)]

    writes = [
        "UPDATE reception_rule SET places = 3 WHERE division_id = :id",
        "INSERT INTO closure (division_id, first_day, last_day, reason) VALUES (:id, :day, :day, 'Ремонт')",
        "DELETE FROM closure WHERE division_id = :id",
        "INSERT INTO feed_token (division_id, token_hash, nonce, created_at) VALUES (:id, 'h', 'n', :at)",
        "UPDATE division SET room = '12' WHERE id = :id",
    ]
    for statement in writes:
        before = counts()
        db.session.execute(sa.text(statement), {"id": division.id, "day": day, "at": now_utc()})
        db.session.commit()
        rules = db.session.execute(sa.text("SELECT count(*) FROM reception_rule WHERE division_id = :id"),
                                   {"id": division.id}).scalar()
        expected = rules if statement.startswith("UPDATE reception_rule") else 1
        assert counts() == [before[0] + expected, before[1]], statement


def test_a_count_is_not_changed_by_a_write_that_was_rolled_back(db, division, day, make_booking):
    make_booking(division, slot_start(day, "10:20"))
    before = db.session.get(DivisionChangeCount, division.id).changes
    db.session.execute(sa.text("UPDATE booking SET staff_note = 'x' WHERE division_id = :id"), {"id": division.id})
    db.session.rollback()
    assert db.session.get(DivisionChangeCount, division.id).changes == before


def test_a_closure_and_a_changed_rule_show_at_once(db, client, division, day):
    url = week_url(division, day)
    assert times_on(client.get(url).get_data(as_text=True), day)[-1] == "12:40"
    rule = next(r for r in division.rules if r.weekday == day.weekday())
    rule.end_time = time(12, 0)
    db.session.commit()
    assert times_on(client.get(url).get_data(as_text=True), day)[-1] == "11:40"
    division.closures.append(Closure(first_day=day, last_day=day, reason="Отпуск"))
    db.session.commit()
    assert times_on(client.get(url).get_data(as_text=True), day) == []
    assert "Отпуск" in client.get(url).get_data(as_text=True)
    division.closures[0].reason = "Ремонт приёмной"
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Ремонт приёмной" in page and "Отпуск" not in page


def test_a_kept_page_is_never_served_in_the_other_language(client, division, day):
    url = week_url(division, day)
    for _round in range(2):
        russian = client.get(url, headers={"Accept-Language": "ru"}).get_data(as_text=True)
        english = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert '<html lang="ru">' in russian and "Свободное время" in russian and "Northern branch" not in russian
        assert '<html lang="en">' in english and "Free time" in english and "Northern branch" in english
    client.get("/lang/ru")  # the switch, remembered in the session, wins over the browser's language
    chosen = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ru">' in chosen


def test_the_home_page_shows_a_renamed_division_at_once(db, client, division):
    assert "Northern branch" in client.get("/").get_data(as_text=True)
    division.name_en = "North branch"
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "North branch" in page and "Northern branch" not in page
    division.active = False
    db.session.commit()
    assert "North branch" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/divisions/{division.slug}").status_code == 404


def test_a_kept_form_gives_each_visitor_a_token_of_their_own_that_books(app, client, division, day):
    url = f"/divisions/{division.slug}/book?start={quote(slot_start(day, '10:20').isoformat())}"
    first, second = client, app.test_client()  # two browsers (the client fixture's kind), two sessions
    second.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token_one = csrf_token(first.get(url).get_data(as_text=True))
    with renders(app) as rendered:
        page = second.get(url).get_data(as_text=True)
    assert rendered == []
    token_two = csrf_token(page)
    assert token_two != token_one and "csrf-" not in page
    answer = second.post(f"/divisions/{division.slug}/book", data={
        "csrf_token": token_two, "start": slot_start(day, "10:20").isoformat(), "full_name": "Петров Пётр Петрович",
        "phone": "+7 916 123-45-67", "email": "petrov@example.ru", "topic": "heating", "consent": "y"})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]


def test_a_full_time_is_never_offered_from_a_kept_form(client, division, day, make_booking):
    url = f"/divisions/{division.slug}/book?start={quote(slot_start(day, '10:20').isoformat())}"
    assert client.get(url).status_code == 200
    make_booking(division, slot_start(day, "10:20"))
    make_booking(division, slot_start(day, "10:20"))
    assert client.get(url).status_code == 409


def test_the_manage_page_shows_a_cancellation_at_once(db, client, division, day, make_booking, mailroom):
    booking, token = make_booking(division, slot_start(day, "10:20"))
    url = f"/bookings/{booking.code}?token={token}"
    assert "Move to another time" in client.get(url).get_data(as_text=True)
    cancel_booking(booking, now_utc(), mailroom)
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Cancelled" in page and "Move to another time" not in page
    assert client.get(f"/bookings/{booking.code}?token=wrong").status_code == 404


def test_a_kept_manage_page_leaves_the_memory_after_its_time(app, client, division, day, make_booking,
                                                              monkeypatch):
    from booking.web import page_cache

    booking, token = make_booking(division, slot_start(day, "10:20"), full_name="Сидорова Анна Петровна")
    url = f"/bookings/{booking.code}?token={token}"
    client.get(url)
    client.get(f"/divisions/{division.slug}")

    def kept_names():
        return ["Сидорова" in body for body, _until in app.extensions.get("priyom.pages", {}).values()]

    assert kept_names().count(True) == 1
    seconds = app.config["PAGE_CACHE_PERSONAL_SECONDS"]
    later = now_utc() + timedelta(seconds=seconds + page_cache.SWEEP_SECONDS)
    monkeypatch.setattr(page_cache, "now_utc", lambda: later)
    client.get(f"/divisions/{division.slug}")  # any page served: the process sweeps
    assert kept_names() and True not in kept_names(), "the week page stays, the manage page is gone"


def test_a_flashed_message_is_shown_once_and_never_kept(client, division):
    client.get(f"/divisions/{division.slug}")
    answer = client.get(f"/divisions/{division.slug}/book", follow_redirects=True)
    assert "Choose a time first." in answer.get_data(as_text=True)
    assert "Choose a time first." not in client.get(f"/divisions/{division.slug}").get_data(as_text=True)


def test_staff_never_get_a_page_kept_for_citizens(app, client, db, division, make_user, log_in_as):
    client.get(f"/divisions/{division.slug}")
    log_in_as(make_user("head", email="head@example.ru", name="Карпов А. В.",
                        divisions=[db.session.get(Division, division.id)]))
    page = client.get(f"/divisions/{division.slug}").get_data(as_text=True)
    assert "Log out" in page and "Карпов" in page
    assert "Log out" not in app.test_client().get(f"/divisions/{division.slug}").get_data(as_text=True)
