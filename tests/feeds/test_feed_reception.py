"""The public reception-hours feed: one event per session, closures and holidays left out, no visitor."""
from datetime import timedelta

from booking.core import scheduling
from booking.models import Closure
from booking.core.timeutil import now_utc
from feed_helpers import EVERY_DAY, at, reception_day
from feed_readers import assert_folded
from helpers import MSK, slot_start


def reception_path(division, **query):
    suffix = "".join(f"?{k}={v}" for k, v in query.items())
    return f"/divisions/{division.slug}/reception.ics{suffix}"


def test_each_reception_day_is_one_session_at_the_right_instant(client, make_division, reader):
    division = make_division(weekdays=EVERY_DAY, start="10:00", end="13:00", name="Южный филиал")

    calendar = reader(client.get(reception_path(division)).data)

    assert calendar.name == "Часы приёма: Южный филиал"
    day = reception_day(3)
    [session] = [e for e in calendar.events if e.start.astimezone(MSK).date() == day]
    assert session.start == slot_start(day, "10:00") and (session.start.hour, session.start.minute) == (7, 0)
    assert session.end == slot_start(day, "13:00")
    assert session.summary == "Приём граждан: Южный филиал"
    assert session.location == "Москва, ул. Тестовая, д. 1"
    assert session.status == "CONFIRMED"
    assert len({e.uid for e in calendar.events}) == len(calendar.events)


def session_days(calendar):
    return sorted(e.start.astimezone(MSK).date() for e in calendar.events)


def test_closures_and_holidays_have_no_session(client, db, make_division, monkeypatch, reader):
    division = make_division(weekdays=EVERY_DAY)
    before = session_days(reader(client.get(reception_path(division)).data))
    closed, holiday = before[2], before[4]
    division.closures.append(Closure(first_day=closed, last_day=closed, reason="Отпуск"))
    db.session.commit()
    real_holidays = scheduling.public_holidays
    monkeypatch.setattr(scheduling, "public_holidays",
                        lambda first, last, country="RU": real_holidays(first, last, country) | {holiday})

    after = session_days(reader(client.get(reception_path(division)).data))

    assert after == [day for day in before if day not in (closed, holiday)]


def test_the_public_feed_holds_no_personal_data(client, make_division, make_booking):
    division = make_division(weekdays=EVERY_DAY)
    booking, _ = make_booking(division, at(3), full_name="Уникальнова Зинаида", email="zinaida@example.ru",
                              phone="+79169876543", message="Секретный вопрос", account="987654321")

    body = client.get(reception_path(division)).data.decode("utf-8")

    for secret in ("Уникальнова", "zinaida", "9876543", "Секретный", "987654321", booking.code, "ATTENDEE"):
        assert secret not in body
    assert "BEGIN:VEVENT" in body


def test_the_feed_is_cached_publicly_and_answers_304_until_hours_change(client, db, make_division, renders):
    division = make_division(weekdays=EVERY_DAY)
    first = client.get(reception_path(division))
    assert first.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert first.headers["Cache-Control"].startswith("public")
    assert_folded(first.data)

    again = client.get(reception_path(division), headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and len(renders) == 1

    day = reception_day(5)
    division.closures.append(Closure(first_day=day, last_day=day, reason="Ремонт"))
    db.session.commit()
    changed = client.get(reception_path(division), headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]


def test_unknown_and_inactive_divisions_have_no_feed(client, make_division):
    assert client.get("/divisions/no-such-division/reception.ics").status_code == 404
    hidden = make_division(active=False)
    assert client.get(reception_path(hidden)).status_code == 404


def test_the_feed_speaks_english_when_asked(client, make_division, reader):
    division = make_division(weekdays=EVERY_DAY, name="Южный филиал", name_en="Southern branch")

    calendar = reader(client.get(reception_path(division, lang="en")).data)

    assert calendar.name == "Reception hours: Southern branch"
    assert calendar.events[0].summary == "Reception hours: Southern branch"


def test_the_feed_runs_to_the_end_of_the_booking_window(client, make_division, policy, reader):
    division = make_division(weekdays=EVERY_DAY)

    calendar = reader(client.get(reception_path(division)).data)

    today = now_utc().astimezone(MSK).date()
    days = sorted(e.start.astimezone(MSK).date() for e in calendar.events)
    assert days[0] >= today
    assert days[-1] <= today + timedelta(days=policy.horizon_days)
    assert days[-1] >= today + timedelta(days=policy.horizon_days - 10)
