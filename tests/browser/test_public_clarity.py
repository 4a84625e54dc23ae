"""In the browser, both languages, phone and desktop: a closed day says why, and a time taken while the form was
filled in is neither shown nor offered again."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from booking import bookings as booking_ops
from booking.core.timeutil import get_tz, now_utc, parse_iso_datetime, week_start
from booking.extensions import db
from booking.models import Closure
from booking.notify.settings import mailroom_of
from citizen import assert_fits_width, choose_a_time, fill_details, submit

pytestmark = pytest.mark.browser

CLOSED = {"ru": "Приём не проводится: Руководитель в отпуске", "en": "No reception: Руководитель в отпуске"}
TAKEN = {"ru": "Это время только что заняли.", "en": "This time was just taken."}


@pytest.fixture(scope="module")
def closed_day(live_server):
    """A closure with a public reason on a reception day of the southern branch, three weeks ahead."""
    app = live_server.app
    with app.app_context():
        division = booking_ops.get_division("yuzhny-filial")
        today = now_utc().astimezone(get_tz(app.config["BOOKING_TIMEZONE"])).date()
        day = today + timedelta(days=21)
        while not any(rule.weekday == day.weekday() for rule in division.rules):
            day += timedelta(days=1)
        division.closures.append(Closure(first_day=day, last_day=day, reason="Руководитель в отпуске"))
        db.session.commit()
    return day


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_closed_day_says_why(new_page, closed_day, shoot, lang, size):
    page = new_page(lang, size)
    page.goto(f"/divisions/yuzhny-filial?week={week_start(closed_day).isoformat()}")
    day = page.locator(f"section.day:has(#day-{closed_day.isoformat()})")
    if size == "desktop":  # a phone lists only the days with free time
        expect(day).to_contain_text(CLOSED[lang])
    assert_fits_width(page)
    shoot(page, f"week-closed-{lang}-{size}")


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_time_taken_meanwhile_is_not_offered_again(new_page, live_server, shoot, axe, lang, size):
    page = new_page(lang, size)
    page.goto("/divisions/severny-filial")
    choose_a_time(page, lang)
    start = page.locator("input[name=start]").input_value()
    with live_server.app.app_context():  # someone else books the same time meanwhile
        policy = booking_ops.Policy.from_config(live_server.app.config)
        division = booking_ops.get_division("severny-filial")
        details = booking_ops.CitizenDetails(topic="heating", **live_server.citizen())
        booking_ops.create_booking(division, parse_iso_datetime(start, policy.tz), details, now_utc(), policy,
                                   mailroom_of(live_server.app))
        db.session.commit()
    fill_details(page, lang, live_server.citizen())
    submit(page, lang)
    expect(page.locator("#problem h2")).to_have_text(TAKEN[lang])
    expect(page.locator("section.chosen")).to_have_count(0)
    expect(page.locator("#submit")).to_have_count(0)
    expect(page.locator("button[name=alt_start]").first).to_be_visible()
    assert_fits_width(page)
    shoot(page, f"book-taken-{lang}-{size}")
    serious = [v["id"] for v in axe(page) if v["impact"] in ("serious", "critical")]
    assert not serious, serious
    page.locator("#full_name").press("Enter")  # Enter in a field books none of the alternatives
    page.wait_for_timeout(300)
    expect(page.locator(".confirmation")).to_have_count(0)
    expect(page.locator("#problem h2")).to_have_text(TAKEN[lang])
    page.locator("button[name=alt_start]").first.click()
    expect(page.locator(".confirmation")).to_be_visible()
