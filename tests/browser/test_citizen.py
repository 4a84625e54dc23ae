"""A citizen books, sees the confirmation, moves and cancels: in Russian and English, on a phone and a desktop."""
import re

import pytest
from playwright.sync_api import expect

from citizen import (DIVISION, TEXT, assert_fits_width, assert_local_time, choose_a_time, fill_details,
                     go_to_next_week, heading, submit, when_of_appointment)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_citizen_books_moves_and_cancels(new_page, live_server, shoot, lang, size):
    t, tag = TEXT[lang], f"{lang}-{size}"
    page = new_page(lang, size)

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_fits_width(page)
    shoot(page, f"index-{tag}")
    page.get_by_role("link", name=f"{t['choose_time']} — {t['division']}").click()
    expect(heading(page)).to_have_text(t["division"])
    assert_fits_width(page)
    shoot(page, f"division-{tag}")

    choose_a_time(page, lang)
    assert_fits_width(page)
    shoot(page, f"book-{tag}")
    submit(page, lang)
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary h2")).to_have_text(t["errors"])
    assert_fits_width(page)
    shoot(page, f"book-errors-{tag}")

    fill_details(page, lang, live_server.citizen())
    submit(page, lang)
    expect(heading(page)).to_have_text(t["booked"])
    booked_for = when_of_appointment(page, lang)
    assert_local_time(booked_for, lang)
    assert_fits_width(page)
    shoot(page, f"confirmation-{tag}")

    page.get_by_role("link", name=t["move"]).click()
    expect(page).to_have_url(re.compile(r"/bookings/[A-Z0-9-]+/move\?token="))
    assert_fits_width(page)
    shoot(page, f"move-{tag}")
    go_to_next_week(page)
    page.locator("button.slot").first.click()
    # The old and the new time side by side; nothing moves before the confirmation.
    expect(page.locator(".move-compare .old-time")).to_contain_text(booked_for.split(" (")[0])
    assert_fits_width(page)
    shoot(page, f"move-confirm-{tag}")
    page.get_by_role("button", name=t["confirm_move"], exact=True).click()
    expect(page.locator(".flash")).to_have_text(t["moved"])
    moved_to = when_of_appointment(page, lang)
    assert_local_time(moved_to, lang)
    assert moved_to != booked_for

    page.get_by_role("link", name=t["cancel"]).click()
    expect(heading(page)).to_contain_text("?")
    assert_fits_width(page)
    shoot(page, f"cancel-{tag}")
    page.get_by_role("button", name=t["cancel"]).click()
    expect(page.locator(".flash")).to_have_text(t["cancelled"])
    expect(page.locator(".status")).to_have_text(t["status_cancelled"])
    expect(page.get_by_role("link", name=t["book_again"])).to_have_attribute("href", DIVISION)
    expect(page.locator("a[href*='.ics']")).to_have_count(0)  # nothing to add to a calendar any more
    expect(page.get_by_role("link", name=t["move"])).to_have_count(0)
    shoot(page, f"cancelled-{tag}")


def test_booking_works_without_javascript(new_page, live_server):
    page = new_page("ru", "phone", javascript=False)
    page.goto(DIVISION)
    choose_a_time(page, "ru")
    submit(page, "ru")
    # The summary takes the focus by its autofocus attribute alone, so a screen reader reads it first.
    expect(page.locator("#error-summary")).to_be_focused()
    fill_details(page, "ru", live_server.citizen())
    submit(page, "ru")
    expect(heading(page)).to_have_text(TEXT["ru"]["booked"])
    page.get_by_role("link", name=TEXT["ru"]["cancel"]).click()
    page.get_by_role("button", name=TEXT["ru"]["cancel"]).click()
    expect(page.locator(".status")).to_have_text(TEXT["ru"]["status_cancelled"])


def test_the_chosen_language_is_remembered(new_page):
    page = new_page("en")
    page.goto(DIVISION)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Русский").click()
    expect(page).to_have_url(re.compile(re.escape(DIVISION) + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(heading(page)).to_have_text(TEXT["ru"]["division"])
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("link", name="English")).to_have_attribute("hreflang", "en")
