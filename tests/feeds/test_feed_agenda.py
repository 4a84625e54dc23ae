"""A head's private agenda feed: what it lists, how changes reach subscribed clients, and what it costs."""
from datetime import timedelta

from booking import bookings as booking_ops
from booking.feeds import service as feed_service
from booking.models import FeedToken
from booking.core.timeutil import now_utc
from feed_helpers import feed_settings, EVERY_DAY, agenda_path, at, reception_days
from feed_readers import assert_folded
from helpers import slot_start


def test_the_feed_lists_the_divisions_appointments_with_the_visitors_details(
        client, make_division, make_booking, feed_token, reader):
    division = make_division(weekdays=EVERY_DAY, name="Северный филиал")
    other = make_division(weekdays=EVERY_DAY)
    first, _ = make_booking(division, at(3, "10:00"), full_name="Сидорова Анна", topic="hot_water",
                            message="Нет горячей воды с 1 мая; соседи тоже, все подъезды.\nЗвонила дважды.")
    second, _ = make_booking(division, at(5, "12:40"), full_name="Ким Олег", topic="billing", message="")
    elsewhere, _ = make_booking(other, at(3, "10:00"), full_name="Чужой Посетитель")

    body = client.get(agenda_path(feed_token(division))).data
    calendar = reader(body)

    assert calendar.name == "Приёмы: Северный филиал"
    assert calendar.refresh_interval == "PT15M"
    assert [e.uid for e in calendar.events] == [f"booking-{b.id}-{b.code}@priyom" for b in (first, second)]
    event = calendar.event(f"booking-{first.id}-{first.code}@priyom")
    assert event.start == at(3, "10:00") and (event.start.hour, event.start.minute) == (7, 0)
    assert event.summary == "Приём: Сидорова Анна — Горячая вода"
    assert "Посетитель: Сидорова Анна" in event.description
    assert "Тема: Горячая вода" in event.description
    assert "Вопрос: Нет горячей воды с 1 мая; соседи тоже, все подъезды.\nЗвонила дважды." in event.description
    assert first.code in event.description
    assert "Чужой" not in body.decode("utf-8")
    assert_folded(body)


def test_the_feed_answers_as_a_private_calendar(client, make_division, make_booking, feed_token):
    division = make_division(weekdays=EVERY_DAY)
    make_booking(division, at(3))

    response = client.get(agenda_path(feed_token(division)))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"].startswith("private")
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert b"X-WR-CALNAME:" in response.data and b"X-PUBLISHED-TTL:PT15M" in response.data


def test_the_feed_reaches_back_some_weeks_and_keeps_recent_cancellations(
        client, db, make_division, make_booking, feed_token, reader, policy, mailroom):
    now = now_utc()
    division = make_division(weekdays=EVERY_DAY)
    # Days may slide forward past holidays (up to nine in January); the margins allow for that.
    too_old, _ = make_booking(division, at(-42), now=now - timedelta(days=45))
    recent_past, _ = make_booking(division, at(-14), now=now - timedelta(days=20))
    cancelled_long_ago, _ = make_booking(division, at(-20, "11:00"), now=now - timedelta(days=38))
    booking_ops.cancel_booking(cancelled_long_ago, now - timedelta(days=35), mailroom)
    cancelled_lately, _ = make_booking(division, at(6), now=now - timedelta(days=8))
    booking_ops.cancel_booking(cancelled_lately, now - timedelta(days=5), mailroom)
    db.session.commit()

    calendar = reader(client.get(agenda_path(feed_token(division))).data)

    uids = {e.uid for e in calendar.events}
    assert uids == {f"booking-{b.id}-{b.code}@priyom" for b in (recent_past, cancelled_lately)}
    kept = calendar.event(f"booking-{cancelled_lately.id}-{cancelled_lately.code}@priyom")
    assert kept.status == "CANCELLED" and kept.sequence == 1
    assert kept.summary.startswith("[Отменено] Приём: ")
    assert calendar.event(f"booking-{recent_past.id}-{recent_past.code}@priyom").status == "CONFIRMED"


def test_a_moved_appointment_keeps_its_uid_with_a_higher_sequence(
        client, db, make_division, make_booking, feed_token, reader, policy, mailroom):
    division = make_division(weekdays=EVERY_DAY)
    booking, _ = make_booking(division, at(3, "10:00"))
    path = agenda_path(feed_token(division))
    before = reader(client.get(path).data).events[0]

    booking_ops.reschedule_booking(booking, at(7, "11:40"), now_utc(), policy=policy, mailroom=mailroom)
    db.session.commit()
    [after] = reader(client.get(path).data).events

    assert after.uid == before.uid
    assert after.sequence == before.sequence + 1
    assert after.start == at(7, "11:40")


