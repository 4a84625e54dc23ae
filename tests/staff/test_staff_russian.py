"""The staff pages in Russian, as the editor's review asked: dates after «с»/«по», positions, history, messages."""
from datetime import date, time

from booking.models import ReceptionRule
from staff_support import past_booking, text

NBSP = "\u00a0"


def test_the_division_page_reads_validity_and_position_as_russian_sentences(client, db, make_division, make_user,
                                                                         log_in_as):
    division = make_division(slug="sever", weekdays=(0, 2), head_title="директор филиала",
                             head_name="Карпов Алексей Викторович")
    division.rules.append(ReceptionRule(weekday=4, start_time=time(14, 0), end_time=time(16, 0), slot_minutes=20,
                                        places=1, valid_from=date(2026, 12, 2), valid_until=date(2026, 12, 31)))
    db.session.commit()
    log_in_as(make_user("admin"))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"

    page = text(client.get("/admin/divisions/sever"))
    # No weekday after a preposition; Babel keeps «г.» with a narrow no-break space.
    assert "с 2 декабря 2026\u202fг. по 31 декабря 2026\u202fг." in page
    assert "Директор филиала: <strong>Карпов Алексей Викторович</strong>" in page  # capital at the line start
    index = text(client.get("/admin/"))
    assert "понедельник, 10:00–13:00; среда, 10:00–13:00" in index


def test_history_says_the_booking_was_made_and_a_mark_names_the_status_first(client, db, make_division,
                                                                          make_booking, make_user, log_in_as,
                                                                          past_day):
    division = make_division(weekdays=range(7))
    booking = past_booking(make_booking, division, past_day)
    log_in_as(make_user("head", divisions=[division]))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"

    page = text(client.get(f"/staff/bookings/{booking.code}"))
    assert "Запись создана" in page
    response = client.post_form(f"/staff/bookings/{booking.code}/mark", {"status": "attended"}, follow_redirects=True)
    assert f"Приём состоялся — запись\u00a0{booking.code}." in text(response)


def test_rule_errors_are_ours_after_a_dash_in_lower_case(client, db, make_division, make_user, log_in_as):
    make_division(slug="sever")
    log_in_as(make_user("admin"))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    response = client.post_form("/admin/divisions/sever/rules/new",
                    {"weekday": "0", "start_time": "10:00", "end_time": "13:00", "slot_minutes": "300",
                     "places": "1", "valid_from": "", "valid_until": ""})
    page = text(response)
    assert "Минут на посетителя — введите число от 5 до 240." in page
    assert "между" not in page
