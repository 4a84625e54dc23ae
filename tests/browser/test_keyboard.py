"""Booking with the keyboard alone: Tab to move, Space to choose, Enter to follow and send; focus always seen."""
import re

import pytest
from playwright.sync_api import expect

from citizen import TEXT, heading

pytestmark = pytest.mark.browser

FOCUS_SHOWN = """() => {
    const el = document.activeElement, style = getComputedStyle(el);
    return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
}"""


def tab_to(page, condition, limit=80):
    """Press Tab until the focused element meets ``condition`` (JS on ``el``); its focus must be visible."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return Boolean({condition}); }}"):
            assert page.evaluate(FOCUS_SHOWN), f"no visible focus on {condition}"
            return
    pytest.fail(f"Tab never reached an element where {condition}")


def focused_id(page):
    return page.evaluate("() => document.activeElement.id")


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_citizen_books_with_the_keyboard_alone(new_page, live_server, lang):
    t, citizen = TEXT[lang], live_server.citizen()
    page = new_page(lang)
    page.goto("/")

    tab_to(page, "el.classList.contains('skip-link')")
    tab_to(page, f"el.matches('a.button') && el.textContent.includes({t['division']!r})")
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text(t["division"])
    tab_to(page, "el.matches('a[rel=next]')")  # next week: the first week's times may be closing
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]week="))
    tab_to(page, "el.matches('a.slot')")
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text(t["book_title"])

    # Sending the empty form: the list of errors is read first, and its first link leads into the field.
    tab_to(page, "el.type === 'submit'")
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#full_name")).to_be_focused()

    page.keyboard.type(citizen["full_name"])
    page.keyboard.press("Tab")
    assert focused_id(page) == "phone"
    page.keyboard.type(citizen["phone"])
    page.keyboard.press("Tab")
    assert focused_id(page) == "email"
    page.keyboard.type(citizen["email"])
    page.keyboard.press("Tab")
    assert focused_id(page) == "topic-0"
    page.keyboard.press("Space")
    expect(page.locator("#topic-0")).to_be_checked()
    tab_to(page, "el.id === 'consent'")
    page.keyboard.press("Space")
    expect(page.locator("#consent")).to_be_checked()
    tab_to(page, "el.type === 'submit'")
    page.keyboard.press("Enter")

    expect(heading(page)).to_have_text(t["booked"])


def test_the_skip_link_leads_past_the_header(new_page):
    page = new_page("ru", "phone")
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