def test_a_repeated_conditional_get_is_answered_304_without_rendering(
        client, db, make_division, make_booking, feed_token, renders, mailroom):
    division = make_division(weekdays=EVERY_DAY)
    booking, _ = make_booking(division, at(3))
    path = agenda_path(feed_token(division))
    first = client.get(path)
    assert len(renders) == 1

    by_etag = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    by_date = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})

    assert (by_etag.status_code, by_date.status_code) == (304, 304)
    assert by_etag.data == b"" and by_etag.headers["ETag"] == first.headers["ETag"]
    assert len(renders) == 1

    # A change seconds later: both kinds of validator see it.
    booking_ops.cancel_booking(booking, now_utc() + timedelta(seconds=2), mailroom)
    db.session.commit()
    changed_etag = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    changed_date = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert (changed_etag.status_code, changed_date.status_code) == (200, 200)
    assert changed_etag.headers["ETag"] != first.headers["ETag"]
    assert b"STATUS:CANCELLED" in changed_etag.data
    assert len(renders) == 3


def test_editing_the_division_changes_the_etag(client, db, make_division, feed_token):
    division = make_division(weekdays=EVERY_DAY)
    path = agenda_path(feed_token(division))
    etag = client.get(path).headers["ETag"]

    division.room = "каб. 404"
    db.session.commit()

    assert client.get(path, headers={"If-None-Match": etag}).status_code == 200


def test_an_unknown_or_rotated_token_gets_404(client, db, make_division, feed_token):
    division = make_division(weekdays=EVERY_DAY)
    old = feed_token(division)
    assert client.get(agenda_path(old)).status_code == 200

    new = feed_service.rotate_feed_token(division, now_utc(), feed_settings())
    db.session.commit()

    assert client.get(agenda_path(old)).status_code == 404
    assert client.get(agenda_path(new)).status_code == 200
    assert client.get(agenda_path("x" * 43)).status_code == 404
    assert client.get(agenda_path("x" * 5000)).status_code == 404


def test_the_token_is_long_random_and_only_its_hash_is_stored(db, make_division, feed_token):
    first, second = make_division(), make_division()
    token = feed_token(first)

    assert len(token) >= 22  # at least 128 bits in URL-safe base64
    assert feed_token(second) != token
    row = db.session.scalar(db.select(FeedToken).where(FeedToken.division_id == first.id))
    assert row.token_hash == booking_ops.hash_token(token)
    assert token not in (row.token_hash, row.nonce)
    # The application can show the same link again without storing it.
    assert feed_service.feed_token_state(first, feed_settings()) == (True, token)


def test_after_a_secret_key_change_the_link_works_but_must_be_rotated_to_be_shown(
        app, client, db, make_division, feed_token):
    division = make_division()
    token = feed_token(division)

    app.config["SECRET_KEY"] = "another-secret"

    assert client.get(agenda_path(token)).status_code == 200
    assert feed_service.feed_token_state(division, feed_settings()) == (True, None)
    assert feed_service.ensure_feed_token(division, now_utc(), feed_settings()) == (None, False)
    new = feed_service.rotate_feed_token(division, now_utc(), feed_settings())
    db.session.commit()
    assert feed_service.feed_token_state(division, feed_settings()) == (True, new)
    assert client.get(agenda_path(token)).status_code == 404


def test_the_feed_costs_the_same_queries_for_few_or_many_appointments(
        client, make_division, make_booking, feed_token, count_queries):
    few, many = make_division(weekdays=EVERY_DAY), make_division(weekdays=EVERY_DAY)
    make_booking(few, at(3))
    for day in reception_days(6):
        for clock in ("10:00", "10:20", "11:00", "12:40"):
            make_booking(many, slot_start(day, clock))
    few_path, many_path = agenda_path(feed_token(few)), agenda_path(feed_token(many))

    with count_queries() as few_queries:
        few_body = client.get(few_path).data
    with count_queries() as many_queries:
        many_body = client.get(many_path).data

    assert few_body.count(b"BEGIN:VEVENT") == 1 and many_body.count(b"BEGIN:VEVENT") == 24
    assert len(many_queries) == len(few_queries) == 3  # the token, the validators, the bookings
