"""The daily agenda: every slot in Moscow time, the visitors in them, free places, the print view."""
import re
from datetime import time, timedelta

from booking import bookings as booking_ops
from booking.models import ReceptionRule
from booking.core.timeutil import now_utc
from helpers import slot_start
from helpers import today
from staff_support import text


def rows(html):
    """The agenda table's rows as plain text, one string per row."""
    body = html.split('<table class="agenda">', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)[1:]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in cells]


def test_every_slot_of_the_day_with_visitors_and_free_places(client, make_division, make_booking, make_user,
                                                              log_in_as, coming_day):
    division = make_division(start="10:00", end="11:00")
    make_booking(division, slot_start(coming_day, "10:20"), full_name="Петров Пётр Петрович", phone="+79161234567",
                 topic="hot_water", message="Нет горячей воды с понедельника")
    log_in_as(make_user("head", divisions=[division]))
    page = client.get(f"/agenda/{coming_day.isoformat()}")
    assert page.status_code == 200
    lines = rows(text(page))
    assert lines[0].startswith("10:00–10:20 Free")
    assert lines[1].startswith("10:20–10:40 Петров Пётр Петрович +7 916 123-45-67")
    assert "Hot water Нет горячей воды с понедельника Booked" in lines[1]
    assert lines[2].startswith("10:40–11:00 Free")
    assert len(lines) == 3


def test_slots_with_several_places_show_how_many_are_free(client, make_division, make_booking, make_user, log_in_as,
                                                          coming_day):
    division = make_division(start="10:00", end="10:20", places=3)
    make_booking(division, slot_start(coming_day, "10:00"), full_name="Сидорова Анна")
    log_in_as(make_user("admin"))
    lines = rows(text(client.get(f"/agenda/{coming_day.isoformat()}?division={division.slug}")))
    assert lines[0].startswith("10:00–10:20 Сидорова Анна")
    assert lines[1] == "10:00–10:20 Free — 2 places"


def test_times_are_moscow_time_whatever_the_server_says(client, make_division, make_booking, make_user, log_in_as,
                                                        coming_day):
    division = make_division(start="09:00", end="09:20")
    booking, _ = make_booking(division, slot_start(coming_day, "09:00"))
    assert booking.start_utc.hour == 6  # stored in UTC
    log_in_as(make_user("operator"))
    lines = rows(text(client.get(f"/agenda/{coming_day.isoformat()}?division={division.slug}")))
    assert lines[0].startswith("09:00–09:20 ")


def test_a_booking_kept_outside_the_rules_still_appears(client, db, make_division, make_booking, make_user, log_in_as,
                                                        coming_day):
    division = make_division(start="10:00", end="11:00")
    make_booking(division, slot_start(coming_day, "10:40"), full_name="Кузнецов Олег")
    for rule in division.rules:
        rule.end_time = time(10, 40)
    db.session.commit()
    log_in_as(make_user("head", divisions=[division]))
    lines = rows(text(client.get(f"/agenda/{coming_day.isoformat()}")))
    assert lines[-1].startswith("10:40–11:00 outside the reception hours Кузнецов Олег")


def test_cancelled_bookings_free_their_slot_and_are_listed_apart(client, make_division, make_booking, make_user,
                                                                 log_in_as, coming_day, mailroom):
    division = make_division(start="10:00", end="10:20")
    booking, _ = make_booking(division, slot_start(coming_day, "10:00"), full_name="Отменов Иван")
    booking_ops.cancel_booking(booking, now_utc(), mailroom)
    log_in_as(make_user("head", divisions=[division]))
    html = text(client.get(f"/agenda/{coming_day.isoformat()}"))
    assert rows(html) == ["10:00–10:20 Free"]
    assert "Отменов Иван" in html.split('id="cancelled-heading"', 1)[1]


def test_previous_and_next_day_links_keep_the_division(client, make_division, make_user, log_in_as, coming_day):
    first, second = make_division(name="А-филиал"), make_division(name="Б-филиал")
    log_in_as(make_user("head", divisions=[first, second]))
    html = text(client.get(f"/agenda/{coming_day.isoformat()}?division={second.slug}"))
    day_before, day_after = coming_day - timedelta(days=1), coming_day + timedelta(days=1)
    assert f'href="/agenda/{day_before.isoformat()}?division={second.slug}"' in html
    assert f'href="/agenda/{day_after.isoformat()}?division={second.slug}"' in html


def test_agenda_without_a_date_is_today_in_moscow(client, make_division, make_user, log_in_as):
    make_division()
    log_in_as(make_user("operator"))
    html = text(client.get("/agenda"))
    assert f'href="/agenda/{(today() + timedelta(days=1)).isoformat()}"' in html
    assert "today" in html


