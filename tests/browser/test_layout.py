"""The layout: a week grid on wide screens and a list on phones, large targets, nothing wider than 320 px."""
import pytest

from citizen import DIVISION, PUBLIC_PAGES, assert_fits_width, open_public_page

pytestmark = pytest.mark.browser

SMALL_TARGETS = """() => [...document.querySelectorAll(
        "main a.button, main a.slot, button, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), "
        + "select, textarea, .radio label, "
        + ".check label, .lang-switch a, .week-nav a, .breadcrumbs a")]
    .filter(el => el.getClientRects().length > 0)
    .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect()])
    .filter(([, box]) => box.height < 43.5 || box.width < 24)
    .map(([html, box]) => `${Math.round(box.width)}x${Math.round(box.height)} ${html}`)"""

DAY_BOXES = """() => [...document.querySelectorAll(".day")]
    .filter(day => day.getClientRects().length > 0)
    .map(day => { const box = day.getBoundingClientRect(); return [Math.round(box.x), Math.round(box.y)]; })"""


def test_the_week_is_a_grid_on_a_desktop_and_a_list_on_a_phone(new_page):
    desktop = new_page("ru", "desktop")
    desktop.goto(DIVISION)
    days = desktop.evaluate(DAY_BOXES)
    assert len(days) == 7 and len({y for _, y in days}) == 1 and len({x for x, _ in days}) == 7, days

    phone = new_page("ru", "phone")
    phone.goto(DIVISION)
    days = phone.evaluate(DAY_BOXES)
    assert 1 <= len(days) < 7, "days without free time are left out of the list"
    assert len({x for x, _ in days}) == 1 and len({y for _, y in days}) == len(days), days


@pytest.mark.parametrize("name", ["index", "division", "book-errors", "manage", "move"])
def test_controls_are_large_enough_to_touch(new_page, live_server, name):
    page = new_page("ru", "phone")
    open_public_page(page, name, live_server, "ru")
    small = page.evaluate(SMALL_TARGETS)
    assert not small, "targets under 44 px:\n" + "\n".join(small)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_page_fits_a_320_pixel_screen(new_page, live_server, lang):
    page = new_page(lang, "phone")
    page.set_viewport_size({"width": 320, "height": 640})
    for name in PUBLIC_PAGES:
        open_public_page(page, name, live_server, lang)
        assert_fits_width(page)
        # The hotline's number never breaks across lines, in the footer or inside a sentence.
        lines = page.locator(".phone-number").evaluate_all("els => els.map(e => e.getClientRects().length)")
        assert lines and set(lines) == {1}, (name, lines)
