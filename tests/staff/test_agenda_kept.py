"""The agenda kept as rendered: a visit booked, marked or annotated, a new head, a passing start, all show at once."""
from datetime import timedelta

from flask import template_rendered

from booking import bookings as booking_ops
from booking.core.timeutil import now_utc
from booking.web import page_cache, staff
from helpers import MSK, csrf_token, slot_start
from staff_support import text
from test_agenda import rows


def rendered_on(app, client, url):
    seen = []

    def record(_sender, template, **_extra):
        seen.append(template.name)

    template_rendered.connect(record, app)
    try:
        page = client.get(url)
    finally:
        template_rendered.disconnect(record, app)
    return page, seen


def test_the_agenda_is_kept_and_shows_every_change_at_once(app, client, db, make_division, make_booking, make_user,
                                                          log_in_as, coming_day):
    division = make_division(start="10:00", end="11:00")
    booking, _token = make_booking(division, slot_start(coming_day, "10:20"), full_name="Петров Пётр Петрович")
    log_in_as(make_user("head", divisions=[division], name="Карпов А. В."))
    url = f"/agenda/{coming_day.isoformat()}"
    first = text(client.get(url))
    again, seen = rendered_on(app, client, url)
    assert seen == [] and text(again) == first
    assert csrf_token(text(again)) == csrf_token(first)  # the kept page carries this session's own token

    make_booking(division, slot_start(coming_day, "10:40"), full_name="Сидорова Анна")
    assert rows(text(client.get(url)))[2].startswith("10:40–11:00 Сидорова Анна")

    booking_ops.set_staff_note(db.session.merge(booking), "Принести акт", now_utc(), booking_ops.Actor())
    db.session.commit()
    assert "Принести акт" in text(client.get(url))


def test_another_member_of_staff_never_gets_the_page_kept_for_the_first(app, make_division, make_user, new_browser,
                                                                        coming_day):
    division = make_division()
    one, two = new_browser(), new_browser()
    one.log_in(make_user("head", divisions=[division], name="Карпов А. В.").email)
    two.log_in(make_user("admin", name="Смирнова Е. Д.").email)
    url = f"/agenda/{coming_day.isoformat()}?division={division.slug}"
    assert "Карпов" in text(one.get(url))
    page = text(two.get(url))
    assert "Смирнова" in page and "Карпов" not in page
    assert "Log out" not in text(new_browser().get(url, follow_redirects=True))


def test_a_start_that_passes_changes_the_page_without_any_write(app, client, make_division, make_booking, make_user,
                                                                log_in_as, monkeypatch):
    division = make_division(weekdays=tuple(range(7)), start="00:00", end="23:40")
    soon = (now_utc() + timedelta(hours=3)).astimezone(MSK)
    if soon.hour >= 23:  # past the day's last slot: early the next morning instead
        soon = (soon + timedelta(days=1)).replace(hour=1)
    start = soon.replace(minute=soon.minute - soon.minute % 20, second=0, microsecond=0)
    booking, _token = make_booking(division, start)
    log_in_as(make_user("admin"))
    url = f"/agenda/{start.astimezone(staff.current_policy().tz).date().isoformat()}?division={division.slug}"
    assert f"/staff/bookings/{booking.code}/cancel" in text(client.get(url))
    later = start + timedelta(minutes=1)
    for module in (staff, page_cache):
        monkeypatch.setattr(module, "now_utc", lambda: later)
    assert f"/staff/bookings/{booking.code}/cancel" not in text(client.get(url))
