"""The pages after a reception pass axe-core in Russian and English under the strict CSP, headings in order.

Staff log in through the login page; the visit, its card and the figures are
made in the live server's database first.
"""
from datetime import time, timedelta

import holidays
import pytest

from booking import accounts
from booking import bookings as services
from booking.appeals import cards
from booking.core.timeutil import get_tz, local_to_utc, now_utc
from booking.extensions import db
from booking.models import BookingStatus
from booking.notify.settings import mailroom_of

pytestmark = pytest.mark.browser

PASSWORD = "appeal pages password"
MSK = get_tz("Europe/Moscow")
HEADINGS = """() => [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
    .filter(h => h.getClientRects().length > 0 || h.classList.contains("visually-hidden"))
    .map(h => Number(h.tagName[1]))"""


def _past_reception_day(weekdays):
    day = now_utc().astimezone(MSK).date() - timedelta(days=1)
    ru = holidays.country_holidays("RU", years=[day.year - 1, day.year])
    while day.weekday() not in weekdays or day in ru:
        day -= timedelta(days=1)
    return day


@pytest.fixture(scope="module")
def visit(live_server):
    """A head, a director, and an attended visit whose card promises a written answer."""
    with live_server.app.app_context():
        division = services.get_division("severny-filial")
        head = accounts.create_user("appeals-head@priyom.example", "head", PASSWORD, name="Карпов А. В.",
                                    divisions=[division])
        accounts.create_user("appeals-director@priyom.example", "director", PASSWORD, name="Директор")
        start = local_to_utc(_past_reception_day((0, 2, 4)), time(12, 40), MSK)
        details = services.CitizenDetails(topic="hot_water", message="Нет горячей воды", **live_server.citizen())
        policy = services.Policy.from_config(live_server.app.config)
        mailroom = mailroom_of(live_server.app)
        booking, token = services.create_booking(division, start, details, start - timedelta(hours=3), policy,
                                                 mailroom)
        actor = services.Actor(kind="head", user=head)
        services.mark_booking(booking, BookingStatus.ATTENDED, now_utc(), actor, MSK)
        cards.save_card(booking, cards.CardInput(raised="Нет горячей воды", topic="hot_water",
                                                 outcome="written_due", responsible=head), now_utc(), actor,
                        cards.AppealSettings.from_config(live_server.app.config), mailroom)
        db.session.commit()
        return booking.code, token


def log_in(page, email):
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.narrow [type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def check(page, axe):
    serious = [v for v in axe(page) if v["impact"] in ("serious", "critical")]
    assert not serious, "\n".join(f"{v['id']} — {v['help']} at {', '.join(v['targets'])}" for v in serious)
    levels = page.evaluate(HEADINGS)
    assert levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), f"a heading level is skipped: {levels}"


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_heads_pages(new_page, axe, shoot, visit, lang):
    visit, _token = visit
    page = new_page(lang)
    log_in(page, "appeals-head@priyom.example")
    for name, url in (("booking", f"/staff/bookings/{visit}"), ("answers", "/staff/answers"),
                      ("statistics-head", "/staff/statistics?period=quarter")):
        page.goto(url)
        check(page, axe)
        shoot(page, f"{name}-{lang}")
    page.goto(f"/staff/bookings/{visit}/card")
    page.locator("#raised").fill("")
    page.locator("form.card-form [type=submit]").click()
    page.locator("#error-summary").wait_for()
    check(page, axe)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_directors_statistics(new_page, axe, shoot, visit, lang):
    page = new_page(lang)
    log_in(page, "appeals-director@priyom.example")
    page.goto("/staff/statistics?period=quarter")
    assert page.locator("svg[role=img] title").count() >= 4
    check(page, axe)
    shoot(page, f"statistics-{lang}")
    # Only the chosen period's fields show, and choosing another shows its own (no script needed).
    assert page.locator("#quarter").is_visible() and page.locator("#month").is_hidden()
    assert page.locator("#from").is_hidden()
    page.locator("#period-custom").check()
    assert page.locator("#from").is_visible() and page.locator("#quarter").is_hidden()
    page.emulate_media(media="print")
    assert page.locator("form.filters").is_hidden()


def test_the_statistics_on_a_phone_keep_narrow_tables_and_name_every_number_of_wide_ones(new_page, shoot, visit):
    page = new_page("ru", "phone")
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, "appeals-director@priyom.example")
    page.goto("/staff/statistics?period=quarter")
    shoot(page, "statistics-ru-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    displays = page.locator("table.figures").evaluate_all(
        "ts => ts.map(t => [t.rows[0].cells.length, getComputedStyle(t).display])")
    assert all(display == ("table" if columns <= 3 else "block") for columns, display in displays), displays
    wide_cells = page.locator("table.figures td.number").evaluate_all("cs => cs.map(c => c.dataset.label)")
    assert wide_cells and all(wide_cells), "every number is named by its column"


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_citizens_page_tells_what_was_decided(new_page, axe, visit, lang):
    code, token = visit
    page = new_page(lang)
    page.goto(f"/bookings/{code}?token={token}")
    assert page.locator("#decision-heading").is_visible()
    check(page, axe)
