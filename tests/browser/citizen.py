"""What a citizen sees and does, in both languages, for the browser tests."""
import re

from playwright.sync_api import expect

TEXT = {
    "ru": {
        "division": "Северный филиал", "choose_time": "Выбрать время", "book_title": "Запись на приём",
        "full_name": "Фамилия, имя и отчество", "phone": "Телефон", "email": "Электронная почта",
        "topic": "Отопление", "consent": "Даю согласие на обработку моих персональных данных для записи на приём",
        "submit": "Записаться", "booked": "Вы записаны", "moscow_time": "время московское", "when": "Когда",
        "move": "Перенести на другое время", "confirm_move": "Перенести запись", "moved": "Запись перенесена.",
        "cancel": "Отменить запись",
        "cancelled": "Запись отменена.", "status_cancelled": "Отменена", "book_again": "Записаться на другое время",
        "errors": "Исправьте, пожалуйста:", "other_language": "English",
        "weekdays": r"понедельник|вторник|среда|четверг|пятница",
    },
    "en": {
        "division": "Northern branch", "choose_time": "Choose a time", "book_title": "Book a reception",
        "full_name": "Full name", "phone": "Phone", "email": "E-mail",
        "topic": "Heating", "consent": "I agree to the processing of my personal data for this appointment",
        "submit": "Book the appointment", "booked": "You are booked", "moscow_time": "Moscow time", "when": "When",
        "move": "Move to another time", "confirm_move": "Move the appointment", "moved": "The appointment is moved.", "cancel": "Cancel the appointment",
        "cancelled": "The appointment is cancelled.", "status_cancelled": "Cancelled",
        "book_again": "Book another time", "errors": "Please correct the following:", "other_language": "Русский",
        "weekdays": r"Monday|Tuesday|Wednesday|Thursday|Friday",
    },
}
DIVISION = "/divisions/severny-filial"
PUBLIC_PAGES = ("index", "division", "book", "book-errors", "manage", "move", "cancel", "erase", "erased", "consent",
                "privacy", "404")


def heading(page):
    return page.get_by_role("heading", level=1)


def assert_fits_width(page):
    """Nothing scrolls sideways: the page is readable at the viewport's width."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def go_to_next_week(page):
    """Times of the first week may be about to close; those of the next one stay open for the test."""
    page.locator(".week-nav a[rel=next]").click()
    expect(page).to_have_url(re.compile(r"[?&]week="))


def choose_a_time(page, lang):
    """From the division page, follow the first free time of next week to the booking form."""
    go_to_next_week(page)
    page.locator("a.slot").first.click()
    expect(heading(page)).to_have_text(TEXT[lang]["book_title"])


def fill_details(page, lang, citizen):
    """Fill the booking form through its labels, as a person reading them would."""
    t = TEXT[lang]
    page.get_by_label(t["full_name"], exact=True).fill(citizen["full_name"])
    page.get_by_label(t["phone"], exact=True).fill(citizen["phone"])
    page.get_by_label(t["email"], exact=True).fill(citizen["email"])
    page.get_by_label(t["topic"], exact=True).check()
    page.get_by_label(t["consent"], exact=True).check()


def submit(page, lang):
    page.get_by_role("button", name=TEXT[lang]["submit"], exact=True).click()


def when_of_appointment(page, lang):
    return page.locator(f"dt:text-is('{TEXT[lang]['when']}') + dd").inner_text()


def assert_local_time(text, lang):
    """A date written the reader's way, with Moscow time said."""
    assert re.search(TEXT[lang]["weekdays"], text, re.I), text
    assert TEXT[lang]["moscow_time"] in text, text


def open_public_page(page, name, live_server, lang):
    """Open one of PUBLIC_PAGES, reaching it as a citizen would where a form is involved."""
    if name == "index":
        page.goto("/")
    elif name == "division":
        page.goto(DIVISION)
    elif name in ("book", "book-errors"):
        page.goto(DIVISION)
        choose_a_time(page, lang)
        if name == "book-errors":
            submit(page, lang)
            expect(page.locator("#error-summary")).to_be_visible()
    elif name in ("consent", "privacy"):
        page.goto(f"/{name}")
    elif name == "erased":
        page.goto("/bookings/erased")
    elif name in ("manage", "move", "cancel", "erase"):
        code, token = live_server.book()
        page.goto(f"/bookings/{code}?token={token}&new=1" if name == "manage"
                  else f"/bookings/{code}/{name}?token={token}")
    elif name == "404":
        response = page.goto("/no-such-page")
        assert response.status == 404
    else:
        raise ValueError(name)