def test_date_picker_leads_to_the_day_address(client, make_division, make_user, log_in_as, coming_day):
    division = make_division()
    log_in_as(make_user("admin"))
    response = client.get(f"/agenda?day={coming_day.isoformat()}&division={division.slug}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/agenda/{coming_day.isoformat()}?division={division.slug}"


def test_a_head_with_several_divisions_chooses_one(client, make_division, make_booking, make_user, log_in_as,
                                                   coming_day):
    first, second = make_division(name="А-филиал"), make_division(name="Б-филиал")
    make_booking(first, slot_start(coming_day, "10:00"), full_name="Первая Посетительница")
    make_booking(second, slot_start(coming_day, "10:00"), full_name="Второй Посетитель")
    log_in_as(make_user("head", divisions=[first, second]))
    default = text(client.get(f"/agenda/{coming_day.isoformat()}"))
    assert "Первая Посетительница" in default and "Второй Посетитель" not in default
    assert f'<option value="{second.slug}"' in default
    chosen = text(client.get(f"/agenda/{coming_day.isoformat()}?division={second.slug}"))
    assert "Второй Посетитель" in chosen and "Первая Посетительница" not in chosen


def test_a_head_never_sees_another_divisions_visitors(client, make_division, make_booking, make_user, log_in_as,
                                                      coming_day):
    mine, theirs = make_division(), make_division()
    make_booking(theirs, slot_start(coming_day, "10:00"), full_name="Чужой Посетитель")
    log_in_as(make_user("head", divisions=[mine]))
    day = coming_day.isoformat()
    for url in (f"/agenda/{day}?division={theirs.slug}", f"/agenda/{day}.csv?division={theirs.slug}"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Чужой Посетитель" not in text(response)
    assert f'value="{theirs.slug}"' not in text(client.get(f"/agenda/{day}"))


def test_unknown_division_or_impossible_date_is_not_found(client, make_division, make_user, log_in_as):
    make_division()
    log_in_as(make_user("admin"))
    assert client.get("/agenda/2026-13-01").status_code == 404
    assert client.get("/agenda/2026-12-01?division=nowhere").status_code == 404


def test_a_closed_day_says_why(client, db, make_division, make_user, log_in_as, coming_day):
    division = make_division(closures=[(coming_day, coming_day)])
    division.closures[0].reason = "Отпуск руководителя"
    db.session.commit()
    log_in_as(make_user("head", divisions=[division]))
    html = text(client.get(f"/agenda/{coming_day.isoformat()}"))
    assert "The division does not receive on this day. Отпуск руководителя" in html
    assert "No reception on this day." in html


def test_a_head_without_divisions_is_told_so(client, make_user, log_in_as):
    log_in_as(make_user("head"))
    assert "No division is assigned to your account yet." in text(client.get("/agenda"))


def test_print_view_hides_the_controls_and_fits_a4(client, make_division, make_booking, make_user, log_in_as,
                                                   coming_day):
    division = make_division(head_name="Карпов Андрей Викторович")
    make_booking(division, slot_start(coming_day, "10:00"))
    log_in_as(make_user("head", divisions=[division]))
    html = text(client.get(f"/agenda/{coming_day.isoformat()}"))
    # What only the printout shows, and what it leaves out.
    assert re.search(r'class="print-only">[^<]*Карпов Андрей Викторович', html)
    assert 'class="agenda-tools no-print"' in html
    assert '<th scope="col" class="no-print">Actions</th>' in html
    assert re.search(r'<td class="no-print row-actions">\s*<form method="post"', html) is None  # future: no marks
    css = text(client.get("/static/style.css"))
    print_css = css[css.rindex("@media print"):]
    assert ".print-only { display: block; }" in print_css
    first_print_block = css[css.index("@media print"):]
    assert ".site-header" in first_print_block and ".no-print" in first_print_block
    assert "size: A4" in first_print_block
    assert "break-inside: avoid" in print_css


def test_rules_added_later_in_the_day_are_merged_in_time_order(client, db, make_division, make_booking, make_user,
                                                                log_in_as, coming_day):
    division = make_division(start="14:00", end="14:20", weekdays=(coming_day.weekday(),))
    division.rules.append(ReceptionRule(weekday=coming_day.weekday(), start_time=time(9, 0), end_time=time(9, 20),
                                        slot_minutes=20, places=1))
    db.session.commit()
    log_in_as(make_user("head", divisions=[division]))
    lines = rows(text(client.get(f"/agenda/{coming_day.isoformat()}")))
    assert [line[:11] for line in lines] == ["09:00–09:20", "14:00–14:20"]


def test_the_agenda_names_the_division_in_the_readers_language(client, make_division, make_user, log_in_as,
                                                                coming_day):
    division = make_division(name="Северный филиал", name_en="Northern branch")
    log_in_as(make_user("head", divisions=[division]))
    url = f"/agenda/{coming_day.isoformat()}"
    assert "Agenda: Northern branch" in text(client.get(url))
    assert "Расписание: Северный филиал" in text(client.get(url, headers={"Accept-Language": "ru"}))
