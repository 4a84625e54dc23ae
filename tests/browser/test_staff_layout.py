"""Staff pages on a phone and on a desktop: nothing scrolls sideways at 375 px, the agenda reads well and prints
on as many pages as it needs, the staff pages pass axe."""
import pytest
from playwright.sync_api import expect

from booking import accounts
from booking.core.timeutil import get_tz
from booking.extensions import db
from booking.models import Booking
from citizen import assert_fits_width

pytestmark = pytest.mark.browser

ADMIN = ("staff-admin@priyom.example", "browser staff password 1")


@pytest.fixture(scope="module")
def staff_world(live_server):
    """An administrator and two appointments on one day of the demo's first division."""
    with live_server.app.app_context():
        if accounts.find_user(ADMIN[0]) is None:
            accounts.create_user(ADMIN[0], "admin", ADMIN[1], name="Администратор Браузеров")
            db.session.commit()
    code, _token = live_server.book()
    second, _token = live_server.book()
    with live_server.app.app_context():
        booking = db.session.query(Booking).filter_by(code=code).one()
        day = booking.start_utc.astimezone(get_tz(live_server.app.config["BOOKING_TIMEZONE"])).date()
    return {"code": code, "second": second, "day": day.isoformat(), "slug": "severny-filial"}


@pytest.fixture
def staff_page(new_page):
    def open_page(lang="ru", size="phone", width=375):
        page = new_page(lang, size)
        if size == "phone":
            page.set_viewport_size({"width": width, "height": 740})
        page.goto(f"/lang/{lang}?next=/login")
        page.locator("#email").fill(ADMIN[0])
        page.locator("#password").fill(ADMIN[1])
        page.locator("form.narrow button[type=submit], form.narrow input[type=submit]").click()
        expect(page).not_to_have_url("/login")
        return page

    return open_page


def staff_urls(world):
    return {
        "agenda": f"/agenda/{world['day']}?division={world['slug']}",
        "booking": f"/staff/bookings/{world['code']}",
        "division": f"/admin/divisions/{world['slug']}",
        "admin": "/admin/",
        "users": "/admin/users",
        "outbox": "/staff/outbox",
        "search": f"/staff/search?q={world['code']}",
        "book-week": f"/staff/book/{world['slug']}",
        "move": f"/staff/bookings/{world['second']}/move",
    }


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_staff_pages_fit_a_375_pixel_phone(staff_page, staff_world, shoot, axe, lang):
    page = staff_page(lang)
    wider, problems = {}, []
    for name, url in staff_urls(staff_world).items():
        page.goto(url)
        shoot(page, f"staff-{name}-{lang}-375")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            wider[name] = width
        if lang == "ru":
            problems += [f"{name}: {v['id']} at {', '.join(v['targets'])}" for v in axe(page)
                         if v["impact"] in ("serious", "critical")]
    assert wider == {}, f"pages wider than 375 px: {wider}"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_staff_pages_on_a_desktop(staff_page, staff_world, shoot, lang):
    page = staff_page(lang, "desktop")
    for name, url in staff_urls(staff_world).items():
        page.goto(url)
        shoot(page, f"staff-{name}-{lang}-1280")
        assert_fits_width(page)


def test_the_agenda_picker_keeps_each_label_above_its_field_on_a_phone(staff_page, staff_world):
    page = staff_page("ru", "phone")
    page.goto(staff_urls(staff_world)["agenda"])
    for field in ("division", "day"):
        label, box = page.locator(f"label[for={field}]").bounding_box(), page.locator(f"#{field}").bounding_box()
        assert label["y"] + label["height"] <= box["y"] + 1 and abs(label["x"] - box["x"]) < 2, (field, label, box)


def test_booked_rows_of_the_agenda_are_not_all_bold_and_green(staff_page, staff_world):
    page = staff_page("ru", "desktop")
    page.goto(staff_urls(staff_world)["agenda"])
    row = page.locator("tr.visit.status-booked").first
    style = row.locator("td.question .message, td.staff-note").first.evaluate(
        "el => [getComputedStyle(el).fontWeight, getComputedStyle(el).color]")
    assert int(style[0]) < 600 and style[1] != "rgb(30, 107, 52)", style


def test_the_printed_agenda_has_no_empty_page(staff_page, staff_world):
    page = staff_page("ru", "desktop")
    page.goto(staff_urls(staff_world)["agenda"])
    pdf = page.pdf(format="A4")
    pages = pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page\r") + pdf.count(b"/Type /Page>>") + \
        pdf.count(b"/Type /Page ")
    assert pages == 1, f"{pages} pages for a day of two appointments"


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_an_operator_books_for_a_caller_and_reads_out_the_details(staff_page, staff_world, shoot, axe, lang, size):
    caller = {"ru": ("Звонящая", "Вопрос заявителя", "(необязательно)", "Прочитайте заявителю"),
              "en": ("Caller", "The caller's question", "(optional)", "Read this out to the caller")}[lang]
    tag = f"{lang}-{375 if size == 'phone' else 1280}"
    page = staff_page(lang, size)
    page.goto(staff_urls(staff_world)["book-week"])
    page.locator(".week-nav a[rel=next]").click()
    page.locator("a.slot").first.click()
    expect(page.locator("label[for=message]")).to_contain_text(caller[1])
    expect(page.locator("label[for=email]")).to_contain_text(caller[2])
    assert page.locator("h1, h2").all_inner_texts().count(page.locator("form h2").first.inner_text()) == 1
    shoot(page, f"staff-book-form-{tag}")
    page.locator("#full_name").fill(f"{caller[0]} Мария Сергеевна")
    page.locator("#phone").fill(f"+7 903 555-{10 + len(tag):02d}-{'1' if lang == 'ru' else '2'}{'1' if size == 'phone' else '2'}")
    page.locator("#topic-0").check()
    page.locator("#consent").check()
    page.locator("form.booking-form [type=submit]").last.click()
    read_out = page.locator(".read-out")
    expect(read_out.locator("h2")).to_have_text(caller[3])
    expect(read_out).to_contain_text("Дмитровское")
    shoot(page, f"staff-read-out-{tag}")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    serious = [v["id"] for v in axe(page) if v["impact"] in ("serious", "critical")]
    assert not serious, serious


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_staff_moving_asks_for_confirmation(staff_page, staff_world, shoot, lang):
    page = staff_page(lang)
    page.goto(staff_urls(staff_world)["move"])
    page.locator("button.slot").last.click()
    expect(page.locator(".move-compare .new-time")).to_be_visible()
    shoot(page, f"staff-move-confirm-{lang}-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.go_back()
